"""Care API: calls (from call devices with their token, the resident's phone, staff at the hotline), the
responders' moves, the register (masked rows; every staff read audit-logged), check-ins and 8-hour requests.
Thin: parse, check permission (selectors), call a service, return."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Router

from linli.care import selectors
from linli.care.models import CallDevice, CallSource, CheckIn, CheckInSource, Person, VisitRequest
from linli.care.schemas import (
    CallIn,
    CallMoveIn,
    CallOut,
    CareCheckInIn,
    CheckInOut,
    PersonRowOut,
    VisitRequestIn,
    VisitRequestOut,
)
from linli.care.services import calls as call_services
from linli.care.services import checks, register, visits
from linli.care.services.push import call_summary, summary_of
from linli.core import ratelimit
from linli.core.auth import request_user, require_user
from linli.core.errors import Problem
from linli.core.idempotency import idempotent
from linli.core.models import Committee, User
from linli.core.schemas import problems
from linli.core.selectors import street_get

router = Router(tags=["care 关爱"])

CALLS_PER_10_MIN = 20  # per person or device: a stuck button must not flood the responders


class DeviceAuth:
    """A call device's token in `X-Device-Token`; without the header the next auth (the user) is tried."""

    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = "X-Device-Token"

    def __call__(self, request: HttpRequest) -> Any:
        raw = request.headers.get("X-Device-Token")
        if not raw:
            return None
        return register.device_for_token(raw)


device_auth = DeviceAuth()


def _limit(key: str) -> None:
    allowed, retry = ratelimit.hit(f"care:call:{key}", CALLS_PER_10_MIN, 600)
    if not allowed:
        raise Problem("rate_limited", detail=_("呼叫太频繁，请稍后再试"), extra={"retry_after": retry})


def _person_for(user: User, person_id: int | None) -> Person:
    if person_id is None:
        person = selectors.person_of_user(user)
        if person is None:
            raise Problem("care_not_registered")
        return person
    return selectors.person_for_staff(user=user, person_id=person_id)


@router.post(
    "/care/calls",
    response={201: CallOut},
    auth=[device_auth, require_user],
    summary="呼叫居委 A call for help (device, phone, hotline)",
)
@problems("care_device_invalid", "care_not_registered", "invalid_phone", "rate_limited", "idempotency_key_reused",
          "permission_denied")  # fmt: skip
def create_call(request: HttpRequest, payload: CallIn) -> HttpResponse:
    """A call device sends its token in `X-Device-Token` (the call is its person's); a signed-in registered
    resident calls for themself; care staff taking a hotline call name `person_id` (or `committee_id` for a
    caller not on the register). The call is stored before anyone is told, then pushed to every responder on
    duty of the committee (SMS when the push fails). Send an `Idempotency-Key`: a retry never calls twice."""
    auth = request.auth  # type: ignore[attr-defined]
    if isinstance(auth, CallDevice):
        _limit(f"device:{auth.pk}")
        register.device_seen(device=auth)
        call = call_services.call_create(
            kind=payload.kind, source=CallSource.DEVICE, person=auth.person, note=payload.note
        )
        return _created(call)
    user = request_user(request)

    def run() -> tuple[int, dict[str, Any]]:
        if payload.person_id is None and payload.committee_id is None:
            person = _person_for(user, None)
            _limit(f"user:{user.pk}")
            call = call_services.call_create(kind=payload.kind, source=CallSource.BUTTON, person=person, actor=user,
                                             note=payload.note)  # fmt: skip
        else:
            committee = None
            person = None
            if payload.person_id is not None:
                person = selectors.person_for_staff(user=user, person_id=payload.person_id)
            else:
                committee = Committee.objects.select_related("street").filter(pk=payload.committee_id or 0).first()
                if committee is None:
                    raise Problem("not_found")
                selectors.care_require(user, street=committee.street)
            call = call_services.call_create(
                kind=payload.kind, source=CallSource.HOTLINE, person=person, committee=committee, actor=user,
                caller_phone=payload.caller_phone, address_given=payload.address_given, note=payload.note,
            )  # fmt: skip
        return 201, summary_of(call)

    return idempotent(request, scope="care_call", run=run)


def _created(call: Any) -> HttpResponse:
    return HttpResponse(json.dumps(summary_of(call), ensure_ascii=False), status=201, content_type="application/json")


@router.post("/care/calls/{int:call_id}/moves", response=CallOut, auth=require_user, summary="响应呼叫 Move a call")
@problems("not_found", "care_call_invalid_transition", "permission_denied")
def move_call(request: HttpRequest, call_id: int, payload: CallMoveIn) -> dict[str, Any]:
    """acknowledge · on_the_way · arrive · actions (called_120, family_told, doctor_told) · close (with outcome)."""
    user = request_user(request)
    call = selectors.call_for_staff(user=user, call_id=call_id)
    if payload.move == "acknowledge":
        call_services.call_acknowledge(call=call, actor=user)
    elif payload.move == "on_the_way":
        call_services.call_on_the_way(call=call, actor=user)
    elif payload.move == "arrive":
        call_services.call_arrive(call=call, actor=user)
    elif payload.move == "actions":
        call_services.call_actions_add(call=call, actor=user, actions=payload.actions, note=payload.note)
    else:
        call_services.call_close(call=call, actor=user, outcome=payload.outcome)
    call.refresh_from_db()
    return call_summary(call)


@router.get("/care/calls", response=list[CallOut], auth=require_user, summary="进行中的呼叫 Open calls (care staff)")
@problems("unknown_street", "permission_denied")
def open_calls(request: HttpRequest, street: str) -> list[dict[str, Any]]:
    user = request_user(request)
    st = street_get(code=street)
    selectors.care_require(user, street=st)
    return [call_summary(c) for c in selectors.calls_open(street=st)]


@router.get("/care/people", response=list[PersonRowOut], auth=require_user, summary="关爱名册 The register (masked)")
@problems("unknown_street", "permission_denied")
def people(request: HttpRequest, street: str, q: str = "") -> list[dict[str, Any]]:
    """Care roles only (a grid worker without one gets 403); phones and ID numbers masked; the read is audited."""
    user = request_user(request)
    st = street_get(code=street)
    selectors.care_require(user, street=st)
    rows = [selectors.person_row(p) for p in selectors.person_list(street=st, q=q[:50])]
    register.register_list_audit(actor=user, street=st, count=len(rows))
    return rows


@router.post("/care/checkins", response={201: CheckInOut}, auth=[device_auth, require_user],
             summary="报平安 A check-in (我很好, device heartbeat, staff visit)")  # fmt: skip
@problems("care_device_invalid", "care_not_registered", "permission_denied")
def create_checkin(request: HttpRequest, payload: CareCheckInIn) -> tuple[int, dict[str, Any]]:
    auth = request.auth  # type: ignore[attr-defined]
    if isinstance(auth, CallDevice):
        register.device_seen(device=auth)
        checkin: CheckIn = checks.checkin_record(person=auth.person, source=CheckInSource.DEVICE)
    else:
        user = request_user(request)
        person = _person_for(user, payload.person_id)
        source = CheckInSource.TAP if payload.person_id is None else payload.source
        checkin = checks.checkin_record(person=person, source=source, by=user)
    return 201, {
        "id": checkin.pk,
        "person_id": checkin.person_id,
        "at": checkin.at.isoformat(),
        "source": checkin.source,
    }


@router.post("/care/visit-requests", response={201: VisitRequestOut}, auth=require_user,
             summary="上门特办 A door-to-door request (8 hours)")  # fmt: skip
@problems("care_not_registered", "permission_denied")
def create_visit_request(request: HttpRequest, payload: VisitRequestIn) -> tuple[int, dict[str, Any]]:
    user = request_user(request)
    person = _person_for(user, payload.person_id)
    visit: VisitRequest = visits.visit_request_create(person=person, what=payload.what, item_ref=payload.item_ref,
                                                      requested_by=user)  # fmt: skip
    return 201, {"id": visit.pk, "person_id": person.pk, "what": visit.what, "status": visit.status,
                 "created_at": visit.created_at.isoformat(), "due_at": visit.due_at.isoformat()}  # fmt: skip
