"""Celery tasks for jobs: thin, idempotent wrappers around the employers' clocks (beat in settings; in process
when embedded, `linli.core.background`)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils.dateparse import parse_datetime

from linli.jobs.services.reminders import sweep as reminders_sweep


@shared_task(name="jobs.sweep")
def sweep(now_iso: str | None = None) -> dict[str, Any]:
    """The 14-day reminder and the 60-day auto-decline of unanswered applications; each happens once."""
    now = parse_datetime(now_iso) if now_iso else None
    if now_iso and now is None:
        raise ValueError(f"not an ISO date-time: {now_iso!r}")
    result = reminders_sweep(now=now)
    return {"reminded": result.reminded, "declined": result.declined}
