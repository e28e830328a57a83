"""The window queue (取号排队): check-in by the appointment's QR or code (A012), walk-in tickets (W034), a window
calling the next number its clerk can handle, and the outcome the clerk records.

Numbers restart every morning per centre and kind: `TicketSequence` holds the last one, bumped by one UPDATE
under the row's lock, so two kiosks never print the same number. Calling the next number is a conditional move
(`waiting → called` only if still waiting, linli.core.transitions): two windows pressing "call next" at once get
two different tickets, never the same one.

What the queue offers a window: the waiting tickets of its centre today whose item the signed-in clerk has a skill
for (`StaffSkill`; a clerk with none is offered everything, and a ticket without an item goes to anyone), in
this order: appointments due within `APPOINTMENT_PRIORITY` of their slot first (a booked time is a promise), then
everyone by check-in time.

After each commit the centre's hall screens and ticket pages hear of it over the channel layer
(`affairs.hall.<place id>`): `hall.call` (a number called to a window, said aloud by the screen) and
`queue.changed` (the waiting count moved).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.affairs.models import (
    Appointment,
    AppointmentStatus,
    Counter,
    HallCall,
    Item,
    PreReviewStatus,
    QueueTicket,
    QueueTicketEvent,
    ResourceKind,
    StaffSkill,
    TicketKind,
    TicketSequence,
    TicketStatus,
)
from linli.affairs.services import ticket_states
from linli.affairs.services.appointment_states import MACHINE as APPOINTMENT_MACHINE
from linli.affairs.services.appointments import appointment_code_from_qr
from linli.affairs.services.prereview_states import MACHINE as PREREVIEW_MACHINE
from linli.core.errors import Problem, field_error
from linli.core.hooks import change_announce
from linli.core.models import Role, Street, User
from linli.core.selectors import require_role
from linli.core.services import audit_log
from linli.places.models import Place, PlaceKind

logger = logging.getLogger("linli.affairs.queue")

CLERK_ROLES = (Role.ADMIN, Role.STATION_STAFF)  # window clerks and the front desk
HEAD_ROLES = (Role.ADMIN,)  # the centre's head: metrics, skills
APPOINTMENT_PRIORITY = timedelta(minutes=15)
CHECKIN_EARLY = timedelta(hours=2)  # an appointment may be checked in from two hours before its slot
TS = TicketStatus

_CODE_IN_TEXT = re.compile(r"(?:code=|/)([A-Za-z0-9]{4,12})/?$")


# ------------------------------------------------------------------------------------------------ push


def hall_group(place_id: int) -> str:
    return f"affairs.hall.{place_id}"


def _push(place_id: int, message: dict[str, Any]) -> None:
    """After commit, tell the centre's hall screens and ticket pages (a failing channel layer is logged only)."""

    def send() -> None:
        try:
            layer = get_channel_layer()
            if layer is not None:
                async_to_sync(layer.group_send)(hall_group(place_id), message)
        except Exception:  # a missing channel layer must not fail a committed write
            logger.exception("could not push %s to centre %s", message.get("type"), place_id)

    transaction.on_commit(send)


def _waiting_count(place_id: int, day: Any) -> int:
    return QueueTicket.objects.filter(place_id=place_id, day=day, status=TS.WAITING).count()


def _push_changed(ticket: QueueTicket) -> None:
    change_announce(
        domain="affairs", kind=f"ticket.{ticket.status}", street_id=ticket.street_id, place_id=ticket.place_id
    )
    _push(
        ticket.place_id,
        {
            "type": "queue.changed",
            "waiting": _waiting_count(ticket.place_id, ticket.day),
            "ticket": ticket.number,
            "status": ticket.status,
        },
    )


def call_message(call: HallCall, ticket: QueueTicket, counter: Counter) -> dict[str, Any]:
    """What a hall screen shows and says: the number and the window; no name, nothing personal."""
    return {
        "type": "hall.call",
        "id": call.pk,
        "number": ticket.number,
        "counter": counter.number,
        "counter_name": str(counter),
        "item": ticket.item.name if ticket.item_id and ticket.item else "",
        "at": call.at.isoformat(),
        "recall": call.recall,
    }


# ------------------------------------------------------------------------------------------ numbering


def _next_seq(*, place: Place, day: Any, kind: str) -> int:
    """The next number of the day for the centre and kind (under the sequence row's lock)."""
    row, _created = TicketSequence.objects.select_for_update().get_or_create(place=place, day=day, kind=kind)
    TicketSequence.objects.filter(pk=row.pk).update(last=F("last") + 1)
    return int(TicketSequence.objects.values_list("last", flat=True).get(pk=row.pk))


def _new_ticket(*, place: Place, kind: str, **fields: Any) -> QueueTicket:
    now = timezone.now()
    day = timezone.localdate(now)
    seq = _next_seq(place=place, day=day, kind=kind)
    return QueueTicket.objects.create(
        street_id=place.street_id,
        place=place,
        day=day,
        kind=kind,
        seq=seq,
        number=f"{kind}{seq:03d}",
        token=secrets.token_urlsafe(12),
        checked_in_at=now,
        **fields,
    )


def centre_check(place: Place) -> None:
    if place.kind != PlaceKind.AFFAIRS_CENTER:
        raise Problem(
            "validation_error",
            errors=[field_error("place", _("这里不是社区事务受理服务中心"))],
        )


# ------------------------------------------------------------------------------------------- check-in


def appointment_code_of(text: str) -> str:
    """The appointment code in what the kiosk read when it is not the signed QR payload ("my appointments" shows
    that one, `appointments.appointment_code_from_qr`): the code itself, or a link ending in it (…/<code>/ or
    ?code=<code>)."""
    text = (text or "").strip()
    if not text:
        return ""
    match = _CODE_IN_TEXT.search(text)
    if match and ("/" in text or "code=" in text):
        return match.group(1)
    return text[:40]


@transaction.atomic
def ticket_check_in(*, place: Place, code: str, actor: User | None = None) -> QueueTicket:
    """Check an appointment in at its centre: its queue number (A012). Checking in twice gives the same ticket."""
    centre_check(place)
    wanted = appointment_code_from_qr((code or "").strip()) or appointment_code_of(code)
    if not wanted:
        raise Problem("validation_error", errors=[field_error("code", _("请输入预约码或扫描预约二维码"))])
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("resource", "item", "prereview")
        .filter(code__iexact=wanted, street_id=place.street_id)
        .first()
    )
    if appointment is None:
        raise Problem("ticket_code_invalid", errors=[field_error("code", _("没有这个预约码"))])
    existing = QueueTicket.objects.filter(appointment=appointment).first()
    if existing is not None:
        return existing
    if appointment.resource.kind != ResourceKind.WINDOW or appointment.resource.place_id != place.pk:
        raise Problem(
            "checkin_wrong_centre",
            detail=format_lazy(_("预约 {code} 不在本中心的窗口办理"), code=appointment.code),
        )
    now = timezone.now()
    if timezone.localdate(appointment.start) != timezone.localdate(now) or now < appointment.start - CHECKIN_EARLY:
        raise Problem(
            "checkin_not_today",
            detail=format_lazy(
                _("预约时间是 {when}"), when=timezone.localtime(appointment.start).strftime("%Y-%m-%d %H:%M")
            ),
        )
    APPOINTMENT_MACHINE.move(appointment, AppointmentStatus.CHECKED_IN, actor=actor, note="queue", now=now)
    prereview = appointment.prereview
    ticket = _new_ticket(
        place=place,
        kind=TicketKind.APPOINTMENT,
        item=appointment.item,
        appointment=appointment,
        user_id=appointment.user_id,
        prereviewed=bool(prereview and prereview.status == PreReviewStatus.APPROVED),
    )
    _event(ticket, actor, note=f"check-in {appointment.code}")
    _push_changed(ticket)
    return ticket


@transaction.atomic
def ticket_walk_in(
    *, place: Place, item: Item | None = None, user: User | None = None, actor: User | None = None
) -> QueueTicket:
    """A walk-in ticket (W034): printed at the kiosk or taken on the phone at the centre."""
    centre_check(place)
    if item is not None and item.street_id != place.street_id:
        raise Problem("validation_error", errors=[field_error("item", _("没有这个事项"))])
    ticket = _new_ticket(
        place=place,
        kind=TicketKind.WALK_IN,
        item=item,
        user=user if user is not None and user.is_authenticated else None,
    )
    _event(ticket, actor or user, note="walk-in")
    _push_changed(ticket)
    return ticket


def _event(ticket: QueueTicket, actor: Any, *, note: str) -> None:
    """The ticket's first timeline row (created waiting)."""
    QueueTicketEvent.objects.create(
        ticket=ticket,
        actor=actor if getattr(actor, "pk", None) else None,
        from_status="",
        to_status=TS.WAITING,
        note=note[:500],
    )


# ----------------------------------------------------------------------------------------------- windows


def skills_of(user: User) -> set[int]:
    return set(StaffSkill.objects.filter(user=user).values_list("item_id", flat=True))


def offered(tickets: Iterable[QueueTicket], *, skills: set[int], now: datetime) -> list[QueueTicket]:
    """The waiting tickets a clerk with `skills` is offered, in calling order (see the module docstring)."""
    mine = [t for t in tickets if not skills or t.item_id is None or t.item_id in skills]

    def key(t: QueueTicket) -> tuple[int, datetime, int]:
        due = t.appointment.start if t.appointment_id and t.appointment else None
        urgent = 0 if due is not None and due <= now + APPOINTMENT_PRIORITY else 1
        return (urgent, t.checked_in_at, t.pk)

    return sorted(mine, key=key)


@transaction.atomic
def counter_sign_in(*, counter: Counter, clerk: User) -> Counter:
    """The clerk works at this window now (and at no other)."""
    require_role(clerk, street=counter.street, roles=CLERK_ROLES)
    Counter.objects.filter(clerk=clerk).exclude(pk=counter.pk).update(clerk=None, clerk_since=None)
    if counter.clerk_id != clerk.pk:
        counter.clerk = clerk
        counter.clerk_since = timezone.now()
        counter.save(update_fields=["clerk", "clerk_since"])
    return counter


def counter_current(counter: Counter) -> QueueTicket | None:
    return (
        QueueTicket.objects.select_related("item", "appointment", "appointment__prereview")
        .filter(counter=counter, status=TS.CALLED)
        .order_by("-called_at")
        .first()
    )


def _hall_call(ticket: QueueTicket, counter: Counter, clerk: User, *, recall: bool) -> HallCall:
    call = HallCall.objects.create(place_id=ticket.place_id, ticket=ticket, counter=counter, clerk=clerk, recall=recall)
    _push(ticket.place_id, call_message(call, ticket, counter))
    return call


@transaction.atomic
def ticket_call_next(*, counter: Counter, clerk: User) -> QueueTicket | None:
    """Call the next number this window's clerk can handle; None when nobody is waiting for them."""
    require_role(clerk, street=counter.street, roles=CLERK_ROLES)
    current = counter_current(counter)
    if current is not None:
        raise Problem(
            "counter_busy",
            detail=format_lazy(_("请先办结 {number} 号，或把它放回队列"), number=current.number),
        )
    now = timezone.now()
    waiting = QueueTicket.objects.select_related("item", "appointment").filter(
        place_id=counter.place_id, day=timezone.localdate(now), status=TS.WAITING
    )
    for ticket in offered(waiting, skills=skills_of(clerk), now=now)[:25]:
        try:
            ticket_states.MACHINE.move(
                ticket, TS.CALLED, actor=clerk, now=now, fields={"counter": counter, "clerk": clerk, "calls": 1}
            )
        except Problem:
            continue  # another window called it a moment ago: the next one
        _hall_call(ticket, counter, clerk, recall=False)
        _push_changed(ticket)
        return ticket
    return None


def _own(ticket: QueueTicket, clerk: User) -> None:
    require_role(clerk, street=ticket.street, roles=CLERK_ROLES)


@transaction.atomic
def ticket_recall(*, ticket: QueueTicket, clerk: User) -> QueueTicket:
    """Say the number again (the person has not come to the window yet)."""
    _own(ticket, clerk)
    if ticket.status != TS.CALLED or ticket.counter is None:
        raise ticket_states.invalid_transition(ticket, ticket.status, TS.CALLED)
    QueueTicket.objects.filter(pk=ticket.pk).update(calls=F("calls") + 1)
    ticket.calls += 1
    _hall_call(ticket, ticket.counter, clerk, recall=True)
    return ticket


@transaction.atomic
def ticket_finish(
    *,
    ticket: QueueTicket,
    clerk: User,
    outcome: str,
    missing: Sequence[str] = (),
    referred_to: str = "",
    note: str = "",
) -> QueueTicket:
    """Record what happened at the window: served, incomplete (with what was missing) or referred (to whom)."""
    _own(ticket, clerk)
    if outcome not in ticket_states.OUTCOMES:
        raise Problem("validation_error", errors=[field_error("outcome", _("请选择办理结果"))])
    missing = [m.strip()[:120] for m in missing if m and m.strip()][:30]
    referred_to = (referred_to or "").strip()[:120]
    if outcome == TS.INCOMPLETE and not missing:
        raise Problem("validation_error", errors=[field_error("missing", _("请勾选或填写缺少的材料"))])
    if outcome == TS.REFERRED and not referred_to:
        raise Problem("validation_error", errors=[field_error("referred_to", _("请填写转办到哪里"))])
    now = timezone.now()
    ticket_states.MACHINE.move(
        ticket,
        outcome,
        actor=clerk,
        now=now,
        note=note[:300],
        fields={"missing": missing, "referred_to": referred_to, "note": note[:300]},
    )
    appointment = ticket.appointment if ticket.appointment_id else None
    if appointment is not None and appointment.status == AppointmentStatus.CHECKED_IN:
        APPOINTMENT_MACHINE.move(appointment, AppointmentStatus.COMPLETED, actor=clerk, now=now, note=outcome)
        prereview = appointment.prereview
        if outcome == TS.SERVED and prereview is not None and prereview.status == PreReviewStatus.APPROVED:
            PREREVIEW_MACHINE.move(prereview, PreReviewStatus.COMPLETED, actor=clerk, now=now, note="served")
    _push_changed(ticket)
    return ticket


@transaction.atomic
def ticket_miss(*, ticket: QueueTicket, clerk: User) -> QueueTicket:
    """Nobody came after the calls (过号): the window is free for the next number."""
    _own(ticket, clerk)
    ticket_states.MACHINE.move(ticket, TS.MISSED, actor=clerk)
    _push_changed(ticket)
    return ticket


@transaction.atomic
def ticket_requeue(*, ticket: QueueTicket, actor: User) -> QueueTicket:
    """Back into the queue (the person went to fetch a document, or came back after being missed)."""
    _own(ticket, actor)
    ticket_states.MACHINE.move(
        ticket, TS.WAITING, actor=actor, fields={"counter": None, "clerk": None, "finished_at": None}
    )
    ticket.counter = None
    _push_changed(ticket)
    return ticket


@transaction.atomic
def ticket_cancel(*, ticket: QueueTicket, actor: User) -> QueueTicket:
    _own(ticket, actor)
    ticket_states.MACHINE.move(ticket, TS.CANCELLED, actor=actor)
    _push_changed(ticket)
    return ticket


# ------------------------------------------------------------------------------------------------ skills


@transaction.atomic
def skills_set(*, street: Street, user: User, item_ids: Iterable[int], actor: User) -> set[int]:
    """Replace the items `user` can handle in `street` (the centre head's skills page)."""
    require_role(actor, street=street, roles=HEAD_ROLES)
    require_role(user, street=street, roles=CLERK_ROLES)
    wanted = set(Item.objects.filter(street=street, pk__in=list(item_ids)).values_list("pk", flat=True))
    have = set(StaffSkill.objects.filter(street=street, user=user).values_list("item_id", flat=True))
    StaffSkill.objects.filter(street=street, user=user, item_id__in=have - wanted).delete()
    StaffSkill.objects.bulk_create([StaffSkill(street=street, user=user, item_id=i) for i in sorted(wanted - have)])
    audit_log(
        actor=actor,
        action="affairs.skills_set",
        street=street,
        obj=user,
        data={"added": sorted(wanted - have), "removed": sorted(have - wanted)},
    )
    return wanted


@transaction.atomic
def counter_create(*, place: Place, number: int, name: str = "", actor: User | None = None) -> Counter:
    """A window of a centre (`linli demo` and the back office add them)."""
    centre_check(place)
    counter, _created = Counter.objects.get_or_create(
        place=place, number=number, defaults={"street_id": place.street_id, "name": name}
    )
    return counter
