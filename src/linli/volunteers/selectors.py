"""Reads shared by pages and the API; tenancy scoping lives here (profiles are private to the street's station
staff and the volunteer)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from linli.core import selectors as core_selectors
from linli.core.errors import Problem
from linli.core.models import Street, User
from linli.volunteers.models import (
    LIVE_SIGNUP,
    Account,
    Claim,
    ClaimStatus,
    Entry,
    Offer,
    ServiceItem,
    Shift,
    Signup,
    SignupStatus,
    Station,
    Team,
    TransferKind,
    Volunteer,
)
from linli.volunteers.services.profiles import STAFF_ROLES
from linli.volunteers.services.timebank import badges, earned_minutes


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
        "services_delivered": delivered.count(),
        "people_served": int(delivered.aggregate(s=Sum("served"))["s"] or 0),
        "top_teams": [
            {"name": t.name, "kind": t.kind, "hours": round((t.minutes or 0) / 60, 1), "services": t.services}  # type: ignore[attr-defined]
            for t in top
        ],
    }


def user_can_see_street_stats(user: User, street: Street) -> bool:
    return street.pk in staff_street_ids(user)
