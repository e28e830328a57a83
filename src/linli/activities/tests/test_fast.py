"""The fast paths agree with their step-by-step twins (docs/architecture.md, "Fast paths").

`fast.booking_write` (one statement, PostgreSQL) and `bookings.booking_write` (step by step) run the same
generated sequences of bookings, each on a street of its own in the same PostgreSQL database: every answer (the
status, or the refusal's code) and every row written (bookings, their events, the activity's counters) must be
the same. The SQLite pass skips it (the fast path is PostgreSQL's)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from linli.activities.models import Activity, Booking, BookingEvent, BookingSource
from linli.activities.services import bookings, fast
from linli.activities.tests.factories import ActivityFactory, RoleAssignmentFactory, StreetFactory, UserFactory
from linli.core.errors import Problem
from linli.core.models import Role
from linli.core.testing import require_postgres

pytestmark = pytest.mark.django_db

_worlds = itertools.count()
N_USERS = 4

step = st.tuples(
    st.integers(0, N_USERS - 1),  # who
    st.integers(0, 1),  # which activity
    st.sampled_from([BookingSource.APP, BookingSource.APP, BookingSource.STAFF, BookingSource.WALK_IN]),
)


@pytest.fixture(autouse=True)
def _need_postgres():
    require_postgres("the one-statement booking")


def _run(write: Any, *, capacities: list[tuple[int | None, int]], limit: int, steps: list[tuple[int, int, str]], now):
    """Build a street of its own, run `steps` through `write`, return the answers and the rows."""
    n = next(_worlds)
    street = StreetFactory(code=f"fast-{n}", name="快速街道", booking_limit=limit)
    activities = [
        ActivityFactory(street=street, capacity=capacity, waitlist_capacity=waitlist)
        for capacity, waitlist in capacities
    ]
    users = [UserFactory() for _ in range(N_USERS)]
    staff = UserFactory()
    RoleAssignmentFactory(user=staff, street=street, role=Role.STATION_STAFF)
    who = {u.pk: i for i, u in enumerate(users)} | {staff.pk: "staff"}
    answers = []
    for user_i, activity_i, source in steps:
        actor = None if source == BookingSource.APP else staff
        try:
            booking = write(activity=activities[activity_i], user=users[user_i], source=source, actor=actor, now=now)
            answers.append((booking.status, booking.source, booking.confirmed_at, booking.waitlisted_at))
        except Problem as problem:
            answers.append((problem.code, str(problem.detail)))
    rows = []
    for i, activity in enumerate(activities):
        fresh = Activity.objects.get(pk=activity.pk)
        booked = [
            (who[b.user_id], b.status, b.source, b.created_at, b.confirmed_at, b.waitlisted_at, b.cancelled_at)
            for b in Booking.objects.filter(activity=activity).order_by("id")
        ]
        events = [
            (who[e.booking.user_id], who.get(e.actor_id), e.from_status, e.to_status, e.note, e.at)
            for e in BookingEvent.objects.filter(booking__activity=activity).select_related("booking").order_by("id")
        ]
        rows.append((i, fresh.booked, fresh.waitlisted, booked, events))
    return answers, rows


@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    capacities=st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 3)), st.integers(0, 2)), min_size=2, max_size=2),
    limit=st.integers(1, 3),
    steps=st.lists(step, min_size=1, max_size=12),
)
def test_booking_write_fast_and_step_by_step_agree(capacities, limit, steps):
    now = timezone.now()
    fast_result = _run(fast.booking_write, capacities=capacities, limit=limit, steps=steps, now=now)
    steps_result = _run(bookings.booking_write, capacities=capacities, limit=limit, steps=steps, now=now)
    assert fast_result == steps_result
