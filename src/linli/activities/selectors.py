"""Activities reads: lists (this month, per venue, per street), detail, API shapes, bookings and the waitlist.

Published activities are public city-wide (like the service map); drafts and bookings lists are for the street's
staff only; a person sees their own bookings.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.activities.models import (
    Activity,
    ActivityStatus,
    Booking,
    BookingStatus,
    Category,
)
from linli.core import rawsql
from linli.core.errors import Problem, field_error
from linli.core.i18n import choice_label_in
from linli.core.models import Role, Street, User
from linli.core.phones import mask_personal_text, mask_phone
from linli.core.selectors import change_mark, street_get, user_has_role
from linli.places.models import Place

SHANGHAI = ZoneInfo("Asia/Shanghai")
STAFF_ROLES = (Role.ADMIN, Role.STATION_STAFF)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """'2026-11' -> [1 Nov 00:00, 1 Dec 00:00) in Asia/Shanghai; Problem validation_error if malformed."""
    m = _MONTH.match(month or "")
    if not m or not 1 <= int(m.group(2)) <= 12 or not 1900 <= int(m.group(1)) <= 2999:
        raise Problem(
            "validation_error",
            errors=[field_error("month", _("月份格式应为 YYYY-MM，例如 2026-11"))],
        )
    year, mon = int(m.group(1)), int(m.group(2))
    start = dt.datetime(year, mon, 1, tzinfo=SHANGHAI)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


def _as_start(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=SHANGHAI)
    return dt.datetime(value.year, value.month, value.day, tzinfo=SHANGHAI)


def activity_list(
    *,
    street: Street | str | None = None,
    place: Place | int | None = None,
    month: str | None = None,
    category: str | None = None,
    q: str | None = None,
    date_from: dt.date | dt.datetime | None = None,
    date_to: dt.date | dt.datetime | None = None,
    include_unpublished: bool = False,
) -> QuerySet[Activity]:
    """Activities ordered by start. `date_to` as a date includes that whole day (Shanghai time)."""
    qs = Activity.objects.select_related("place", "street")
    if not include_unpublished:
        qs = qs.filter(status=ActivityStatus.PUBLISHED)
    if street is not None and street != "":
        st = street if isinstance(street, Street) else street_get(code=street)
        qs = qs.filter(street=st)
    if place is not None and place != "":
        qs = qs.filter(place_id=place.pk if isinstance(place, Place) else int(place))
    if month:
        start, end = month_bounds(month)
        qs = qs.filter(start__gte=start, start__lt=end)
    if category:
        if category not in Category.values:
            raise Problem(
                "validation_error",
                errors=[
                    field_error(
                        "category",
                        format_lazy(_("没有这个活动类别，可用：{categories}"), categories=", ".join(Category.values)),
                    )
                ],
            )
        qs = qs.filter(category=category)
    if q and q.strip():
        term = q.strip()
        qs = qs.filter(
            Q(title__icontains=term)
            | Q(description__icontains=term)
            | Q(organiser__icontains=term)
            | Q(place__name__icontains=term)
        )
    if date_from is not None:
        qs = qs.filter(start__gte=_as_start(date_from))
    if date_to is not None:
        if isinstance(date_to, dt.datetime):
            qs = qs.filter(start__lt=_as_start(date_to))
        else:
            qs = qs.filter(start__lt=_as_start(date_to) + dt.timedelta(days=1))
    return qs.order_by("start", "id")


def activity_get(*, activity_id: int, include_unpublished: bool = False) -> Activity:
    qs = Activity.objects.select_related("place", "street")
    if not include_unpublished:
        qs = qs.exclude(status=ActivityStatus.DRAFT)  # cancelled ones stay visible (with their status)
    activity = qs.filter(pk=activity_id).first()
    if activity is None:
        raise Problem("not_found", detail=_("找不到该活动"))
    return activity


def activity_get_for_booking(*, activity_id: int) -> Activity:
    """The lean read of the one-tap booking path: the activity and its street (for the per-person limit)."""
    row = rawsql.fetch_one(
        f"SELECT {rawsql.select_list(Activity, 'a')}, {rawsql.select_list(Street, 's')} "  # noqa: S608
        f"FROM {rawsql.table(Activity)} a JOIN {rawsql.table(Street)} s ON s.id = a.{rawsql.column(Activity, 'street')} "
        "WHERE a.id = %s",
        [activity_id],
    )
    activity: Activity | None = None
    if row is not None:
        loaded, street = rawsql.instances(row, Activity, Street)
        assert isinstance(loaded, Activity)
        Activity.street.field.set_cached_value(loaded, street)
        activity = loaded
    if activity is None or activity.status == ActivityStatus.DRAFT:
        raise Problem("not_found", detail=_("找不到该活动"))
    return activity


def activity_get_for_staff(*, activity_id: int, actor: User) -> Activity:
    """Any activity (drafts too) of a street where `actor` is staff; others get not_found / permission_denied."""
    activity = activity_get(activity_id=activity_id, include_unpublished=True)
    if not user_has_role(actor, street=activity.street, roles=STAFF_ROLES):
        if activity.status == ActivityStatus.DRAFT:
            raise Problem("not_found", detail=_("找不到该活动"))
        raise Problem(
            "permission_denied",
            detail=_("只有本街道的工作人员可以管理活动"),
        )
    return activity


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


def seats_left(activity: Activity) -> int | None:
    if activity.capacity is None:
        return None
    return max(0, activity.capacity - activity.booked)


def category_name_zh(code: str) -> str:
    """The Chinese name of a category whatever the request's language (the API also gives category_name_en)."""
    return choice_label_in(Category, code, "zh-hans")


def activity_to_dict(activity: Activity) -> dict[str, Any]:
    place = activity.place
    return {
        "id": activity.pk,
        "external_id": activity.external_id,
        "title": activity.title,
        "description": mask_personal_text(activity.description),  # public: phone/ID numbers masked
        "category": activity.category,
        "category_name": category_name_zh(activity.category),
        "category_name_en": choice_label_in(Category, activity.category, "en"),
        "tags": list(activity.tags or []),
        "audience": activity.audience,
        "organiser": activity.organiser,
        "start": _iso(activity.start),
        "end": _iso(activity.end),
        "capacity": activity.capacity,
        "booked": activity.booked,
        "waitlisted": activity.waitlisted,
        "seats_left": seats_left(activity),
        "waitlist_capacity": activity.waitlist_capacity,
        "status": activity.status,
        "booking_opens_at": _iso(activity.booking_opens_at),
        "booking_closes_at": _iso(activity.booking_closes_at),
        "cancel_deadline": _iso(activity.cancel_deadline),
        "place": {"id": place.pk, "external_id": place.external_id, "name": place.name},
        "street": activity.street.code,
        "series_id": activity.series_id,
    }


# ------------------------------------------------------------------------------------------ bookings


def booking_list_for_user(*, user: User, upcoming_only: bool = False) -> QuerySet[Booking]:
    """A person's bookings, soonest activity first; `upcoming_only`: live bookings of activities not yet over."""
    qs = Booking.objects.filter(user=user).select_related("activity", "activity__place", "activity__street")
    if upcoming_only:
        qs = qs.filter(
            status__in=[BookingStatus.CONFIRMED, BookingStatus.WAITLISTED, BookingStatus.CHECKED_IN],
            activity__end__gt=timezone.now(),
        )
    return qs.order_by("activity__start", "id")


def booking_get_for_user(*, booking_id: int, user: User) -> Booking:
    """The person's own booking, or (for the street's staff) any booking of their street."""
    booking = (
        Booking.objects.select_related("activity", "activity__place", "activity__street", "user")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None or (
        booking.user_id != getattr(user, "pk", None)
        and not user_has_role(user, street=booking.activity.street, roles=STAFF_ROLES)
    ):
        raise Problem("not_found", detail=_("找不到该预约"))
    return booking


def waitlist_position(booking: Booking) -> int | None:
    """1 for the first in line; None unless the booking is waitlisted."""
    if booking.status != BookingStatus.WAITLISTED or booking.waitlisted_at is None:
        return None
    ahead = (
        Booking.objects.filter(activity_id=booking.activity_id, status=BookingStatus.WAITLISTED)
        .filter(Q(waitlisted_at__lt=booking.waitlisted_at) | Q(waitlisted_at=booking.waitlisted_at, id__lt=booking.pk))
        .count()
    )
    return ahead + 1


def booking_to_dict(booking: Booking, *, with_activity: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "booking_id": booking.pk,
        "status": booking.status,
        "code": booking.code,
        "source": booking.source,
        "created_at": _iso(booking.created_at),
        "cancelled_at": _iso(booking.cancelled_at),
        "checked_in_at": _iso(booking.checked_in_at),
        "waitlist_position": waitlist_position(booking),
    }
    if with_activity:
        body["activity"] = activity_to_dict(booking.activity)
    return body


def activity_bookings(*, activity: Activity, actor: User) -> QuerySet[Booking]:
    """Every booking of an activity, for the street's staff (admin, station staff) only."""
    if not user_has_role(actor, street=activity.street, roles=STAFF_ROLES):
        raise Problem(
            "permission_denied",
            detail=_("只有本街道的工作人员可以查看预约名单"),
        )
    return (
        Booking.objects.filter(activity=activity)
        .select_related("user")
        .order_by("status", "waitlisted_at", "created_at", "id")
    )


def booking_to_staff_dict(booking: Booking, *, full_phone: bool = False) -> dict[str, Any]:
    """One row of the staff's booking list; the phone is masked unless `full_phone` (PIPL)."""
    user = booking.user
    return {
        "booking_id": booking.pk,
        "status": booking.status,
        "code": booking.code,
        "source": booking.source,
        "name": user.display_name,
        "phone": user.phone if full_phone else mask_phone(user.phone),
        "created_at": _iso(booking.created_at),
        "waitlisted_at": _iso(booking.waitlisted_at),
        "checked_in_at": _iso(booking.checked_in_at),
    }


def activity_change_mark(*, street: Street) -> tuple[Subquery, Subquery]:
    """Count and latest change of the street's activity rows (the assistant's vocabulary cache key)."""
    return change_mark(Activity.objects.filter(street=street), latest="updated_at")
