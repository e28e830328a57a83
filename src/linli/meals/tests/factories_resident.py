"""The residents' meals world used by several test modules: a street, a kitchen serving a meal point and an activity
venue, tomorrow's lunch menu and the pricing tiers (`build_meals`), plus small page helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.test import Client
from django.utils import timezone

from linli.activities.tests.factories import ActivityFactory
from linli.meals.models import MenuItem
from linli.meals.services.wallet import wallet_topup
from linli.meals.tests.factories import (
    KitchenFactory,
    MenuFactory,
    MenuItemFactory,
    PlaceFactory,
    PricingTierFactory,
    StreetFactory,
    UserFactory,
)


@dataclass
class Meals:
    street: Any
    kitchen: Any
    point: Any  # served meal point
    venue: Any  # served activity venue
    unserved: Any  # a meal point no kitchen serves
    menu: Any
    lion: MenuItem  # 红烧狮子头 1200 / half 700, limit 5, soft, allergens soy+egg
    greens: MenuItem  # 蒜蓉青菜 500, no half, unlimited, low salt
    elder_set: MenuItem  # 长者套餐 1500, elder discounted set

    def resident(self, *, age: int | None = 75, balance_fen: int = 10_000, **kw: Any) -> Any:
        year = timezone.localdate().year - age if age is not None else None
        user = UserFactory(birth_year=year, home_street=self.street, **kw)
        if balance_fen:
            wallet_topup(user=user, amount_fen=balance_fen, actor=None)
        return user

    @property
    def menu_url(self) -> str:
        return f"/meals/p/{self.point.pk}/?date={self.menu.date.isoformat()}"

    def form(self, *pairs: tuple[MenuItem, int] | tuple[MenuItem, int, bool], destination: str = "", **extra: str):
        data = {"date": self.menu.date.isoformat(), "slot": "lunch", "kitchen": str(self.kitchen.pk)}
        for pair in pairs:
            item, quantity = pair[0], pair[1]
            half = len(pair) > 2 and pair[2]
            data[f"{'half' if half else 'qty'}_{item.pk}"] = str(quantity)
        data["destination"] = destination or f"place:{self.point.pk}"
        data.update(extra)
        return data


def build_meals() -> Meals:
    """A street with a central kitchen serving a meal point and an activity venue, tomorrow's lunch menu (three
    dishes, one an elder set) and elder and hardship pricing tiers."""
    street = StreetFactory(code="canjie", name="餐街道")
    point = PlaceFactory(street=street, kind="meal_point", name="真金路助餐点", services=["meal"])
    venue = PlaceFactory(street=street, kind="party_service_station", name="第一居民区党群服务站")
    unserved = PlaceFactory(street=street, kind="meal_point", name="没人送的助餐点")
    kitchen_place = PlaceFactory(street=street, kind="central_kitchen", name="万里中央厨房")
    kitchen = KitchenFactory(street=street, place=kitchen_place, serves=[point, venue])
    menu = MenuFactory(kitchen=kitchen)
    lion = MenuItemFactory(
        menu=menu,
        dish__name="红烧狮子头",
        dish__tags=["soft"],
        dish__allergens=["soy", "egg"],
        price_fen=1200,
        half_price_fen=700,
        daily_limit=5,
        sort_order=10,
    )
    greens = MenuItemFactory(
        menu=menu,
        dish__name="蒜蓉青菜",
        dish__tags=["low_salt"],
        price_fen=500,
        half_price_fen=None,
        daily_limit=None,
        sort_order=20,
    )
    elder_set = MenuItemFactory(
        menu=menu,
        dish__name="长者套餐",
        dish__is_set_meal=True,
        price_fen=1500,
        half_price_fen=None,
        daily_limit=80,
        is_elder_discount_set=True,
        sort_order=30,
    )
    PricingTierFactory(street=street, name="60岁以上九折", min_age=60, value=10)
    PricingTierFactory(street=street, name="70岁以上八折", min_age=70, value=20)
    PricingTierFactory(
        street=street,
        kind="hardship",
        name="独居补贴",
        min_age=None,
        hardship="living_alone",
        discount_type="fixed",
        value=200,
    )
    return Meals(street, kitchen, point, venue, unserved, menu, lion, greens, elder_set)


def client_for(user: Any = None, elder: bool = False) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    if elder:
        client.cookies["linli_elder"] = "1"
    return client


def text(response: Any) -> str:
    return response.content.decode()


def activity_on_menu_day(meals: Meals, *, place: Any, end: dt.time, start: dt.time = dt.time(9, 30)) -> Any:
    day = meals.menu.date
    return ActivityFactory(
        street=meals.street,
        place=place,
        title="书法兴趣班",
        start=timezone.make_aware(dt.datetime.combine(day, start)),
        end=timezone.make_aware(dt.datetime.combine(day, end)),
    )
