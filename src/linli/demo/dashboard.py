"""Three months of SAMPLE history for the command dashboard, across every domain, so every chart has data.

For each of the last HISTORY_DAYS days (today excluded) it bulk-creates, seeded: hazard cases with their timelines
(report, dispatch, acceptance, resolution, verification, closure; some late, a few reopened; one unit grid slipping
over the last weeks so the "needs attention" list has something to say), assistant questions, past activities at
the street's stations with check-ins, affairs queue tickets served at the centre, door-to-door visits done for
registered people, and volunteer shifts with verified hours. Of the other timelines only the counted step is
written (a booking's check-in, a ticket's "served"). Meals keep their own three weeks of history
(`demo.meals.history`). Then the street's counters are rebuilt from those
tables (`dashboard.services.counters`), exactly as the nightly task would.

Rows are written with `bulk_create` (no services: the history is the past, and it must load in seconds). The
history is made once: `dashboard_demo_load` does nothing when the street already has cases older than 30 days.
`dashboard_demo_reset` removes what it made (activities and shifts tagged `dash-history`, the rest by street).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from linli.activities.models import Activity, ActivityStatus, Booking, BookingEvent, BookingStatus
from linli.affairs.models_queue import QueueTicket, QueueTicketEvent, TicketStatus
from linli.assistant.models import AskLog, Backend
from linli.care.models import Person, VisitEvent, VisitRequest, VisitStatus
from linli.cases.models import Case, CaseCategory, CaseEvent, CaseStatus
from linli.core.models import Compound, Grid, GridLevel, Street, User
from linli.dashboard.services.counters import counters_rebuild
from linli.places.models import Place, PlaceKind
from linli.volunteers.models import Shift, Signup, SignupEvent, SignupStatus, Station, Volunteer

HISTORY_DAYS = 92
SEED = 20261208
TAG = "dash-history"
ZONE = timezone.get_default_timezone()

QUESTIONS = [
    ("附近哪里可以吃午饭", "meals"),
    ("社保卡补办要带什么", "affairs"),
    ("这周有什么活动", "activities"),
    ("老年综合津贴怎么申请", "affairs"),
    ("骑手驿站在哪里", "places"),
    ("长护险评估怎么预约", "affairs"),
]
ACTIVITY_TITLES = ["太极拳晨练", "智能手机课堂", "木兰扇健身", "健康讲座", "书法兴趣班", "亲子阅读"]


@dataclass
class DashboardDemo:
    counts: dict[str, int] = field(default_factory=dict)


def _at(day: dt.date, hour: float) -> dt.datetime:
    h = int(hour)
    m = int((hour - h) * 60)
    return dt.datetime.combine(day, dt.time(min(h, 23), m), tzinfo=ZONE)


HISTORY_MARK = "（示例历史）"  # the end of every history case's description (the hand-made sample cases have none)


def _unit_points(street: Street) -> list[tuple[Grid, float, float, str]]:
    """Each unit grid's compounds (a case's place and address: residents report where they live); a unit without
    compounds has none."""
    out = []
    for c in Compound.objects.filter(street=street, grid__level=GridLevel.UNIT).select_related("grid").order_by("id"):
        if c.grid is not None and c.address:
            out.append((c.grid, c.lat, c.lng, c.address))
    return out


def _cases(street: Street, today: dt.date, rng: random.Random, days: int = HISTORY_DAYS, scale: int = 1) -> int:
    units = _unit_points(street)
    categories = list(CaseCategory.objects.filter(street=street).order_by("id"))
    if not units or not categories:
        return 0
    slipping = units[len(units) // 2][0].pk if units else None  # worse and worse in the last three weeks
    cases: list[Case] = []
    plans: list[list[tuple[dt.datetime, str, str, str]]] = []
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        for _n in range(rng.randint(3, 8) * scale):
            grid, lat, lng, address = rng.choice(units)
            category = rng.choice(categories)
            created = _at(day, rng.uniform(7, 20))
            given = dt.timedelta(minutes=category.resolution_minutes)
            slow = 1.0
            if grid.pk == slipping and back <= 21:
                slow = 2.2  # this unit has been slipping lately
            share = rng.uniform(0.05, 0.7) * slow if rng.random() > 0.12 else rng.uniform(1.05, 2.5)
            accepted = created + dt.timedelta(minutes=rng.uniform(5, 90) * slow)
            resolved = created + given * share
            timeline: list[tuple[dt.datetime, str, str, str]] = [
                (created, "report", "", CaseStatus.NEW),
                (created, "transition", CaseStatus.NEW, CaseStatus.DISPATCHED),
                (accepted, "transition", CaseStatus.DISPATCHED, CaseStatus.ACCEPTED),
                (accepted + dt.timedelta(minutes=10), "transition", CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS),
            ]
            now = timezone.now()
            status = CaseStatus.IN_PROGRESS
            if resolved < now:
                timeline.append((resolved, "transition", CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED))
                status = CaseStatus.RESOLVED
                if rng.random() < 0.06:  # reopened, then resolved again
                    again = resolved + dt.timedelta(hours=rng.uniform(2, 20))
                    timeline.append((again, "transition", CaseStatus.RESOLVED, CaseStatus.IN_PROGRESS))
                    resolved = again + dt.timedelta(hours=rng.uniform(2, 12))
                    timeline.append((resolved, "transition", CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED))
                verified = resolved + dt.timedelta(hours=rng.uniform(1, 8))
                if verified < now:
                    timeline.append((verified, "transition", CaseStatus.RESOLVED, CaseStatus.VERIFIED))
                    status = CaseStatus.VERIFIED
                    closed = verified + dt.timedelta(hours=rng.uniform(0.5, 4))
                    if closed < now:
                        timeline.append((closed, "transition", CaseStatus.VERIFIED, CaseStatus.CLOSED))
                        status = CaseStatus.CLOSED
            stamps = {to: at for at, _a, _f, to in timeline}
            cases.append(
                Case(
                    street=street,
                    category=category,
                    status=status,
                    lat=lat,
                    lng=lng,
                    address=address,
                    description=f"{category.name_zh}{HISTORY_MARK}",
                    grid=grid,
                    queue="grid",
                    reports_count=1,
                    created_at=created,
                    updated_at=timeline[-1][0],
                    dispatched_at=created,
                    accepted_at=stamps.get(CaseStatus.ACCEPTED),
                    resolved_at=stamps.get(CaseStatus.RESOLVED),
                    verified_at=stamps.get(CaseStatus.VERIFIED),
                    closed_at=stamps.get(CaseStatus.CLOSED),
                    response_due_at=created + dt.timedelta(minutes=category.response_minutes),
                    resolution_due_at=created + given,
                    resolution_note="已处置（示例）" if CaseStatus.RESOLVED in stamps else "",
                )
            )
            plans.append(timeline)
    Case.objects.bulk_create(cases, batch_size=1000)
    events = [
        CaseEvent(case=case, at=at, action=action, from_status=frm, to_status=to, note="示例历史 sample history")
        for case, timeline in zip(cases, plans, strict=True)
        for at, action, frm, to in timeline
    ]
    CaseEvent.objects.bulk_create(events, batch_size=2000)
    return len(cases)


def _asks(street: Street, today: dt.date, rng: random.Random, days: int = HISTORY_DAYS, scale: int = 1) -> int:
    rows = []
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        for _n in range(rng.randint(8, 30) * scale):
            question, intent = rng.choice(QUESTIONS)
            rows.append(
                AskLog(
                    street=street,
                    created_at=_at(day, rng.uniform(7, 21)),
                    question=question,
                    normalized=question,
                    intent=intent,
                    answer="（示例历史回答）",
                    confidence=0.8,
                    backend=Backend.OFFLINE,
                    latency_ms=rng.randint(5, 40),
                )
            )
    AskLog.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _residents() -> list[User]:
    return list(User.objects.filter(phone__startswith="+8613900").order_by("phone")[:150])


def _bookings(street: Street, today: dt.date, rng: random.Random, days: int = HISTORY_DAYS, scale: int = 1) -> int:
    venues = list(
        Place.objects.filter(
            street=street,
            kind__in=[PlaceKind.PARTY_SERVICE_STATION, PlaceKind.CITIZEN_STATION, PlaceKind.PARTY_SERVICE_CENTER],
        ).order_by("id")
    )
    people = _residents()
    if not venues or not people:
        return 0
    activities = []
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        for k in range(rng.randint(1, 3) * scale):
            start = _at(day, rng.choice([9, 10, 14, 15]))
            n = min(len(people), rng.randint(6, 18))
            activities.append(
                Activity(
                    street=street,
                    place=rng.choice(venues),
                    external_id=f"{TAG}-{day:%Y%m%d}-{k}",
                    title=f"{rng.choice(ACTIVITY_TITLES)}（示例历史）",
                    tags=[TAG],
                    start=start,
                    end=start + dt.timedelta(hours=1, minutes=30),
                    capacity=40,
                    booked=n,
                    status=ActivityStatus.PUBLISHED,
                )
            )
    Activity.objects.bulk_create(activities, batch_size=1000)
    bookings: list[Booking] = []
    for activity in activities:
        for user in rng.sample(people, activity.booked):
            bookings.append(
                Booking(
                    activity=activity,
                    user=user,
                    status=BookingStatus.CHECKED_IN,
                    code=f"H{rng.getrandbits(44):011X}"[:12],
                    created_at=activity.start - dt.timedelta(days=2),
                    confirmed_at=activity.start - dt.timedelta(days=2),
                    checked_in_at=activity.start - dt.timedelta(minutes=rng.randint(0, 15)),
                )
            )
    Booking.objects.bulk_create(bookings, batch_size=2000)
    # The check-in only: the confirmations before it count nowhere (and the history must load quickly).
    events = [
        BookingEvent(
            booking=b,
            at=b.checked_in_at or b.created_at,
            from_status=BookingStatus.CONFIRMED,
            to_status=BookingStatus.CHECKED_IN,
        )
        for b in bookings
    ]
    BookingEvent.objects.bulk_create(events, batch_size=4000)
    return len(bookings)


def _tickets(street: Street, today: dt.date, rng: random.Random, days: int = HISTORY_DAYS, scale: int = 1) -> int:
    centre = Place.objects.filter(street=street, kind=PlaceKind.AFFAIRS_CENTER).order_by("id").first()
    if centre is None:
        return 0
    tickets: list[QueueTicket] = []
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        if day.weekday() == 6:
            continue
        for seq in range(1, rng.randint(12, 28) * scale):
            arrived = _at(day, rng.uniform(9, 16.5))
            called = arrived + dt.timedelta(minutes=rng.uniform(2, 35))
            tickets.append(
                QueueTicket(
                    street=street,
                    place=centre,
                    day=day,
                    kind="W",
                    seq=500 + seq,
                    number=f"W{500 + seq}",
                    token=f"{TAG}{day:%y%m%d}{seq:03d}{rng.getrandbits(20):05x}"[:24],
                    status=TicketStatus.SERVED,
                    checked_in_at=arrived,
                    called_at=called,
                    finished_at=called + dt.timedelta(minutes=rng.uniform(4, 25)),
                    calls=1,
                )
            )
    QueueTicket.objects.bulk_create(tickets, batch_size=2000)
    events = [
        QueueTicketEvent(
            ticket=t,
            at=t.finished_at or t.checked_in_at,
            from_status=TicketStatus.CALLED,
            to_status=TicketStatus.SERVED,
        )
        for t in tickets
    ]
    QueueTicketEvent.objects.bulk_create(events, batch_size=4000)
    return len(tickets)


def _visits(street: Street, today: dt.date, rng: random.Random, days: int = HISTORY_DAYS, scale: int = 1) -> int:
    people = list(Person.objects.filter(street=street).order_by("id"))
    if not people:
        return 0
    visits: list[VisitRequest] = []
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        for _n in range(rng.randint(0, 3) * scale):
            person = rng.choice(people)
            created = _at(day, rng.uniform(8, 15))
            arrived = created + dt.timedelta(hours=rng.uniform(1, 7))
            visits.append(
                VisitRequest(
                    street=street,
                    committee_id=person.committee_id,
                    person=person,
                    what="上门代办（示例历史）",
                    status=VisitStatus.COMPLETED,
                    created_at=created,
                    due_at=created + dt.timedelta(hours=8),
                    arrived_at=arrived,
                    done_at=arrived + dt.timedelta(minutes=rng.uniform(15, 60)),
                    done_text="已办结（示例）",
                )
            )
    VisitRequest.objects.bulk_create(visits, batch_size=1000)
    events = []
    for v in visits:
        events.append(VisitEvent(visit=v, at=v.created_at, action="create", to_status=VisitStatus.OPEN))
        events.append(
            VisitEvent(
                visit=v,
                at=v.arrived_at or v.created_at,
                action="arrive",
                from_status="open",
                to_status=VisitStatus.ON_SITE,
            )
        )
        events.append(
            VisitEvent(
                visit=v,
                at=v.done_at or v.created_at,
                action="record",
                from_status=VisitStatus.ON_SITE,
                to_status=VisitStatus.COMPLETED,
            )
        )
    VisitEvent.objects.bulk_create(events, batch_size=3000)
    return len(visits)


def _shifts(street: Street, today: dt.date, rng: random.Random, days: int = HISTORY_DAYS, scale: int = 1) -> int:
    stations = list(Station.objects.filter(street=street).order_by("id"))
    volunteers = list(Volunteer.objects.filter(street=street).order_by("id"))
    if not stations or not volunteers:
        return 0
    shifts: list[Shift] = []
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        for station in stations:
            if rng.random() < 0.5:
                continue
            start = _at(day, rng.choice([8, 11, 14]))
            n = min(len(volunteers), rng.randint(1, 3))
            shifts.append(
                Shift(
                    station=station,
                    title="值守（示例历史）",
                    start=start,
                    end=start + dt.timedelta(hours=3),
                    places=4,
                    taken=n,
                    series=TAG,
                )
            )
    Shift.objects.bulk_create(shifts, batch_size=1000)
    signups: list[Signup] = []
    for shift in shifts:
        for volunteer in rng.sample(volunteers, shift.taken):
            signups.append(
                Signup(
                    shift=shift,
                    volunteer=volunteer,
                    status=SignupStatus.VERIFIED,
                    created_at=shift.start - dt.timedelta(days=3),
                    checked_in_at=shift.start,
                    checked_out_at=shift.end,
                    verified_at=shift.end + dt.timedelta(hours=2),
                    minutes=rng.choice([150, 180, 180, 200]),
                )
            )
    Signup.objects.bulk_create(signups, batch_size=2000)
    events = [
        SignupEvent(
            signup=s,
            at=s.verified_at or s.created_at,
            from_status=SignupStatus.CHECKED_OUT,
            to_status=SignupStatus.VERIFIED,
        )
        for s in signups
    ]
    SignupEvent.objects.bulk_create(events, batch_size=2000)
    return len(signups)


def history_build(
    street: Street, *, today: dt.date, days: int = HISTORY_DAYS, scale: int = 1, seed: int = SEED
) -> dict[str, int]:
    """`days` days of history before `today` in every domain, `scale` times the sample street's volume (the
    benchmark builds a year of a busy street with it). Counters are not touched."""
    rng = random.Random(seed)
    with transaction.atomic():
        return {
            "cases": _cases(street, today, rng, days, scale),
            "questions": _asks(street, today, rng, days, scale),
            "check_ins": _bookings(street, today, rng, days, scale),
            "tickets": _tickets(street, today, rng, days, scale),
            "visits": _visits(street, today, rng, days, scale),
            "volunteer_signups": _shifts(street, today, rng, days, scale),
        }


def dashboard_demo_load(street: Street, *, today: dt.date | None = None) -> DashboardDemo:
    today = today or timezone.localdate()
    result = DashboardDemo()
    old = _at(today - dt.timedelta(days=30), 0)
    if not Case.objects.filter(street=street, created_at__lt=old).exists():
        result.counts.update(history_build(street, today=today))
    result.counts["counters"] = counters_rebuild(street=street, days=HISTORY_DAYS + 10, today=today)
    return result


def dashboard_demo_reset(street: Street) -> None:
    """Remove the history rows that hold on to people (bookings protect their users) before the rest goes."""
    Activity.objects.filter(street=street, external_id__startswith=f"{TAG}-").delete()
    Shift.objects.filter(station__street=street, series=TAG).delete()
    VisitRequest.objects.filter(street=street, what="上门代办（示例历史）").delete()
