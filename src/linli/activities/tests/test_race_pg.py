"""No overbooking under real concurrency: many threads race on PostgreSQL (SQLite serialises writers, so the race
it would show is not the one production faces). The SQLite pass skips them; `make test-pg` (CI's second pass, which
fails when PostgreSQL is absent) runs them, and there a non-PostgreSQL connection is an error."""

from __future__ import annotations

from collections import Counter

import pytest

from linli.activities.models import Activity, Booking, BookingStatus
from linli.activities.services.activities import activity_counters_check
from linli.activities.services.bookings import booking_cancel, booking_create
from linli.activities.tests.factories import ActivityFactory, UserFactory
from linli.core.testing import race, require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _need_postgres(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    require_postgres("booking race test")


def test_sixty_people_race_for_twenty_seats():
    activity = ActivityFactory(capacity=20, waitlist_capacity=5)
    users = [UserFactory() for _ in range(60)]
    outcomes = Counter(race(60, lambda i: booking_create(activity=activity, user=users[i]).status))
    assert outcomes == {"confirmed": 20, "waitlisted": 5, "activity_full": 35}, outcomes
    rows = Counter(Booking.objects.filter(activity=activity).values_list("status", flat=True))
    assert rows == {"confirmed": 20, "waitlisted": 5}
    fresh = Activity.objects.get(pk=activity.pk)
    assert (fresh.booked, fresh.waitlisted) == (20, 5)
    check = activity_counters_check(activity=activity)
    assert check["booked"] == check["booked_rows"] and check["waitlisted"] == check["waitlisted_rows"]


def test_one_person_tapping_ten_times_books_once():
    activity = ActivityFactory(capacity=5, waitlist_capacity=5)
    user = UserFactory()
    outcomes = Counter(race(10, lambda i: booking_create(activity=activity, user=user).status))
    assert outcomes == {"confirmed": 1, "already_booked": 9}, outcomes
    assert Booking.objects.filter(activity=activity).count() == 1
    assert Activity.objects.get(pk=activity.pk).booked == 1  # the losers' increments were rolled back


def test_cancellations_racing_with_bookings_keep_counters_exact():
    """Ten cancels and twenty new bookings at once on a full activity with a waitlist: every freed seat goes to
    someone, never more seats than capacity, and the counters equal the rows."""
    activity = ActivityFactory(capacity=10, waitlist_capacity=10)
    holders = [UserFactory() for _ in range(10)]
    bookings = [booking_create(activity=activity, user=u) for u in holders]
    waiting = [UserFactory() for _ in range(5)]
    for u in waiting:
        assert booking_create(activity=activity, user=u).status == BookingStatus.WAITLISTED
    newcomers = [UserFactory() for _ in range(20)]

    def work(i: int) -> str:
        if i < 10:
            return booking_cancel(booking=bookings[i], actor=holders[i]).status
        return booking_create(activity=activity, user=newcomers[i - 10]).status

    outcomes = Counter(race(30, work))
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes["cancelled"] == 10
    fresh = Activity.objects.get(pk=activity.pk)
    check = activity_counters_check(activity=activity)
    assert check["booked"] == check["booked_rows"] == fresh.booked <= 10
    assert check["waitlisted"] == check["waitlisted_rows"] <= 10
    # The five who were waiting before the race were confirmed first (promotion serves the waitlist in order).
    assert set(Booking.objects.filter(user__in=waiting).values_list("status", flat=True)) == {"confirmed"}
    assert fresh.booked == 10  # seats freed were all taken (waitlist first, then newcomers)
