"""Celery tasks for care: thin, idempotent wrappers around the services' clocks (beat in settings; in process
when embedded, `linli.core.background`)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils.dateparse import parse_datetime

from linli.care.services.calls import calls_sweep
from linli.care.services.checks import alerts_sweep
from linli.care.services.followups import followups_sweep
from linli.care.services.visits import visits_sweep


@shared_task(name="care.sweep")
def sweep(now_iso: str | None = None) -> dict[str, Any]:
    """Every care clock: calls (60 s / 5 min / 30 min), the missed check-in ladder, the 8-hour channel,
    overdue follow-ups. Each step happens once, so running it often and on many workers is harmless."""
    now = parse_datetime(now_iso) if now_iso else None
    if now_iso and now is None:
        raise ValueError(f"not an ISO date-time: {now_iso!r}")
    return {
        "calls": calls_sweep(now=now),
        "alerts": alerts_sweep(now=now),
        "visits": visits_sweep(now=now),
        "followups": followups_sweep(now=now),
    }
