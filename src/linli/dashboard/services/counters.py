"""The counters' upkeep: after each commit, nightly, and the check that they agree with the source tables.

- After a commit: `core.transitions` tells `on_moves` which objects moved, `core.hooks.work_recorded` tells
  `on_work` which rows were written; the family of KPIs they touch is computed again for that street and day
  (a handful of grouped queries over one day's rows of one street) and its counters replaced.
- Nightly (`dashboard.rebuild` beat task, `linli dashboard rebuild`): every family for a street over a range of
  days, from the source tables.
- The check (`dashboard.check` task, `linli dashboard check`): the same computation in memory, compared with the
  stored counters; the differences are listed (none when the after-commit upkeep missed nothing).

A refresh first updates the family's `KpiRefresh` row, so two refreshes of one street's family run one after the
other and the later one reads what the earlier committed: no update is lost between them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from linli.core.models import Street
from linli.dashboard import kpis
from linli.dashboard.attribution import attribution_for, attribution_forget
from linli.dashboard.models import KpiCounter, KpiRefresh

logger = logging.getLogger(__name__)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=kpis.ZONE)


def _lock(street_id: int, family: str, *, rebuilt: bool = False) -> None:
    now = timezone.now()
    fields: dict[str, Any] = {"at": now}
    if rebuilt:
        fields["rebuilt_at"] = now
    if not KpiRefresh.objects.filter(street_id=street_id, family=family).update(**fields):
        KpiRefresh.objects.get_or_create(street_id=street_id, family=family)
        KpiRefresh.objects.filter(street_id=street_id, family=family).update(**fields)


def counters_refresh(
    *, street_id: int, first_day: date, last_day: date, families: Iterable[str] | None = None, rebuilt: bool = False
) -> int:
    """Compute `families` (default: all) of the street for the days `first_day`..`last_day` from the source
    tables and replace their counters. Returns the number of counter rows written."""
    names = sorted(set(families) if families is not None else set(kpis.FAMILIES))
    start, end = day_start(first_day), day_start(last_day + timedelta(days=1))
    written = 0
    for name in names:
        family = kpis.FAMILIES[name]
        with transaction.atomic():
            _lock(street_id, name, rebuilt=rebuilt)
            att = attribution_for(street_id)
            values = family.compute(att, start, end)
            KpiCounter.objects.filter(
                street_id=street_id, day__gte=first_day, day__lte=last_day, kpi__in=family.kpis
            ).delete()
            rows = [
                KpiCounter(street_id=street_id, grid_id=grid, day=day, kpi=kpi, value=value)
                for (grid, day, kpi), value in values.items()
                if value
            ]
            KpiCounter.objects.bulk_create(rows, batch_size=2000)
            written += len(rows)
    return written


def counters_rebuild(*, street: Street, days: int = 400, today: date | None = None) -> int:
    """Rebuild every counter of `street` for the last `days` days (today included) from the source tables."""
    attribution_forget()
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    KpiCounter.objects.filter(street=street, day__lt=first).delete()
    return counters_refresh(street_id=street.pk, first_day=first, last_day=today, rebuilt=True)


@dataclass(frozen=True)
class Difference:
    grid_id: int | None
    day: date
    kpi: str
    stored: int
    source: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "grid": self.grid_id,
            "day": self.day.isoformat(),
            "kpi": self.kpi,
            "stored": self.stored,
            "source": self.source,
        }


def counters_check(*, street: Street, first_day: date, last_day: date) -> list[Difference]:
    """Where the stored counters of `street` differ from the source tables over the days (empty: they agree)."""
    att = attribution_for(street.pk)
    fresh = kpis.compute(att, list(kpis.FAMILIES), day_start(first_day), day_start(last_day + timedelta(days=1)))
    stored: dict[tuple[int | None, date, str], int] = {}
    for grid, day, kpi, value in KpiCounter.objects.filter(
        street=street, day__gte=first_day, day__lte=last_day
    ).values_list("grid_id", "day", "kpi", "value"):
        stored[(grid, day, kpi)] = stored.get((grid, day, kpi), 0) + value
    out = [
        Difference(grid, day, kpi, stored.get((grid, day, kpi), 0), fresh.get((grid, day, kpi), 0))
        for (grid, day, kpi) in sorted(set(stored) | set(fresh), key=lambda k: (k[1], k[2], k[0] or 0))
        if stored.get((grid, day, kpi), 0) != fresh.get((grid, day, kpi), 0)
    ]
    return out


# ------------------------------------------------------------------------------------- after each commit

_pending = threading.local()


def _queue(street_id: int | None, day: date, family: str) -> None:
    if street_id is None:
        return
    keys: set[tuple[int, date, str]] = getattr(_pending, "keys", None) or set()
    keys.add((street_id, day, family))
    _pending.keys = keys


def _drain() -> None:
    """Refresh every (street, day, family) queued by the callbacks of this commit, once each."""
    keys: set[tuple[int, date, str]] = getattr(_pending, "keys", None) or set()
    _pending.keys = set()
    for street_id, day, family in sorted(keys):
        try:
            counters_refresh(street_id=street_id, first_day=day, last_day=day, families=[family])
        except Exception:  # the source rows are committed; the nightly rebuild mends a missed refresh
            logger.exception("dashboard counters: refresh of %s/%s/%s failed", street_id, day, family)


def on_moves(model: type, steps: list[Any]) -> None:
    """`core.transitions` listener (after commit): the moves of a machine whose model a KPI family counts."""
    entry = kpis.MOVES.get(model)
    if entry is None:
        return
    family, statuses, street_of = entry
    for step in steps:
        if statuses is not None and step.to_status not in statuses:
            continue
        street_id = street_of(step.obj)
        _queue(street_id, kpis._day(step.now), family)
        created = getattr(step.obj, "created_at", None)
        if family == "cases" and isinstance(created, datetime):
            _queue(street_id, kpis._day(created), family)  # a report opens and dispatches its case at once
    _drain()


def on_work(kind: str, street_id: int | None, at: datetime) -> None:
    """`core.hooks.work_recorded` listener (after commit)."""
    family = kpis.WORK.get(kind)
    if family is None:
        return
    _queue(street_id, kpis._day(at), family)
    _drain()
