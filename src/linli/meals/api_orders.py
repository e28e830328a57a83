"""Meals API (api_orders): order a meal (Idempotency-Key required), quote a basket, cancel, read, my orders.
Thin: parse, check permission, call a selector or service."""

from __future__ import annotations

from typing import Any, Literal

from django.db import connection
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import BaseModel

from linli.core.auth import require_user
from linli.core.idempotency import idempotent
from linli.meals.selectors import orders as order_selectors
from linli.meals.services import orders as order_services

router = Router(tags=["meals 助餐"])


# The request bodies are plain pydantic models, not ninja `Schema`s: a Schema wraps every validation in its
# Django-object getter (a wrap validator per model), which cost a tenth of the order path's CPU in the API process;
# these bodies are JSON only, so they need none of it.


class DestinationIn(BaseModel):
    """Exactly one of: a meal point or venue the kitchen serves, an activity you are booked for, or home."""

    place_id: int | None = Field(None, description="助餐点 / 场所 a meal point or venue")
    activity_id: int | None = Field(None, description="已预约的活动 an activity you hold a confirmed booking for")
    home: bool | None = Field(None, description="送餐上门 home delivery (registered residents only)")


class OrderItemIn(BaseModel):
    menu_item_id: int
    quantity: int = Field(1, ge=1, le=10)
    half: bool = Field(False, description="半份 half portion")


class OrderIn(BaseModel):
    date: str = Field(..., description="YYYY-MM-DD", max_length=10)
    slot: str = Field(..., description="breakfast | lunch | dinner", max_length=16)
    destination: DestinationIn
    items: list[OrderItemIn] = Field(..., max_length=20)


class DiscountOut(Schema):
    label: str
    amount_fen: int


class OrderCreatedOut(Schema):
    order_id: int
    status: str
    list_fen: int
    discounts: list[DiscountOut]
    discount_fen: int
    total_fen: int
    pickup_code: str


def _args(payload: OrderIn) -> dict[str, Any]:
    dest = payload.destination
    destination = {
        k: v
        for k, v in (("place_id", dest.place_id), ("activity_id", dest.activity_id), ("home", dest.home))
        if v is not None
    }
    return {
        "date": payload.date,
        "slot": payload.slot,
        "destination": destination,
        "items": [{"menu_item_id": i.menu_item_id, "quantity": i.quantity, "half": i.half} for i in payload.items],
    }


@router.post("/meals/orders", response={201: OrderCreatedOut}, auth=require_user, summary="订餐 Order a meal")
def create_order(request: HttpRequest, payload: OrderIn) -> HttpResponse:
    """Order dishes from one published menu for a date and meal, paid from the meal wallet. The
    `Idempotency-Key` header is required: a retry with the same key gets the same answer and is charged once.
    Problems: `sold_out` (with `dish` and `remaining`), `after_cutoff`, `insufficient_balance`, `not_eligible`,
    `destination_not_served`, `menu_not_available`, `validation_error`."""
    user = request.auth  # type: ignore[attr-defined]
    args = _args(payload)

    def run() -> tuple[int, dict[str, Any]]:
        # Inside idempotent()'s transaction, which is the unit to roll back (order_create opens no savepoint).
        order = order_services.order_create(user=user, savepoint=False, **args)
        return 201, {
            "order_id": order.pk,
            "status": order.status,
            "list_fen": order.list_fen,
            "discounts": [
                {"label": d.label, "amount_fen": d.amount_fen} for d in order_services.order_discounts(order=order)
            ],
            "discount_fen": order.discount_fen,
            "total_fen": order.total_fen,
            "pickup_code": order.pickup_code,
        }

    # On PostgreSQL a refused order has written nothing (order_create's one statement), so the key's transaction
    # needs no savepoint around it; elsewhere the savepoint rolls a refused order's writes back.
    return idempotent(request, scope="meal_order", run=run, required=True, savepoint=connection.vendor != "postgresql")


@router.post("/meals/quote", response=dict, auth=require_user, summary="算账 Quote a basket")
def quote_order(request: HttpRequest, payload: OrderIn) -> dict[str, Any]:
    """The bill of a basket (lines, list price, each discount, total) and whether the wallet covers it, without
    ordering. Same problems as ordering, except `insufficient_balance` (see `balance_ok`)."""
    return order_services.basket_quote(user=request.auth, **_args(payload))  # type: ignore[attr-defined]


@router.get("/meals/orders/{int:order_id}", response=dict, auth=require_user, summary="订单详情 An order")
def get_order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    order = order_selectors.order_get_for_user(order_id=order_id, user=request.auth)  # type: ignore[attr-defined]
    return order_selectors.order_to_dict(order)


@router.delete("/meals/orders/{int:order_id}", response=dict, auth=require_user, summary="取消订单 Cancel")
def cancel_order(request: HttpRequest, order_id: int, reason: str = Query("", max_length=300)) -> dict[str, Any]:
    """The resident cancels before the cut-off and gets the full amount back in the wallet; the street's staff
    may cancel or refund at any time before delivery (the resident is told by SMS)."""
    user = request.auth  # type: ignore[attr-defined]
    order = order_selectors.order_get_for_user(order_id=order_id, user=user)
    order_services.order_cancel(order=order, actor=user, reason=reason)
    return order_selectors.order_to_dict(order_selectors.order_get_for_user(order_id=order_id, user=user))


@router.get("/me/meal-orders", response=list[dict], auth=require_user, summary="我的订餐 My meal orders")
def my_orders(request: HttpRequest, when: Literal["all", "upcoming", "past"] = "all") -> list[dict[str, Any]]:
    """`when=upcoming`: today and later, soonest first; `past`: before today, latest first; `all`."""
    user = request.auth  # type: ignore[attr-defined]
    return [order_selectors.order_to_dict(o) for o in order_selectors.order_list_for_user(user=user, when=when)]
