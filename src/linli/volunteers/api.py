"""Volunteers API: shifts and sign-ups (Idempotency-Key), check-in by the station's code, my hours, the service
menu and claims. Thin: parse, check permission, call a service or selector, return."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router

from linli.core.auth import request_user, require_user
from linli.core.errors import Problem, field_error
from linli.core.idempotency import idempotent
from linli.core.models import Street
from linli.core.schemas import problems
from linli.core.selectors import street_get
from linli.volunteers import selectors
from linli.volunteers.models import Claim, ServiceItem, Shift, Signup, Station, Team, Volunteer
from linli.volunteers.schemas import (
    CheckinIn,
    ClaimIn,
    ClaimOut,
    HoursOut,
    ItemOut,
    ReportIn,
    ShiftOut,
    SignupIn,
    SignupOut,
    VerifyIn,
)
from linli.volunteers.services import menu, shifts
from linli.volunteers.services.profiles import is_station_staff

SH = ZoneInfo("Asia/Shanghai")
router = Router(tags=["volunteers 志愿服务"])


def shift_out(s: Shift) -> dict[str, Any]:
    return {
        "id": s.pk, "station": s.station_id, "station_name": s.station.name, "kind": s.kind, "title": s.title,
        "start": s.start, "end": s.end, "places": s.places, "taken": s.taken, "free": max(0, s.places - s.taken),
        "skills": list(s.skills or []),
    }  # fmt: skip


def signup_out(s: Signup) -> dict[str, Any]:
    return {
        "id": s.pk, "shift": s.shift_id, "volunteer": s.volunteer_id, "status": s.status,
        "checked_in_at": s.checked_in_at, "checked_out_at": s.checked_out_at, "minutes": s.minutes,
    }  # fmt: skip


def item_out(i: ServiceItem) -> dict[str, Any]:
    return {
        "id": i.pk, "station": i.station_id, "station_name": i.station.name, "title": i.title,
        "description": i.description, "date": i.date, "people_needed": i.people_needed, "claimed": i.claimed,
        "coverage": i.coverage, "capacity": i.capacity, "status": i.status, "skills": list(i.skills or []),
    }  # fmt: skip


def claim_out(c: Claim) -> dict[str, Any]:
    return {
        "id": c.pk, "item": c.item_id, "team": c.team_id, "volunteer": c.volunteer_id, "people": c.people,
        "status": c.status, "served": c.served, "minutes": c.minutes,
    }  # fmt: skip


def _day(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise Problem("validation_error", errors=[field_error(name, _("日期格式应为 YYYY-MM-DD"))]) from None
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=SH)


@router.get(
    "/volunteer/shifts", response=list[ShiftOut], auth=require_user, summary="班次 Shifts of a station or street"
)
@problems("not_found", "unknown_street")
def shifts_list(
    request: HttpRequest,
    station: int | None = Query(None, description="a station's id"),
    street: str | None = Query(None, description="a street's code (when no station is given)"),
    from_: str | None = Query(None, alias="from", description="YYYY-MM-DD, default today"),
    to: str | None = Query(None, description="YYYY-MM-DD (exclusive), default 14 days after `from`"),
) -> list[dict[str, Any]]:
    """Published shifts with their free places. 驿站或街道的班次与剩余名额。"""
    start = _day(from_, "from") or dt.datetime.combine(dt.date.today(), dt.time(0, 0), tzinfo=SH)
    end = _day(to, "to") or start + dt.timedelta(days=14)
    if end <= start or end - start > dt.timedelta(days=93):
        raise Problem("validation_error", errors=[field_error("to", _("日期范围不正确（最长93天）"))])
    target_station: Station | None = None
    target_street: Street | None = None
    if station is not None:
        target_station = Station.objects.select_related("street").filter(pk=station).first()
        if target_station is None:
            raise Problem("not_found")
    elif street:
        target_street = street_get(code=street)
    else:
        user = request_user(request)
        mine = selectors.volunteer_of(user)
        if mine is None:
            raise Problem("validation_error", errors=[field_error("station", _("请指定驿站或街道"))])
        target_street = mine.street
    qs = selectors.shifts_between(street=target_street, station=target_station, start=start, end=end)
    return [shift_out(s) for s in qs[:500]]


@router.post(
    "/volunteer/shifts/{shift_id}/signups", response={201: SignupOut}, auth=require_user,
    summary="报名班次 Sign up for a shift",
)  # fmt: skip
@problems("shift_full", "already_signed_up", "skills_missing", "overlaps", "shift_closed", "not_found",
          "volunteer_not_registered", "permission_denied", "idempotency_key_reused")  # fmt: skip
def signup_create(request: HttpRequest, shift_id: int, payload: SignupIn | None = None) -> HttpResponse:
    """Take a place on a shift. Never more sign-ups than places, under any concurrency. Send an
    `Idempotency-Key`: a retry never signs up twice. 报名：名额不超卖；带 Idempotency-Key 重试不会重复报名。"""
    user = request_user(request)

    def run() -> tuple[int, dict[str, Any]]:
        shift = Shift.objects.select_related("station__street").filter(pk=shift_id).first()
        if shift is None:
            raise Problem("not_found")
        if payload is not None and payload.volunteer_id is not None:
            if not is_station_staff(user, shift.station.street):
                raise Problem("permission_denied")
            volunteer = Volunteer.objects.filter(pk=payload.volunteer_id, street=shift.station.street).first()
        else:
            volunteer = selectors.volunteer_of(user, shift.station.street_id)
        if volunteer is None:
            raise Problem("volunteer_not_registered")
        return 201, signup_out(shifts.signup_create(shift=shift.pk, volunteer=volunteer))

    return idempotent(request, scope=f"volunteer_signup:{shift_id}", run=run)


@router.post(
    "/volunteer/checkins",
    response=SignupOut,
    auth=require_user,
    summary="扫码签到签退 Check in or out by the station's QR",
)
@problems("station_code_invalid", "station_code_stale", "no_shift_now", "volunteer_not_registered",
          "signup_invalid_transition")  # fmt: skip
def checkin(request: HttpRequest, payload: CheckinIn) -> dict[str, Any]:
    """The volunteer scanned the station's rotating code: checked in to the shift there, or out if already in.
    A code older than one window (30 s) is `station_code_stale`; a forged one `station_code_invalid`."""
    return signup_out(shifts.signup_check_in_by_code(token=payload.token, user=request_user(request)))


@router.post(
    "/volunteer/signups/{signup_id}/verify", response=SignupOut, auth=require_user, summary="核定时长 Verify hours"
)
@problems("not_found", "permission_denied", "signup_invalid_transition")
def signup_verify(request: HttpRequest, signup_id: int, payload: VerifyIn) -> dict[str, Any]:
    """Station staff verify a sign-up's hours; the volunteer's time bank is credited once."""
    user = request_user(request)
    signup = Signup.objects.select_related("shift__station__street", "volunteer").filter(pk=signup_id).first()
    if signup is None or signup.shift.station.street_id not in selectors.staff_street_ids(user):
        raise Problem("not_found")
    return signup_out(shifts.signup_verify(signup=signup, actor=user, minutes=payload.minutes))


@router.delete("/volunteer/signups/{signup_id}", response=SignupOut, auth=require_user, summary="退出班次 Drop a shift")
@problems("not_found", "drop_deadline_passed", "signup_invalid_transition", "permission_denied")
def signup_drop(request: HttpRequest, signup_id: int) -> dict[str, Any]:
    user = request_user(request)
    signup = Signup.objects.select_related("shift__station__street", "volunteer").filter(pk=signup_id).first()
    if signup is None or (
        signup.volunteer.user_id != user.pk and signup.shift.station.street_id not in selectors.staff_street_ids(user)
    ):
        raise Problem("not_found")
    return signup_out(shifts.signup_drop(signup=signup, actor=user))


@router.get("/volunteer/me/hours", response=HoursOut, auth=require_user, summary="我的时长 My hours and time bank")
@problems("volunteer_not_registered", "unknown_street")
def my_hours(request: HttpRequest, street: str | None = Query(None, description="a street's code")) -> dict[str, Any]:
    """Verified hours (total and this year), the time-bank balance, badges (50, 100, 500 h) and recent entries."""
    user = request_user(request)
    volunteer = selectors.volunteer_of(user, street_get(code=street) if street else None)
    if volunteer is None:
        raise Problem("volunteer_not_registered")
    return selectors.hours_summary(volunteer)


@router.get("/service-menu", response=list[ItemOut], summary="服务菜单 A street's service menu")
@problems("unknown_street")
def service_menu(request: HttpRequest, street: str = Query(..., description="a street's code")) -> list[dict[str, Any]]:
    """The stations' service items (open data) with how much of each is claimed: none / partial / complete."""
    return [item_out(i) for i in selectors.service_menu(street=street_get(code=street))[:300]]


@router.post(
    "/service-menu/{item_id}/claims", response={201: ClaimOut}, auth=require_user, summary="接单 Claim a service item"
)
@problems("not_found", "item_fully_claimed", "item_closed", "team_not_verified", "volunteer_not_registered",
          "permission_denied", "idempotency_key_reused")  # fmt: skip
def claim_create(request: HttpRequest, item_id: int, payload: ClaimIn) -> HttpResponse:
    """A verified team or enterprise (`team_id`, for its managers) or a volunteer takes the order for some of the
    people the item needs. Never more people than needed. Send an `Idempotency-Key`."""
    user = request_user(request)

    def run() -> tuple[int, dict[str, Any]]:
        team = None
        if payload.team_id is not None:
            team = Team.objects.filter(pk=payload.team_id).first()
            if team is None:
                raise Problem("not_found")
        return 201, claim_out(menu.claim_create(item=item_id, user=user, people=payload.people, team=team))

    return idempotent(request, scope=f"volunteer_claim:{item_id}", run=run)


@router.post(
    "/service-menu/claims/{claim_id}/report", response=ClaimOut, auth=require_user, summary="上报 Report a delivery"
)
@problems("not_found", "permission_denied", "claim_invalid_transition")
def claim_report(request: HttpRequest, claim_id: int, payload: ReportIn) -> dict[str, Any]:
    """The claimant reports the residents served and the hours given. Photos are uploaded with the report on the
    claim page (`/volunteer/menu/`), where they are checked and re-encoded without metadata."""
    user = request_user(request)
    claim = Claim.objects.select_related("item__station__street", "team", "volunteer").filter(pk=claim_id).first()
    if claim is None:
        raise Problem("not_found")
    return claim_out(
        menu.claim_report(
            claim=claim,
            actor=user,
            served=payload.served,
            minutes=payload.minutes,
            report=payload.report,
        )  # fmt: skip
    )
