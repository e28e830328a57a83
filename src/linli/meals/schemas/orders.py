"""Meals API schemas: ordering (the order body, the bill, an order) and the wallet.

The order bodies are plain pydantic models, not ninja `Schema`s: a Schema wraps every validation in its
Django-object getter (a wrap validator per model), which cost a tenth of the order path's CPU in the API process;
these bodies are JSON only, so they need none of it. Their limits are the ordering service's own constants."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import BaseModel, Field, StrictBool, field_validator, model_validator

from linli.meals.schemas.menus import Discount, KitchenName, SlotName
from linli.meals.services.orders import MAX_LINES, MAX_QUANTITY
from linli.meals.services.wallet import MAX_TOPUP_FEN

# ------------------------------------------------------------------------------------------------ orders


class DestinationIn(BaseModel):
    """Exactly one of: a meal point or venue the kitchen serves, an activity you are booked for, or home."""

    place_id: int | None = Field(None, gt=0, description="助餐点 / 场所 a meal point or venue")
    activity_id: int | None = Field(None, gt=0, description="已预约的活动 an activity you hold a confirmed booking for")
    home: Literal[True] | None = Field(None, description="送餐上门 home delivery (registered residents only)")

    @model_validator(mode="after")
    def _exactly_one(self) -> DestinationIn:
        if sum(v is not None for v in (self.place_id, self.activity_id, self.home)) != 1:
            raise ValueError("exactly one of place_id, activity_id, home")
        return self

    def choice(self) -> dict[str, Any]:
        """The one destination given, as the ordering service takes it."""
        return self.model_dump(exclude_none=True)


class OrderItemIn(BaseModel):
    menu_item_id: int = Field(gt=0)
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY, description=f"1 to {MAX_QUANTITY} of this dish in all")
    half: StrictBool = Field(False, description="半份 half portion")


class OrderIn(BaseModel):
    date: dt.date = Field(..., description="YYYY-MM-DD")
    slot: SlotName
    destination: DestinationIn
    items: list[OrderItemIn] = Field(..., min_length=1, max_length=MAX_LINES)

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if not isinstance(value, str):  # pydantic would read a number as a Unix time
            raise ValueError("a YYYY-MM-DD date")
        return value

    def basket(self) -> dict[str, Any]:
        """The typed arguments of `order_create` / `basket_quote`."""
        return {
            "date": self.date,
            "slot": self.slot,
            "destination": self.destination.choice(),
            "items": [i.model_dump() for i in self.items],
        }


class OrderCreatedOut(Schema):
    order_id: int
    status: str
    list_fen: int
    discounts: list[Discount]
    discount_fen: int
    total_fen: int
    pickup_code: str


class BillLine(Schema):
    menu_item_id: int
    dish: str
    quantity: int
    half: bool
    unit_price_fen: int
    line_fen: int


class QuoteDiscount(Discount):
    tier_id: int | None


class QuoteOut(Schema):
    lines: list[BillLine]
    list_fen: int
    discounts: list[QuoteDiscount]
    discount_fen: int
    total_fen: int
    menu_id: int
    kitchen: KitchenName
    cutoff_at: str
    balance_fen: int
    balance_ok: bool = Field(description="whether the wallet covers the total")


class DestinationPlace(Schema):
    id: int
    name: str
    address: str


class DestinationActivity(Schema):
    id: int
    title: str


class DestinationHome(Schema):
    address: str
    lat: float | None
    lng: float | None


class OrderDestination(Schema):
    type: str = Field(description="place | activity | home")
    place: DestinationPlace | None = None
    activity: DestinationActivity | None = None
    home: DestinationHome | None = None


class OrderLineOut(BillLine):
    pass


class OrderEventOut(Schema):
    at: str
    from_status: str
    to_status: str
    note: str


class RunRider(Schema):
    name: str
    phone: str = Field(description="masked")


class OrderRun(Schema):
    id: int
    status: str
    rider: RunRider | None
    handed_over_at: str | None


class OrderOut(Schema):
    order_id: int
    status: str
    status_label: str = Field(description="in the request's language")
    date: str
    slot: str
    kitchen: KitchenName
    destination: OrderDestination
    lines: list[OrderLineOut]
    list_fen: int
    discounts: list[Discount]
    discount_fen: int
    total_fen: int
    pickup_code: str
    created_at: str
    cutoff_at: str
    timeline: list[OrderEventOut]
    run: OrderRun | None


# ------------------------------------------------------------------------------------------------ wallet


class WalletEntryOut(Schema):
    id: int
    kind: str
    amount_fen: int
    balance_after_fen: int = Field(description="the balance of this entry's street wallet after it")
    order_id: int | None
    street: str | None = Field(None, description="the street whose wallet the entry belongs to")
    note: str
    at: str


class StreetWalletOut(Schema):
    street: str
    street_name: str
    balance_fen: int


class WalletOut(Schema):
    balance_fen: int = Field(description="the sum over every street's wallet")
    wallets: list[StreetWalletOut] = Field(description="one wallet per street: a street's money pays its meals")
    entries: list[WalletEntryOut]


class TopupIn(Schema):
    phone: str = Field(..., max_length=20)
    amount_fen: int = Field(..., gt=0, le=MAX_TOPUP_FEN)
    street: str = Field(..., max_length=40)
    note: str = Field("", max_length=200)
    name: str = Field("", max_length=50, description="a number without an account: the person's name, checked")
    confirm_new_account: bool = Field(
        False, description="a number without an account: the clerk confirms the person (with `name`) to open one"
    )


class TopupOut(Schema):
    phone: str = Field(description="masked")
    amount_fen: int
    balance_fen: int = Field(description="what the person holds in this street's wallet (never other streets')")
    entry_id: int
    new_account: bool = False
