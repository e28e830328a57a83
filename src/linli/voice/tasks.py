"""Celery tasks for voice: thin, idempotent wrappers around the services' clocks (beat in settings)."""

from __future__ import annotations

from celery import shared_task
from django.utils.dateparse import parse_datetime

from linli.voice.services.consultations import actions_escalate


@shared_task(name="voice.escalate_actions")
def escalate_actions(now_iso: str | None = None) -> int:
    """Overdue 日日清 actions escalate to the street, each once; running it often is harmless."""
    now = parse_datetime(now_iso) if now_iso else None
    if now_iso and now is None:
        raise ValueError(f"not an ISO date-time: {now_iso!r}")
    return actions_escalate(now=now)
