"""Dashboard tasks: the nightly rebuild of the counters and the check that they agree with the source tables."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import shared_task
from django.utils import timezone

from linli.core.models import Street
from linli.dashboard.services import counters


@shared_task(name="dashboard.rebuild")
def rebuild(days: int = 400) -> dict[str, Any]:
    """Every street's counters for the last `days` days, from the source tables (idempotent)."""
    out: dict[str, Any] = {}
    for street in Street.objects.order_by("code"):
        out[street.code] = counters.counters_rebuild(street=street, days=days)
    return out


@shared_task(name="dashboard.check")
def check(days: int = 7) -> dict[str, Any]:
    """How many counters of the last `days` days differ from the source tables, per street (0: they agree)."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    out: dict[str, Any] = {}
    for street in Street.objects.order_by("code"):
        diffs = counters.counters_check(street=street, first_day=first, last_day=today)
        out[street.code] = len(diffs)
        if diffs:
            counters.logger.warning("dashboard counters of %s differ from the source: %s", street.code, diffs[:20])
    return out
