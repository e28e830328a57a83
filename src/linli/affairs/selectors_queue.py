"""Reads of the window queue and the remote windows, scoped by street: the centres and remote points a user may
work at, what a window is offered, a ticket's place in the queue, the hall screen's recent calls, the materials
checklist beside the pre-review's verdict per material."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from linli.affairs.models import (
    Counter,
    FileReview,
    HallCall,
    Material,
    PreReviewFile,
    QueueTicket,
    RemoteSession,
    RemoteSessionStatus,
    Resource,
    ResourceKind,
    TicketStatus,
)
from linli.affairs.services.queue import CLERK_ROLES, offered, skills_of
from linli.core.models import User
from linli.core.selectors import user_street_ids
from linli.places.models import Place, PlaceKind


def centres_for(user: User) -> QuerySet[Place]:
    """The affairs centres of the streets where `user` is a clerk (or the front desk)."""
    return Place.objects.filter(
        kind=PlaceKind.AFFAIRS_CENTER, street_id__in=user_street_ids(user, roles=CLERK_ROLES)
    ).order_by("street__code", "name")


def centre_get(place_id: int) -> Place | None:
    return Place.objects.select_related("street").filter(pk=place_id, kind=PlaceKind.AFFAIRS_CENTER).first()


def counters_of(place: Place) -> QuerySet[Counter]:
    return Counter.objects.filter(place=place, is_active=True).select_related("clerk").order_by("number")


def remote_points_for(user: User) -> QuerySet[Resource]:
    return (
        Resource.objects.filter(
            kind=ResourceKind.REMOTE, is_active=True, street_id__in=user_street_ids(user, roles=CLERK_ROLES)
        )
        .select_related("place", "street")
        .order_by("street__code", "name")
    )


def today() -> date:
    return timezone.localdate()


def waiting_tickets(place: Place) -> QuerySet[QueueTicket]:
    return (
        QueueTicket.objects.filter(place=place, day=today(), status=TicketStatus.WAITING)
        .select_related("item", "appointment")
        .order_by("checked_in_at", "pk")
    )


def offered_to(counter: Counter, clerk: User) -> list[QueueTicket]:
    """The waiting tickets this window's clerk would be offered, in calling order."""
    return offered(waiting_tickets(counter.place), skills=skills_of(clerk), now=timezone.now())


def ticket_by_token(token: str) -> QueueTicket | None:
    return QueueTicket.objects.select_related("item", "counter", "place").filter(token=token).first()


def ticket_ahead(ticket: QueueTicket) -> int:
    """How many waiting tickets of the centre checked in before this one (0 when it is not waiting)."""
    if ticket.status != TicketStatus.WAITING:
        return 0
    return QueueTicket.objects.filter(
        place_id=ticket.place_id, day=ticket.day, status=TicketStatus.WAITING, checked_in_at__lt=ticket.checked_in_at
    ).count()


def recent_calls(place: Place, *, limit: int = 8) -> list[HallCall]:
    """The hall screen's list: the latest call of each number today, newest first."""
    seen: set[int] = set()
    out: list[HallCall] = []
    calls = (
        HallCall.objects.filter(place=place, at__date=today())
        .select_related("ticket", "ticket__item", "counter")
        .order_by("-at", "-pk")[: limit * 4]
    )
    for call in calls:
        if call.ticket_id in seen:
            continue
        seen.add(call.ticket_id)
        out.append(call)
        if len(out) >= limit:
            break
    return out


def checklist(ticket: QueueTicket) -> list[dict[str, Any]]:
    """The item's materials, each with what the pre-review said of it (accepted, flagged, ...), if there was one."""
    if not ticket.item_id:
        return []
    reviews: dict[int, PreReviewFile] = {}
    appointment = ticket.appointment if ticket.appointment_id else None
    prereview = appointment.prereview if appointment is not None and appointment.prereview_id else None
    if prereview is not None:
        for f in prereview.files.filter(superseded_at__isnull=True):
            reviews[f.material_id] = f
    rows = []
    for material in Material.objects.filter(item_id=ticket.item_id).order_by("position", "pk"):
        found = reviews.get(material.pk)
        rows.append(
            {
                "material": material,
                "review": found.review if found is not None else "",
                "review_label": found.get_review_display() if found is not None else "",
                "reason": found.reason if found is not None else "",
                "accepted": found is not None and found.review == FileReview.ACCEPTED,
            }
        )
    return rows


def remote_waiting(street_ids: set[int]) -> QuerySet[RemoteSession]:
    """Remote points waiting for a window, oldest first."""
    return (
        RemoteSession.objects.filter(street_id__in=street_ids, status=RemoteSessionStatus.WAITING)
        .select_related("resource", "resource__place", "appointment", "appointment__item")
        .order_by("created_at")
    )


def remote_session_get(session_id: int) -> RemoteSession | None:
    return (
        RemoteSession.objects.select_related(
            "street", "resource", "resource__place", "appointment", "appointment__item"
        )
        .filter(pk=session_id)
        .first()
    )
