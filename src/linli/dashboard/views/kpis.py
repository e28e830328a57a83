"""The KPI page `/dashboard/`: a grid's KPIs this period against the last, charts (server-side SVG, they print),
the child grids ranked (click to drill down), the "needs attention" list, the escalation board with the HQ's moves
(reassign, deadline, instruction), and CSV/Excel exports (masked, audit-logged). Thin: selectors read the
counters, `linli.cases.services` writes the moves."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from linli.cases.models import Case
from linli.cases.services import oversight, workflow
from linli.core.auth import request_user
from linli.core.charts import bar_chart, line_chart
from linli.core.db import replica_reads
from linli.core.downloads import CSV_TYPE, XLSX_TYPE, attachment_response
from linli.core.errors import Problem
from linli.core.i18n import local_name
from linli.core.models import Grid, Role, RoleAssignment, Street, User
from linli.core.pages import login_redirect, problem_message, staff_street_choice
from linli.core.phones import mask_personal_text
from linli.core.services import audit_log
from linli.core.spreadsheets import csv_bytes, xlsx_bytes
from linli.dashboard import kpis
from linli.dashboard.selectors import STREET_WIDE_ROLES, grid_visible_get, grids_visible, street_list_for_dashboard
from linli.dashboard.selectors_board import BoardCase, board_cases
from linli.dashboard.selectors_kpis import HEADLINE, LOWER_IS_BETTER, KpiReport, kpi_report, kpi_series

# A period (日/周/月) on the page: its length in days, the chart's buckets and how many of them.
PERIODS: dict[str, tuple[int, str, int]] = {"day": (1, "day", 14), "week": (7, "week", 12), "month": (30, "month", 12)}


def _forbidden(request: HttpRequest, problem: Problem | None = None) -> HttpResponse:
    message = problem_message(problem or Problem("permission_denied", detail=_("您没有查看指挥大屏的角色")))
    return render(request, "dashboard/forbidden.html", {"problem": message}, status=403)


def _street(request: HttpRequest) -> tuple[Any, list[Street], HttpResponse | None]:
    return staff_street_choice(request, street_list_for_dashboard, lambda r: _forbidden(r))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _is_hq(user: User, street: Street) -> bool:
    if user.is_superuser:
        return True
    return RoleAssignment.objects.filter(user=user, street=street, role__in=STREET_WIDE_ROLES).exists()


def _fmt(kpi: str, value: Any) -> str:
    if value is None:
        return "—"
    if kpi == "on_time_rate":
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:g}"
    return f"{value:,}"


def _change(report: KpiReport, kpi: str) -> dict[str, Any]:
    delta = report.change(kpi)
    if delta is None or delta == 0:
        return {"text": "", "good": None}
    good = (delta < 0) if kpi in LOWER_IS_BETTER else (delta > 0)
    text = f"{delta * 100:+.1f}pt" if kpi == "on_time_rate" else f"{delta:+,g}"
    return {"text": text, "good": good}


def _cards(report: KpiReport) -> list[dict[str, Any]]:
    return [
        {
            "kpi": k,
            "label": str(kpis.LABELS[k]),
            "now": _fmt(k, report.now.get(k)),
            "previous": _fmt(k, report.previous.get(k)),
            "change": _change(report, k),
        }
        for k in HEADLINE
    ]


def _label(day: date, granularity: str) -> str:
    if granularity == "month":
        return f"{day:%Y-%m}"
    return f"{day:%m-%d}"


def _charts(series: list[tuple[date, dict[str, Any]]], granularity: str) -> list[Any]:
    labels = [_label(d, granularity) for d, _v in series]
    served_parts = [
        (str(kpis.LABELS[k]), [v.get(k) or 0 for _d, v in series])
        for k in ("bookings_attended", "meals_delivered", "affairs_served", "care_visits", "assistant_answers")
    ]
    return [
        line_chart(
            title=_("服务人次"),
            labels=labels,
            series=[(_("服务人次"), [v.get("served") or 0 for _d, v in series]), *served_parts],
            desc=_("各领域服务人次，按时间"),
            width=640,
        ),
        bar_chart(
            title=_("事件上报与处置"),
            labels=labels,
            series=[
                (str(kpis.LABELS["cases_reported"]), [v.get("cases_reported") or 0 for _d, v in series]),
                (str(kpis.LABELS["cases_resolved"]), [v.get("cases_resolved") or 0 for _d, v in series]),
                (str(kpis.LABELS["cases_reopened"]), [v.get("cases_reopened") or 0 for _d, v in series]),
            ],
            width=640,
        ),
        line_chart(
            title=_("按时处置率"),
            labels=labels,
            series=[
                (
                    _("按时处置率"),
                    [None if v.get("on_time_rate") is None else round(v["on_time_rate"] * 100, 1) for _d, v in series],
                )
            ],
            unit="%",
            y_max=100,
            width=640,
        ),
        line_chart(
            title=_("处置时间（分钟）"),
            labels=labels,
            series=[
                ("p50", [v.get("resolution_p50") for _d, v in series]),
                ("p90", [v.get("resolution_p90") for _d, v in series]),
            ],
            width=640,
        ),
        line_chart(
            title=_("满意度与差评"),
            labels=labels,
            series=[
                (str(kpis.LABELS["satisfaction"]), [v.get("satisfaction") for _d, v in series]),
                (str(kpis.LABELS["complaints"]), [v.get("complaints") or 0 for _d, v in series]),
            ],
            width=640,
        ),
    ]


def _period(request: HttpRequest) -> tuple[str, date, date]:
    g = request.GET.get("g") or request.POST.get("g") or "week"
    if g not in PERIODS:
        g = "week"
    last = timezone.localdate()
    length = PERIODS[g][0]
    return g, last - timedelta(days=length - 1), last


def _page_report(request: HttpRequest, user: User, street: Street) -> tuple[Grid, KpiReport, str, list[Grid]]:
    grid = grid_visible_get(user, street=street, grid_id=_int(request.GET.get("grid") or request.POST.get("grid")))
    g, first, last = _period(request)
    visible = grids_visible(user, street)
    report = kpi_report(
        street=street,
        grid=grid,
        first=first,
        last=last,
        granularity=PERIODS[g][1],
        visible={v.pk for v in visible},
        with_series=False,
    )
    return grid, report, g, visible


@require_GET
@replica_reads()  # a dashboard: may read a replica (linli.core.db)
def kpi_page(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request)
    if denied:
        return denied
    user = request_user(request)
    try:
        grid, report, g, visible = _page_report(request, user, street)
    except Problem as problem:
        return _forbidden(request, problem)
    length, bucket, count = PERIODS[g]
    chart_first = report.last - timedelta(days=length * count - 1)
    if bucket == "month":
        chart_first = (report.last.replace(day=1) - timedelta(days=31 * (count - 1))).replace(day=1)
    series = kpi_series(street=street, grid=grid, first=chart_first, last=report.last, granularity=bucket)
    visible_ids = {v.pk for v in visible}
    board = board_cases(street=street, grid=grid)
    hq = _is_hq(user, street)
    query = {"street": street.code, "grid": grid.pk, "g": g}
    return render(
        request,
        "dashboard/kpis.html",
        {
            "street": street,
            "streets": streets,
            "grid": grid,
            "report": report,
            "path": [p for p in report.path if p.pk in visible_ids],
            "cards": _cards(report),
            "charts": _charts(series, bucket),
            "periods": [("day", _("日")), ("week", _("周")), ("month", _("月"))],
            "g": g,
            "board": board,
            "hq": hq,
            "assignable": _assignable(street) if hq else [],
            "grids_all": visible if hq else [],
            "query": urlencode(query),
            "csv_url": f"/dashboard/export.csv?{urlencode(query)}",
            "xlsx_url": f"/dashboard/export.xlsx?{urlencode(query)}",
            "map": _grid_map(report, visible_ids),
        },
    )


def _assignable(street: Street) -> list[User]:
    ids = RoleAssignment.objects.filter(
        street=street, role__in=[Role.GRID_WORKER, Role.SAFETY_OFFICER, Role.ADMIN]
    ).values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=set(ids)).order_by("display_name", "pk")[:200])


def _grid_map(report: KpiReport, visible: set[int]) -> dict[str, Any] | None:
    """A clickable outline map of the child grids (SVG, no tiles): each polygon links to its drill-down, shaded by
    its on-time rate."""
    rows = [r for r in report.rows if r.grid.pk in visible]
    shapes = []
    for row in rows:
        geom = row.grid.geometry or {}
        polys = geom.get("coordinates") or []
        if geom.get("type") == "Polygon":
            polys = [polys]
        elif geom.get("type") != "MultiPolygon":
            continue
        shapes.append((row, [ring for poly in polys for ring in poly[:1]]))
    if not shapes:
        return None
    xs = [pt[0] for _r, rings in shapes for ring in rings for pt in ring]
    ys = [pt[1] for _r, rings in shapes for ring in rings for pt in ring]
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    w, h = 640.0, 360.0
    scale = min(w / max(max_x - min_x, 1e-9), h / max(max_y - min_y, 1e-9))
    out = []
    for row, rings in shapes:
        pts = [
            " ".join(f"{(x - min_x) * scale:.1f},{(max_y - y) * scale:.1f}" for x, y, *_rest in ring) for ring in rings
        ]
        rate = row.now.get("on_time_rate")
        shade = "none" if rate is None else ("good" if rate >= 0.9 else "warn" if rate >= 0.7 else "bad")
        cx = sum((x - min_x) * scale for ring in rings for x, *_r in ring) / max(sum(len(r) for r in rings), 1)
        cy = sum((max_y - y) * scale for ring in rings for _x, y, *_r in ring) / max(sum(len(r) for r in rings), 1)
        out.append({"row": row, "points": pts, "shade": shade, "cx": round(cx, 1), "cy": round(cy, 1)})
    return {"shapes": out, "width": round((max_x - min_x) * scale, 1), "height": round((max_y - min_y) * scale, 1)}


# ------------------------------------------------------------------------------------------- exports


def _export_rows(report: KpiReport, board: list[BoardCase]) -> tuple[list[str], list[list[Any]]]:
    header = [_("网格"), _("层级"), _("排名"), *[str(kpis.LABELS[k]) for k in HEADLINE]]
    rows: list[list[Any]] = [
        [
            _("合计") + f" · {report.grid.name if report.grid else ''}",
            "",
            "",
            *[_fmt(k, report.now.get(k)) for k in HEADLINE],
        ]
    ]
    for row in report.rows:
        rows.append(
            [row.grid.name, row.grid.get_level_display(), row.rank, *[_fmt(k, row.now.get(k)) for k in HEADLINE]]
        )
    rows.append([])
    rows.append([_("超时事件"), _("网格"), _("类别"), _("状态"), _("超时倍数"), _("描述"), _("处置人")])
    for b in board:
        c = b.case
        rows.append(
            [
                f"#{c.pk}",
                c.grid.name if c.grid else _("街道指挥部"),
                local_name(c.category),
                c.get_status_display(),
                f"{b.lateness:.1f}×",
                mask_personal_text(c.description or "")[:200],
                (c.assignee.display_name or _("工作人员")) if c.assignee else "",
            ]
        )
    return header, rows


@replica_reads()  # a dashboard: may read a replica (linli.core.db)
def _export(request: HttpRequest, kind: str) -> HttpResponse:
    street, _streets, denied = _street(request)
    if denied:
        return denied
    user = request_user(request)
    try:
        grid, report, g, _visible = _page_report(request, user, street)
    except Problem as problem:
        return _forbidden(request, problem)
    board = board_cases(street=street, grid=grid)
    header, rows = _export_rows(report, board)
    audit_log(
        actor=user,
        action="dashboard.export",
        street=street,
        obj=grid,
        data={"format": kind, "grid": grid.pk, "from": report.first.isoformat(), "to": report.last.isoformat()},
    )
    name = f"指挥大屏_{street.name}_{grid.name}_{report.first:%Y%m%d}-{report.last:%Y%m%d}"
    ascii_name = f"dashboard-{street.code}-{grid.pk}-{report.first:%Y%m%d}-{report.last:%Y%m%d}"
    if kind == "csv":
        return attachment_response(
            csv_bytes(header=header, rows=rows),
            content_type=CSV_TYPE,
            ascii_name=f"{ascii_name}.csv",
            name=f"{name}.csv",
        )
    body = xlsx_bytes(
        sheet="KPI",
        title=f"{street.name} · {grid.name} · {report.first:%Y-%m-%d} – {report.last:%Y-%m-%d}",
        header=header,
        rows=rows,
        widths=[18, 10, 6],
    )
    return attachment_response(body, content_type=XLSX_TYPE, ascii_name=f"{ascii_name}.xlsx", name=f"{name}.xlsx")


@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    return _export(request, "csv")


@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    return _export(request, "xlsx")


# ---------------------------------------------------------------------------------------- escalation


@require_POST
def case_escalate(request: HttpRequest, case_id: int) -> HttpResponse:
    """The HQ's moves on a breached case from the board: reassign (grid and/or person), deadline, instruction."""
    if not request.user.is_authenticated:
        return login_redirect(request, "/dashboard/")
    user = request_user(request)
    case = Case.objects.select_related("street", "category", "grid").filter(pk=case_id).first()
    back = {
        "street": case.street.code if case else "",
        "grid": request.POST.get("grid", ""),
        "g": request.POST.get("g", ""),
    }
    if case is None or not grids_visible(user, case.street):
        return _forbidden(request, Problem("not_found"))
    action = request.POST.get("action", "")
    try:
        if action == "reassign":
            to_grid, to_user = _int(request.POST.get("to_grid")), _int(request.POST.get("assignee"))
            grid = Grid.objects.filter(pk=to_grid, street=case.street).first() if to_grid else None
            assignee = User.objects.filter(pk=to_user).first() if to_user else None
            if grid is None and assignee is None:
                raise Problem("validation_error", detail=_("请选择网格或处置人"))
            workflow.case_assign(case=case, assignee=assignee, grid=grid, actor=user)
        elif action == "deadline":
            raw = request.POST.get("due_at", "")
            try:
                due = datetime.fromisoformat(raw)
            except ValueError:
                raise Problem("validation_error", detail=_("请填写有效的时限")) from None
            oversight.case_deadline_set(case=case, due_at=due, actor=user, note=request.POST.get("note", ""))
        elif action == "comment":
            oversight.case_comment_add(case=case, text=request.POST.get("text", ""), actor=user)
        else:
            raise Problem("validation_error", detail=_("未知操作"))
    except Problem as problem:
        messages.error(request, str(problem.detail or problem.title))
        return HttpResponseRedirect(f"/dashboard/?{urlencode(back)}#board")
    messages.success(request, _("已记入事件 #%(case)s 的时间线") % {"case": case.pk})
    return HttpResponseRedirect(f"/dashboard/?{urlencode(back)}#board")
