"""The window queue's API: check-in, walk-in tickets, a ticket's state, calling the next number, the outcome, the
hall's recent calls, and the metrics. Thin: parse, check permission, call a service or selector. Every refusal is
`application/problem+json` with a stable code."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from ninja.responses import Status

from linli.affairs import selectors_queue as q
from linli.affairs.models import Counter, Item, QueueTicket
from linli.affairs.schemas_queue import (
    CallNextOut,
    HallOut,
    MetricsOut,
    OutcomeIn,
    QueueCheckInIn,
    QueueWalkInIn,
    TicketOut,
)
from linli.affairs.selectors_metrics import metrics_report
from linli.affairs.services import queue as queue_services
from linli.core.auth import request_user, require_user
from linli.core.errors import Problem, field_error
from linli.core.idempotency import idempotent
from linli.core.schemas import problems
from linli.core.selectors import require_role, street_get
from linli.places.models import Place

router = Router(tags=["affairs queue 取号排队"])


def ticket_to_dict(request: HttpRequest, ticket: QueueTicket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "kind": ticket.kind,
        "status": ticket.status,
        "day": ticket.day,
        "place": ticket.place_id,
        "item": ticket.item_id,
        "item_name": ticket.item.name if ticket.item_id and ticket.item else "",
        "counter": ticket.counter.number if ticket.counter_id and ticket.counter else None,
        "ahead": q.ticket_ahead(ticket),
        "checked_in_at": ticket.checked_in_at,
        "called_at": ticket.called_at,
        "finished_at": ticket.finished_at,
        "missing": list(ticket.missing or []),
        "referred_to": ticket.referred_to,
        "url": request.build_absolute_uri(reverse("affairs:ticket", args=[ticket.token])),
    }


def _centre(place_id: int) -> Place:
    place = q.centre_get(place_id)
    if place is None:
        raise Problem("not_found", errors=[field_error("place", _("没有这个社区事务受理服务中心"))])
    return place


@router.post("/affairs/queue/checkins", response={201: TicketOut}, auth=require_user, summary="签到取号 Check in")
@problems("not_found", "permission_denied", "ticket_code_invalid", "checkin_not_today", "checkin_wrong_centre",
          "appointment_invalid_transition")  # fmt: skip
def check_in(request: HttpRequest, payload: QueueCheckInIn) -> Status:
    """The kiosk (a clerk's device) checks an appointment in by its code or QR: its queue number, A012. Checking
    in again answers the same ticket."""
    place = _centre(payload.place)
    user = request_user(request)
    require_role(user, street=place.street, roles=queue_services.CLERK_ROLES)
    ticket = queue_services.ticket_check_in(place=place, code=payload.code, actor=user)
    return Status(201, ticket_to_dict(request, ticket))


@router.post("/affairs/queue/tickets", response={201: TicketOut}, auth=require_user, summary="现场取号 Walk-in")
@problems("not_found", "idempotency_key_reused", "rate_limited")
def walk_in(request: HttpRequest, payload: QueueWalkInIn) -> HttpResponse:
    """A walk-in ticket (W034) for the signed-in person. Send an `Idempotency-Key` so a retry never takes two."""
    place = _centre(payload.place)
    user = request_user(request)
    item = None
    if payload.item is not None:
        item = Item.objects.filter(pk=payload.item, street=place.street).first()
        if item is None:
            raise Problem("not_found", errors=[field_error("item", _("没有这个事项"))])

    def run() -> tuple[int, dict[str, Any]]:
        ticket = queue_services.ticket_walk_in(place=place, item=item, user=user)
        return 201, TicketOut(**ticket_to_dict(request, ticket)).model_dump(mode="json")

    return idempotent(request, scope="affairs.walk_in", run=run)


@router.get("/affairs/queue/tickets/{token}", response=TicketOut, summary="排队号状态 A ticket's state")
@problems("not_found")
def ticket_state(request: HttpRequest, token: str) -> dict[str, Any]:
    """Public by its secret address: the number, how many are ahead, the window once called."""
    ticket = q.ticket_by_token(token)
    if ticket is None:
        raise Problem("not_found")
    return ticket_to_dict(request, ticket)


def _counter(request: HttpRequest, counter_id: int) -> Counter:
    counter = Counter.objects.select_related("place", "street").filter(pk=counter_id).first()
    if counter is None:
        raise Problem("not_found")
    require_role(request_user(request), street=counter.street, roles=queue_services.CLERK_ROLES)
    return counter


@router.post("/affairs/counters/{int:counter_id}/call-next", response=CallNextOut, auth=require_user,
             summary="叫下一位 Call the next number")  # fmt: skip
@problems("not_found", "permission_denied", "counter_busy")
def call_next(request: HttpRequest, counter_id: int) -> dict[str, Any]:
    """The next number this window's clerk can handle (by their skills); the hall screen shows and says it."""
    counter = _counter(request, counter_id)
    user = request_user(request)
    queue_services.counter_sign_in(counter=counter, clerk=user)
    ticket = queue_services.ticket_call_next(counter=counter, clerk=user)
    return {"ticket": ticket_to_dict(request, ticket) if ticket else None}


@router.post("/affairs/queue/tickets/{int:ticket_id}/outcome", response=TicketOut, auth=require_user,
             summary="记录办理结果 Record the outcome")  # fmt: skip
@problems("not_found", "permission_denied", "ticket_invalid_transition", "appointment_invalid_transition")
def outcome(request: HttpRequest, ticket_id: int, payload: OutcomeIn) -> dict[str, Any]:
    """served, incomplete (with `missing`) or referred (with `referred_to`)."""
    ticket = (
        QueueTicket.objects.select_related("street", "appointment", "appointment__prereview", "item", "counter")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise Problem("not_found")
    ticket = queue_services.ticket_finish(
        ticket=ticket,
        clerk=request_user(request),
        outcome=payload.outcome,
        missing=payload.missing,
        referred_to=payload.referred_to,
        note=payload.note,
    )
    return ticket_to_dict(request, ticket)


@router.get("/affairs/centres/{int:place_id}/hall", response=HallOut, summary="大厅叫号 Recent calls")
@problems("not_found")
def hall_calls(request: HttpRequest, place_id: int) -> dict[str, Any]:
    """What the hall screen shows: the latest calls today (numbers and windows, no names) and the waiting count."""
    place = _centre(place_id)
    return {
        "place": place.pk,
        "waiting": q.waiting_tickets(place).count(),
        "calls": [
            {"number": c.ticket.number, "counter": c.counter.number, "at": c.at, "recall": c.recall}
            for c in q.recent_calls(place)
        ],
    }


@router.get("/affairs/metrics", response=MetricsOut, auth=require_user, summary="事务中心数据 Metrics")
@problems("unknown_street", "permission_denied", "not_found")
def metrics(
    request: HttpRequest,
    street: str,
    place: int | None = None,
    date_from: date | None = Query(None, alias="from"),
    date_to: date | None = Query(None, alias="to", description="inclusive"),
) -> dict[str, Any]:
    """Per street (or one centre): appointments, walk-ins, waiting p50/p90, service time, first-time completion,
    trips saved by pre-review, no-shows, remote sessions; in total and per day (at most a year)."""
    the_street = street_get(code=street)
    require_role(request_user(request), street=the_street, roles=queue_services.HEAD_ROLES)
    centre = None
    if place is not None:
        centre = q.centre_get(place)
        if centre is None or centre.street_id != the_street.pk:
            raise Problem("not_found", errors=[field_error("place", _("没有这个社区事务受理服务中心"))])
    end = date_to or timezone.localdate()
    start = date_from or end - timedelta(days=13)
    if start > end or (end - start).days > 365:
        raise Problem("validation_error", errors=[field_error("from", _("日期范围须在一年之内，且开始不晚于结束"))])
    report = metrics_report(street=the_street, start=start, end=end, place=centre)
    return {
        "street": the_street.code,
        "place": centre.pk if centre else None,
        "start": start,
        "end": end,
        "total": report.total,
        "daily": report.daily,
    }
