"""The booking core: problem codes, waitlist order, window, deadline, limit, audience, promotion, cancellation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from linli.activities.models import Activity, Booking, BookingEvent, BookingStatus
from linli.activities.selectors import activity_list, month_bounds, waitlist_position
from linli.activities.services.activities import (
    activity_cancel,
    activity_counters_check,
    activity_create,
    activity_publish,
    activity_update,
)
from linli.activities.services.bookings import TRANSITIONS, booking_cancel, booking_create, booking_transition
from linli.activities.tests.factories import ActivityFactory, PlaceFactory, StreetFactory, UserFactory
from linli.core.errors import Problem
from linli.core.i18n import in_language
from linli.core.models import RoleAssignment
from linli.core.sms import OutboxSmsBackend

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    cache.clear()
    OutboxSmsBackend.clear()
    yield
    OutboxSmsBackend.clear()


def sms_to(user) -> list[str]:
    return [m.message for m in OutboxSmsBackend.outbox if m.phone == user.phone]


def staff_of(street, role="station_staff"):
    user = UserFactory()
    RoleAssignment.objects.create(user=user, street=street, role=role)
    return user


def problem_code(excinfo) -> str:
    return excinfo.value.code


def counters_match(activity) -> None:
    c = activity_counters_check(activity=activity)
    assert c["booked"] == c["booked_rows"]
    assert c["waitlisted"] == c["waitlisted_rows"]


# -------------------------------------------------------------------------------------------- create


def test_confirmed_then_waitlisted_then_full(django_capture_on_commit_callbacks):
    activity = ActivityFactory(capacity=1, waitlist_capacity=1)
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    first = booking_create(activity=activity, user=a)
    second = booking_create(activity=activity, user=b)
    assert first.status == BookingStatus.CONFIRMED and first.confirmed_at is not None
    assert second.status == BookingStatus.WAITLISTED and second.waitlisted_at is not None
    assert waitlist_position(second) == 1 and waitlist_position(first) is None
    with pytest.raises(Problem) as exc:
        booking_create(activity=activity, user=c)
    assert problem_code(exc) == "activity_full"
    activity.refresh_from_db()
    assert (activity.booked, activity.waitlisted) == (1, 1)
    assert not Booking.objects.filter(user=c).exists()
    counters_match(activity)
    assert len(first.code) == 8 and first.code.isdigit()  # read aloud at the desk
    ev = BookingEvent.objects.get(booking=first)
    assert (ev.from_status, ev.to_status, ev.actor_id) == ("", "confirmed", a.pk)


def test_unlimited_capacity_always_confirms():
    activity = ActivityFactory(capacity=None, waitlist_capacity=0)
    for _ in range(15):
        assert booking_create(activity=activity, user=UserFactory()).status == BookingStatus.CONFIRMED
    activity.refresh_from_db()
    assert activity.booked == 15 and activity.waitlisted == 0


def test_already_booked_and_counters_untouched():
    activity = ActivityFactory(capacity=5)
    user = UserFactory()
    booking_create(activity=activity, user=user)
    with pytest.raises(Problem) as exc:
        booking_create(activity=activity, user=user)
    assert problem_code(exc) == "already_booked"
    activity.refresh_from_db()
    assert activity.booked == 1
    assert Booking.objects.filter(activity=activity).count() == 1


def test_already_booked_when_full_says_already_booked():
    activity = ActivityFactory(capacity=1, waitlist_capacity=0)
    user = UserFactory()
    booking_create(activity=activity, user=user)
    with pytest.raises(Problem) as exc:
        booking_create(activity=activity, user=user)
    assert problem_code(exc) == "already_booked"


def test_rebook_after_cancel_is_allowed():
    activity = ActivityFactory(capacity=5)
    user = UserFactory()
    booking = booking_create(activity=activity, user=user)
    booking_cancel(booking=booking, actor=user)
    again = booking_create(activity=activity, user=user)
    assert again.status == BookingStatus.CONFIRMED and again.pk != booking.pk
    counters_match(activity)


def test_duplicate_insert_is_caught_by_the_unique_index_and_rolls_back(monkeypatch):
    """The race the per-person count cannot see: a live booking commits after the count was read. The partial
    unique index must still refuse the second one and the seat taken with it must be given back.

    The count is made blind here (as if the other request had not committed yet). On PostgreSQL the check and the
    insert are one statement, so the same race is exercised for real by test_race_pg.py instead."""
    from django.db import connection

    from linli.activities.services import bookings as svc

    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL books in one statement; test_race_pg.py races it for real")
    activity = ActivityFactory(capacity=5)
    user = UserFactory()
    Booking.objects.create(activity=activity, user=user, status=BookingStatus.WAITLISTED, code="RACE0001")
    monkeypatch.setattr(svc, "_live_booking_counts", lambda **kwargs: {"live": 0, "here": 0})
    with pytest.raises(Problem) as exc:
        booking_create(activity=activity, user=user)
    assert problem_code(exc) == "already_booked"
    activity.refresh_from_db()
    assert activity.booked == 0  # the increment was rolled back with the failed insert
    assert Booking.objects.filter(activity=activity).count() == 1


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_unpublished_or_cancelled_is_closed(status):
    activity = ActivityFactory(status=status)
    with pytest.raises(Problem) as exc:
        booking_create(activity=activity, user=UserFactory())
    assert problem_code(exc) == "booking_closed"


def test_booking_window():
    now = timezone.now()
    activity = ActivityFactory(
        start=now + dt.timedelta(days=5),
        end=now + dt.timedelta(days=5, hours=2),
        booking_opens_at=now + dt.timedelta(days=1),
        booking_closes_at=now + dt.timedelta(days=4),
    )
    user = UserFactory()
    with pytest.raises(Problem) as exc:
        booking_create(activity=activity, user=user, now=now)
    assert problem_code(exc) == "booking_closed" and "opens" in in_language(exc.value.detail, "en")
    with pytest.raises(Problem) as exc:
        booking_create(activity=activity, user=user, now=now + dt.timedelta(days=4))
    assert problem_code(exc) == "booking_closed"
    ok = booking_create(activity=activity, user=user, now=now + dt.timedelta(days=2))
    assert ok.status == BookingStatus.CONFIRMED


def test_booking_closes_at_start_by_default():
    now = timezone.now()
    activity = ActivityFactory(start=now + dt.timedelta(hours=1), end=now + dt.timedelta(hours=3))
    with pytest.raises(Problem) as exc:
        booking_create(activity=activity, user=UserFactory(), now=now + dt.timedelta(hours=1))
    assert problem_code(exc) == "booking_closed"
    assert booking_create(activity=activity, user=UserFactory(), now=now).status == "confirmed"


def test_audience_elderly():
    activity = ActivityFactory(audience="elderly")
    year = timezone.localtime().year
    with pytest.raises(Problem) as exc:
        booking_create(activity=activity, user=UserFactory(birth_year=None))
    assert problem_code(exc) == "audience_mismatch" and exc.value.extra["fix"] == "/me/"
    with pytest.raises(Problem) as exc:
        booking_create(activity=activity, user=UserFactory(birth_year=year - 59))
    assert problem_code(exc) == "audience_mismatch" and "/me/" not in in_language(exc.value.detail, "zh-hans")
    assert booking_create(activity=activity, user=UserFactory(birth_year=year - 60)).status == "confirmed"


def test_audience_riders():
    activity = ActivityFactory(audience="riders")
    with pytest.raises(Problem) as exc:
        booking_create(activity=activity, user=UserFactory())
    assert problem_code(exc) == "audience_mismatch"
    rider = UserFactory()
    RoleAssignment.objects.create(user=rider, street=activity.street, role="rider")
    assert booking_create(activity=activity, user=rider).status == "confirmed"


@pytest.mark.parametrize("audience", ["everyone", "children", "office_workers"])
def test_open_audiences(audience):
    activity = ActivityFactory(audience=audience)
    assert booking_create(activity=activity, user=UserFactory()).status == "confirmed"


def test_per_person_limit_counts_live_future_bookings_in_the_street():
    street = StreetFactory(booking_limit=2)
    place = PlaceFactory(street=street)
    user = UserFactory()
    acts = [ActivityFactory(street=street, place=place) for _ in range(3)]
    booking_create(activity=acts[0], user=user)
    b2 = booking_create(activity=acts[1], user=user)
    with pytest.raises(Problem) as exc:
        booking_create(activity=acts[2], user=user)
    assert problem_code(exc) == "booking_limit_reached"
    assert exc.value.extra["limit"] == 2
    # Another street has its own limit.
    other = ActivityFactory()
    assert booking_create(activity=other, user=user).status == "confirmed"
    # A cancelled booking frees a slot; so does a past activity.
    booking_cancel(booking=b2, actor=user)
    assert booking_create(activity=acts[2], user=user).status == "confirmed"
    Activity.objects.filter(pk=acts[0].pk).update(
        start=timezone.now() - dt.timedelta(hours=3), end=timezone.now() - dt.timedelta(hours=1)
    )
    assert booking_create(activity=acts[1], user=user).status == "confirmed"


def test_walk_in_needs_staff_and_takes_only_free_seats():
    activity = ActivityFactory(capacity=1, waitlist_capacity=5)
    with pytest.raises(Problem) as exc:
        booking_create(activity=activity, user=UserFactory(), source="walk_in", actor=UserFactory())
    assert problem_code(exc) == "permission_denied"
    staff = staff_of(activity.street)
    assert booking_create(activity=activity, user=UserFactory(), source="walk_in", actor=staff).status == "confirmed"
    with pytest.raises(Problem) as exc:
        booking_create(activity=activity, user=UserFactory(), source="walk_in", actor=staff)
    assert problem_code(exc) == "activity_full"


# ---------------------------------------------------------------------------------- state machine


def test_transition_table_is_enforced_and_recorded():
    assert TRANSITIONS["checked_in"] == set() and TRANSITIONS["cancelled"] == set()
    assert TRANSITIONS["confirmed"] == {"cancelled", "checked_in", "no_show"}
    activity = ActivityFactory(capacity=3)
    user = UserFactory()
    staff = staff_of(activity.street)
    booking = booking_create(activity=activity, user=user)
    booking_transition(booking=booking, to_status="no_show", actor=staff)
    booking_transition(booking=booking, to_status="checked_in", actor=staff, note="late")
    assert booking.checked_in_at is not None
    for target in ("confirmed", "cancelled", "no_show", "waitlisted", "nonsense"):
        with pytest.raises(Problem) as exc:
            booking_transition(booking=booking, to_status=target, actor=staff)
        assert problem_code(exc) == "booking_invalid_transition"
    events = list(BookingEvent.objects.filter(booking=booking).values_list("from_status", "to_status", "note"))
    assert events == [("", "confirmed", "app"), ("confirmed", "no_show", ""), ("no_show", "checked_in", "late")]
    counters_match(activity)


def test_stale_booking_object_cannot_transition_twice():
    activity = ActivityFactory(capacity=3)
    user = UserFactory()
    booking = booking_create(activity=activity, user=user)
    stale = Booking.objects.get(pk=booking.pk)
    booking_cancel(booking=booking, actor=user)
    with pytest.raises(Problem) as exc:
        booking_cancel(booking=stale, actor=user)
    assert problem_code(exc) == "booking_invalid_transition"
    activity.refresh_from_db()
    assert activity.booked == 0
    counters_match(activity)


# ----------------------------------------------------------------------------------- cancel, promote


def test_waitlist_order_and_promotion_notifies(django_capture_on_commit_callbacks):
    activity = ActivityFactory(capacity=2, waitlist_capacity=5)
    a, b = UserFactory(), UserFactory()
    w1, w2, w3 = UserFactory(), UserFactory(), UserFactory()
    t0 = timezone.now()
    ba = booking_create(activity=activity, user=a, now=t0)
    bb = booking_create(activity=activity, user=b, now=t0)
    bw = [
        booking_create(activity=activity, user=w, now=t0 + dt.timedelta(seconds=i)) for i, w in enumerate((w1, w2, w3))
    ]
    assert [x.status for x in bw] == ["waitlisted"] * 3
    assert [waitlist_position(x) for x in bw] == [1, 2, 3]

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=ba, actor=a, reason="有事")
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=bb, actor=b)
    statuses = {x.pk: x.status for x in Booking.objects.filter(pk__in=[y.pk for y in bw])}
    assert statuses == {bw[0].pk: "confirmed", bw[1].pk: "confirmed", bw[2].pk: "waitlisted"}
    bw[2].refresh_from_db()
    assert waitlist_position(bw[2]) == 1
    assert len(sms_to(w1)) == 1 and "已为您确认" in sms_to(w1)[0]
    assert len(sms_to(w2)) == 1
    assert sms_to(w3) == []
    activity.refresh_from_db()
    assert (activity.booked, activity.waitlisted) == (2, 1)
    counters_match(activity)
    promoted_event = BookingEvent.objects.filter(booking=bw[0], to_status="confirmed").get()
    assert promoted_event.from_status == "waitlisted" and promoted_event.actor_id == a.pk


def test_waitlisted_cancel_decrements_waitlist_and_promotes_nobody(django_capture_on_commit_callbacks):
    activity = ActivityFactory(capacity=1, waitlist_capacity=5)
    booking_create(activity=activity, user=UserFactory())
    w = UserFactory()
    wb = booking_create(activity=activity, user=w)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=wb, actor=w)
    activity.refresh_from_db()
    assert (activity.booked, activity.waitlisted) == (1, 0)
    assert OutboxSmsBackend.outbox == []


def test_cancel_deadline():
    now = timezone.now()
    activity = ActivityFactory(
        start=now + dt.timedelta(days=2), end=now + dt.timedelta(days=2, hours=1), cancel_deadline=now
    )
    user = UserFactory()
    booking = booking_create(activity=activity, user=user, now=now - dt.timedelta(hours=1))
    with pytest.raises(Problem) as exc:
        booking_cancel(booking=booking, actor=user, now=now + dt.timedelta(minutes=1))
    assert problem_code(exc) == "cancel_deadline_passed"
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    # Staff may still cancel.
    booking_cancel(booking=booking, actor=staff_of(activity.street), now=now + dt.timedelta(minutes=1))
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancelled_at is not None


def test_stranger_cannot_cancel():
    activity = ActivityFactory()
    booking = booking_create(activity=activity, user=UserFactory())
    with pytest.raises(Problem) as exc:
        booking_cancel(booking=booking, actor=UserFactory())
    assert problem_code(exc) == "permission_denied"
    other_street_staff = staff_of(StreetFactory())
    with pytest.raises(Problem) as exc:
        booking_cancel(booking=booking, actor=other_street_staff)
    assert problem_code(exc) == "permission_denied"


# ----------------------------------------------------------------------------------------- activities


def test_activity_create_validates_everything():
    street = StreetFactory()
    place = PlaceFactory(street=street)
    other_place = PlaceFactory()
    now = timezone.now()
    with pytest.raises(Problem) as exc:
        activity_create(
            street=street,
            place=other_place,
            title="",
            start=now,
            end=now,
            capacity=0,
            category="nope",
            audience="aliens",
            status="weird",
        )
    fields = {e["field"] for e in exc.value.errors}
    assert fields == {"title", "end", "capacity", "category", "audience", "status", "place"}
    PlaceFactory._meta.model.objects.filter(pk=place.pk).update(is_active=False)
    place.refresh_from_db()
    with pytest.raises(Problem) as exc:
        activity_create(street=street, place=place, title="x", start=now, end=now + dt.timedelta(hours=1))
    assert [e["field"] for e in exc.value.errors] == ["place"]
    assert not Activity.objects.exists()


def test_activity_create_permission_and_defaults():
    street = StreetFactory()
    place = PlaceFactory(street=street)
    start = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(Problem) as exc:
        activity_create(
            street=street,
            place=place,
            title="讲座",
            start=start,
            end=start + dt.timedelta(hours=1),
            actor=UserFactory(),
        )
    assert problem_code(exc) == "permission_denied"
    a = activity_create(
        street=street,
        place=place,
        title=" 讲座 ",
        start=start,
        end=start + dt.timedelta(hours=1),
        actor=staff_of(street, "admin"),
    )
    assert a.title == "讲座" and a.status == "draft" and a.capacity is None and len(a.external_id) == 36
    activity_publish(activity=a, actor=staff_of(street))
    a.refresh_from_db()
    assert a.status == "published"
    with pytest.raises(Problem):
        activity_create(
            street=street, place=place, title="dup", start=start, end=start + dt.timedelta(hours=1),
            external_id=a.external_id,
        )  # fmt: skip


def test_capacity_cannot_drop_below_booked_and_growth_promotes(django_capture_on_commit_callbacks):
    activity = ActivityFactory(capacity=2, waitlist_capacity=5)
    users = [UserFactory() for _ in range(5)]
    bookings = [booking_create(activity=activity, user=u) for u in users]
    assert [b.status for b in bookings] == ["confirmed"] * 2 + ["waitlisted"] * 3
    with pytest.raises(Problem) as exc:
        activity_update(activity=activity, capacity=1)
    assert problem_code(exc) == "validation_error"
    with django_capture_on_commit_callbacks(execute=True):
        activity_update(activity=activity, capacity=4)
    assert [Booking.objects.get(pk=b.pk).status for b in bookings] == ["confirmed"] * 4 + ["waitlisted"]
    assert len(sms_to(users[2])) == 1 and len(sms_to(users[3])) == 1 and sms_to(users[4]) == []
    activity.refresh_from_db()
    assert (activity.capacity, activity.booked, activity.waitlisted) == (4, 4, 1)
    counters_match(activity)


def test_change_of_time_or_place_tells_everyone_booked(django_capture_on_commit_callbacks):
    activity = ActivityFactory(capacity=1, waitlist_capacity=3)
    a, w = UserFactory(), UserFactory()
    booking_create(activity=activity, user=a)
    booking_create(activity=activity, user=w)
    with django_capture_on_commit_callbacks(execute=True):
        activity_update(activity=activity, title="新标题", description="更新")
    assert OutboxSmsBackend.outbox == []  # no change of time or venue: nobody is bothered
    new_place = PlaceFactory(street=activity.street, name="新会场")
    with django_capture_on_commit_callbacks(execute=True):
        activity_update(activity=activity, start=activity.start + dt.timedelta(hours=1), place=new_place)
    assert len(sms_to(a)) == 1 and len(sms_to(w)) == 1
    assert "新会场" in sms_to(a)[0] and "开始时间" in sms_to(a)[0]
    with pytest.raises(Problem) as exc:
        activity_update(activity=activity, end=activity.start)
    assert problem_code(exc) == "validation_error"
    with pytest.raises(Problem):
        activity_update(activity=activity, booked=0)


def test_activity_cancel_tells_everyone(django_capture_on_commit_callbacks):
    activity = ActivityFactory(capacity=2, waitlist_capacity=2)
    users = [UserFactory() for _ in range(4)]
    for u in users:
        booking_create(activity=activity, user=u)
    cancelled_user = users[0]
    booking_cancel(booking=Booking.objects.get(user=cancelled_user), actor=cancelled_user)
    OutboxSmsBackend.clear()
    staff = staff_of(activity.street, "admin")
    with pytest.raises(Problem):
        activity_cancel(activity=activity, actor=UserFactory(), message="x")
    with django_capture_on_commit_callbacks(execute=True):
        told = activity_cancel(activity=activity, actor=staff, message="因天气原因取消")
    assert told == 3
    assert {m.phone for m in OutboxSmsBackend.outbox} == {u.phone for u in users[1:]}
    assert all("因天气原因取消" in m.message for m in OutboxSmsBackend.outbox)
    activity.refresh_from_db()
    assert (activity.status, activity.booked, activity.waitlisted) == ("cancelled", 0, 0)
    assert not Booking.objects.filter(activity=activity).exclude(status="cancelled").exists()
    assert BookingEvent.objects.filter(booking__activity=activity, note__contains="因天气原因取消").count() == 3
    counters_match(activity)
    assert activity_cancel(activity=activity, actor=staff) == 0  # idempotent
    with pytest.raises(Problem) as exc:
        booking_create(activity=activity, user=UserFactory())
    assert problem_code(exc) == "booking_closed"


# ------------------------------------------------------------------------------------------- selectors


def test_activity_list_month_in_shanghai_and_filters():
    street = StreetFactory()
    place = PlaceFactory(street=street)
    start, end = month_bounds("2026-11")
    assert start.isoformat() == "2026-11-01T00:00:00+08:00" and end.isoformat() == "2026-12-01T00:00:00+08:00"
    # 31 Oct 16:30 UTC is 1 Nov 00:30 in Shanghai: November.
    nov = ActivityFactory(
        street=street,
        place=place,
        title="太极拳",
        category="sports",
        start=dt.datetime(2026, 10, 31, 16, 30, tzinfo=dt.UTC),
        end=dt.datetime(2026, 10, 31, 18, 0, tzinfo=dt.UTC),
    )
    ActivityFactory(
        street=street,
        place=place,
        title="十月讲座",
        start=dt.datetime(2026, 10, 31, 15, 30, tzinfo=dt.UTC),
        end=dt.datetime(2026, 10, 31, 15, 59, tzinfo=dt.UTC),
    )
    ActivityFactory(street=street, place=place, status="draft", start=nov.start, end=nov.end)
    assert list(activity_list(street=street, month="2026-11")) == [nov]
    assert list(activity_list(street=street.code, month="2026-11", category="sports", q="太极")) == [nov]
    assert list(activity_list(place=place.pk, month="2026-11", q="无此")) == []
    assert activity_list(street=street, month="2026-11", include_unpublished=True).count() == 2
    for bad in ("2026-13", "2026-1", "November", "2026-11-01"):
        with pytest.raises(Problem) as exc:
            activity_list(month=bad)
        assert problem_code(exc) == "validation_error"
    with pytest.raises(Problem):
        activity_list(category="nope")


def test_published_activity_with_bookings_cannot_go_back_to_draft():
    activity = ActivityFactory()
    booking_create(activity=activity, user=UserFactory())
    with pytest.raises(Problem) as exc:
        activity_update(activity=activity, status="draft")
    assert problem_code(exc) == "validation_error"
    with pytest.raises(Problem):
        activity_update(activity=activity, status="cancelled")  # cancelling goes through activity_cancel
    activity.refresh_from_db()
    assert activity.status == "published"


def test_category_name_is_chinese_in_any_language():
    from django.utils import translation

    from linli.activities.selectors import activity_to_dict

    activity = ActivityFactory(category="health")
    with translation.override("en"):
        body = activity_to_dict(activity)
    assert body["category_name"] == "健康" and body["category_name_en"] == "Health"


# ------------------------------------------------------------------------------------------ invariants


@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    capacity=st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
    waitlist=st.integers(min_value=0, max_value=3),
    ops=st.lists(st.tuples(st.sampled_from(["book", "cancel", "check_in", "grow"]), st.integers(0, 7)), max_size=30),
)
def test_no_overbooking_and_waitlist_served_in_order(capacity, waitlist, ops):
    """Any sequence of bookings, cancellations, check-ins and capacity growth keeps: booked <= capacity,
    waitlisted <= waitlist capacity, counters == rows, and nobody waits while a seat is free."""
    activity = ActivityFactory(capacity=capacity, waitlist_capacity=waitlist)
    people = [UserFactory() for _ in range(8)]
    staff = staff_of(activity.street)
    for op, who in ops:
        user = people[who]
        live = Booking.objects.filter(activity=activity, user=user).exclude(status="cancelled").first()
        try:
            if op == "book":
                booking_create(activity=activity, user=user)
            elif op == "cancel" and live is not None:
                booking_cancel(booking=live, actor=user)
            elif op == "check_in" and live is not None:
                booking_transition(booking=live, to_status="checked_in", actor=staff)
            elif op == "grow":
                fresh = Activity.objects.get(pk=activity.pk)
                if fresh.capacity is not None:
                    activity_update(activity=fresh, capacity=fresh.capacity + 1)
        except Problem as problem:
            assert problem.code in {"activity_full", "already_booked", "booking_invalid_transition"}, problem.code
        fresh = Activity.objects.get(pk=activity.pk)
        counters_match(fresh)
        if fresh.capacity is not None:
            assert fresh.booked <= fresh.capacity
            if fresh.waitlisted:
                assert fresh.booked == fresh.capacity  # a free seat never leaves someone waiting
        else:
            assert fresh.waitlisted == 0
        assert fresh.waitlisted <= fresh.waitlist_capacity
