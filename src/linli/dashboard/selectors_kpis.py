"""KPIs over time, from the precomputed counters only (never the domains' history).

`kpi_report(street, grid, first, last, granularity)` is what the page and the API show: the grid's subtree totals
for the period against the period of the same length just before it, a series bucketed by day, week or month, a
row per child grid (ranked), and the "needs attention" list: grids below whose on-time rate fell most.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from django.db.models import Q, Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.models import Grid, Street
from linli.dashboard import kpis
from linli.dashboard.models import KpiCounter
from linli.dashboard.selectors import GridTree, grid_tree

Granularity = Literal["day", "week", "month"]
GRANULARITIES: tuple[str, ...] = ("day", "week", "month")
MAX_DAYS = 800

# What the page's cards and the API's totals show, in order.
HEADLINE = (
    "served",
    "bookings_attended",
    "meals_delivered",
    "affairs_served",
    "care_visits",
    "volunteer_hours",
    "assistant_answers",
    "cases_reported",
    "cases_resolved",
    "cases_closed",
    "on_time_rate",
    "cases_reopened",
    "response_p50",
    "response_p90",
    "resolution_p50",
    "resolution_p90",
    "satisfaction",
    "cases_verified",
    "complaints",
)
# Where a rise is bad (the page colours the change).
LOWER_IS_BETTER = frozenset(
    {"cases_reopened", "response_p50", "response_p90", "resolution_p50", "resolution_p90", "complaints"}
)


def percentile(hist: list[int], q: float) -> float | None:
    """The q-quantile (0..1) of a histogram over `kpis.TIME_BUCKETS`, interpolated inside its bucket (minutes)."""
    n = sum(hist)
    if n == 0:
        return None
    rank = q * n
    seen = 0
    for i, count in enumerate(hist):
        if count and seen + count >= rank:
            lo, hi = kpis.bucket_bounds(i)
            return round(lo + (hi - lo) * max(0.0, rank - seen) / count, 1)
        seen += count
    return None


def derived(sums: dict[str, int]) -> dict[str, float | int | None]:
    """The KPIs shown, from the summed counters."""
    out: dict[str, float | int | None] = {k: int(sums.get(k, 0)) for k in kpis.LABELS if k in sums}
    out["served"] = sum(int(sums.get(k, 0)) for k in kpis.SERVED_KPIS)
    for k in kpis.SERVED_KPIS + (
        "cases_reported",
        "cases_resolved",
        "cases_resolved_on_time",
        "cases_closed",
        "cases_reopened",
        "cases_verified",
        "complaints",
        "ratings_n",
    ):
        out[k] = int(sums.get(k, 0))
    out["volunteer_hours"] = round(sums.get("volunteer_minutes", 0) / 60, 1)
    resolved = sums.get("cases_resolved", 0)
    out["on_time_rate"] = round(sums.get("cases_resolved_on_time", 0) / resolved, 3) if resolved else None
    for name, prefix in (("response", "case_response"), ("resolution", "case_resolution")):
        hist = [int(sums.get(k, 0)) for k in kpis.histogram_kpis(prefix)]
        out[f"{name}_p50"] = percentile(hist, 0.5)
        out[f"{name}_p90"] = percentile(hist, 0.9)
    n = sums.get("ratings_n", 0)
    out["satisfaction"] = round(sums.get("ratings_points", 0) / n, 2) if n else None
    return out


def bucket_start(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def period_check(first: date | None, last: date | None, granularity: str) -> tuple[date, date]:
    errors = []
    if granularity not in GRANULARITIES:
        errors.append(field_error("granularity", _("粒度应为 day、week 或 month")))
    if first is None or last is None:
        errors.append(field_error("from", _("请给出开始和结束日期")))
    elif last < first:
        errors.append(field_error("to", _("结束日期早于开始日期")))
    elif (last - first).days + 1 > MAX_DAYS:
        errors.append(field_error("from", format_lazy(_("时间跨度最多 {days} 天"), days=MAX_DAYS)))
    if errors:
        raise Problem("validation_error", errors=errors)
    assert first is not None and last is not None
    return first, last


@dataclass
class GridRow:
    grid: Grid
    now: dict[str, Any]
    previous: dict[str, Any]
    has_children: bool = False
    rank: int = 0

    @property
    def on_time_change(self) -> float | None:
        a, b = self.now.get("on_time_rate"), self.previous.get("on_time_rate")
        return None if a is None or b is None else round(a - b, 3)


@dataclass
class KpiReport:
    street: Street
    grid: Grid | None
    first: date
    last: date
    previous_first: date
    previous_last: date
    granularity: str
    now: dict[str, Any]
    previous: dict[str, Any]
    series: list[tuple[date, dict[str, Any]]] = field(default_factory=list)
    rows: list[GridRow] = field(default_factory=list)
    attention: list[GridRow] = field(default_factory=list)
    path: list[Grid] = field(default_factory=list)

    def change(self, kpi: str) -> float | None:
        a, b = self.now.get(kpi), self.previous.get(kpi)
        if a is None or b is None:
            return None
        return round(float(a) - float(b), 3)


def _subtree(tree: GridTree, grid: Grid | None) -> list[int] | None:
    """Grid ids to sum (None: the whole street, rows without a grid too)."""
    if grid is None:
        return None
    if grid.pk in tree.roots and len(tree.roots) == 1:
        return None
    return tree.subtree(grid.pk)


def _counters(street: Street, grids: list[int] | None) -> Any:
    qs = KpiCounter.objects.filter(street=street).order_by()
    return qs if grids is None else qs.filter(grid_id__in=grids)


def kpi_series(
    *, street: Street, grid: Grid | None, first: date, last: date, granularity: str, tree: GridTree | None = None
) -> list[tuple[date, dict[str, Any]]]:
    """The subtree's KPIs per day, week or month between `first` and `last` (every bucket, empty ones too)."""
    tree = tree or grid_tree(street)
    rows = (
        _counters(street, _subtree(tree, grid))
        .filter(day__gte=first, day__lte=last)
        .values_list("day", "kpi")
        .annotate(v=Sum("value"))
    )
    sums: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, kpi, v in rows:
        sums[bucket_start(day, granularity)][kpi] += int(v or 0)
    out = []
    cursor = bucket_start(first, granularity)
    while cursor <= last:
        out.append((cursor, derived(sums.get(cursor, {}))))
        if granularity == "month":
            cursor = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            cursor += timedelta(days=7 if granularity == "week" else 1)
    return out


def kpi_report(
    *,
    street: Street,
    grid: Grid | None,
    first: date,
    last: date,
    granularity: str = "day",
    visible: set[int] | None = None,
    with_series: bool = True,
) -> KpiReport:
    """The grid's KPIs for `first`..`last` against the period of the same length before it; rows per child
    grid (among `visible`, if given), ranked by people-times served; the grids below whose on-time rate fell most."""
    first, last = period_check(first, last, granularity)
    length = (last - first).days + 1
    p_first, p_last = first - timedelta(days=length), first - timedelta(days=1)
    tree = grid_tree(street)
    subtree = _subtree(tree, grid)
    per_grid = (
        _counters(street, subtree)
        .filter(day__gte=p_first, day__lte=last)
        .values_list("grid_id", "kpi")
        .annotate(now=Sum("value", filter=Q(day__gte=first)), prev=Sum("value", filter=Q(day__lt=first)))
    )
    own_now: dict[int | None, dict[str, int]] = defaultdict(dict)
    own_prev: dict[int | None, dict[str, int]] = defaultdict(dict)
    total_now: dict[str, int] = defaultdict(int)
    total_prev: dict[str, int] = defaultdict(int)
    for gid, kpi, now, prev in per_grid:
        own_now[gid][kpi] = int(now or 0)
        own_prev[gid][kpi] = int(prev or 0)
        total_now[kpi] += int(now or 0)
        total_prev[kpi] += int(prev or 0)

    def rolled(gid: int) -> GridRow:
        n: dict[str, int] = defaultdict(int)
        p: dict[str, int] = defaultdict(int)
        for sub in tree.subtree(gid):
            for k, v in own_now.get(sub, {}).items():
                n[k] += v
            for k, v in own_prev.get(sub, {}).items():
                p[k] += v
        return GridRow(tree.grids[gid], derived(n), derived(p), has_children=bool(tree.children.get(gid)))

    report = KpiReport(
        street=street,
        grid=grid,
        first=first,
        last=last,
        previous_first=p_first,
        previous_last=p_last,
        granularity=granularity,
        now=derived(total_now),
        previous=derived(total_prev),
        path=[tree.grids[g] for g in tree.path(grid.pk)] if grid else [],
    )
    children = tree.children.get(grid.pk, []) if grid else tree.roots
    children = sorted(children, key=lambda g: tree.grids[g].external_id)
    if visible is not None:
        children = [g for g in children if g in visible]
    report.rows = sorted((rolled(g) for g in children), key=lambda r: (-(r.now["served"] or 0), r.grid.external_id))
    for i, row in enumerate(report.rows, 1):
        row.rank = i
    below = [g for g in (tree.subtree(grid.pk)[1:] if grid else list(tree.grids)) if visible is None or g in visible]
    falling = [r for r in (rolled(g) for g in below) if r.on_time_change is not None and r.on_time_change < 0]
    report.attention = sorted(falling, key=lambda r: (r.on_time_change or 0, r.grid.external_id))[:10]
    if with_series:
        report.series = kpi_series(street=street, grid=grid, first=first, last=last, granularity=granularity, tree=tree)
    return report
