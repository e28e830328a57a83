"""factory_boy factories for activities and bookings."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from linli.activities.models import Activity, ActivityStatus, Booking, BookingStatus
from linli.core.tests.factories import RoleAssignmentFactory, StreetFactory, UserFactory
from linli.places.tests.factories import PlaceFactory

__all__ = ["ActivityFactory", "BookingFactory", "PlaceFactory", "RoleAssignmentFactory", "StreetFactory", "UserFactory"]


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
