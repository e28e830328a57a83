"""Activities API: this month's list, detail, one-tap booking (idempotent), cancel, my bookings, staff writes.
Thin: parse, check permission, call a selector or service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from ninja.responses import Status

from linli.activities import selectors
from linli.activities.schemas import (
    ActivityIn,
    ActivityOut,
    ActivityPage,
    ActivityPatch,
    BookingCreated,
    BookingOut,
    BookingStaffOut,
    CancelIn,
    CancelOut,
    PingOut,
)
from linli.activities.services import activities as activity_services
from linli.activities.services import bookings as booking_services
from linli.core.auth import request_user, require_user
from linli.core.errors import Problem, field_error
from linli.core.idempotency import idempotent
from linli.core.schemas import problems
from linli.core.selectors import street_get
from linli.places.models import Place

router = Router(tags=["activities 活动"])


@router.get("/ping", summary="连通性检查 Ping (no database)", response=PingOut)
def ping(request: HttpRequest) -> dict[str, bool]:
    """The trivial endpoint benchmarks use as their baseline."""
    return {"pong": True}


@router.get("/activities", response=ActivityPage, summary="活动列表 List activities")
@problems("unknown_street")
def list_activities(
    request: HttpRequest,
    street: str | None = None,
    place: int | None = None,
    month: str | None = Query(None, description="YYYY-MM (Shanghai time)"),
    category: str | None = None,
    q: str | None = Query(None, max_length=100),
    date_from: dt.date | None = None,
    date_to: dt.date | None = Query(None, description="inclusive"),
    page: int = Query(1, ge=1),
    page_size: int = Query(20, ge=1, le=100),
) -> dict[str, Any]:
    """Published activities ordered by start, e.g. this month's at a venue: `?place=12&month=2026-11`.
    本月活动：可按街道、场所、月份、类别、关键词筛选。"""
    qs = selectors.activity_list(
        street=street or None,
        place=place,
        month=month or None,
        category=category or None,
        q=q,
        date_from=date_from,
        date_to=date_to,
    )
    count = qs.count()
    start = (page - 1) * page_size
    items = [selectors.activity_to_dict(a) for a in qs[start : start + page_size]]
    return {"items": items, "count": count, "page": page, "page_size": page_size}


@router.get("/activities/{int:activity_id}", response=ActivityOut, summary="活动详情 An activity")
@problems("not_found")
def get_activity(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    return selectors.activity_to_dict(selectors.activity_get(activity_id=activity_id))


@router.post(
    "/activities/{int:activity_id}/bookings",
    response={201: BookingCreated},
    auth=require_user,
    summary="一键预约 Book an activity",
)
@problems(
    "idempotency_key_reused",
    "not_found",
    "activity_full",
    "already_booked",
    "booking_closed",
    "audience_mismatch",
    "booking_limit_reached",
)
def book_activity(request: HttpRequest, activity_id: int) -> HttpResponse:
    """Book a seat, or a place on the waiting list when the seats are gone. Send an `Idempotency-Key` header so a
    retry never books twice (the retry gets the same answer, with `Idempotent-Replayed: true`). Problems:
    `activity_full`, `already_booked`, `booking_closed`, `audience_mismatch`, `booking_limit_reached`."""
    user = request_user(request)

    def run() -> tuple[int, dict[str, Any]]:
        activity = selectors.activity_get_for_booking(activity_id=activity_id)
        booking = booking_services.booking_create(activity=activity, user=user)
        return 201, {
            "booking_id": booking.pk,
            "status": booking.status,
            "code": booking.code,
            "waitlist_position": selectors.waitlist_position(booking),
        }

    return idempotent(request, scope=f"booking:{activity_id}", run=run)


@router.delete("/bookings/{int:booking_id}", response=BookingOut, auth=require_user, summary="取消预约 Cancel")
@problems("not_found", "permission_denied", "cancel_deadline_passed", "booking_invalid_transition")
def cancel_booking(request: HttpRequest, booking_id: int, reason: str = Query("", max_length=300)) -> dict[str, Any]:
    """The booker cancels before the cancellation deadline; the street's staff at any time. The first person on
    the waiting list is confirmed at once and told by SMS."""
    user = request_user(request)
    booking = selectors.booking_get_for_user(booking_id=booking_id, user=user)
    booking_services.booking_cancel(booking=booking, actor=user, reason=reason)
    booking.activity.refresh_from_db(fields=["booked", "waitlisted"])
    return selectors.booking_to_dict(booking)


@router.get("/me/bookings", response=list[BookingOut], auth=require_user, summary="我的预约 My bookings")
def my_bookings(
    request: HttpRequest,
    upcoming: bool = False,
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=100),
) -> list[dict[str, Any]]:
    """Soonest activity first, `page_size` a page (`upcoming=true`: only live bookings of activities not yet over)."""
    start = (page - 1) * page_size
    qs = selectors.booking_list_for_user(user=request_user(request), upcoming_only=upcoming)
    return [selectors.booking_to_dict(b) for b in qs[start : start + page_size]]


@router.get("/bookings/{int:booking_id}", response=BookingOut, auth=require_user, summary="预约详情 A booking")
@problems("not_found")
def get_booking(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    return selectors.booking_to_dict(selectors.booking_get_for_user(booking_id=booking_id, user=request_user(request)))


# ---------------------------------------------------------------------------------------------- staff


def _place(place_id: int) -> Place:
    place = Place.objects.filter(pk=place_id).first()
    if place is None:
        raise Problem("validation_error", errors=[field_error("place_id", _("没有这个地点"))])
    return place


@router.post("/activities", response={201: ActivityOut}, auth=require_user, summary="新建活动 Create an activity")
@problems("unknown_street", "permission_denied")
def create_activity(request: HttpRequest, payload: ActivityIn) -> Status:
    street = street_get(code=payload.street)
    data = payload.dict()
    data.pop("street")
    data["place"] = _place(data.pop("place_id"))
    activity = activity_services.activity_create(street=street, actor=request_user(request), **data)
    return Status(201, selectors.activity_to_dict(activity))


@router.patch("/activities/{int:activity_id}", response=ActivityOut, auth=require_user, summary="修改活动 Edit")
@problems("not_found", "permission_denied")
def update_activity(request: HttpRequest, activity_id: int, payload: ActivityPatch) -> dict[str, Any]:
    """Change an activity. A new time or venue is sent by SMS to everyone booked; more seats confirm waitlisted
    people in order; capacity cannot go below the seats already booked."""
    activity = selectors.activity_get_for_staff(activity_id=activity_id, actor=request_user(request))
    changes = payload.dict(exclude_unset=True)
    if "place_id" in changes:
        place_id = changes.pop("place_id")
        if place_id is None:
            raise Problem("validation_error", errors=[field_error("place_id", _("请选择活动地点"))])
        changes["place"] = _place(place_id)
    activity = activity_services.activity_update(activity=activity, actor=request_user(request), **changes)
    return selectors.activity_to_dict(selectors.activity_get(activity_id=activity.pk, include_unpublished=True))


@router.post(
    "/activities/{int:activity_id}/publish", response=ActivityOut, auth=require_user, summary="发布活动 Publish"
)
@problems("not_found", "permission_denied")
def publish_activity(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    activity = selectors.activity_get_for_staff(activity_id=activity_id, actor=request_user(request))
    activity_services.activity_publish(activity=activity, actor=request_user(request))
    return selectors.activity_to_dict(selectors.activity_get(activity_id=activity.pk, include_unpublished=True))


@router.post(
    "/activities/{int:activity_id}/cancel", response=CancelOut, auth=require_user, summary="取消活动 Cancel activity"
)
@problems("not_found", "permission_denied")
def cancel_activity(request: HttpRequest, activity_id: int, payload: CancelIn) -> dict[str, Any]:
    """Cancel the activity and every booking of it; everyone booked or waiting is told by SMS, with `message`."""
    activity = selectors.activity_get_for_staff(activity_id=activity_id, actor=request_user(request))
    told = activity_services.activity_cancel(activity=activity, actor=request_user(request), message=payload.message)
    fresh = selectors.activity_get(activity_id=activity.pk, include_unpublished=True)
    return {"activity": selectors.activity_to_dict(fresh), "told": told}


@router.get(
    "/activities/{int:activity_id}/bookings",
    response=list[BookingStaffOut],
    auth=require_user,
    summary="预约名单 Who booked (staff)",
)
@problems("not_found", "permission_denied")
def list_activity_bookings(request: HttpRequest, activity_id: int) -> list[dict[str, Any]]:
    """Staff of the activity's street only; phone numbers are masked (PIPL)."""
    activity = selectors.activity_get(activity_id=activity_id, include_unpublished=True)
    return [
        selectors.booking_to_staff_dict(b)
        for b in selectors.activity_bookings(activity=activity, actor=request_user(request))
    ]
