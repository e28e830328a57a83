"""Meals API schemas: the kitchen's day (production list, delivery runs, collection at the meal point)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from linli.meals.schemas.menus import KitchenName, SlotName

# -------------------------------------------------------------------------- the kitchen's day: production


class DishCountOut(Schema):
    menu_item_id: int
    dish: str
    full: int
    half: int


class DestinationCountOut(Schema):
    key: str
    type: str = Field(description="place (a meal point or an activity venue) | home")
    label: str
    address: str
    place_id: int | None
    activities: list[str]
    orders: int
    dishes: list[DishCountOut]


class ProductionMenu(Schema):
    id: int
    status: str
    cutoff_at: str


class ProductionTotals(Schema):
    orders: int
    full: int
    half: int


class ProductionOut(Schema):
    kitchen: KitchenName
    date: str
    slot: str
    menu: ProductionMenu | None
    dishes: list[DishCountOut]
    destinations: list[DestinationCountOut]
    totals: ProductionTotals


# ---------------------------------------------------------------------------------------- delivery runs


class PlanIn(Schema):
    kitchen_id: int
    date: dt.date
    slot: SlotName = "lunch"
    riders_count: int = 1
    max_stops_per_run: int | None = None


class RunAssignIn(Schema):
    rider_id: int


class HandOverIn(Schema):
    to_name: str = Field("", description="who took the meals")


class StopOrder(Schema):
    id: int
    pickup_code: str
    status: str
    phone: str = Field(description="masked")


class NavigationLinks(Schema):
    amap: str
    amap_walk: str
    baidu: str
    geo: str


class RunStop(Schema):
    id: int
    seq: int
    label: str
    place_id: int | None
    lat: float
    lng: float
    handed_over_at: str | None
    handed_over_to: str
    navigation: NavigationLinks
    address: str = Field("", description="the meal point's or venue's address, or the home address")
    phone: str = Field("", description="whom the rider calls: the place's phone, or the resident's at a home stop")
    orders: int
    order_list: list[StopOrder] | None = Field(None, description="the stop's orders (rider and staff views)")


class RunOut(Schema):
    id: int
    kitchen_id: int
    kitchen: str
    kitchen_lat: float
    kitchen_lng: float
    date: str
    slot: str
    name: str
    status: str = Field(description="planned | picked_up | done")
    status_label: str = Field(description="in the request's language")
    status_zh: str = Field(description="in Chinese")
    rider_id: int | None
    rider: str | None
    distance_m: int | None
    picked_up_at: str | None
    done_at: str | None
    stops: list[RunStop]


class SkippedOrder(Schema):
    order_id: int
    pickup_code: str
    reason: str = Field(description="home_without_coordinates | no_destination")
    message: str


class PlanOut(Schema):
    runs: list[RunOut]
    skipped: list[SkippedOrder]
    dine_in: int = Field(description="orders eaten in the canteen's own dining room")


class CollectIn(Schema):
    place_id: int
    pickup_code: str
    order_id: int | None = Field(None, description="which order, when the code matches several here")


class ShortLine(Schema):
    dish: str
    quantity: int
    half: bool


class CollectedOut(Schema):
    id: int
    status: str
    pickup_code: str
    phone: str = Field(description="masked")
    lines: list[ShortLine]
