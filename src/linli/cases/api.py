"""Cases API: hazard reports, case detail and timeline, my reports, the staff work-order moves (transition,
bulk, assign, merge, split), the console list, CSV export, stats, categories and the sentinel leaderboard.
Thin: parse, check permission (selectors), call a service, return."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from ninja.responses import Status

from linli.cases import selectors
from linli.cases.models import Case
from linli.cases.schemas import (
    REPORT_DOC,
    TRANSITION_DOC,
    AssignIn,
    BulkIn,
    BulkOut,
    CaseOut,
    CasePage,
    CategoryOut,
    LeaderboardOut,
    MergeIn,
    MyReport,
    ReportCreated,
    SplitIn,
    StatsOut,
)
from linli.cases.services import reports as report_services
from linli.cases.services import workflow
from linli.cases.services.locations import report_location
from linli.core import ratelimit
from linli.core.auth import request_user, require_user
from linli.core.db import replica_reads
from linli.core.downloads import CSV_TYPE, attachment_response
from linli.core.errors import Problem, field_error
from linli.core.idempotency import idempotent
from linli.core.models import Grid, User
from linli.core.schemas import file_answer, problems
from linli.core.selectors import street_get
from linli.core.services import audit_log

router = Router(tags=["cases 事件"])

REPORTS_PER_10_MIN = 30  # per person; settings.LINLI_CASE_REPORTS_PER_10_MIN overrides (benchmarks)


@router.post(
    "/reports",
    response={201: ReportCreated},
    auth=require_user,
    summary="上报隐患 Report a hazard",
    openapi_extra=REPORT_DOC,
)
@problems(
    "idempotency_key_reused",
    "unknown_street",
    "unknown_category",
    "outside_street",
    "photo_invalid",
    "validation_error",
    "rate_limited",
)
def create_report(request: HttpRequest) -> HttpResponse:
    """Multipart form: `street` (code; may be left out with `lat`/`lng`: the street the platform serves at that
    point, from its grids or centre), `category` (code), the place — `lat`, `lng` (WGS-84), or else `spot` (a
    compound or service point of the street, `compound:<id>` / `place:<id>`), or else an `address` naming one of
    them — `description`, `address`, `photos` (0–4 JPEG/PNG/WebP files up to 10 MB, also accepted one at a time as
    `photo`; stored re-encoded without metadata). The report joins an open
    case of the same category nearby (`merged: true`) or opens a new case dispatched to the grid holding the
    point. Send an `Idempotency-Key` header: a retry never reports twice. At most 30 reports per person per
    10 minutes (`rate_limited`, with Retry-After; replays do not count). Problems: `unknown_street`,
    `unknown_category`, `outside_street`, `photo_invalid`, `validation_error`, `rate_limited`."""
    user = request_user(request)
    data, files = request.POST, request.FILES

    street_code = (data.get("street") or "").strip()[:40]
    scope = f"case_report:{street_code}"
    key = (request.headers.get("Idempotency-Key") or "").strip()
    replay = key and report_services.report_key_answered(user_id=user.pk, scope=scope, key=key)
    if not replay:  # a retry replaying its stored answer is not a new report (and must not store a 429)
        per_10_min = getattr(settings, "LINLI_CASE_REPORTS_PER_10_MIN", REPORTS_PER_10_MIN)
        allowed, retry_after = ratelimit.hit(f"cases:report:{user.pk}", per_10_min, 600)
        if not allowed:
            raise Problem(
                "rate_limited",
                detail=_("上报太频繁，请稍后再试"),
                extra={"retry_after": retry_after},
            )

    # The photos are decoded and re-encoded before idempotent() opens its transaction (a retry that replays
    # skips them): inside it, that CPU time held the database's write lock.
    photos = [] if replay else report_services.photos_process(files.getlist("photos") + files.getlist("photo"))

    def run() -> tuple[int, dict[str, Any]]:
        has_point = bool((data.get("lat") or "").strip() and (data.get("lng") or "").strip())
        wanted = ("category",) if has_point else ("street", "category")
        missing = [name for name in wanted if not (data.get(name) or "").strip()]
        if missing:
            raise Problem("validation_error", errors=[field_error(name, _("必填项")) for name in missing])
        if (data.get("street") or "").strip():
            street = report_services.street_for_report(data["street"].strip())
        else:
            from linli.cases.services.street_at import street_for_point

            street = street_for_point(lat=data["lat"], lng=data["lng"])
        lat, lng, address = report_location(
            street=street,
            lat=data.get("lat") or "",
            lng=data.get("lng") or "",
            spot=data.get("spot") or "",
            address=data.get("address") or "",
        )
        report = report_services.report_create(
            street=street,
            category=data["category"],
            lat=lat,
            lng=lng,
            description=data.get("description") or "",
            address=address,
            photos=photos,
            reporter=user,
        )
        case = report.case
        return 201, {
            "report_id": report.pk,
            "case_id": case.pk,
            "status": case.status,
            "merged": case.reports_count > 1,
        }

    # No savepoint around `run`: what it refuses before report_create writes nothing, and report_create's own
    # atomic block (a savepoint here) undoes its writes when it raises.
    return idempotent(request, scope=scope, run=run, savepoint=False)


@router.get("/cases/{int:case_id}", response=CaseOut, auth=require_user, summary="事件详情 A case")
@problems("not_found")
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """Status, place, due times, photos (report and after) and the timeline. For the case's reporters and the
    street's case staff; reporters never see another reporter's identity, nobody sees phone numbers."""
    user = request_user(request)
    return selectors.case_to_dict(selectors.case_get_for_user(case_id=case_id, user=user), user=user)


@router.get("/me/reports", response=list[MyReport], auth=require_user, summary="我的上报 My reports")
def my_reports(request: HttpRequest) -> list[dict[str, Any]]:
    return selectors.report_list_for_user(user=request_user(request))


def _form(request: HttpRequest) -> dict[str, Any]:
    if (request.content_type or "").startswith("application/json"):
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise Problem("validation_error", detail=_("不是有效的 JSON")) from None
        if not isinstance(body, dict):
            raise Problem("validation_error", detail=_("应为 JSON 对象"))
        return body
    return {key: request.POST.get(key) for key in request.POST}


@router.post(
    "/cases/{int:case_id}/transitions",
    response=CaseOut,
    auth=require_user,
    summary="事件流转 Move a case",
    openapi_extra=TRANSITION_DOC,
)
@problems("not_found", "permission_denied", "case_invalid_transition", "photo_invalid", "validation_error")
def transition_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """`to_status` with `note`, `reason` (required to reject) and `photos` ("after" photos, required with a note
    to resolve). Multipart or JSON (JSON carries no photos). Problems: `case_invalid_transition` (also when a
    colleague moved the case first), `permission_denied`, `validation_error`, `photo_invalid`."""
    user = request_user(request)
    case = selectors.case_get_for_staff(case_id=case_id, user=user)
    form = _form(request)
    to_status = str(form.get("to_status") or "").strip()
    if not to_status:
        raise Problem("validation_error", errors=[field_error("to_status", _("必填项"))])
    photos = request.FILES.getlist("photos") + request.FILES.getlist("photo")
    workflow.case_transition(
        case=case,
        to_status=to_status,
        actor=user,
        note=str(form.get("note") or ""),
        reason=str(form.get("reason") or ""),
        photos=photos,
    )
    return selectors.case_to_dict(selectors.case_get(case_id=case_id), user=user)


@router.post("/cases/bulk", response=BulkOut, auth=require_user, summary="批量流转 Move several cases")
@problems("permission_denied")
def bulk_cases(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    """Bulk dispatch / accept / start / verify / close. Per-item results, each case its own transaction: one case
    a colleague moved meanwhile fails alone (`ok: false` with its problem code) and the others go through.
    Cases the user may not handle answer `not_found` in their item."""
    results = workflow.cases_transition_bulk(
        case_ids=payload.case_ids, to_status=payload.to_status, actor=request_user(request), note=payload.note
    )
    return {
        "results": results,
        "ok": sum(1 for r in results if r["ok"]),
        "failed": sum(1 for r in results if not r["ok"]),
    }


@router.post("/cases/{int:case_id}/assign", response=CaseOut, auth=require_user, summary="指派 Assign a case")
@problems("not_found", "permission_denied", "case_invalid_transition")
def assign_case(request: HttpRequest, case_id: int, payload: AssignIn) -> dict[str, Any]:
    user = request_user(request)
    case = selectors.case_get_for_staff(case_id=case_id, user=user)
    assignee = None
    if payload.assignee_id is not None:
        assignee = User.objects.filter(pk=payload.assignee_id, is_active=True).first()
        if assignee is None:
            raise Problem("validation_error", errors=[field_error("assignee_id", _("没有这个人"))])
    grid = None
    if payload.grid:
        grid = Grid.objects.filter(street_id=case.street_id, external_id=payload.grid).first()
        if grid is None:
            raise Problem("validation_error", errors=[field_error("grid", _("没有这个网格"))])
    if assignee is None and grid is None:
        raise Problem("validation_error", errors=[field_error("assignee_id", _("请选择指派对象或网格"))])
    workflow.case_assign(case=case, assignee=assignee, actor=user, grid=grid)
    return selectors.case_to_dict(selectors.case_get(case_id=case_id), user=user)


@router.post("/cases/{int:case_id}/merge", response=CaseOut, auth=require_user, summary="合并事件 Merge cases")
@problems("not_found", "permission_denied", "merge_invalid")
def merge_cases(request: HttpRequest, case_id: int, payload: MergeIn) -> dict[str, Any]:
    """Merge `source_ids` into this case: their reports move here, they become `merged`. Safety officers and
    admins. Problem `merge_invalid` for closed, rejected, merged or other streets' cases."""
    user = request_user(request)
    target = selectors.case_get_for_staff(case_id=case_id, user=user)
    sources = list(Case.objects.filter(pk__in=payload.source_ids, street_id=target.street_id))
    if len(sources) != len(set(payload.source_ids)):
        raise Problem("merge_invalid", detail=_("有事件不存在或不属于本街道"))
    workflow.case_merge(target=target, sources=sources, actor=user, note=payload.note)
    return selectors.case_to_dict(selectors.case_get(case_id=case_id), user=user)


@router.post("/cases/{int:case_id}/split", response={201: CaseOut}, auth=require_user, summary="拆分事件 Split a case")
@problems("not_found", "permission_denied", "merge_invalid")
def split_case(request: HttpRequest, case_id: int, payload: SplitIn) -> Status:
    """Move `report_ids` to a new case routed afresh; answers the new case. Safety officers and admins."""
    user = request_user(request)
    case = selectors.case_get_for_staff(case_id=case_id, user=user)
    new = workflow.case_split(case=case, report_ids=payload.report_ids, actor=user, note=payload.note)
    return Status(201, selectors.case_to_dict(selectors.case_get(case_id=new.pk), user=user))


# --------------------------------------------------------------------------------------------- console


@router.get("/cases", response=CasePage, auth=require_user, summary="事件列表 Cases (staff)")
@problems("unknown_street", "permission_denied", "unknown_category")
def list_cases(
    request: HttpRequest,
    street: str,
    status: str | None = Query(None, description="one or several, comma-separated"),
    category: str | None = None,
    grid: str | None = Query(None, description="grid external id (its subtree included)"),
    overdue: bool | None = None,
    q: str | None = Query(None, max_length=100),
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    """The street's cases for its case staff: safety officers and admins see all; grid workers their grids'
    subtree. Newest first."""
    qs = selectors.case_list(
        user=request_user(request),
        street=street_get(code=street),
        status=status,
        category=category,
        grid=grid,
        overdue=overdue,
        q=q,
    )
    count = qs.count()
    start = (page - 1) * page_size
    now = timezone.now()
    items = [selectors.case_row(c, now=now) for c in qs[start : start + page_size]]
    return {"items": items, "count": count, "page": page, "page_size": page_size}


def iso_day(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Problem("validation_error", errors=[field_error(name, _("日期格式应为 YYYY-MM-DD"))]) from None


def local_day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@router.get(
    "/cases/export.csv",
    auth=require_user,
    summary="导出事件 CSV export (staff)",
    openapi_extra=file_answer("text/csv", "The filtered cases as CSV (UTF-8 with a BOM, for Excel)"),
)
@problems("unknown_street", "permission_denied", "unknown_category")
@replica_reads()  # an export/report: may read a replica (linli.core.db)
def export_cases(
    request: HttpRequest,
    street: str,
    status: str | None = None,
    category: str | None = None,
    grid: str | None = None,
    overdue: bool | None = None,
    q: str | None = Query(None, max_length=100),
    # Plain strings: replica_reads wraps the view, so annotations resolve in its module (no `dt` there).
    date_from: str | None = Query(None, description="YYYY-MM-DD: cases reported on or after this day (Shanghai)"),
    date_to: str | None = Query(None, description="YYYY-MM-DD: ... and on or before this day (inclusive)"),
) -> HttpResponse:
    """The filtered list as CSV (UTF-8 with BOM), without personal information; `date_from`/`date_to` export a
    period (a month) instead of the whole history. Every export is audit-logged."""
    user = request_user(request)
    street_obj = street_get(code=street)
    qs = selectors.case_list(
        user=user, street=street_obj, status=status, category=category, grid=grid, overdue=overdue, q=q
    )
    first, last = iso_day(date_from, "date_from"), iso_day(date_to, "date_to")
    if first:
        qs = qs.filter(created_at__gte=local_day_start(first))
    if last:
        qs = qs.filter(created_at__lt=local_day_start(last + dt.timedelta(days=1)))
    body = selectors.cases_csv(qs)
    period = {"date_from": str(first or ""), "date_to": str(last or "")}
    audit_log(
        actor=user,
        action="cases.export",
        street=street_obj,
        data={"filters": {"status": status, "category": category, "grid": grid, "overdue": overdue, "q": q, **period}},
    )
    stamp = timezone.localdate().isoformat()
    return attachment_response(
        body,
        content_type=CSV_TYPE,
        ascii_name=f"cases-{street_obj.code}-{stamp}.csv",
        name=f"事件-{street_obj.code}-{stamp}.csv",
    )


@router.get("/cases/stats", response=StatsOut, auth=require_user, summary="事件统计 Case statistics (staff)")
@problems("unknown_street", "permission_denied")
@replica_reads()  # an export/report: may read a replica (linli.core.db)
def case_stats(request: HttpRequest, street: str, days: int = Query(30, ge=1, le=366)) -> dict[str, Any]:
    """Per category: cases opened in the last `days` (total, open, closed, rejected) and the median and mean
    hours from report to close; the same overall. For the console chart."""
    return selectors.case_stats(user=request_user(request), street=street_get(code=street), days=days)


@router.get("/streets/{code}/case-categories", response=list[CategoryOut], summary="事件类别 Case categories")
@problems("unknown_street")
def case_categories(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    return [selectors.category_to_dict(c) for c in selectors.category_list_for_street(street=street_get(code=code))]


@router.get("/streets/{code}/sentinels/leaderboard", response=LeaderboardOut, summary="哨兵积分榜 Sentinel leaderboard")
@problems("unknown_street")
def sentinel_leaderboard(
    request: HttpRequest, code: str, days: int | None = Query(None, ge=1, le=366), limit: int = Query(20, ge=1, le=100)
) -> dict[str, Any]:
    """Riders ranked by the points their verified hazard reports earned. Names masked; no phone numbers."""
    street = street_get(code=code)
    return {"street": street.code, "days": days, "items": selectors.leaderboard(street=street, days=days, limit=limit)}
