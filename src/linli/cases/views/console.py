"""Staff console: the street's cases on a map and in a list (filters, SLA time left, bulk moves, CSV, a chart),
live over `ws/cases/<street>/` (static/cases/console.js), and one case's page (timeline, before/after photos,
reports, the moves this user may make, merge and split).

Thin views over linli.cases.selectors and services.workflow. Everything works without JavaScript: filters are a GET
form, bulk moves and case moves are plain POST forms (multipart for the resolve photo); JavaScript adds the map,
live rows, the beep and the unread badge. Every `Problem` is shown as a message with its HTTP status, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, npgettext, pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.cases import selectors
from linli.cases.models import Case, CasePhoto, CaseStatus, PhotoKind
from linli.cases.services import workflow
from linli.cases.views.reporter import map_config, photo_url
from linli.core import selectors as core_selectors
from linli.core.auth import request_user
from linli.core.charts import bar_chart
from linli.core.errors import Problem
from linli.core.geo import navigation_links
from linli.core.i18n import Text, choice_label, local_name
from linli.core.models import Grid
from linli.core.pages import login_redirect, problem_message, staff_street_choice
from linli.places.gazetteer import spot_name, spot_namer

S = CaseStatus
OPEN = ",".join(sorted(selectors.MERGEABLE_STATUSES))
STATUS_FILTERS = [("open", gettext_lazy("未办结")), ("all", gettext_lazy("全部")), *CaseStatus.choices]
# Button labels of the moves (to_status -> label), in the order they are offered.
MOVE_LABELS: dict[str, Text] = {
    S.DISPATCHED: gettext_lazy("派单"),
    S.ACCEPTED: gettext_lazy("接单"),
    S.IN_PROGRESS: gettext_lazy("开始处置"),
    S.RESOLVED: gettext_lazy("处置完成"),
    S.VERIFIED: gettext_lazy("核查通过"),
    S.CLOSED: gettext_lazy("办结"),
    S.REJECTED: gettext_lazy("驳回"),
}
BULK_MOVES = [(s, MOVE_LABELS[s]) for s in (S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.VERIFIED, S.CLOSED)]
LIST_LIMIT = 200


def _forbidden(request: HttpRequest, street: Any = None, problem: dict[str, Any] | None = None) -> HttpResponse:
    return render(request, "cases/forbidden.html", {"street": street, "problem": problem}, status=403)


def _staff_street(request: HttpRequest) -> tuple[Any, list[Any], HttpResponse | None]:
    """The street whose console to show (?street=, else the first) among those where the user is case staff."""
    return staff_street_choice(
        request,
        lambda user: core_selectors.street_list().filter(
            id__in=core_selectors.user_street_ids(user, roles=selectors.CASE_STAFF_ROLES)
        ),
        _forbidden,
    )


def time_formats() -> dict[str, str]:
    """The "time left" label formats in the request's language: the server's labels use them, and the console
    page hands the same strings to console.js (in its JSON config), so live rows read like rendered ones."""
    return {
        "dh": _("%(d)s天%(h)s小时"),
        "d": _("%(d)s天"),
        "hm": _("%(h)s小时%(m)s分"),
        "m": _("%(m)s分"),
        "left": _("剩 %(time)s"),
        "over": _("超时 %(time)s"),
    }


def time_left(due: datetime | None, now: datetime) -> dict[str, Any] | None:
    """{"overdue": bool, "minutes": int, "label": "剩 2小时5分" | "超时 35分"} for a due time (labels in the
    request's language: "2 h 5 min left", "35 min overdue")."""
    if due is None:
        return None
    minutes = int((due - now).total_seconds() // 60)
    days, rest = divmod(abs(minutes), 1440)
    hours, mins = divmod(rest, 60)
    formats = time_formats()
    if days:
        text = formats["dh" if hours else "d"] % {"d": days, "h": hours}
    else:
        text = formats["hm" if hours else "m"] % {"h": hours, "m": mins}
    label = formats["over" if minutes < 0 else "left"] % {"time": text}
    return {"overdue": minutes < 0, "minutes": minutes, "label": label}


def count_formats(context: str | None = None) -> dict[str, str]:
    """The singular and plural of "共 {n} 件" (or, with `context`, of the grid summary's "{n} 件") with a `{n}`
    placeholder, for console.js to keep the counts right as live rows arrive."""
    if context:
        one, other = (npgettext(context, "%(n)s 件", "%(n)s 件", n) for n in (1, 2))
    else:
        one, other = (ngettext("共 %(n)s 件", "共 %(n)s 件", n) for n in (1, 2))
    return {"one": one % {"n": "{n}"}, "other": other % {"n": "{n}"}}


def _filters(request: HttpRequest) -> dict[str, Any]:
    status = request.GET.get("status") or "open"
    overdue = request.GET.get("overdue") or ""
    return {
        "status": status,
        "category": (request.GET.get("category") or "").strip()[:40],
        "grid": (request.GET.get("grid") or "").strip()[:64],
        "overdue": overdue if overdue in ("1", "0") else "",
        "q": (request.GET.get("q") or "").strip()[:100],
    }


def _case_list(user: Any, street: Any, f: dict[str, Any]) -> Any:
    status = {"open": OPEN, "all": None}.get(f["status"], f["status"])
    overdue = {"1": True, "0": False}.get(f["overdue"])
    return selectors.case_list(
        user=user,
        street=street,
        status=status,
        category=f["category"] or None,
        grid=f["grid"] or None,
        overdue=overdue,
        q=f["q"] or None,
    )


def console_row(
    case: Case, now: datetime, namer: Callable[[float, float], dict[str, Any]] | None = None
) -> dict[str, Any]:
    row = selectors.case_row(case, now=now)
    row["url"] = reverse("cases:console_case", args=[case.pk])
    row["time_left"] = time_left(case.resolution_due_at, now) if case.status in selectors.UNRESOLVED_STATUSES else None
    row["created_local"] = timezone.localtime(case.created_at).strftime("%m-%d %H:%M")
    row["where"] = (namer or spot_namer(case.street))(case.lat, case.lng)["text"]
    return row


def _chart(user: Any, street: Any) -> dict[str, Any]:
    stats = selectors.case_stats(user=user, street=street, days=30)
    cats = [c for c in stats["categories"] if c["total"]]
    if not cats:
        return {"stats": stats, "counts": None, "hours": None}
    labels = [str(local_name(c)) for c in cats]
    counts = bar_chart(
        title=_("近30天事件（按类别）"),
        labels=labels,
        series=[
            (_("未办结"), [c["open"] for c in cats]),
            (_("已办结"), [c["closed"] for c in cats]),
            (_("驳回"), [c["rejected"] for c in cats]),
        ],
        unit=pgettext("chart unit: cases", "件"),
    )
    with_hours = [c for c in cats if c["median_hours_to_close"] is not None]
    hours = None
    if with_hours:
        hours = bar_chart(
            title=_("办结用时中位数（小时）"),
            labels=[str(local_name(c)) for c in with_hours],
            series=[(_("中位数"), [c["median_hours_to_close"] for c in with_hours])],
            unit=pgettext("chart unit", "小时"),
        )
    return {"stats": stats, "counts": counts, "hours": hours}


@require_GET
def console(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _staff_street(request)
    if denied:
        return denied
    f = _filters(request)
    now = timezone.now()
    problem = None
    rows: list[dict[str, Any]] = []
    count = 0
    try:
        qs = _case_list(request.user, street, f)
        count = qs.count()
        namer = spot_namer(street)
        rows = [console_row(c, now, namer) for c in qs[:LIST_LIMIT]]
    except Problem as exc:
        problem = exc
    by_grid: dict[str, dict[str, Any]] = {}
    for r in rows:
        name = r["grid"]["name"] if r["grid"] else _("街道指挥部")
        key = r["grid"]["external_id"] if r["grid"] else ""
        entry = by_grid.setdefault(key, {"key": key, "name": name, "count": 0, "overdue": 0})
        entry["count"] += 1
        entry["overdue"] += 1 if r["overdue"] else 0
    scope = selectors.staff_scope(request_user(request), street)
    grids = Grid.objects.filter(street=street).order_by("external_id")
    if scope != "all":
        grids = grids.filter(pk__in=scope or [])
    export_query = {k: v for k, v in f.items() if v and k != "status"}
    status_param = {"open": OPEN, "all": ""}.get(f["status"], f["status"])
    if status_param:
        export_query["status"] = status_param
    export_query["overdue"] = {"1": "true", "0": "false"}.get(f["overdue"], "")
    export_query = {k: v for k, v in export_query.items() if v}
    ctx = {
        "street": street,
        "streets": streets,
        "filters": f,
        "status_filters": STATUS_FILTERS,
        "categories": selectors.category_list_for_street(street=street),
        "grids": grids,
        "rows": rows,
        "by_grid": sorted(by_grid.values(), key=lambda g: (-g["overdue"], -g["count"], g["name"])),
        "count": count,
        "limit": LIST_LIMIT,
        "problem": problem_message(problem) if problem else None,
        "bulk_moves": BULK_MOVES,
        "csv_url": "/api/v1/cases/export.csv?" + urlencode({"street": street.code, **export_query}),
        "chart": _chart(request.user, street),
        "bulk_done": {k: request.GET.get(k) for k in ("bulk_ok", "bulk_failed") if request.GET.get(k)},
        "console_config": {
            "street": street.code,
            "wsPath": f"/ws/cases/{street.code}/",
            # The console's cursor: the socket's first connection replays every change since the list was read.
            "since": timezone.now().isoformat(),
            "filters": {
                "status": f["status"],
                "category": f["category"],
                "open": OPEN.split(","),
                "unresolved": sorted(selectors.UNRESOLVED_STATUSES),
                # A grid filter holds its subtree (as selectors.case_list does): the ids a live row may carry.
                "gridIds": _grid_filter_ids(street, f["grid"]),
                "overdue": f["overdue"],
                "q": f["q"],
            },
            "timeFormats": time_formats(),
            "countFormats": count_formats(),
            "gridCountFormats": count_formats("grid summary"),
            "caseUrl": reverse("cases:console_case", args=[0]),
            **map_config(street),
        },
        "map_rows": [
            {
                "id": r["id"],
                "lat": r["lat"],
                "lng": r["lng"],
                "label": f"#{r['id']} {local_name(r['category'])}" + (f" · {r['where']}" if r["where"] else ""),
                "url": r["url"],
            }
            for r in rows
        ],
    }
    return render(request, "cases/console.html", ctx, status=problem.http_status if problem else 200)


def _grid_filter_ids(street: Any, external_id: str) -> list[int] | None:
    """The ids of the filtered grid and the grids below it; None without a grid filter ([] for an unknown one)."""
    if not external_id:
        return None
    grid = Grid.objects.filter(street=street, external_id=external_id).first()
    if grid is None:
        return []
    return sorted(selectors.grid_subtree_ids({grid.pk}, street_id=street.pk))


@require_POST
def console_bulk(request: HttpRequest) -> HttpResponse:
    """The list's bulk form: move the ticked cases (each its own transaction, see cases_transition_bulk)."""
    street, _streets, denied = _staff_street(request)
    if denied:
        return denied
    ids = [int(i) for i in request.POST.getlist("case_ids") if i.isdigit()]
    to_status = request.POST.get("to_status") or ""
    back = reverse("cases:console") + "?" + (request.POST.get("back") or urlencode({"street": street.code}))
    try:
        results = workflow.cases_transition_bulk(case_ids=ids, to_status=to_status, actor=request.user, note="")
    except Problem as problem:
        return _forbidden_or_message(request, street, problem)
    ok = sum(1 for r in results if r["ok"])
    return HttpResponseRedirect(f"{back}&{urlencode({'bulk_ok': ok, 'bulk_failed': len(results) - ok})}")


def _forbidden_or_message(request: HttpRequest, street: Any, problem: Problem) -> HttpResponse:
    return render(
        request,
        "cases/forbidden.html",
        {"street": street, "problem": problem_message(problem)},
        status=problem.http_status,
    )


# --------------------------------------------------------------------------------------------- a case


def _staff_case(request: HttpRequest, case_id: int) -> tuple[Case | None, HttpResponse | None]:
    if not request.user.is_authenticated:
        return None, login_redirect(request)
    try:
        return selectors.case_get_for_staff(case_id=case_id, user=request.user), None
    except Problem as problem:
        if problem.code == "permission_denied":
            return None, _forbidden(request, None, problem_message(problem))
        raise Http404(str(case_id)) from problem


def allowed_moves(case: Case, user: Any) -> list[dict[str, Any]]:
    """The moves of the transition table from the case's status that `user` may make, as buttons."""
    supervisor = workflow.is_supervisor(user, case)
    handler = supervisor or workflow.is_handler(user, case)
    moves: list[dict[str, Any]] = []
    for to_status, label in MOVE_LABELS.items():
        if to_status not in workflow.TRANSITIONS.get(case.status, frozenset()):
            continue
        level = workflow.required_level(case.status, to_status)
        if (level == workflow.SUPERVISOR and not supervisor) or (level == workflow.HANDLER and not handler):
            continue
        reopen = to_status == S.IN_PROGRESS and case.status in workflow.REOPEN_FROM
        moves.append(
            {"to": to_status, "label": _("重新打开") if reopen else str(label), "reopen": reopen, "kind": "primary"}
        )
    # The expected next step first and primary (verify before reopen, dispatch before reject); going back or
    # refusing comes last, as a secondary or danger button.
    moves.sort(key=lambda m: bool(m["reopen"] or m["to"] == S.REJECTED))
    for m in moves:
        if m["reopen"]:
            m["kind"] = "secondary"
        elif m["to"] == S.REJECTED:
            m["kind"] = "danger"
    return moves


def _case_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    body = selectors.case_to_dict(case, user=request_user(request))
    for item in [*body["timeline"], *body.get("reports", [])]:
        item["at_local"] = (item.get("at") or item.get("created_at") or "")[5:16].replace("T", " ")
    for event in body["timeline"]:
        event["to_label"] = choice_label(CaseStatus, event["to_status"])
    now = timezone.now()
    photos = list(CasePhoto.objects.filter(case=case).order_by("created_at", "id"))
    supervisor = workflow.is_supervisor(request.user, case)
    spot = spot_name(case.street, case.lat, case.lng)
    return {
        "street": case.street,
        "case": body,
        "case_obj": case,
        "time_left": time_left(case.resolution_due_at, now) if case.status in selectors.UNRESOLVED_STATUSES else None,
        "before": [photo_url(p) for p in photos if p.kind == PhotoKind.REPORT],
        "after": [photo_url(p) for p in photos if p.kind == PhotoKind.AFTER],
        "moves": allowed_moves(case, request.user),
        "can_merge": supervisor and case.status in selectors.MERGEABLE_STATUSES,
        "can_split": supervisor and case.status in selectors.MERGEABLE_STATUSES and len(body.get("reports", [])) > 1,
        "problem": None,
        "done": request.GET.get("done", ""),
        "console_url": f"{reverse('cases:console')}?street={case.street.code}",
        "spot": spot,
        "navigation": navigation_links(case.lat, case.lng, spot["text"] or f"#{case.pk}"),
        "case_map": {
            **map_config(case.street),
            "case": {"lat": case.lat, "lng": case.lng, "label": f"#{case.pk} {local_name(case.category)}"},
            "reports": [{"lat": r["lat"], "lng": r["lng"]} for r in body.get("reports", [])],
        },
    }


@require_GET
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    case, denied = _staff_case(request, case_id)
    if denied:
        return denied
    assert case is not None
    return render(request, "cases/case.html", _case_context(request, case))


def _redirect_case(case_id: int, done: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('cases:console_case', args=[case_id])}?{urlencode({'done': done})}")


def _case_problem(request: HttpRequest, case_id: int, problem: Problem) -> HttpResponse:
    case = selectors.case_get(case_id=case_id)
    ctx = _case_context(request, case)
    ctx["problem"] = problem_message(problem)
    return render(request, "cases/case.html", ctx, status=problem.http_status)


@require_POST
def case_move(request: HttpRequest, case_id: int) -> HttpResponse:
    case, denied = _staff_case(request, case_id)
    if denied:
        return denied
    assert case is not None
    to_status = request.POST.get("to_status") or ""
    try:
        workflow.case_transition(
            case=case,
            to_status=to_status,
            actor=request.user,
            note=request.POST.get("note") or "",
            reason=request.POST.get("reason") or "",
            photos=request.FILES.getlist("photos"),
        )
    except Problem as problem:
        return _case_problem(request, case_id, problem)
    return _redirect_case(case_id, to_status)


def _ids(text: str) -> list[int]:
    out = []
    for part in text.replace("，", ",").replace("#", " ").replace(",", " ").split():
        if part.isdigit():
            out.append(int(part))
    return out


@require_POST
def case_merge(request: HttpRequest, case_id: int) -> HttpResponse:
    """Merge the typed cases (e.g. "#12, #15") into this one."""
    case, denied = _staff_case(request, case_id)
    if denied:
        return denied
    assert case is not None
    ids = _ids(request.POST.get("source_ids") or "")
    try:
        sources = list(Case.objects.filter(pk__in=ids, street_id=case.street_id))
        if not ids or len(sources) != len(set(ids)):
            raise Problem("merge_invalid", detail=gettext_lazy("请填写本街道的事件编号"))
        workflow.case_merge(target=case, sources=sources, actor=request.user, note=request.POST.get("note") or "")
    except Problem as problem:
        return _case_problem(request, case_id, problem)
    return _redirect_case(case_id, "merge")


@require_POST
def case_split(request: HttpRequest, case_id: int) -> HttpResponse:
    """Move the ticked reports to a new case; go to the new case."""
    case, denied = _staff_case(request, case_id)
    if denied:
        return denied
    assert case is not None
    ids = [int(i) for i in request.POST.getlist("report_ids") if i.isdigit()]
    try:
        new = workflow.case_split(case=case, report_ids=ids, actor=request.user, note=request.POST.get("note") or "")
    except Problem as problem:
        return _case_problem(request, case_id, problem)
    return _redirect_case(new.pk, "split")


urlpatterns = [
    path("staff/cases/", require_http_methods(["GET"])(console), name="console"),
    path("staff/cases/bulk/", console_bulk, name="console_bulk"),
    path("staff/cases/<int:case_id>/", case_page, name="console_case"),
    path("staff/cases/<int:case_id>/move/", case_move, name="console_move"),
    path("staff/cases/<int:case_id>/merge/", case_merge, name="console_merge"),
    path("staff/cases/<int:case_id>/split/", case_split, name="console_split"),
]
