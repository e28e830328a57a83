"""factory_boy factories for meals. Counters (`MenuItem.sold`, `Wallet.balance_fen`) are NOT kept by rows
written here: tests of ordering and the wallet go through the services."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from linli.core.tests.factories import RoleAssignmentFactory, StreetFactory, UserFactory
from linli.meals.models import Dish, Kitchen, Menu, MenuItem, MenuStatus, Order, PricingTier, Slot
from linli.places.tests.factories import PlaceFactory

__all__ = [
    "DishFactory",
    "KitchenFactory",
    "MenuFactory",
    "MenuItemFactory",
    "OrderFactory",
    "PlaceFactory",
    "PricingTierFactory",
    "RoleAssignmentFactory",
    "StreetFactory",
    "UserFactory",
]


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


class KitchenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Kitchen
        skip_postgeneration_save = True

    street = factory.SubFactory(StreetFactory)
    place = factory.SubFactory(PlaceFactory, street=factory.SelfAttribute("..street"), kind="central_kitchen")

    @factory.post_generation
    def serves(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.serves.add(*extracted)


class DishFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dish

    kitchen = factory.SubFactory(KitchenFactory)
    name = factory.Sequence(lambda n: f"测试菜{n}")
    tags = factory.LazyFunction(lambda: ["soft"])


class MenuFactory(factory.django.DjangoModelFactory):
    """A published lunch menu for tomorrow whose cut-off is tomorrow 09:30 (Shanghai)."""

    class Meta:
        model = Menu

    kitchen = factory.SubFactory(KitchenFactory)
    date = factory.LazyFunction(tomorrow)
    slot = Slot.LUNCH
    status = MenuStatus.PUBLISHED
    cutoff_at = factory.LazyAttribute(lambda o: timezone.make_aware(dt.datetime.combine(o.date, dt.time(9, 30))))
    published_at = factory.LazyFunction(timezone.now)


class MenuItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MenuItem

    menu = factory.SubFactory(MenuFactory)
    dish = factory.SubFactory(DishFactory, kitchen=factory.SelfAttribute("..menu.kitchen"))
    price_fen = 1500
    half_price_fen = 800
    daily_limit = 50


class PricingTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PricingTier

    street = factory.SubFactory(StreetFactory)
    kind = "age"
    name = factory.Sequence(lambda n: f"长者{n}")
    min_age = 60
    discount_type = "percent"
    value = 10


class OrderFactory(factory.django.DjangoModelFactory):
    """An order row written directly (no wallet charge, no `sold` change): for kitchen/delivery/quality tests
    that need orders to exist. Tests of ordering itself use `services.orders.order_create`."""

    class Meta:
        model = Order

    menu = factory.SubFactory(MenuFactory)
    kitchen = factory.SelfAttribute("menu.kitchen")
    street = factory.SelfAttribute("menu.kitchen.street")
    user = factory.SubFactory(UserFactory)
    date = factory.SelfAttribute("menu.date")
    slot = factory.SelfAttribute("menu.slot")
    destination_type = "place"
    destination_place = factory.SubFactory(PlaceFactory, street=factory.SelfAttribute("..street"), kind="meal_point")
    list_fen = 1500
    discount_fen = 0
    total_fen = 1500
    pickup_code = factory.Sequence(lambda n: f"{n:06d}")
