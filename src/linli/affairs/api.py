"""Affairs API: the open catalogue, pre-reviews, slots and appointments. Thin: parse, check permission, call a
selector or service."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router

from linli.affairs import selectors
from linli.affairs.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    Item,
    MaterialForm,
    PreReview,
    PreReviewStatus,
    Resource,
)
from linli.affairs.schemas import (
    CORRECTION_DOC,
    PREREVIEW_DOC,
    AffairItemOut,
    AppointmentIn,
    AppointmentOut,
    ItemList,
    PreReviewOut,
    PrereviewReviewIn,
    RescheduleIn,
    SlotOut,
)
from linli.affairs.services import appointments as appointment_services
from linli.affairs.services import fast
from linli.affairs.services import prereviews as prereview_services
from linli.affairs.services.calendar import appointment_ics_bytes, ics_language
from linli.affairs.services.defaults import cancel_cutoff_minutes
from linli.affairs.services.items_import import CSV_COLUMNS, item_csv_row
from linli.core import ratelimit
from linli.core import selectors as core_selectors
from linli.core.auth import request_user, require_user
from linli.core.downloads import attachment_response, ics_response
from linli.core.errors import Problem, field_error
from linli.core.i18n import choice_label
from linli.core.idempotency import idempotent
from linli.core.lenient import parse_int
from linli.core.models import IdempotencyKey, Role, Street
from linli.core.schemas import file_answer, problems
from linli.core.selectors import street_get
from linli.core.spreadsheets import csv_bytes

SH = ZoneInfo("Asia/Shanghai")
PREREVIEWS_PER_HOUR = 20
REVIEWER_ROLES = (Role.STATION_STAFF, Role.ADMIN)


def is_reviewer(user: Any, street: Street) -> bool:
    return core_selectors.user_has_role(user, street=street, roles=REVIEWER_ROLES)


router = Router(tags=["affairs 社区事务"])


def item_out(item: Item) -> dict[str, Any]:
    return {
        "id": item.pk,
        "street": item.street.code,
        "code": item.code,
        "name": item.name,
        "department": item.department,
        "legal_basis": item.legal_basis,
        "eligibility": item.eligibility,
        "channels": list(item.channels or []),
        "prereview": item.prereview,
        "entrusted": item.entrusted,
        "time_limit_days": item.time_limit_days,
        "fee_fen": item.fee_fen,
        "keywords": list(item.keywords or []),
        "office_hours": item.office_hours,
        "min_notice_minutes": item.min_notice_minutes,
        "max_days_ahead": item.max_days_ahead,
        "materials": [
            {
                "id": m.pk,
                "name": m.name,
                "count": m.count,
                "form": m.form,
                "form_name": str(choice_label(MaterialForm, m.form)),
                "example_photo": m.example_photo.url if m.example_photo else None,
            }
            for m in item.materials.all()
            if m.position < 1000
        ],
        "url": reverse("affairs:item_detail", args=[item.pk]),
    }


def _channel(channel: str | None) -> str:
    if channel and channel not in Channel.values:
        raise Problem("validation_error", errors=[field_error("channel", "|".join(Channel.values))])
    return channel or ""


@router.get("/affairs/items", response=ItemList, summary="事项目录 The item catalogue (open data)")
@problems("unknown_street")
def items_list(
    request: HttpRequest,
    street: str,
    q: str | None = Query(None, max_length=100, description="residents' words: 补办社保卡, 长护险, shebaoka"),
    channel: str | None = Query(None, description="window | self_service | assisted | remote | home"),
) -> dict[str, Any]:
    """A street's active items; with `q`, those its words name, best first. 按街道列出事项，可按居民说法搜索。"""
    target = street_get(code=street)
    items = selectors.items_search(street=target, q=q or "", channel=_channel(channel), limit=500)
    return {"items": [item_out(i) for i in items], "count": len(items)}


@router.get(
    "/affairs/items.csv",
    summary="事项目录 CSV The item catalogue as CSV (open data, the import format)",
    openapi_extra=file_answer("text/csv", "The catalogue in the import format (UTF-8 with BOM)"),
)
@problems("unknown_street")
def items_csv(request: HttpRequest, street: str) -> HttpResponse:
    target = street_get(code=street)
    items = selectors.items_with_materials(selectors.items_active(street=target))
    body = csv_bytes(header=CSV_COLUMNS, rows=(item_csv_row(i) for i in items))
    return attachment_response(
        body,
        content_type="text/csv; charset=utf-8",
        ascii_name=f"affairs-{target.code}.csv",
        name=f"affairs-{target.code}.csv",
    )


@router.get(
    "/affairs/items/{item_id}", response=AffairItemOut, summary="事项详情 One item: what to bring, how, how long"
)
@problems("not_found")
def item_detail(request: HttpRequest, item_id: int) -> dict[str, Any]:
    item = get_object_or_404(
        selectors.items_with_materials(Item.objects.filter(is_active=True)).select_related("street"), pk=item_id
    )
    return item_out(item)


# ------------------------------------------------------------------------------------------- slots


def resource_out(resource: Resource) -> dict[str, Any]:
    return {
        "id": resource.pk,
        "name": resource.name,
        "kind": resource.kind,
        "place_id": resource.place_id,
        "place_name": resource.place.name,
    }


@router.get("/affairs/slots", response=list[SlotOut], summary="可约时段 Free slots for an item")
@problems("not_found")
def slots(
    request: HttpRequest,
    item: int,
    place: int | None = None,
    date_from: dt.date | None = Query(None, alias="from", description="YYYY-MM-DD (Shanghai), inclusive"),
    date_to: dt.date | None = Query(None, alias="to", description="YYYY-MM-DD (Shanghai), inclusive"),
    limit: int = Query(100, ge=1, le=500, description="at most this many slots, earliest first"),
) -> HttpResponse:
    """Free slots `item` may be booked in (its channels' resources, its booking window), optionally at one place
    and between two days, earliest first (`limit`, default 100: page on with `from`). 按事项列出可约时段。"""
    target = get_object_or_404(
        Item.objects.filter(is_active=True).only("id", "street_id", "channels", "min_notice_minutes", "max_days_ahead"),
        pk=item,
    )
    start = dt.datetime.combine(date_from, dt.time(0), tzinfo=SH) if date_from else None
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=SH) if date_to else None
    rows = selectors.slots_free_rows(item=target, place=place, start=start, end=end, limit=limit)
    # Written straight out (the rows are built to the schema): validating hundreds of slots per answer cost more
    # than finding them (bench/bench_affairs.py).
    return HttpResponse(json.dumps(rows, ensure_ascii=False, separators=(",", ":")), content_type="application/json")


# ------------------------------------------------------------------------------------ appointments


def appointment_out(a: Appointment) -> dict[str, Any]:
    cutoff = cancel_cutoff_minutes(a.street_id)
    return {
        "id": a.pk,
        "code": a.code,
        "status": a.status,
        "status_name": str(choice_label(AppointmentStatus, a.status)),
        "item": a.item_id,
        "item_name": a.item.name,
        "start": a.start.isoformat(),
        "end": a.end.isoformat(),
        "resource": resource_out(a.resource),
        "prereview": a.prereview_id,
        "source": a.source,
        "ics_url": f"/api/v1/affairs/appointments/{a.pk}.ics",
        "cancel_until": (a.start - dt.timedelta(minutes=cutoff)).isoformat(),
    }


@router.post(
    "/affairs/appointments",
    response={201: AppointmentOut},
    auth=require_user,
    summary="预约办事 Book a slot",
)
@problems(
    "idempotency_key_reused",
    "not_found",
    "slot_full",
    "slot_closed",
    "too_soon",
    "too_late",
    "not_eligible_channel",
    "booking_suspended",
    "appointment_exists",
)
def book(request: HttpRequest, payload: AppointmentIn) -> HttpResponse:
    """Book `slot` for `item`. Send an `Idempotency-Key` header: a retry never books twice. Never overbooked,
    whatever the concurrency. Problems: `slot_full`, `slot_closed`, `too_soon`, `too_late`,
    `not_eligible_channel`, `booking_suspended` (the no-show rule), `appointment_exists`."""
    user = request_user(request)

    def run() -> tuple[int, dict[str, Any]]:
        item = Item.objects.filter(pk=payload.item).first()
        if item is None:
            raise Problem("not_found", detail=_("没有这个事项"))
        appointment = fast.appointment_book(
            slot=payload.slot, item=item, user=user, prereview=payload.prereview, note=payload.note
        )
        appointment.item = item
        return 201, appointment_out(appointment)

    return idempotent(request, scope="affairs:appointment", run=run)


@router.get("/affairs/appointments", response=list[AppointmentOut], auth=require_user, summary="我的办事预约 Mine")
def my_appointments(request: HttpRequest) -> list[dict[str, Any]]:
    return [appointment_out(a) for a in selectors.appointments_for_user(user=request_user(request))[:200]]


@router.get(
    "/affairs/appointments/{int:appointment_id}.ics",
    auth=require_user,
    summary="预约日历文件 The appointment as an iCalendar file",
    openapi_extra=file_answer("text/calendar", "An iCalendar (RFC 5545) file"),
)
@problems("not_found")
def appointment_ics(request: HttpRequest, appointment_id: int) -> HttpResponse:
    a = selectors.appointment_for_user(user=request_user(request), appointment_id=appointment_id)
    return ics_response(
        appointment_ics_bytes(a, ics_language(request, request_user(request))),
        filename=f"affair-{a.code}.ics",
        attachment=True,
        private=True,
    )


@router.get(
    "/affairs/appointments/{int:appointment_id}", response=AppointmentOut, auth=require_user, summary="预约详情"
)
@problems("not_found")
def appointment_detail(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    return appointment_out(selectors.appointment_for_user(user=request_user(request), appointment_id=appointment_id))


@router.post(
    "/affairs/appointments/{int:appointment_id}/cancel",
    response=AppointmentOut,
    auth=require_user,
    summary="取消预约 Cancel until the cut-off",
)
@problems("not_found", "permission_denied", "cancel_deadline_passed", "appointment_invalid_transition")
def appointment_cancel(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    user = request_user(request)
    a = selectors.appointment_for_user(user=user, appointment_id=appointment_id)
    appointment_services.appointment_cancel(appointment=a, actor=user)
    return appointment_out(a)


@router.post(
    "/affairs/appointments/{int:appointment_id}/reschedule",
    response=AppointmentOut,
    auth=require_user,
    summary="改约 Move to another slot until the cut-off",
)
@problems(
    "not_found",
    "permission_denied",
    "cancel_deadline_passed",
    "appointment_invalid_transition",
    "slot_full",
    "slot_closed",
    "too_soon",
    "too_late",
    "not_eligible_channel",
)
def appointment_reschedule(request: HttpRequest, appointment_id: int, payload: RescheduleIn) -> dict[str, Any]:
    user = request_user(request)
    a = selectors.appointment_for_user(user=user, appointment_id=appointment_id)
    a = appointment_services.appointment_reschedule(appointment=a, slot=payload.slot, actor=user)
    return appointment_out(selectors.appointment_for_user(user=user, appointment_id=a.pk))


# -------------------------------------------------------------------------------------- pre-reviews


def prereview_out(pr: PreReview, *, user: Any) -> dict[str, Any]:
    return {
        "id": pr.pk,
        "code": pr.code,
        "status": pr.status,
        "status_name": str(choice_label(PreReviewStatus, pr.status)),
        "item": pr.item_id,
        "item_name": pr.item.name,
        "entrusted": pr.entrusted,
        "submitted_at": pr.submitted_at.isoformat(),
        "review_due_at": pr.review_due_at.isoformat(),
        "files": [
            {
                "id": f.pk,
                "material": f.material_id,
                "material_name": f.material.name,
                "content_type": f.content_type,
                "review": f.review,
                "reason": f.reason,
                "url": reverse("affairs:prereview_file", args=[f.pk]) if f.file else None,
            }
            for f in selectors.prereview_files_current(prereview=pr)
        ],
        "timeline": [
            {"at": e.at.isoformat(), "from_status": e.from_status, "to_status": e.to_status, "note": e.note}
            for e in pr.events.all()
        ],
    }


def _material_files(request: HttpRequest) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for name in request.FILES:
        if name.startswith("material_") and name[9:].isdigit():
            out[int(name[9:])] = request.FILES[name]
        else:
            raise Problem("validation_error", errors=[field_error(name, _("文件字段应为 material_<材料编号>"))])
    return out


def _key_answered(request: HttpRequest, scope: str) -> bool:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    return (
        bool(key)
        and IdempotencyKey.objects.filter(
            user_id=request_user(request).pk, scope=scope, key=key, status__isnull=False
        ).exists()
    )


def _prereview_for(request: HttpRequest, prereview_id: int) -> PreReview:
    user = request_user(request)
    pr = PreReview.objects.select_related("item", "street", "user").filter(pk=prereview_id).first()
    if pr is None or not (pr.user_id == user.pk or is_reviewer(user, pr.street)):
        raise Problem("not_found", detail=_("没有这份预审"))
    return pr


@router.post(
    "/affairs/prereviews",
    response={201: PreReviewOut},
    auth=require_user,
    summary="提交原件预审 Submit documents for pre-review",
    openapi_extra=PREREVIEW_DOC,
)
@problems(
    "idempotency_key_reused", "not_found", "prereview_not_allowed", "file_invalid", "validation_error", "rate_limited"
)
def prereview_create(request: HttpRequest) -> HttpResponse:
    """Multipart: `item` and one file per material (`material_<id>`), with an `Idempotency-Key` header (a retry
    never submits twice). Files are checked by content: photos re-encoded without metadata, PDFs checked.
    At most 20 submissions per person per hour (`rate_limited`)."""
    user = request_user(request)
    scope = "affairs:prereview"
    replay = _key_answered(request, scope)
    checked: dict[int, Any] = {}
    if not replay:
        allowed, retry_after = ratelimit.hit(f"affairs:prereview:{user.pk}", PREREVIEWS_PER_HOUR, 3600)
        if not allowed:
            raise Problem("rate_limited", detail=_("提交太频繁，请稍后再试"), extra={"retry_after": retry_after})
        checked = prereview_services.files_check(_material_files(request))  # outside the transaction

    def run() -> tuple[int, dict[str, Any]]:
        item_id = parse_int(request.POST.get("item"))
        item = Item.objects.filter(pk=item_id or 0, is_active=True).select_related("street").first()
        if item is None:
            raise Problem("not_found", detail=_("没有这个事项"), errors=[field_error("item", _("没有这个事项"))])
        entrusted = (request.POST.get("entrusted") or "").lower() in ("1", "true", "yes", "on")
        pr = prereview_services.prereview_submit(item=item, user=user, files=checked, entrusted=entrusted)
        return 201, prereview_out(pr, user=user)

    return idempotent(request, scope=scope, run=run)


@router.get("/affairs/prereviews", response=list[PreReviewOut], auth=require_user, summary="预审列表 Pre-reviews")
@problems("unknown_street", "permission_denied")
def prereviews(request: HttpRequest, street: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    """Without `street`: mine. With `street`: the street's queue, for its reviewers (oldest deadline first)."""
    user = request_user(request)
    if street is None:
        qs = selectors.prereviews_for_user(user=user)
    else:
        target = street_get(code=street)
        if not is_reviewer(user, target):
            raise Problem("permission_denied")
        qs = selectors.prereview_queue(street=target, status=status if status in PreReviewStatus.values else None)
    return [prereview_out(pr, user=user) for pr in qs.prefetch_related("events")[:200]]


@router.get(
    "/affairs/prereviews/{int:prereview_id}", response=PreReviewOut, auth=require_user, summary="预审详情与进度"
)
@problems("not_found")
def prereview_detail(request: HttpRequest, prereview_id: int) -> dict[str, Any]:
    return prereview_out(_prereview_for(request, prereview_id), user=request_user(request))


@router.post(
    "/affairs/prereviews/{int:prereview_id}/reviews",
    response=PreReviewOut,
    auth=require_user,
    summary="审核材料 Review each material (staff)",
)
@problems("not_found", "permission_denied", "prereview_invalid_transition", "validation_error")
def prereview_review(request: HttpRequest, prereview_id: int, payload: PrereviewReviewIn) -> dict[str, Any]:
    """Each current file: `accepted`, `needs_correction` or `rejected` (with a `reason`). When every file is
    decided: all accepted → approved; any rejected → rejected; else → needs_correction."""
    user = request_user(request)
    pr = _prereview_for(request, prereview_id)
    decisions = {f.id: (f.review, f.reason) for f in payload.files}
    prereview_services.prereview_review(prereview=pr, reviewer=user, decisions=decisions)
    return prereview_out(pr, user=user)


@router.post(
    "/affairs/prereviews/{int:prereview_id}/corrections",
    response=PreReviewOut,
    auth=require_user,
    summary="补正材料 Upload the flagged materials again",
    openapi_extra=CORRECTION_DOC,
)
@problems("not_found", "permission_denied", "prereview_invalid_transition", "file_invalid", "validation_error")
def prereview_correct(request: HttpRequest, prereview_id: int) -> dict[str, Any]:
    user = request_user(request)
    pr = _prereview_for(request, prereview_id)
    checked = prereview_services.files_check(_material_files(request))
    prereview_services.prereview_correct(prereview=pr, user=user, files=checked)
    return prereview_out(pr, user=user)
