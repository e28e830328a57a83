"""Recurring series (RRULE): expansion into occurrences, bounds, bad rules, and updates of future occurrences."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from linli.activities.models import Activity, ActivitySeries, ActivityStatus
from linli.activities.services.bookings import booking_create
from linli.activities.services.series import MAX_OCCURRENCES, series_update
from linli.activities.tests.factories import future_monday, make_series
from linli.core.errors import Problem
from linli.core.i18n import in_language
from linli.places.tests.factories import RoleFactory, StreetFactory, UserFactory

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def test_weekly_count_creates_four_occurrences_with_their_own_capacity():
    start = future_monday()
    series = make_series(dtstart=start)
    occ = list(Activity.objects.filter(series=series).order_by("start"))
    assert len(occ) == 4
    assert [a.start for a in occ] == [start + timedelta(weeks=i) for i in range(4)]
    assert all(a.end - a.start == timedelta(minutes=90) for a in occ)
    assert all(a.capacity == 12 and a.booked == 0 for a in occ)
    assert all(a.status == ActivityStatus.PUBLISHED for a in occ)
    assert occ[0].external_id == f"taichi/{start:%Y%m%dT%H%M}"
    assert timezone.localtime(occ[0].start, SH).hour == 9
    # seats are per occurrence: a booking of the first leaves the others untouched
    booking_create(activity=occ[0], user=UserFactory())
    assert [a.booked for a in Activity.objects.filter(series=series).order_by("start")] == [1, 0, 0, 0]


def test_until_bounds_the_series():
    start = future_monday()
    until = (start + timedelta(days=15)).astimezone(ZoneInfo("UTC"))
    series = make_series(dtstart=start, rrule=f"RRULE:FREQ=WEEKLY;UNTIL={until:%Y%m%dT%H%M%SZ}")
    assert Activity.objects.filter(series=series).count() == 3  # day 0, 7, 14


def test_open_rule_expands_within_the_horizon():
    series = make_series(rrule="FREQ=WEEKLY", horizon_days=30)
    count = Activity.objects.filter(series=series).count()
    assert 4 <= count <= 5


@pytest.mark.parametrize("rule", ["FREQ=SOMETIMES", "FREQ=WEEKLY;COUNT=x", "", "FREQ=WEEKLY\nEXDATE:20260101"])
def test_bad_rrule_is_rejected_and_nothing_written(rule):
    with pytest.raises(Problem) as exc:
        make_series(rrule=rule)
    assert exc.value.code == "validation_error"
    assert exc.value.errors[0]["field"] == "rrule"
    assert not ActivitySeries.objects.exists()
    assert not Activity.objects.exists()


def test_unbounded_rule_with_too_many_occurrences_is_rejected():
    with pytest.raises(Problem) as exc:
        make_series(rrule="FREQ=HOURLY")
    assert exc.value.code == "validation_error"
    assert str(MAX_OCCURRENCES) in in_language(exc.value.detail, "en")
    assert not Activity.objects.exists()


def test_naive_until_with_aware_start_is_a_validation_error_not_a_crash():
    with pytest.raises(Problem) as exc:
        make_series(rrule="FREQ=WEEKLY;UNTIL=20990101T000000")
    assert exc.value.code == "validation_error"


def test_staff_of_another_street_cannot_create_a_series():
    street = StreetFactory()
    other_staff = RoleFactory(street=StreetFactory()).user
    with pytest.raises(Problem) as exc:
        make_series(street=street, actor=other_staff)
    assert exc.value.code == "permission_denied"
    assert not ActivitySeries.objects.exists()


def test_series_update_changes_future_occurrences_only():
    street = StreetFactory()
    staff = RoleFactory(street=street).user
    start = future_monday()
    series = make_series(street=street, dtstart=start, actor=staff)
    first = Activity.objects.filter(series=series).order_by("start").first()
    booking_create(activity=first, user=UserFactory())
    booking_create(activity=first, user=UserFactory())
    # "now" is between the first and the second occurrence: the first is past and stays as it was
    now = start + timedelta(days=1)
    change = series_update(
        series=series, actor=staff, title="太极拳（进阶）", capacity=20, description="新内容", now=now
    )
    assert change.updated == 3 and change.created == 0 and change.removed == 0
    occ = list(Activity.objects.filter(series=series).order_by("start"))
    assert occ[0].title == "太极拳" and occ[0].capacity == 12
    assert [a.title for a in occ[1:]] == ["太极拳（进阶）"] * 3
    assert [a.capacity for a in occ[1:]] == [20] * 3
    series.refresh_from_db()
    assert series.title == "太极拳（进阶）"
    # the same values again: nothing changes
    again = series_update(
        series=series, actor=staff, title="太极拳（进阶）", capacity=20, description="新内容", now=now
    )
    assert not again.changed


def test_series_update_with_a_shorter_rule_removes_unbooked_and_cancels_booked_occurrences():
    street = StreetFactory()
    start = future_monday()
    series = make_series(street=street, dtstart=start)
    occ = list(Activity.objects.filter(series=series).order_by("start"))
    booking_create(activity=occ[3], user=UserFactory())
    change = series_update(series=series, rrule="FREQ=WEEKLY;COUNT=2", now=start - timedelta(days=1))
    assert change.removed == 2
    left = list(Activity.objects.filter(series=series).order_by("start"))
    assert len(left) == 3  # two kept, the booked fourth one cancelled (its booker is told), the third deleted
    assert left[2].pk == occ[3].pk and left[2].status == ActivityStatus.CANCELLED
    # a longer rule again adds the missing occurrences
    change = series_update(series=series, rrule="FREQ=WEEKLY;COUNT=3", now=start - timedelta(days=1))
    assert change.created == 1
    assert Activity.objects.filter(series=series, status=ActivityStatus.PUBLISHED).count() == 3


def test_series_update_refuses_capacity_below_booked():
    street = StreetFactory()
    start = future_monday()
    series = make_series(street=street, dtstart=start, capacity=3)
    first = Activity.objects.filter(series=series).order_by("start").first()
    for _ in range(3):
        booking_create(activity=first, user=UserFactory())
    with pytest.raises(Problem) as exc:
        series_update(series=series, capacity=2, now=start - timedelta(days=1))
    assert exc.value.code == "validation_error"
    assert set(Activity.objects.filter(series=series).values_list("capacity", flat=True)) == {3}
