"""factory_boy factories for activities and bookings; recurring series (`make_series`) on a future Monday."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from linli.activities.models import Activity, ActivitySeries, ActivityStatus, Booking, BookingStatus
from linli.activities.services.series import series_create
from linli.core.tests.factories import RoleAssignmentFactory, StreetFactory, UserFactory
from linli.places.tests.factories import PlaceFactory

__all__ = [
    "ActivityFactory",
    "BookingFactory",
    "PlaceFactory",
    "RoleAssignmentFactory",
    "StreetFactory",
    "UserFactory",
    "future_monday",
    "make_series",
]

SH = ZoneInfo("Asia/Shanghai")


class ActivityFactory(factory.django.DjangoModelFactory):
    """A published activity three days from now, 2 hours long, 10 seats, 10 waitlist places."""

    class Meta:
        model = Activity

    street = factory.SubFactory(StreetFactory)
    place = factory.SubFactory(PlaceFactory, street=factory.SelfAttribute("..street"))
    external_id = factory.Sequence(lambda n: f"act-{n}")
    title = factory.Sequence(lambda n: f"测试活动{n}")
    description = "社区活动"
    category = "lecture"
    audience = "everyone"
    organiser = "测试居委"
    start = factory.LazyFunction(lambda: (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=2))
    capacity = 10
    waitlist_capacity = 10
    status = ActivityStatus.PUBLISHED


class BookingFactory(factory.django.DjangoModelFactory):
    """A booking row written directly (counters are NOT kept: tests of the booking path use the services)."""

    class Meta:
        model = Booking

    activity = factory.SubFactory(ActivityFactory)
    user = factory.SubFactory(UserFactory)
    status = BookingStatus.CONFIRMED
    code = factory.Sequence(lambda n: f"T{n:07d}")


def future_monday(weeks: int = 2, hour: int = 9, minute: int = 30) -> dt.datetime:
    """A Monday `weeks` weeks from now at hour:minute, Shanghai time."""
    today = timezone.localtime(timezone.now(), SH).date()
    monday = today + dt.timedelta(days=(7 - today.weekday()) + 7 * (weeks - 1))
    return dt.datetime(monday.year, monday.month, monday.day, hour, minute, tzinfo=SH)


def make_series(street: Any = None, place: Any = None, **kw: Any) -> ActivitySeries:
    """A weekly series of four 90-minute tai chi classes (12 seats) from `future_monday()`; `kw` overrides."""
    street = street or StreetFactory()
    place = place or PlaceFactory(street=street)
    args = {
        "street": street,
        "place": place,
        "external_id": "taichi",
        "title": "太极拳",
        "rrule": "FREQ=WEEKLY;COUNT=4",
        "dtstart": future_monday(),
        "duration_minutes": 90,
        "capacity": 12,
        "category": "sports",
        "audience": "everyone",
    }
    args.update(kw)
    return series_create(**args)
