"""Metrics of the affairs centres per centre and per street, per day (the centre head's page, its CSV, the
dashboard later).

Definitions (docs/affairs-window.md says the same for the people who read the page):

- appointments: appointments whose slot starts that day (any status), at the centre's windows (a street: all
  resources, remote points and home visits too);
- walk-ins: W tickets given that day;
- waiting time: check-in → first call, over the tickets called that day; p50 and p90 in minutes;
- service time: first call → outcome recorded, over the tickets finished; p50 and mean in minutes;
- first-time completion (一次办成率): of the visits with an outcome, the share served at that visit (not
  "materials incomplete", not referred elsewhere);
- trips saved by pre-review: visits served with an approved pre-review (the trip to have the originals checked
  was not needed), plus entrusted pre-reviews completed with no trip at all;
- no-shows: appointments marked no-show that day, plus tickets called and never answered (过号);
- remote sessions: video calls answered that day, and their minutes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from linli.affairs.models import (
    Appointment,
    AppointmentStatus,
    PreReview,
    PreReviewStatus,
    QueueTicket,
    RemoteSession,
    RemoteSessionStatus,
    ResourceKind,
    TicketKind,
    TicketStatus,
)
from linli.core.models import Street
from linli.places.models import Place

FINISHED = (TicketStatus.SERVED, TicketStatus.INCOMPLETE, TicketStatus.REFERRED)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100) with linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


@dataclass
class Figures:
    appointments: int = 0
    walk_ins: int = 0
    tickets: int = 0
    waits: list[float] = field(default_factory=list)
    services: list[float] = field(default_factory=list)
    finished: int = 0
    served: int = 0
    prereview_trips_saved: int = 0
    entrusted_saved: int = 0
    no_shows: int = 0
    missed: int = 0
    remote_sessions: int = 0
    remote_seconds: int = 0

    def as_row(self) -> dict[str, Any]:
        def r(value: float | None) -> float | None:
            return None if value is None else round(value, 1)

        return {
            "appointments": self.appointments,
            "walk_ins": self.walk_ins,
            "tickets": self.tickets,
            "wait_p50": r(percentile(self.waits, 50)),
            "wait_p90": r(percentile(self.waits, 90)),
            "service_p50": r(percentile(self.services, 50)),
            "service_mean": r(sum(self.services) / len(self.services)) if self.services else None,
            "finished": self.finished,
            "served": self.served,
            "first_time_rate": r(100 * self.served / self.finished) if self.finished else None,
            "trips_saved": self.prereview_trips_saved + self.entrusted_saved,
            "no_shows": self.no_shows + self.missed,
            "remote_sessions": self.remote_sessions,
            "remote_minutes": round(self.remote_seconds / 60),
        }


@dataclass
class Report:
    start: date
    end: date  # inclusive
    days: list[date]
    total: dict[str, Any]
    daily: list[dict[str, Any]]
    by_centre: list[dict[str, Any]]


def _minutes(a: Any, b: Any) -> float:
    return max(0.0, (b - a).total_seconds() / 60)


def metrics_report(*, street: Street, start: date, end: date, place: Place | None = None) -> Report:
    """The figures of `street` (or of one centre, `place`) from `start` to `end` inclusive, in total, per day and
    per centre."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    per_day: dict[date, Figures] = defaultdict(Figures)
    per_centre: dict[int, Figures] = defaultdict(Figures)
    total = Figures()
    tz = timezone.get_current_timezone()

    def figs(day: date, centre_id: int | None) -> list[Figures]:
        out = [total, per_day[day]]
        if centre_id is not None:
            out.append(per_centre[centre_id])
        return out

    tickets = QueueTicket.objects.filter(street=street, day__gte=start, day__lte=end)
    if place is not None:
        tickets = tickets.filter(place=place)
    for kind, status, day, place_id, checked, called, finished, prereviewed in tickets.values_list(
        "kind", "status", "day", "place_id", "checked_in_at", "called_at", "finished_at", "prereviewed"
    ):
        for f in figs(day, place_id):
            f.tickets += 1
            if kind == TicketKind.WALK_IN:
                f.walk_ins += 1
            if called is not None:
                f.waits.append(_minutes(checked, called))
            if status in FINISHED:
                f.finished += 1
                if finished is not None and called is not None:
                    f.services.append(_minutes(called, finished))
                if status == TicketStatus.SERVED:
                    f.served += 1
                    if prereviewed:
                        f.prereview_trips_saved += 1
            if status == TicketStatus.MISSED:
                f.missed += 1

    appointments = Appointment.objects.filter(street=street, start__date__gte=start, start__date__lte=end).exclude(
        status=AppointmentStatus.CANCELLED
    )
    if place is not None:
        appointments = appointments.filter(resource__place=place, resource__kind=ResourceKind.WINDOW)
    for start_at, status, resource_place, kind in appointments.values_list(
        "start", "status", "resource__place_id", "resource__kind"
    ):
        day = timezone.localtime(start_at, tz).date()
        centre = resource_place if kind == ResourceKind.WINDOW else None
        for f in figs(day, centre):
            f.appointments += 1
            if status == AppointmentStatus.NO_SHOW:
                f.no_shows += 1

    if place is None:
        entrusted = PreReview.objects.filter(
            street=street,
            entrusted=True,
            status=PreReviewStatus.COMPLETED,
            closed_at__date__gte=start,
            closed_at__date__lte=end,
        ).values_list("closed_at", flat=True)
        for closed in entrusted:
            for f in figs(timezone.localtime(closed, tz).date(), None):
                f.entrusted_saved += 1

    sessions = RemoteSession.objects.filter(
        street=street,
        answered_at__date__gte=start,
        answered_at__date__lte=end,
    ).filter(Q(status=RemoteSessionStatus.ENDED) | Q(status=RemoteSessionStatus.ACTIVE))
    if place is not None:
        sessions = sessions.filter(counter__place=place)
    for answered, seconds, counter_place in sessions.values_list(
        "answered_at", "duration_seconds", "counter__place_id"
    ):
        for f in figs(timezone.localtime(answered, tz).date(), counter_place):
            f.remote_sessions += 1
            f.remote_seconds += seconds

    names = dict(Place.objects.filter(pk__in=list(per_centre)).values_list("pk", "name"))
    return Report(
        start=start,
        end=end,
        days=days,
        total=total.as_row(),
        daily=[{"day": d, **per_day[d].as_row()} for d in days],
        by_centre=[{"place_id": pk, "name": names.get(pk, ""), **per_centre[pk].as_row()} for pk in sorted(per_centre)],
    )


CSV_COLUMNS: list[tuple[str, str]] = [
    ("appointments", "appointments"),
    ("walk_ins", "walk_ins"),
    ("wait_p50", "wait_p50_min"),
    ("wait_p90", "wait_p90_min"),
    ("service_p50", "service_p50_min"),
    ("service_mean", "service_mean_min"),
    ("finished", "finished"),
    ("served", "served"),
    ("first_time_rate", "first_time_completion_pct"),
    ("trips_saved", "trips_saved_by_prereview"),
    ("no_shows", "no_shows"),
    ("remote_sessions", "remote_sessions"),
    ("remote_minutes", "remote_minutes"),
]
