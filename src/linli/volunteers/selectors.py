"""Reads shared by pages and the API; tenancy scoping lives here (profiles are private to the street's station
staff and the volunteer)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from linli.activities.models import Activity, BookingStatus
from linli.core import selectors as core_selectors
from linli.core.errors import Problem
from linli.core.models import Street, User
from linli.core.phones import mask_phone
from linli.volunteers.models import (
    LIVE_SIGNUP,
    SKILLS,
    Account,
    Claim,
    ClaimStatus,
    Course,
    CourseStatus,
    Entry,
    Offer,
    ServiceItem,
    Shift,
    Signup,
    SignupStatus,
    Station,
    Team,
    Transfer,
    TransferKind,
    Volunteer,
)
from linli.volunteers.services.profiles import STAFF_ROLES
from linli.volunteers.services.timebank import badges, earned_minutes

CJK = re.compile(r"[\u3400-\u9fff]")


def staff_street_ids(user: Any) -> set[int]:
    if not (user and user.is_authenticated):
        return set()
    return core_selectors.user_street_ids(user, roles=STAFF_ROLES)


def volunteer_of(user: Any, street: Street | int | None = None) -> Volunteer | None:
    """The user's profile (in `street`, or their first)."""
    if not (user and user.is_authenticated):
        return None
    qs = Volunteer.objects.filter(user=user).select_related("street")
    if street is not None:
        qs = qs.filter(street_id=street if isinstance(street, int) else street.pk)
    return qs.order_by("pk").first()


def volunteers_for_staff(user: Any, street: Street) -> QuerySet[Volunteer]:
    """A street's volunteers, only for its station staff (Problem permission_denied otherwise)."""
    if street.pk not in staff_street_ids(user):
        raise Problem("permission_denied")
    return Volunteer.objects.filter(street=street).select_related("team").order_by("name")


def volunteers_list_for_staff(
    user: Any, street: Street, *, skill: str = "", team: str = "", unverified: bool = False, limit: int = 300
) -> list[dict[str, Any]]:
    """The staff's volunteer list: names (to check against the identity document), skills, team, stations,
    the real-name check; the volunteer's and the emergency contact's phones masked."""
    qs = volunteers_for_staff(user, street).select_related("user").prefetch_related("stations")
    if team.isdigit():
        qs = qs.filter(team_id=int(team))
    if unverified:
        qs = qs.filter(real_name_verified_at__isnull=True)
    labels = dict(SKILLS)
    return [
        {
            "id": v.pk,
            "name": v.name,
            "phone": mask_phone(v.user.phone) if v.user.phone else "",
            "skills": [str(labels.get(s, s)) for s in v.skills],
            "tags": [(t, "zh-Hans" if CJK.search(t) else "") for t in v.tags],
            "languages": v.languages,
            "team": v.team.name if v.team else "",
            "stations": [st.name for st in v.stations.all()],
            "emergency": f"{v.emergency_name[:1]}** {mask_phone(v.emergency_phone)}" if v.emergency_phone else "",
            "verified_at": v.real_name_verified_at,
            "registered": v.created_at,
        }  # fmt: skip
        for v in qs
        if not skill or skill in v.skills
    ][:limit]


def volunteer_for_staff(user: Any, volunteer_id: int) -> Volunteer:
    volunteer = Volunteer.objects.select_related("street", "team").filter(pk=volunteer_id).first()
    if volunteer is None or volunteer.street_id not in staff_street_ids(user):
        raise Problem("not_found")  # another street's volunteer does not exist for this user
    return volunteer


def stations_of(street: Street) -> QuerySet[Station]:
    return Station.objects.filter(street=street).order_by("name")


def shifts_between(
    *,
    street: Street | None = None,
    station: Station | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[Shift]:
    qs = Shift.objects.filter(cancelled_at__isnull=True).select_related("station")
    if station is not None:
        qs = qs.filter(station=station)
    elif street is not None:
        qs = qs.filter(station__street=street)
    if start is not None:
        qs = qs.filter(end__gte=start)
    if end is not None:
        qs = qs.filter(start__lt=end)
    return qs.order_by("start", "pk")


def my_signups(volunteer: Volunteer, *, upcoming: bool = True) -> QuerySet[Signup]:
    qs = Signup.objects.filter(volunteer=volunteer).select_related("shift__station")
    now = timezone.now()
    if upcoming:
        return qs.filter(status__in=LIVE_SIGNUP, shift__end__gte=now - timedelta(hours=12)).order_by("shift__start")
    return qs.order_by("-shift__start")


def hours_summary(volunteer: Volunteer) -> dict[str, Any]:
    account = Account.objects.filter(volunteer=volunteer).first()
    year = timezone.localdate().year
    recent = (
        Entry.objects.filter(account__volunteer=volunteer)
        .select_related("transfer")
        .order_by("-transfer__at", "-pk")[:20]
    )
    return {
        "volunteer": volunteer.pk,
        "earned_minutes": earned_minutes(volunteer),
        "this_year_minutes": earned_minutes(volunteer, year),
        "balance_minutes": account.balance if account else 0,
        "badges": badges(volunteer),
        "verified_shifts": Signup.objects.filter(volunteer=volunteer, status=SignupStatus.VERIFIED).count(),
        "entries": [
            {"at": e.transfer.at, "kind": e.transfer.kind, "minutes": e.minutes, "memo": e.transfer.memo}
            for e in recent
        ],
    }


def offers_of_street(street: Street) -> QuerySet[Offer]:
    return (
        Offer.objects.filter(volunteer__street=street, active=True).select_related("volunteer").order_by("-created_at")
    )


def service_menu(*, street: Street, upcoming_only: bool = True) -> QuerySet[ServiceItem]:
    qs = ServiceItem.objects.filter(station__street=street).select_related("station")
    if upcoming_only:
        qs = qs.filter(date__gte=timezone.localdate() - timedelta(days=7))
    return qs.order_by("date", "pk")


def claims_of_item(item: ServiceItem) -> QuerySet[Claim]:
    return item.claims.select_related("team", "volunteer").order_by("created_at")


def claims_of_user(user: Any, teams: list[Team]) -> QuerySet[Claim]:
    """The claims of the user's teams, or the user's own as a volunteer."""
    qs = Claim.objects.filter(team__in=teams) if teams else Claim.objects.filter(volunteer__user=user)
    return qs.select_related("item__station", "team", "volunteer").prefetch_related("photos").order_by("-created_at")


def may_see_claim(user: Any, claim: Claim) -> bool:
    """The claimant (the team's managers, or the volunteer) and the street's station staff."""
    if not (user and user.is_authenticated):
        return False
    if claim.team_id and claim.team.managers.filter(pk=user.pk).exists():  # type: ignore[union-attr]
        return True
    if claim.volunteer_id and claim.volunteer.user_id == user.pk:  # type: ignore[union-attr]
        return True
    return claim.item.station.street_id in staff_street_ids(user)


def teams_managed(user: Any) -> QuerySet[Team]:
    if not (user and user.is_authenticated):
        return Team.objects.none()
    return Team.objects.filter(managers=user).select_related("street")


def today_at_station(station: Station, day: date | None = None) -> QuerySet[Signup]:
    day = day or timezone.localdate()
    return (
        Signup.objects.filter(
            shift__station=station, shift__start__date=day, status__in=[*LIVE_SIGNUP, SignupStatus.NO_SHOW]
        )
        .select_related("shift", "volunteer")
        .order_by("shift__start", "volunteer__name")
    )


def to_verify(street: Street) -> QuerySet[Signup]:
    return (
        Signup.objects.filter(shift__station__street=street)
        .filter(
            Q(status=SignupStatus.CHECKED_OUT)
            | Q(status=SignupStatus.CHECKED_IN, shift__end__lte=timezone.now() + timedelta(hours=1))
        )
        .select_related("shift__station", "volunteer")
        .annotate(confirmed=Count("confirmations"))
        .order_by("shift__start")
    )


def street_stats(street: Street, *, months: int = 6) -> dict[str, Any]:
    """Volunteers, hours per month, services delivered and people served, top teams."""
    since = timezone.localdate().replace(day=1) - timedelta(days=31 * (months - 1))
    credited = Entry.objects.filter(
        account__street=street, minutes__gt=0, account__kind__in=["volunteer", "team"],
        transfer__kind__in=[TransferKind.SHIFT, TransferKind.CLASS, TransferKind.SERVICE],
    )  # fmt: skip
    per_month = (
        credited.filter(transfer__at__date__gte=since)
        .annotate(month=TruncMonth("transfer__at"))
        .values("month")
        .annotate(minutes=Sum("minutes"))
        .order_by("month")
    )
    delivered = Claim.objects.filter(
        item__station__street=street, status__in=[ClaimStatus.DELIVERED, ClaimStatus.CONFIRMED]
    )
    delivered_per_month = (
        delivered.filter(delivered_at__date__gte=since)
        .annotate(month=TruncMonth("delivered_at"))
        .values("month")
        .annotate(services=Count("pk"), served=Sum("served"))
        .order_by("month")
    )
    top = (
        Team.objects.filter(street=street)
        .annotate(
            minutes=Sum("members__account__entries__minutes", filter=Q(members__account__entries__minutes__gt=0)),
            services=Count("claims", filter=Q(claims__status=ClaimStatus.CONFIRMED), distinct=True),
        )
        .order_by("-services", "-minutes", "name")[:10]
    )
    return {
        "volunteers": Volunteer.objects.filter(street=street).count(),
        "verified_volunteers": Volunteer.objects.filter(street=street, real_name_verified_at__isnull=False).count(),
        "total_minutes": int(credited.aggregate(s=Sum("minutes"))["s"] or 0),
        "per_month": [
            {"month": r["month"].strftime("%Y-%m"), "hours": round((r["minutes"] or 0) / 60, 1)} for r in per_month
        ],
        "services_per_month": [
            {"month": r["month"].strftime("%Y-%m"), "services": r["services"], "served": int(r["served"] or 0)}
            for r in delivered_per_month
        ],
        "services_delivered": delivered.count(),
        "people_served": int(delivered.aggregate(s=Sum("served"))["s"] or 0),
        "top_teams": [
            {"name": t.name, "kind": t.kind, "hours": round((t.minutes or 0) / 60, 1), "services": t.services}  # type: ignore[attr-defined]
            for t in top
        ],
    }


def course_sessions(course: Course) -> list[dict[str, Any]]:
    """A course's sessions (its activities): when, booked / places, waitlist, attendees checked in, and whether
    the teacher's hours for it were credited."""
    if not course.activity_ids:
        return []
    acts = (
        Activity.objects.filter(pk__in=course.activity_ids)
        .annotate(attended=Count("bookings", filter=Q(bookings__status=BookingStatus.CHECKED_IN)))
        .order_by("start")
    )
    credited = set(
        Transfer.objects.filter(ref__in=[f"class:{pk}" for pk in course.activity_ids]).values_list("ref", flat=True)
    )
    return [
        {"activity": a, "start": a.start, "booked": a.booked, "capacity": a.capacity, "waitlisted": a.waitlisted,
         "attended": a.attended, "status": a.status, "credited": f"class:{a.pk}" in credited}  # type: ignore[attr-defined]
        for a in acts
    ]  # fmt: skip


def courses_of_teacher(volunteer: Volunteer) -> list[tuple[Course, list[dict[str, Any]]]]:
    qs = Course.objects.filter(teacher=volunteer).select_related("station").order_by("-created_at")[:20]
    return [(c, course_sessions(c)) for c in qs]


def courses_for_staff(user: Any, street: Street) -> list[tuple[Course, list[dict[str, Any]]]]:
    """The street's courses for its station staff: proposed first, then the approved ones with their sessions."""
    if street.pk not in staff_street_ids(user):
        raise Problem("permission_denied")
    qs = Course.objects.filter(station__street=street).select_related("station", "teacher").order_by(
        "status", "-created_at")[:100]  # fmt: skip
    order = {CourseStatus.PROPOSED: 0, CourseStatus.APPROVED: 1, CourseStatus.DECLINED: 2}
    return sorted(((c, course_sessions(c)) for c in qs), key=lambda pair: order.get(pair[0].status, 3))  # type: ignore[call-overload]


def user_can_see_street_stats(user: User, street: Street) -> bool:
    return street.pk in staff_street_ids(user)
