"""Calendar feeds (RFC 5545), check-in, walk-ins, no-shows and attendance exports. Thin: parse, call, return."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema

from linli.activities import calendar, exports
from linli.activities.schemas import DeskBookingOut, NoShowsOut
from linli.activities.selectors import activity_get_for_staff, booking_get_for_user, booking_to_dict
from linli.activities.services.checkin import activity_mark_no_shows, booking_check_in, walk_in_create
from linli.core.auth import request_user, require_user
from linli.core.db import replica_reads
from linli.core.downloads import CSV_TYPE, XLSX_TYPE, attachment_response, ics_response
from linli.core.errors import Problem
from linli.core.idempotency import idempotent
from linli.core.schemas import file_answer, problems
from linli.core.selectors import street_get
from linli.places.selectors import place_get

if TYPE_CHECKING:
    pass

router = Router(tags=["calendars and check-in 日历与签到"])


@router.get(
    "/places/{place_id}/activities.ics",
    summary="场地活动日历 iCalendar feed of a venue",
    openapi_extra=file_answer("text/calendar", "An iCalendar (RFC 5545) file"),
)
@problems("not_found")
def place_feed(request: HttpRequest, place_id: int) -> HttpResponse:
    place = place_get(place_id=place_id)
    body = calendar.activities_to_ics(activities=calendar.calendar_activities(place=place), name=f"{place.name} 活动")
    return ics_response(body, filename=f"place-{place.pk}.ics")


@router.get(
    "/streets/{code}/activities.ics",
    summary="街道活动日历 iCalendar feed of a street",
    openapi_extra=file_answer("text/calendar", "An iCalendar (RFC 5545) file"),
)
@problems("unknown_street")
def street_feed(request: HttpRequest, code: str) -> HttpResponse:
    street = street_get(code=code)
    body = calendar.activities_to_ics(
        activities=calendar.calendar_activities(street=street), name=f"{street.name} 活动"
    )
    return ics_response(body, filename=f"street-{street.code}.ics")


@router.get(
    "/bookings/{booking_id}.ics",
    auth=require_user,
    summary="单个预约的日历 one booking as iCalendar",
    openapi_extra=file_answer("text/calendar", "An iCalendar (RFC 5545) file"),
)
@problems("not_found")
def booking_ics(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = booking_get_for_user(booking_id=booking_id, user=request_user(request))
    if booking.user_id != request_user(request).pk:  # staff may see it, but the calendar is the booker's own
        raise Problem("not_found", detail=_("找不到该预约"))
    return ics_response(
        calendar.booking_to_ics(booking), filename=f"booking-{booking.pk}.ics", attachment=True, private=True
    )


class CheckInIn(Schema):
    payload: str | None = None
    code: str | None = None


class WalkInIn(Schema):
    phone: str
    display_name: str = ""


@router.post(
    "/activities/{activity_id}/checkins",
    response=DeskBookingOut,
    auth=require_user,
    summary="签到 check a booking in (staff)",
)
@problems("not_found", "permission_denied", "checkin_invalid")
def check_in(request: HttpRequest, activity_id: int, data: CheckInIn) -> dict:
    activity = activity_get_for_staff(activity_id=activity_id, actor=request_user(request))
    booking = booking_check_in(activity=activity, actor=request_user(request), payload=data.payload, code=data.code)
    body = booking_to_dict(booking, with_activity=False)
    body["name"] = booking.user.display_name
    body["already_checked_in"] = getattr(booking, "already_checked_in", False)
    return body


@router.post(
    "/activities/{activity_id}/walk-ins",
    response={201: DeskBookingOut},
    auth=require_user,
    summary="现场登记 add a walk-in (staff)",
)
@problems(
    "idempotency_key_reused",
    "not_found",
    "permission_denied",
    "invalid_phone",
    "activity_full",
    "already_booked",
    "booking_closed",
)
def walk_in(request: HttpRequest, activity_id: int, data: WalkInIn) -> HttpResponse:
    activity = activity_get_for_staff(activity_id=activity_id, actor=request_user(request))

    def run() -> tuple[int, dict]:
        booking = walk_in_create(
            activity=activity, actor=request_user(request), phone=data.phone, display_name=data.display_name
        )
        return 201, booking_to_dict(booking, with_activity=False)

    return idempotent(request, scope=f"walk_in:{activity.pk}", run=run)


@router.post(
    "/activities/{activity_id}/no-shows",
    response=NoShowsOut,
    auth=require_user,
    summary="登记未到 mark no-shows (staff)",
)
@problems("not_found", "permission_denied")
def no_shows(request: HttpRequest, activity_id: int) -> dict:
    activity = activity_get_for_staff(activity_id=activity_id, actor=request_user(request))
    return {"marked": activity_mark_no_shows(activity=activity, actor=request_user(request))}


@router.get(
    "/activities/{activity_id}/attendance.csv",
    auth=require_user,
    summary="签到名单 CSV attendance",
    openapi_extra=file_answer("text/csv", "The attendance list as CSV (UTF-8 with a BOM, for Excel)"),
)
@problems("not_found", "permission_denied")
@replica_reads()  # an export/report: may read a replica (linli.core.db)
def attendance_csv(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = activity_get_for_staff(activity_id=activity_id, actor=request_user(request))
    body = exports.attendance_csv(activity=activity, actor=request_user(request))
    return attachment_response(
        body, content_type=CSV_TYPE, ascii_name=f"attendance-{activity.pk}.csv", name=f"签到名单-{activity.title}.csv"
    )


@router.get(
    "/activities/{activity_id}/attendance.xlsx",
    auth=require_user,
    summary="签到名单 Excel attendance",
    openapi_extra=file_answer(XLSX_TYPE, "The attendance list as an Excel workbook"),
)
@problems("not_found", "permission_denied")
@replica_reads()  # an export/report: may read a replica (linli.core.db)
def attendance_xlsx(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = activity_get_for_staff(activity_id=activity_id, actor=request_user(request))
    body = exports.attendance_xlsx(activity=activity, actor=request_user(request))
    return attachment_response(
        body,
        content_type=XLSX_TYPE,
        ascii_name=f"attendance-{activity.pk}.xlsx",
        name=f"签到名单-{activity.title}.xlsx",
    )
