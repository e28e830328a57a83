"""Celery tasks for activities: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task
from django.utils.dateparse import parse_datetime

from linli.activities.services.bookings import booking_reminders_send


@shared_task(name="activities.send_reminders")
def send_reminders(now_iso: str | None = None) -> int:
    """Send the reminders that are due (day before, two hours before); safe to run often and on many workers."""
    now = parse_datetime(now_iso) if now_iso else None
    if now_iso and now is None:
        raise ValueError(f"not an ISO date-time: {now_iso!r}")
    return booking_reminders_send(now=now)
