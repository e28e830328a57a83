"""Care reads, scoped by street and by role: the register is visible only to the care roles (social workers,
committee staff, the street's care lead); a resident sees their own entry. Pages, API and the dashboard share
these; the audit rows of staff views are written by `services.register.person_view`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.care.models import (
    Alert,
    AlertStatus,
    Call,
    CallStatus,
    CheckIn,
    DutyShift,
    FollowUp,
    FollowUpStatus,
    Person,
    VisitRequest,
    VisitStatus,
)
from linli.core import selectors as core_selectors
from linli.core.errors import Problem
from linli.core.models import Committee, Role, Street, User
from linli.core.phones import mask_personal_text, mask_phone

# Who may see the register (health notes, groups, contacts) and handle calls and visits.
CARE_ROLES = (Role.SOCIAL_WORKER, Role.CARE_LEAD, Role.STATION_STAFF)
LEAD_ROLES = (Role.CARE_LEAD,)
OPEN_CALL = (CallStatus.NEW, CallStatus.ESCALATED, CallStatus.ACKNOWLEDGED, CallStatus.ON_THE_WAY, CallStatus.ON_SITE)
OPEN_ALERT = (AlertStatus.REMINDED, AlertStatus.STAFF_CALL, AlertStatus.DOOR_KNOCK, AlertStatus.FAMILY_TOLD)


def care_street_ids(user: User, roles: Iterable[str] = CARE_ROLES) -> set[int]:
    return core_selectors.user_street_ids(user, roles=roles)


def care_streets(user: User, roles: Iterable[str] = CARE_ROLES) -> QuerySet[Street]:
    return core_selectors.street_list_for_roles(user, roles=roles)


def care_require(user: User, *, street: Street, roles: Iterable[str] = CARE_ROLES) -> None:
    """Refuse (`permission_denied`) a user without a care role in the street: a grid worker sees nothing."""
    core_selectors.require_role(user, street=street, roles=roles)


def is_care_staff(user: User, *, street: Street, roles: Iterable[str] = CARE_ROLES) -> bool:
    return core_selectors.user_has_role(user, street=street, roles=roles)


def mask_id_number(value: str) -> str:
    return f"{value[:3]}{'*' * 11}{value[-4:]}" if len(value) >= 8 else ("*" * len(value))


def person_list(*, street: Street, committee: Committee | None = None, q: str = "") -> QuerySet[Person]:
    qs = Person.objects.filter(street=street, active=True).select_related("committee", "compound")
    if committee is not None:
        qs = qs.filter(committee=committee)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(building__icontains=q) | Q(compound__name__icontains=q))
    return qs.order_by("committee__external_id", "name", "id")


def person_get(*, street: Street | None = None, person_id: int) -> Person:
    qs = Person.objects.select_related("committee", "compound", "street", "user")
    if street is not None:
        qs = qs.filter(street=street)
    person = qs.filter(pk=person_id).first()
    if person is None:
        raise Problem("care_not_registered", detail=format_lazy(_("没有编号为 {id} 的关爱对象"), id=person_id))
    return person


def person_for_staff(*, user: User, person_id: int) -> Person:
    """The entry, if `user` holds a care role in its street (else `care_not_registered`: not even its existence
    is told to others)."""
    person = Person.objects.select_related("committee", "compound", "street", "user").filter(pk=person_id).first()
    if person is None or not is_care_staff(user, street=person.street):
        raise Problem("care_not_registered", detail=format_lazy(_("没有编号为 {id} 的关爱对象"), id=person_id))
    return person


def person_of_user(user: User) -> Person | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.select_related("committee", "compound", "street").filter(user=user, active=True).first()


def person_row(person: Person) -> dict[str, Any]:
    """A list or export row: phone and ID number masked; groups as codes."""
    return {
        "id": person.pk,
        "name": person.name,
        "committee": person.committee.name,
        "address": person.address,
        "phone": mask_phone(person.phone) if person.phone else "",
        "id_number": mask_id_number(person.id_number) if person.id_number else "",
        "groups": list(person.groups or []),
        "checkin_enabled": person.checkin_enabled,
        "checkin_hour": person.checkin_hour,
    }


def person_card(person: Person) -> dict[str, Any]:
    """What a responder needs at the door: the address, contacts (full phones: they call them), the notes the
    consent lets responders see."""
    consent = person.consents.filter(withdrawn_at__isnull=True).first()
    shares = set(consent.shares if consent else [])
    contacts = [
        {"kind": c.kind, "name": c.name, "relation": c.relation, "phone": c.phone.removeprefix("+86")}
        for c in person.contacts.all()
        if (c.kind != "doctor" or "doctor" in shares or "responders" in shares)
    ]
    return {
        "id": person.pk,
        "name": person.name,
        "address": person.address,
        "committee": person.committee.name,
        "lat": person.lat,
        "lng": person.lng,
        "phone": person.phone.removeprefix("+86"),
        "groups": list(person.groups or []),
        "health_notes": person.health_notes if "responders" in shares else "",
        "contacts": contacts if "responders" in shares else [],
    }


def calls_open(*, street: Street) -> QuerySet[Call]:
    return (
        Call.objects.filter(street=street, status__in=OPEN_CALL)
        .select_related("person", "person__compound", "committee", "acknowledged_by")
        .order_by("created_at")
    )


def calls_recent(*, street: Street, days: int = 7, now: datetime | None = None) -> QuerySet[Call]:
    now = now or timezone.now()
    return (
        Call.objects.filter(street=street, created_at__gte=now - timedelta(days=days))
        .select_related("person", "person__compound", "committee", "acknowledged_by")
        .order_by("-created_at")
    )


def call_for_staff(*, user: User, call_id: int) -> Call:
    call = Call.objects.select_related("person", "person__compound", "committee", "street").filter(pk=call_id).first()
    if call is None or not is_care_staff(user, street=call.street):
        raise Problem("not_found", detail=format_lazy(_("没有编号为 {id} 的呼叫"), id=call_id))
    return call


def calls_changed_since(*, street: Street, since: datetime) -> QuerySet[Call]:
    """Calls still open or changed since `since` (a console's catch-up after reconnecting)."""
    return calls_open(street=street) | Call.objects.filter(street=street, closed_at__gte=since)


def shifts(*, street: Street) -> QuerySet[DutyShift]:
    return DutyShift.objects.filter(committee__street=street).select_related("committee", "user")


def followups_for(*, user: User | None = None, street: Street, open_only: bool = True) -> QuerySet[FollowUp]:
    qs = FollowUp.objects.filter(person__street=street).select_related("person", "person__compound")
    if user is not None:
        qs = qs.filter(Q(assignee=user) | Q(assignee__isnull=True))
    if open_only:
        qs = qs.filter(status=FollowUpStatus.OPEN)
    return qs.order_by("due_at")


def visits_open(*, street: Street) -> QuerySet[VisitRequest]:
    return (
        VisitRequest.objects.filter(
            street=street, status__in=(VisitStatus.OPEN, VisitStatus.ON_SITE, VisitStatus.FOLLOW_UP)
        )
        .select_related("person", "person__compound", "assignee")
        .order_by("due_at")
    )


def alerts_open(*, street: Street) -> QuerySet[Alert]:
    return (
        Alert.objects.filter(person__street=street, status__in=OPEN_ALERT)
        .select_related("person", "person__compound")
        .order_by("created_at")
    )


def person_timeline(person: Person) -> list[dict[str, Any]]:
    """Calls, visits, check-ins, alerts and follow-ups of one person on one timeline, newest first."""
    items: list[dict[str, Any]] = []
    for c in person.calls.all()[:50]:
        items.append({"at": c.created_at, "kind": "call", "obj": c})
    for v in person.visits.all()[:50]:
        items.append({"at": v.created_at, "kind": "visit", "obj": v})
    for ci in person.checkins.all()[:30]:
        items.append({"at": ci.at, "kind": "checkin", "obj": ci})
    for a in person.alerts.all()[:30]:
        items.append({"at": a.created_at, "kind": "alert", "obj": a})
    for f in person.followups.all()[:50]:
        items.append({"at": f.due_at, "kind": "followup", "obj": f})
    items.sort(key=lambda i: i["at"], reverse=True)
    return items


def lead_rates(*, street: Street, days: int = 30, now: datetime | None = None) -> dict[str, Any]:
    """On-time rates of the last `days`: emergency calls acknowledged ≤ 60 s and on site ≤ 30 min, 8-hour visits
    on time, check-ins missed and resolved."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    calls = list(
        Call.objects.filter(street=street, created_at__gte=since).values(
            "kind", "created_at", "acknowledged_at", "on_site_at"
        )
    )
    emergencies = [c for c in calls if c["kind"] == "emergency"]
    acked = [c for c in emergencies if c["acknowledged_at"]]
    ack_60 = [c for c in acked if (c["acknowledged_at"] - c["created_at"]).total_seconds() <= 60]  # type: ignore[operator]
    on_site = [c for c in emergencies if c["on_site_at"]]
    on_site_30 = [c for c in on_site if (c["on_site_at"] - c["created_at"]).total_seconds() <= 1800]  # type: ignore[operator]
    visits = list(
        VisitRequest.objects.filter(street=street, created_at__gte=since).values("status", "arrived_at", "due_at")
    )
    visits_done = [v for v in visits if v["arrived_at"]]
    visits_on_time = [v for v in visits_done if v["arrived_at"] <= v["due_at"]]  # type: ignore[operator]
    alerts = Alert.objects.filter(person__street=street, created_at__gte=since).aggregate(
        total=Count("id"), resolved=Count("id", filter=Q(status=AlertStatus.RESOLVED))
    )

    def pct(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    return {
        "days": days,
        "calls": len(calls),
        "emergencies": len(emergencies),
        "ack_within_60s": len(ack_60),
        "ack_within_60s_pct": pct(len(ack_60), len(emergencies)),
        "on_site_within_30min": len(on_site_30),
        "on_site_within_30min_pct": pct(len(on_site_30), len(emergencies)),
        "visits": len(visits),
        "visits_on_time": len(visits_on_time),
        "visits_on_time_pct": pct(len(visits_on_time), len(visits)),
        "checkins_missed": alerts["total"] or 0,
        "checkins_missed_resolved": alerts["resolved"] or 0,
    }


def checkins_by_day(*, street: Street, days: int = 7, now: datetime | None = None) -> list[tuple[str, int, int]]:
    """(day, check-ins, missed) of the last `days` days, oldest first (the care lead's chart)."""
    now = now or timezone.now()
    out = []
    today = timezone.localdate(now)
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        n = CheckIn.objects.filter(person__street=street, at__date=day).count()
        missed = Alert.objects.filter(person__street=street, day=day).count()
        out.append((day.strftime("%m-%d"), n, missed))
    return out


def masked_note(text: str) -> str:
    return mask_personal_text(text)
