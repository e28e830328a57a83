"""factory_boy factories for the affairs catalogue, resources, templates, slots and appointments."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from linli.affairs.models import Item, Material, MaterialForm, Resource, ResourceKind, Slot
from linli.core.tests.factories import RoleAssignmentFactory, StreetFactory, UserFactory
from linli.places.models import PlaceKind
from linli.places.tests.factories import PlaceFactory

__all__ = [
    "ItemFactory",
    "MaterialFactory",
    "PlaceFactory",
    "ResourceFactory",
    "RoleAssignmentFactory",
    "SlotFactory",
    "StreetFactory",
    "UserFactory",
]

SH = ZoneInfo("Asia/Shanghai")


class ItemFactory(factory.django.DjangoModelFactory):
    """An item bookable at a window and by remote video, with online pre-review."""

    class Meta:
        model = Item

    street = factory.SubFactory(StreetFactory)
    code = factory.Sequence(lambda n: f"T{n:04d}")
    name = factory.Sequence(lambda n: f"测试事项{n}")
    department = "区人社局"
    channels = factory.LazyFunction(lambda: ["window", "remote"])
    prereview = True
    entrusted = False
    time_limit_days = 5
    min_notice_minutes = 60
    max_days_ahead = 30


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Material

    item = factory.SubFactory(ItemFactory)
    position = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"材料{n}")
    count = 1
    form = MaterialForm.ORIGINAL


class ResourceFactory(factory.django.DjangoModelFactory):
    """A window of the street's affairs centre."""

    class Meta:
        model = Resource

    street = factory.SubFactory(StreetFactory)
    place = factory.SubFactory(PlaceFactory, street=factory.SelfAttribute("..street"), kind=PlaceKind.AFFAIRS_CENTER)
    name = factory.Sequence(lambda n: f"{n}号窗口")
    kind = ResourceKind.WINDOW


def _tomorrow_ten() -> dt.datetime:
    day = timezone.localtime(timezone.now(), SH).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=SH)


class SlotFactory(factory.django.DjangoModelFactory):
    """A 30-minute slot tomorrow at 10:00 (Shanghai) with 2 places."""

    class Meta:
        model = Slot

    resource = factory.SubFactory(ResourceFactory)
    start = factory.LazyFunction(_tomorrow_ten)
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(minutes=30))
    places = 2
    booked = 0
