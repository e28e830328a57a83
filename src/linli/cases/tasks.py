"""Celery tasks for cases: thin, idempotent wrappers around services."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils.dateparse import parse_datetime

from linli.cases.services.sla import cases_sla_sweep


@shared_task(name="cases.sla_sweep")
def sla_sweep(now_iso: str | None = None) -> dict[str, Any]:
    """Send the due 75 % SLA reminders and escalate breached cases; safe to run often and on many workers."""
    now = parse_datetime(now_iso) if now_iso else None
    if now_iso and now is None:
        raise ValueError(f"not an ISO date-time: {now_iso!r}")
    return cases_sla_sweep(now=now)
