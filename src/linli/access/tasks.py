"""Celery tasks for gate access: thin, idempotent wrappers around services."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils.dateparse import parse_datetime

from linli.access.services.alerts import access_alert_sweep


@shared_task(name="access.alert_sweep")
def alert_sweep(now_iso: str | None = None) -> dict[str, Any]:
    """Record alerts on unusual patterns (a rider's burst of denials, a gate offline in the lunch peak); safe to
    run often and on many workers (each alert is keyed by subject and period)."""

    now = parse_datetime(now_iso) if now_iso else None
    if now_iso and now is None:
        raise ValueError(f"not an ISO date-time: {now_iso!r}")
    return access_alert_sweep(now=now)
