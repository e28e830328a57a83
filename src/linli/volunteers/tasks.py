"""Celery tasks: thin, idempotent wrappers around services (beat schedules them in settings)."""

from __future__ import annotations

from celery import shared_task

from linli.volunteers.services import courses, shifts


@shared_task(name="volunteers.send_reminders")
def send_reminders() -> int:
    return shifts.reminders_send()


@shared_task(name="volunteers.no_show_sweep")
def no_show_sweep() -> int:
    return shifts.no_show_sweep()


@shared_task(name="volunteers.credit_classes")
def credit_classes() -> int:
    return courses.class_hours_credit()
