"""Meals API schemas: menus and kitchens (and the references other meals schemas share)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

SlotName = Literal["breakfast", "lunch", "dinner"]


# ------------------------------------------------------------------------------------------ shared refs


class MenuPlaceRef(Schema):
    id: int
    external_id: str
    name: str


class KitchenRef(Schema):
    id: int
    name: str
    place_id: int
    is_elder_canteen: bool


class KitchenName(Schema):
    id: int
    name: str


class Discount(Schema):
    label: str = Field(description="the tier's words, e.g. 长者（80岁以上）")
    amount_fen: int


# ---------------------------------------------------------------------------------------- menus, kitchens


class MenuItemIn(Schema):
    dish: str = Field(..., max_length=100, description="菜名 dish name (created in the kitchen if new)")
    price_fen: int = Field(..., description="价格（分）price in fen")
    half_price_fen: int | None = Field(None, description="半份价格（分）; empty: no half portion")
    daily_limit: int | None = Field(None, description="每日限量; empty: unlimited")
    tags: list[str] = Field(
        default_factory=list, description="soft, low_salt, ... ; also allergen:<code>, set, elder_set"
    )
    allergens: list[str] = Field(default_factory=list, description="GB 7718 allergen codes")
    is_set_meal: bool = False
    is_elder_discount_set: bool = False
    components: str = Field("", max_length=300)


class MenuIn(Schema):
    kitchen_id: int
    date: dt.date
    slot: SlotName
    cutoff_at: dt.datetime | None = Field(None, description="default: from the kitchen's cut-off times")
    note: str = Field("", max_length=300)
    items: list[MenuItemIn] = Field(default_factory=list)
    publish: bool = Field(False, description="publish at once (refused with menu_invalid if a rule fails)")


class MenuItemOut(Schema):
    id: int = Field(description="the menu item id to order")
    menu_id: int
    slot: str
    dish: str
    dish_id: int
    description: str
    components: str
    price_fen: int
    half_price_fen: int | None = Field(description="empty: no half portion")
    daily_limit: int | None = Field(description="empty: unlimited")
    sold: int
    remaining: int | None = Field(description="empty: unlimited")
    tags: list[str]
    allergens: list[str]
    is_set_meal: bool
    is_elder_discount_set: bool
    kitchen: KitchenRef


class MenuOut(Schema):
    id: int
    kitchen: KitchenRef
    date: str
    slot: str
    cutoff_at: str
    status: str = Field(description="draft | published | locked")
    note: str
    items: list[MenuItemOut] | None = Field(None, description="staff answers list the items")


class PlaceMenusOut(Schema):
    place: MenuPlaceRef
    date: str
    items: list[MenuItemOut]
    menus: list[MenuOut]


class MissingMenu(Schema):
    date: str
    slot: str


class WeekAhead(Schema):
    ok: bool
    ahead_until: str | None
    expected: int
    missing: list[MissingMenu]


class KitchenOut(Schema):
    id: int
    street: str
    place: MenuPlaceRef
    kind: str
    is_elder_canteen: bool
    serves: list[MenuPlaceRef]
    breakfast_cutoff: str
    lunch_cutoff: str
    dinner_cutoff: str
    home_delivery: bool
    slots: list[str]
    week_ahead: WeekAhead


class RuleFailure(Schema):
    field: str
    date: str
    slot: str | None = Field(description="empty: a rule of the whole day")
    rule: str = Field(description="no_items | small_portions | elder_set_meal")
    message: str
    message_en: str


class MenuCheckOut(Schema):
    menu_id: int
    ok: bool
    failures: list[RuleFailure]


class MenuLockOut(Schema):
    id: int
    status: str
    locked_at: str | None
    orders_locked: int
