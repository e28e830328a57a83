"""Reminders: the day before and two hours before, stamped, never sent twice."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from linli.activities.models import Booking
from linli.activities.services.bookings import booking_cancel, booking_create, booking_reminders_send
from linli.activities.tasks import send_reminders
from linli.activities.tests.factories import ActivityFactory, UserFactory
from linli.core.sms import OutboxSmsBackend

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    cache.clear()
    OutboxSmsBackend.clear()
    yield
    OutboxSmsBackend.clear()


def texts(user) -> list[str]:
    return [m.message for m in OutboxSmsBackend.outbox if m.phone == user.phone]


def test_day_before_then_two_hours_each_once(django_capture_on_commit_callbacks):
    now = timezone.now().replace(microsecond=0)
    activity = ActivityFactory(start=now + dt.timedelta(hours=20), end=now + dt.timedelta(hours=22), title="书法课")
    far = ActivityFactory(start=now + dt.timedelta(days=3), end=now + dt.timedelta(days=3, hours=1))
    user, waiting, other = UserFactory(), UserFactory(), UserFactory()
    booking = booking_create(activity=activity, user=user, now=now)
    booking_create(activity=far, user=other, now=now)
    activity.capacity = 1
    activity.save(update_fields=["capacity"])
    booking_create(activity=activity, user=waiting, now=now)  # waitlisted: no reminder

    with django_capture_on_commit_callbacks(execute=True):
        assert booking_reminders_send(now=now) == 1
    assert len(texts(user)) == 1 and "明天" in texts(user)[0] and booking.code in texts(user)[0]
    assert texts(waiting) == [] and texts(other) == []
    booking.refresh_from_db()
    assert booking.reminded_day_before_at == now and booking.reminded_two_hours_at is None

    with django_capture_on_commit_callbacks(execute=True):
        assert booking_reminders_send(now=now + dt.timedelta(minutes=5)) == 0  # never twice
    assert len(texts(user)) == 1

    later = now + dt.timedelta(hours=18, minutes=30)  # 1.5 h before the start
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders.delay(later.isoformat()).get() == 1
        assert booking_reminders_send(now=later) == 0
    assert len(texts(user)) == 2 and "两小时后" in texts(user)[1]
    booking.refresh_from_db()
    assert booking.reminded_two_hours_at == later


def test_booked_late_gets_only_the_two_hour_reminder_and_cancelled_gets_none(django_capture_on_commit_callbacks):
    now = timezone.now().replace(microsecond=0)
    activity = ActivityFactory(start=now + dt.timedelta(hours=1), end=now + dt.timedelta(hours=2))
    a, b = UserFactory(), UserFactory()
    booking_create(activity=activity, user=a, now=now)
    cancelled = booking_create(activity=activity, user=b, now=now)
    booking_cancel(booking=cancelled, actor=b, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        assert booking_reminders_send(now=now) == 1
    assert len(texts(a)) == 1 and texts(b) == []
    row = Booking.objects.get(user=a)
    assert row.reminded_day_before_at is None and row.reminded_two_hours_at == now


def test_claim_is_conditional_so_a_second_worker_sends_nothing(django_capture_on_commit_callbacks):
    """Two workers that both listed the same due booking: only the one whose UPDATE claims it sends."""
    now = timezone.now().replace(microsecond=0)
    activity = ActivityFactory(start=now + dt.timedelta(hours=10), end=now + dt.timedelta(hours=11))
    user = UserFactory()
    booking = booking_create(activity=activity, user=user, now=now)
    # Worker 1 claimed it a moment ago (its stamp is set), worker 2 runs now with an older view.
    Booking.objects.filter(pk=booking.pk).update(reminded_day_before_at=now - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert booking_reminders_send(now=now) == 0
    assert texts(user) == []


def test_cancelled_activity_sends_no_reminders(django_capture_on_commit_callbacks):
    now = timezone.now()
    activity = ActivityFactory(start=now + dt.timedelta(hours=5), end=now + dt.timedelta(hours=6))
    booking_create(activity=activity, user=UserFactory(), now=now)
    activity.status = "cancelled"
    activity.save(update_fields=["status"])
    with django_capture_on_commit_callbacks(execute=True):
        assert booking_reminders_send(now=now) == 0


def test_management_command(django_capture_on_commit_callbacks):
    now = timezone.now().replace(microsecond=0)
    activity = ActivityFactory(start=now + dt.timedelta(hours=3), end=now + dt.timedelta(hours=4))
    booking_create(activity=activity, user=UserFactory(), now=now)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reminders", "send", "--now", now.isoformat(), stdout=out)
    assert "1 reminders sent" in out.getvalue()
    assert len(OutboxSmsBackend.outbox) == 1


def test_a_new_start_time_rearms_the_reminders(django_capture_on_commit_callbacks):
    from linli.activities.services.activities import activity_update

    now = timezone.now().replace(microsecond=0)
    activity = ActivityFactory(start=now + dt.timedelta(hours=10), end=now + dt.timedelta(hours=11))
    user = UserFactory()
    booking_create(activity=activity, user=user, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        assert booking_reminders_send(now=now) == 1
        activity_update(activity=activity, start=now + dt.timedelta(hours=30), end=now + dt.timedelta(hours=31))
    assert Booking.objects.get(user=user).reminded_day_before_at is None
    with django_capture_on_commit_callbacks(execute=True):
        assert booking_reminders_send(now=now + dt.timedelta(hours=8)) == 1
    assert len(texts(user)) == 3  # reminder, change notice, new reminder
