"""The sample street's window queue: six numbered windows per affairs centre, the clerks' skills, and two weeks of
queue history (appointments and walk-ins, waits, outcomes, hall calls, remote sessions) so the centre head's
charts have something to show on the first `make demo`.

The history is drawn from a seeded random generator (the same every run) and written once: a street that already
has tickets before today keeps them. Nothing here bypasses an invariant: numbers are unique per centre, day and
kind; every appointment has its slot and the slot's `booked` counts it.
"""

from __future__ import annotations

import math
import random
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from linli.affairs.models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    Counter,
    HallCall,
    Item,
    QueueTicket,
    RemoteSession,
    RemoteSessionStatus,
    Resource,
    ResourceKind,
    Slot,
    StaffSkill,
    TicketKind,
    TicketSequence,
    TicketStatus,
)
from linli.core.models import Street, User
from linli.places.models import Place, PlaceKind

WINDOWS_PER_CENTRE = 6
HISTORY_DAYS = 14
SEED = 16


def _lognormal_minutes(rng: random.Random, median: float, spread: float, cap: float) -> float:
    return min(cap, max(0.5, rng.lognormvariate(math.log(median), spread)))


def _aware(day: date, minutes_after_nine: float) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9, 0)) + timedelta(minutes=minutes_after_nine))


@transaction.atomic
def demo_queue_load(*, street: Street, clerks: list[User], today: date | None = None) -> dict[str, int]:
    """Windows, skills and two weeks of history for `street`; returns what was created."""
    counts = {"counters": 0, "skills": 0, "tickets": 0, "appointments": 0, "remote_sessions": 0}
    centres = list(Place.objects.filter(street=street, kind=PlaceKind.AFFAIRS_CENTER).order_by("pk"))
    items = list(Item.objects.filter(street=street, is_active=True).order_by("code"))
    if not centres or not items:
        return counts
    for centre in centres:
        for n in range(1, WINDOWS_PER_CENTRE + 1):
            _counter, created = Counter.objects.get_or_create(place=centre, number=n, defaults={"street": street})
            counts["counters"] += int(created)
    # The first clerk handles everything (no skill recorded); the others half the catalogue each.
    for i, clerk in enumerate(clerks[1:], start=1):
        if StaffSkill.objects.filter(street=street, user=clerk).exists():
            continue
        mine = [item for j, item in enumerate(items) if j % 2 == i % 2]
        StaffSkill.objects.bulk_create([StaffSkill(street=street, user=clerk, item=item) for item in mine])
        counts["skills"] += len(mine)

    today = today or timezone.localdate()
    start = today - timedelta(days=HISTORY_DAYS)
    if QueueTicket.objects.filter(street=street, day__lt=today).exists() or not clerks:
        return counts
    rng = random.Random(SEED)  # noqa: S311 - sample data, not security
    remote_points = list(Resource.objects.filter(street=street, kind=ResourceKind.REMOTE).order_by("pk"))
    residents = list(
        User.objects.filter(is_staff=False, is_superuser=False).exclude(pk__in=[c.pk for c in clerks])[:40]
    )
    if not residents:
        residents = list(clerks)
    tickets: list[QueueTicket] = []
    sequences: list[TicketSequence] = []
    for centre in centres:
        windows = list(Resource.objects.filter(place=centre, kind=ResourceKind.WINDOW).order_by("pk"))
        counters = list(Counter.objects.filter(place=centre).order_by("number"))
        for offset in range(HISTORY_DAYS):
            day = start + timedelta(days=offset)
            if day.weekday() == 6:
                continue  # closed on Sundays
            busy = 1.3 if day.weekday() == 0 else 0.7 if day.weekday() == 5 else 1.0
            n_tickets = int(rng.randint(28, 44) * busy)
            seq = {TicketKind.APPOINTMENT: 0, TicketKind.WALK_IN: 0}
            for _ in range(n_tickets):
                kind = TicketKind.APPOINTMENT if rng.random() < 0.42 else TicketKind.WALK_IN
                seq[kind] += 1
                arrive = rng.uniform(0, 7 * 60)  # 09:00-16:00
                checked = _aware(day, arrive)
                wait = _lognormal_minutes(rng, 7 if kind == TicketKind.APPOINTMENT else 12, 0.6, 75)
                service = _lognormal_minutes(rng, 8, 0.45, 45)
                roll = rng.random()
                status = (
                    TicketStatus.MISSED
                    if roll < 0.03
                    else TicketStatus.REFERRED
                    if roll < 0.08
                    else TicketStatus.INCOMPLETE
                    if roll < 0.19
                    else TicketStatus.SERVED
                )
                item = rng.choice(items)
                called = checked + timedelta(minutes=wait)
                finished = called + timedelta(minutes=service if status != TicketStatus.MISSED else 3)
                appointment = None
                if kind == TicketKind.APPOINTMENT and windows:
                    appointment = _past_appointment(
                        street=street,
                        resource=rng.choice(windows),
                        item=item,
                        user=rng.choice(residents),
                        start=_aware(day, (arrive // 30) * 30 + 30),
                        status=AppointmentStatus.COMPLETED,
                    )
                    counts["appointments"] += 1
                tickets.append(
                    QueueTicket(
                        street=street,
                        place=centre,
                        day=day,
                        kind=kind,
                        seq=seq[kind],
                        number=f"{kind}{seq[kind]:03d}",
                        item=item if rng.random() > 0.05 else None,
                        appointment=appointment,
                        token=secrets.token_urlsafe(12),
                        status=status,
                        checked_in_at=checked,
                        called_at=called,
                        finished_at=finished,
                        counter=rng.choice(counters),
                        clerk=rng.choice(clerks),
                        calls=3 if status == TicketStatus.MISSED else 1,
                        missing=[rng.choice(["居民身份证", "户口簿", "近期免冠照片", "医疗机构证明"])]
                        if status == TicketStatus.INCOMPLETE
                        else [],
                        referred_to="区社保中心" if status == TicketStatus.REFERRED else "",
                        prereviewed=kind == TicketKind.APPOINTMENT and rng.random() < 0.45,
                    )
                )
            # No-shows: booked, never came.
            for _ in range(rng.randint(0, 3)):
                if windows:
                    _past_appointment(
                        street=street,
                        resource=rng.choice(windows),
                        item=rng.choice(items),
                        user=rng.choice(residents),
                        start=_aware(day, rng.randint(0, 13) * 30),
                        status=AppointmentStatus.NO_SHOW,
                    )
                    counts["appointments"] += 1
            for kind, last in seq.items():
                sequences.append(TicketSequence(place=centre, day=day, kind=kind, last=last))
            # Remote sessions of the day (远程帮办 from the remote points).
            for _ in range(rng.randint(1, 4) if remote_points else 0):
                answered = _aware(day, rng.uniform(0, 7 * 60))
                seconds = int(_lognormal_minutes(rng, 9, 0.4, 40) * 60)
                RemoteSession.objects.create(
                    street=street,
                    resource=rng.choice(remote_points),
                    room=secrets.token_urlsafe(12),
                    status=RemoteSessionStatus.ENDED,
                    opened_by=rng.choice(clerks),
                    clerk=rng.choice(clerks),
                    counter=rng.choice(counters),
                    created_at=answered - timedelta(minutes=1),
                    answered_at=answered,
                    connected_at=answered + timedelta(seconds=3),
                    ended_at=answered + timedelta(seconds=seconds + 3),
                    duration_seconds=seconds,
                    end_reason="clerk-hangup",
                )
                counts["remote_sessions"] += 1
    QueueTicket.objects.bulk_create(tickets, batch_size=500)
    TicketSequence.objects.bulk_create(sequences, batch_size=500, ignore_conflicts=True)
    saved = QueueTicket.objects.filter(street=street, day__gte=start, day__lt=today).select_related("counter")
    HallCall.objects.bulk_create(
        [
            HallCall(place_id=t.place_id, ticket=t, counter=t.counter, clerk_id=t.clerk_id, at=t.called_at)
            for t in saved
            if t.counter is not None and t.called_at is not None
        ],
        batch_size=500,
    )
    counts["tickets"] = len(tickets)
    return counts


def _past_appointment(
    *, street: Street, resource: Resource, item: Item, user: User, start: datetime, status: str
) -> Appointment:
    slot, _created = Slot.objects.get_or_create(
        resource=resource, start=start, defaults={"end": start + timedelta(minutes=30), "places": 50}
    )
    slot.booked += 1
    slot.places = max(slot.places, slot.booked)
    Slot.objects.filter(pk=slot.pk).update(booked=slot.booked, places=slot.places)
    stamps: dict[str, Any] = (
        {"checked_in_at": start, "completed_at": start + timedelta(minutes=20)}
        if status == AppointmentStatus.COMPLETED
        else {"no_show_at": start + timedelta(minutes=30)}
    )
    return Appointment.objects.create(
        street=street,
        item=item,
        slot=slot,
        resource=resource,
        user=user,
        code=secrets.token_hex(4).upper(),
        status=status,
        source=AppointmentSource.APP,
        start=start,
        end=slot.end,
        created_at=start - timedelta(days=2),
        **stamps,
    )


def demo_queue_reset(street: Street) -> None:
    """Remove the street's queue and remote rows (for `linli demo --reset`): they protect appointments, items,
    resources and places, so they go before the affairs reset."""
    RemoteSession.objects.filter(street=street).delete()
    HallCall.objects.filter(ticket__street=street).delete()
    QueueTicket.objects.filter(street=street).delete()
    TicketSequence.objects.filter(place__street=street).delete()
    StaffSkill.objects.filter(street=street).delete()
    Counter.objects.filter(street=street).delete()
