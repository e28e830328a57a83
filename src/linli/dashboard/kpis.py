"""What each KPI counts, from which source table: the one definition both the counters' upkeep after each commit
and the nightly rebuild use (and the check compares).

Every KPI counts append-only facts by the day they happened (Asia/Shanghai): a status move's event row (a booking
checked in, an order delivered, a case resolved), or a row written once (a case reported, an answer, a rating). A
fact never changes day afterwards, so a commit changes the counters of its own day only. Families group the KPIs
one source query computes; a move of a model refreshes its family for that street and day.

Times (response, resolution) are kept as histograms (`case_response_b00` … `b11`: how many cases fell in each
bucket of `TIME_BUCKETS` minutes), which add up over days and grids; p50/p90 are read from the merged histogram.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from linli.activities.models import Booking, BookingEvent, BookingStatus
from linli.affairs.models import Appointment, AppointmentEvent, AppointmentStatus
from linli.affairs.models_queue import TICKET_FINISHED, QueueTicket, QueueTicketEvent
from linli.assistant.models import AskLog
from linli.care.models import Call, CallEvent, CallStatus, VisitEvent, VisitRequest, VisitStatus
from linli.cases.models import Case, CaseEvent, CaseStatus
from linli.core.i18n import Text
from linli.dashboard.attribution import Attribution
from linli.meals.models import Order, OrderEvent, OrderStatus
from linli.meals.models import Rating as MealRating
from linli.volunteers.models import Rating as VolunteerRating
from linli.volunteers.models import Signup, SignupEvent, SignupStatus

ZONE = ZoneInfo("Asia/Shanghai")

# Minutes: bucket i holds times in [TIME_BUCKETS[i-1], TIME_BUCKETS[i]) (bucket 0 from 0, the last one open).
TIME_BUCKETS = (30, 60, 120, 240, 480, 1440, 2880, 4320, 10080, 20160, 43200)
BUCKETS = len(TIME_BUCKETS) + 1


def bucket_of(minutes: float) -> int:
    for i, edge in enumerate(TIME_BUCKETS):
        if minutes < edge:
            return i
    return len(TIME_BUCKETS)


def bucket_bounds(i: int) -> tuple[float, float]:
    lo = 0.0 if i == 0 else float(TIME_BUCKETS[i - 1])
    hi = float(TIME_BUCKETS[i]) if i < len(TIME_BUCKETS) else lo * 2
    return lo, hi


def histogram_kpis(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_b{i:02d}" for i in range(BUCKETS))


# The people-times served across every domain (the sum is "服务人次").
SERVED_KPIS = (
    "bookings_attended",
    "meals_delivered",
    "affairs_served",
    "care_visits",
    "care_calls",
    "volunteer_shifts",
    "assistant_answers",
)

LABELS: dict[str, Text] = {
    "served": _("服务人次"),
    "bookings_attended": _("活动签到"),
    "meals_delivered": _("助餐送达"),
    "affairs_served": _("事务办结"),
    "care_visits": _("上门特办"),
    "care_calls": _("紧急呼叫处置"),
    "volunteer_shifts": _("志愿服务班次"),
    "volunteer_minutes": _("志愿服务时长（分钟）"),
    "volunteer_hours": _("志愿服务时长（小时）"),
    "assistant_answers": _("问一问回答"),
    "cases_reported": _("事件上报"),
    "cases_resolved": _("事件处置完成"),
    "cases_resolved_on_time": _("按时处置"),
    "cases_closed": _("事件结案"),
    "cases_reopened": _("事件重新打开"),
    "cases_verified": _("处置确认"),
    "on_time_rate": _("按时处置率"),
    "response_p50": _("响应时间 p50（分钟）"),
    "response_p90": _("响应时间 p90（分钟）"),
    "resolution_p50": _("处置时间 p50（分钟）"),
    "resolution_p90": _("处置时间 p90（分钟）"),
    "ratings_n": _("评价数"),
    "ratings_points": _("评价总分"),
    "satisfaction": _("满意度（5分制）"),
    "complaints": _("差评投诉"),
}

Values = dict[tuple[int | None, date, str], int]
Compute = Callable[[Attribution, datetime, datetime], Values]


@dataclass(frozen=True)
class Family:
    name: str
    kpis: tuple[str, ...]
    compute: Compute


def _day(value: date | datetime) -> date:
    return value.astimezone(ZONE).date() if isinstance(value, datetime) else value


def _local_day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=ZONE)


def _add(out: Values, grid: int | None, day: date, kpi: str, n: int) -> None:
    if n:
        out[(grid, day, kpi)] = out.get((grid, day, kpi), 0) + int(n)


# --------------------------------------------------------------------------------------------------- families


def _bookings(att: Attribution, start: datetime, end: datetime) -> Values:
    out: Values = {}
    rows = (
        BookingEvent.objects.filter(
            booking__activity__street_id=att.street_id,
            to_status=BookingStatus.CHECKED_IN,
            at__gte=start,
            at__lt=end,
        )
        .order_by()
        .values("booking__activity__place_id", d=_local_day("at"))
        .annotate(n=Count("id"))
    )
    for r in rows:
        _add(out, att.place(r["booking__activity__place_id"]), r["d"], "bookings_attended", r["n"])
    return out


def _meals(att: Attribution, start: datetime, end: datetime) -> Values:
    out: Values = {}
    rows = (
        OrderEvent.objects.filter(
            order__street_id=att.street_id,
            to_status__in=[OrderStatus.DELIVERED, OrderStatus.COLLECTED],
            at__gte=start,
            at__lt=end,
        )
        .order_by()
        .values("order__destination_place_id", "order__kitchen__place_id", d=_local_day("at"))
        .annotate(n=Count("order_id", distinct=True))
    )
    for r in rows:
        place = r["order__destination_place_id"] or r["order__kitchen__place_id"]
        _add(out, att.place(place), r["d"], "meals_delivered", r["n"])
    return out


def _affairs(att: Attribution, start: datetime, end: datetime) -> Values:
    out: Values = {}
    tickets = (
        QueueTicketEvent.objects.filter(
            ticket__street_id=att.street_id, to_status__in=list(TICKET_FINISHED), at__gte=start, at__lt=end
        )
        .order_by()
        .values("ticket__place_id", d=_local_day("at"))
        .annotate(n=Count("id"))
    )
    for r in tickets:
        _add(out, att.place(r["ticket__place_id"]), r["d"], "affairs_served", r["n"])
    # Appointments finished without a queue ticket (served at a desk that does not use the queue).
    appointments = (
        AppointmentEvent.objects.filter(
            appointment__street_id=att.street_id,
            appointment__ticket__isnull=True,
            to_status=AppointmentStatus.COMPLETED,
            at__gte=start,
            at__lt=end,
        )
        .order_by()
        .values("appointment__resource__place_id", d=_local_day("at"))
        .annotate(n=Count("id"))
    )
    for r in appointments:
        _add(out, att.place(r["appointment__resource__place_id"]), r["d"], "affairs_served", r["n"])
    return out


def _care(att: Attribution, start: datetime, end: datetime) -> Values:
    out: Values = {}
    visits = (
        VisitEvent.objects.filter(
            visit__street_id=att.street_id, to_status=VisitStatus.COMPLETED, at__gte=start, at__lt=end
        )
        .order_by()
        .values("visit__person__compound_id", "visit__committee_id", d=_local_day("at"))
        .annotate(n=Count("id"))
    )
    for r in visits:
        grid = att.person(r["visit__person__compound_id"], r["visit__committee_id"])
        _add(out, grid, r["d"], "care_visits", r["n"])
    calls = (
        CallEvent.objects.filter(call__street_id=att.street_id, to_status=CallStatus.CLOSED, at__gte=start, at__lt=end)
        .order_by()
        .values("call__person__compound_id", "call__committee_id", d=_local_day("at"))
        .annotate(n=Count("id"))
    )
    for r in calls:
        grid = att.person(r["call__person__compound_id"], r["call__committee_id"])
        _add(out, grid, r["d"], "care_calls", r["n"])
    return out


def _volunteers(att: Attribution, start: datetime, end: datetime) -> Values:
    out: Values = {}
    rows = (
        SignupEvent.objects.filter(
            signup__shift__station__street_id=att.street_id,
            to_status=SignupStatus.VERIFIED,
            at__gte=start,
            at__lt=end,
        )
        .order_by()
        .values("signup__shift__station__place_id", d=_local_day("at"))
        .annotate(n=Count("id"), minutes=Sum("signup__minutes"))
    )
    for r in rows:
        grid = att.place(r["signup__shift__station__place_id"])
        _add(out, grid, r["d"], "volunteer_shifts", r["n"])
        _add(out, grid, r["d"], "volunteer_minutes", r["minutes"] or 0)
    return out


def _assistant(att: Attribution, start: datetime, end: datetime) -> Values:
    out: Values = {}
    rows = (
        AskLog.objects.filter(street_id=att.street_id, created_at__gte=start, created_at__lt=end)
        .order_by()
        .values(d=_local_day("created_at"))
        .annotate(n=Count("id"))
    )
    for r in rows:
        _add(out, att.hq_id, r["d"], "assistant_answers", r["n"])
    return out


REOPENED_FROM = (CaseStatus.RESOLVED, CaseStatus.VERIFIED, CaseStatus.CLOSED)


def _cases(att: Attribution, start: datetime, end: datetime) -> Values:
    out: Values = {}
    reported = (
        Case.objects.filter(street_id=att.street_id, created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("grid_id", d=_local_day("created_at"))
        .annotate(n=Count("id"))
    )
    for r in reported:
        _add(out, att.grid(r["grid_id"]), r["d"], "cases_reported", r["n"])
    moves = CaseEvent.objects.filter(
        case__street_id=att.street_id, action="transition", at__gte=start, at__lt=end
    ).order_by()
    counted = (
        moves.filter(
            Q(to_status__in=[CaseStatus.RESOLVED, CaseStatus.CLOSED, CaseStatus.VERIFIED])
            | Q(to_status=CaseStatus.IN_PROGRESS, from_status__in=list(REOPENED_FROM))
        )
        .values("case__grid_id", "to_status", "from_status", d=_local_day("at"))
        .annotate(
            n=Count("id"),
            on_time=Count(
                "id", filter=Q(case__resolution_due_at__isnull=True) | Q(at__lte=F("case__resolution_due_at"))
            ),
        )
    )
    for r in counted:
        grid = att.grid(r["case__grid_id"])
        to = r["to_status"]
        if to == CaseStatus.RESOLVED:
            _add(out, grid, r["d"], "cases_resolved", r["n"])
            _add(out, grid, r["d"], "cases_resolved_on_time", r["on_time"])
        elif to == CaseStatus.CLOSED:
            _add(out, grid, r["d"], "cases_closed", r["n"])
        elif to == CaseStatus.VERIFIED:
            _add(out, grid, r["d"], "cases_verified", r["n"])
        else:
            _add(out, grid, r["d"], "cases_reopened", r["n"])
    # Times: response = report → accepted, resolution = report → resolved, by the day of the move.
    timed = moves.filter(to_status__in=[CaseStatus.ACCEPTED, CaseStatus.RESOLVED]).values_list(
        "case__grid_id", "to_status", "at", "case__created_at"
    )
    for grid_id, to, at, created in timed.iterator(chunk_size=5000):
        minutes = max(0.0, (at - created).total_seconds() / 60)
        prefix = "case_response" if to == CaseStatus.ACCEPTED else "case_resolution"
        _add(out, att.grid(grid_id), _day(at), f"{prefix}_b{bucket_of(minutes):02d}", 1)
    return out


def _satisfaction(att: Attribution, start: datetime, end: datetime) -> Values:
    out: Values = {}
    meals = (
        MealRating.objects.filter(order__street_id=att.street_id, created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("order__destination_place_id", "kitchen__place_id", d=_local_day("created_at"))
        .annotate(
            n=Count("id"),
            points=Sum(F("taste") + F("portion") + F("price")),
            low=Count("id", filter=Q(taste__lte=2) | Q(portion__lte=2) | Q(price__lte=2)),
        )
    )
    for r in meals:
        grid = att.place(r["order__destination_place_id"] or r["kitchen__place_id"])
        _add(out, grid, r["d"], "ratings_n", 3 * r["n"])  # three scores per rating
        _add(out, grid, r["d"], "ratings_points", r["points"] or 0)
        _add(out, grid, r["d"], "complaints", r["low"])
    volunteers = (
        VolunteerRating.objects.filter(claim__item__station__street_id=att.street_id, at__gte=start, at__lt=end)
        .order_by()
        .values("claim__item__station__place_id", d=_local_day("at"))
        .annotate(n=Count("id"), points=Sum("stars"), low=Count("id", filter=Q(stars__lte=2)))
    )
    for r in volunteers:
        grid = att.place(r["claim__item__station__place_id"])
        _add(out, grid, r["d"], "ratings_n", r["n"])
        _add(out, grid, r["d"], "ratings_points", r["points"] or 0)
        _add(out, grid, r["d"], "complaints", r["low"])
    return out


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("activities", ("bookings_attended",), _bookings),
        Family("meals", ("meals_delivered",), _meals),
        Family("affairs", ("affairs_served",), _affairs),
        Family("care", ("care_visits", "care_calls"), _care),
        Family("volunteers", ("volunteer_shifts", "volunteer_minutes"), _volunteers),
        Family("assistant", ("assistant_answers",), _assistant),
        Family(
            "cases",
            (
                "cases_reported",
                "cases_resolved",
                "cases_resolved_on_time",
                "cases_closed",
                "cases_reopened",
                "cases_verified",
                *histogram_kpis("case_response"),
                *histogram_kpis("case_resolution"),
            ),
            _cases,
        ),
        Family("satisfaction", ("ratings_n", "ratings_points", "complaints"), _satisfaction),
    )
}


# ------------------------------------------------------------------------ which moves touch which family


def _street_of_booking(obj: Booking) -> int | None:
    return Booking.objects.filter(pk=obj.pk).values_list("activity__street_id", flat=True).first()


def _street_of_signup(obj: Signup) -> int | None:
    return Signup.objects.filter(pk=obj.pk).values_list("shift__station__street_id", flat=True).first()


def _street_id(obj: object) -> int | None:
    return getattr(obj, "street_id", None)


# model → (family, the statuses whose moves it counts (None: every move), how to find the street)
MOVES: dict[type, tuple[str, frozenset[str] | None, Callable[[object], int | None]]] = {
    Booking: ("activities", frozenset({BookingStatus.CHECKED_IN}), _street_of_booking),  # type: ignore[dict-item]
    Order: ("meals", frozenset({OrderStatus.DELIVERED, OrderStatus.COLLECTED}), _street_id),
    QueueTicket: ("affairs", frozenset(str(s) for s in TICKET_FINISHED), _street_id),
    Appointment: ("affairs", frozenset({AppointmentStatus.COMPLETED}), _street_id),
    VisitRequest: ("care", frozenset({VisitStatus.COMPLETED}), _street_id),
    Call: ("care", frozenset({CallStatus.CLOSED}), _street_id),
    Signup: ("volunteers", frozenset({SignupStatus.VERIFIED}), _street_of_signup),  # type: ignore[dict-item]
    Case: ("cases", None, _street_id),
}

# `core.hooks.work_recorded` kinds → family
WORK: dict[str, str] = {
    "assistant.answer": "assistant",
    "meals.rating": "satisfaction",
    "volunteers.rating": "satisfaction",
    "cases.changed": "cases",
}


def compute(att: Attribution, families: list[str], start: datetime, end: datetime) -> Values:
    out: Values = defaultdict(int)
    for name in families:
        for key, n in FAMILIES[name].compute(att, start, end).items():
            out[key] += n
    return dict(out)
