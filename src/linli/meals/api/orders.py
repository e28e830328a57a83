"""Meals API: order a meal (Idempotency-Key required), quote a basket, cancel, read, my orders."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from linli.core.auth import request_user, require_user
from linli.core.idempotency import idempotent
from linli.core.schemas import problems
from linli.meals.schemas.orders import OrderCreatedOut, OrderIn, OrderOut, QuoteOut
from linli.meals.selectors import orders as order_selectors
from linli.meals.services import orders as order_services

router = Router(tags=["meals 助餐"])

ORDER_PROBLEMS = (
    "sold_out",
    "after_cutoff",
    "insufficient_balance",
    "not_eligible",
    "destination_not_served",
    "menu_not_available",
)


@router.post("/meals/orders", response={201: OrderCreatedOut}, auth=require_user, summary="订餐 Order a meal")
@problems("idempotency_key_reused", *ORDER_PROBLEMS)
def create_order(request: HttpRequest, payload: OrderIn) -> HttpResponse:
    """Order dishes from one published menu for a date and meal, paid from the meal wallet. The
    `Idempotency-Key` header is required: a retry with the same key gets the same answer and is charged once.
    Problems: `sold_out` (with `dish` and `remaining`), `after_cutoff`, `insufficient_balance`, `not_eligible`,
    `destination_not_served`, `menu_not_available`, `validation_error`."""
    user = request_user(request)
    basket = payload.basket()

    def run() -> tuple[int, dict[str, Any]]:
        # Inside idempotent()'s transaction, which is the unit to roll back (order_create opens no savepoint).
        order = order_services.order_create(user=user, savepoint=False, **basket)
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

    savepoint = order_services.order_create_savepoint_needed()
    return idempotent(request, scope="meal_order", run=run, required=True, savepoint=savepoint)


@router.post("/meals/quote", response=QuoteOut, auth=require_user, summary="算账 Quote a basket")
@problems(*(p for p in ORDER_PROBLEMS if p != "insufficient_balance"))
def quote_order(request: HttpRequest, payload: OrderIn) -> dict[str, Any]:
    """The bill of a basket (lines, list price, each discount, total) and whether the wallet covers it, without
    ordering. Same problems as ordering, except `insufficient_balance` (see `balance_ok`)."""
    return order_services.basket_quote(user=request_user(request), **payload.basket())


@router.get(
    "/meals/orders/{int:order_id}",
    exclude_unset=True,
    response=OrderOut,
    auth=require_user,
    summary="订单详情 An order",
)
@problems("not_found")
def get_order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    order = order_selectors.order_get_for_user(order_id=order_id, user=request_user(request))
    return order_selectors.order_to_dict(order)


@router.delete(
    "/meals/orders/{int:order_id}", exclude_unset=True, response=OrderOut, auth=require_user, summary="取消订单 Cancel"
)
@problems("not_found", "permission_denied", "after_cutoff", "order_invalid_transition")
def cancel_order(request: HttpRequest, order_id: int, reason: str = Query("", max_length=300)) -> dict[str, Any]:
    """The resident cancels before the cut-off and gets the full amount back in the wallet; the street's staff
    may cancel or refund at any time before delivery (the resident is told by SMS)."""
    user = request_user(request)
    order = order_selectors.order_get_for_user(order_id=order_id, user=user)
    order_services.order_cancel(order=order, actor=user, reason=reason)
    return order_selectors.order_to_dict(order_selectors.order_get_for_user(order_id=order_id, user=user))


@router.get(
    "/me/meal-orders", exclude_unset=True, response=list[OrderOut], auth=require_user, summary="我的订餐 My meal orders"
)
def my_orders(
    request: HttpRequest,
    when: Literal["all", "upcoming", "past"] = "all",
    page: int = Query(1, ge=1),
    page_size: int = Query(20, ge=1, le=100),
) -> list[dict[str, Any]]:
    """`when=upcoming`: today and later, soonest first; `past`: before today, latest first; `all` (latest first).
    `page_size` orders a page."""
    user = request_user(request)
    orders = order_selectors.order_list_for_user(user=user, when=when, limit=page_size, offset=(page - 1) * page_size)
    return [order_selectors.order_to_dict(o) for o in orders]
