"""Dashboard API: the same numbers the dashboard pages show. Thin: parse, check permission, call a selector."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field as NField
from ninja import Query, Router, Schema

from linli.core.auth import request_user, require_user
from linli.core.db import replica_reads
from linli.core.errors import Problem, field_error
from linli.core.i18n import local_name
from linli.core.models import Grid, Street
from linli.core.schemas import problems
from linli.core.selectors import street_get
from linli.dashboard.schemas import DashboardAttentionOut, DashboardKpisOut
from linli.dashboard.schemas_live import DashboardLiveOut
from linli.dashboard.selectors import grid_visible_get, grids_visible, street_list_for_dashboard
from linli.dashboard.selectors_board import board_cases
from linli.dashboard.selectors_kpis import GridRow, kpi_report
from linli.dashboard.selectors_live import grid_live

router = Router(tags=["dashboard"])


class _KpiQuery(Schema):
    street: str = NField("", description="the street's code (needed when `grid` is not given)")
    grid: int | None = NField(None, description="a grid id (default: the topmost grid the user sees)")
    from_: date | None = NField(None, alias="from", description="first day (default: 29 days before `to`)")
    to: date | None = NField(None, description="last day (default: today)")
    granularity: str = NField("day", description="day | week | month: the series' buckets")


def _grid_ref(g: Grid) -> dict[str, Any]:
    return {"id": g.pk, "external_id": g.external_id, "name": g.name, "level": g.level}


def _row(r: GridRow) -> dict[str, Any]:
    return {
        "grid": _grid_ref(r.grid),
        "rank": r.rank,
        "has_children": r.has_children,
        "now": r.now,
        "previous": r.previous,
        "on_time_change": r.on_time_change,
    }


def _locate(request: HttpRequest, street_code: str, grid_id: int | None) -> tuple[Street, Grid]:
    user = request_user(request)
    if grid_id is not None:
        found = Grid.objects.select_related("street").filter(pk=grid_id).first()
        if found is None:
            raise Problem("not_found", errors=[field_error("grid", _("没有这个网格"))])
        street = found.street
    elif street_code:
        street = street_get(code=street_code)
    else:
        raise Problem("validation_error", errors=[field_error("street", _("请给出街道或网格"))])
    return street, grid_visible_get(user, street=street, grid_id=grid_id)


def _dates(first: date | None, last: date | None) -> tuple[date, date]:
    last = last or timezone.localdate()
    return first or last - timedelta(days=29), last


@router.get(
    "/dashboard/kpis", response=DashboardKpisOut, auth=require_user, summary="指标趋势 KPIs of a grid over time"
)
@problems("not_found", "permission_denied", "unknown_street")
@replica_reads()  # a dashboard: may read a replica (linli.core.db)
def kpis(request: HttpRequest, q: Query[_KpiQuery]) -> dict[str, Any]:
    """The grid's subtree KPIs for `from`..`to` against the period of the same length before, a series by
    `granularity`, the child grids ranked and the "needs attention" list: the numbers of `/dashboard/`."""
    street, grid = _locate(request, q.street, q.grid)
    first, last = _dates(q.from_, q.to)
    visible = {g.pk for g in grids_visible(request_user(request), street)}
    r = kpi_report(street=street, grid=grid, first=first, last=last, granularity=q.granularity, visible=visible)
    return {
        "street": street.code,
        "grid": _grid_ref(grid),
        "path": [_grid_ref(p) for p in r.path if p.pk in visible],
        "from": r.first,
        "to": r.last,
        "previous_from": r.previous_first,
        "previous_to": r.previous_last,
        "granularity": r.granularity,
        "now": r.now,
        "previous": r.previous,
        "series": [{"start": d, "kpis": v} for d, v in r.series],
        "rows": [_row(x) for x in r.rows],
        "attention": [_row(x) for x in r.attention],
    }


class _AttentionQuery(Schema):
    from_: date | None = NField(None, alias="from", description="first day (default: 6 days before `to`)")
    to: date | None = NField(None, description="last day (default: today)")


@router.get(
    "/dashboard/grids/{int:grid_id}/attention",
    response=DashboardAttentionOut,
    auth=require_user,
    summary="需要关注 Grids whose on-time rate fell most, and the grid's escalation board",
)
@problems("not_found", "permission_denied")
@replica_reads()  # a dashboard: may read a replica (linli.core.db)
def attention(request: HttpRequest, grid_id: int, q: Query[_AttentionQuery]) -> dict[str, Any]:
    street, grid = _locate(request, "", grid_id)
    last = q.to or timezone.localdate()
    first = q.from_ or last - timedelta(days=6)
    visible = {g.pk for g in grids_visible(request_user(request), street)}
    r = kpi_report(street=street, grid=grid, first=first, last=last, visible=visible, with_series=False)
    board = board_cases(street=street, grid=grid)
    return {
        "grid": _grid_ref(grid),
        "from": r.first,
        "to": r.last,
        "grids": [_row(x) for x in r.attention],
        "breached_cases": [
            {
                "id": b.case.pk,
                "category": local_name(b.case.category),
                "status": b.case.status,
                "grid": _grid_ref(b.case.grid) if b.case.grid else None,
                "lateness": round(b.lateness, 2),
                "resolution_due_at": b.case.resolution_due_at,
                "levels_up": b.levels_up,
            }
            for b in board
        ],
    }


@router.get(
    "/dashboard/live",
    response=DashboardLiveOut,
    auth=require_user,
    summary="网格实时态势 A grid's live picture (the live page's and the big screen's numbers)",
)
@problems("not_found", "permission_denied", "unknown_street")
def live(request: HttpRequest, grid: int | None = None, street: str = "") -> dict[str, Any]:
    """`grid`: a grid id the user may see; without it, the user's topmost grid in `street` (a street code; without
    it, the first street whose dashboard the user may open)."""
    user = request_user(request)
    if grid is not None:
        found = Grid.objects.filter(pk=grid).select_related("street").first()
        if found is None:
            raise Problem("not_found", detail=_("没有这个网格"))
        st = found.street
    elif street:
        st = street_get(code=street)
    else:
        streets = street_list_for_dashboard(user)
        if not streets:
            raise Problem("permission_denied", detail=_("您没有查看指挥大屏的角色"))
        st = streets[0]
    chosen = grid_visible_get(user, street=st, grid_id=grid)
    return grid_live(chosen.pk, street_id=st.pk)
