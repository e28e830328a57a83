"""Celery tasks of core: thin, idempotent wrappers around its services."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils.dateparse import parse_datetime

from linli.core.partitions import maintain


@shared_task(name="core.partitions_maintain")
def partitions_maintain(now_iso: str | None = None) -> dict[str, Any]:
    """Monthly partitions made ahead, old ones and expired rows dropped per retention, the run audit-logged. Safe
    to run often and on many workers: what exists is not made again, one run at a time holds the lock."""
    now = parse_datetime(now_iso) if now_iso else None
    if now_iso and now is None:
        raise ValueError(f"not an ISO date-time: {now_iso!r}")
    report = maintain(now=now)
    return report.as_dict() if report is not None else {"skipped": "another run holds the lock"}
