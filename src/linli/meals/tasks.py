"""Celery tasks for meals: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task
from django.utils.dateparse import parse_datetime

from linli.meals.services.kitchen import menus_lock_due


@shared_task(name="meals.lock_due_menus")
def lock_due_menus(now_iso: str | None = None) -> int:
    """Lock the menus whose cut-off has passed (and their placed orders); safe to run often and on many workers."""
    now = parse_datetime(now_iso) if now_iso else None
    if now_iso and now is None:
        raise ValueError(f"not an ISO date-time: {now_iso!r}")
    return menus_lock_due(now=now)
