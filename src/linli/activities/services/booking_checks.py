"""What a booking must pass, and the refusals both booking paths raise (`bookings.booking_write`, step by step,
and `fast.booking_write`, one statement on PostgreSQL): the window, the audience, the check-in code.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.activities.models import ACTIVE_BOOKING_STATUSES, Activity, Audience, BookingSource
from linli.core.errors import Problem
from linli.core.i18n import local_name_lazy
from linli.core.models import Role, RoleAssignment
from linli.core.selectors import user_has_role

STAFF_ROLES = (Role.ADMIN, Role.STATION_STAFF)
ELDERLY_MIN_AGE = 60
# Digits only: an elderly resident reads the code aloud at the desk ("三七零五…"), and a letter such as B/8 or
# S/5 is misheard; 10^8 codes, drawn at random and unique (a collision is retried).
CODE_ALPHABET = "0123456789"
CODE_LENGTH = 8

LIVE_IN = ", ".join(f"'{s}'" for s in ACTIVE_BOOKING_STATUSES)


def new_booking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def is_staff_for(user: Any, street: Any) -> bool:
    return user_has_role(user, street=street, roles=STAFF_ROLES)


def check_window(activity: Activity, now: datetime) -> None:
    opens = activity.booking_opens_at
    closes = activity.booking_closes_at or activity.start
    if opens is not None and now < opens:
        local = timezone.localtime(opens)
        raise Problem(
            "booking_closed",
            detail=format_lazy(_("预约将于 {local} 开放"), local=f"{local:%Y-%m-%d %H:%M}"),
            extra={"booking_opens_at": opens.isoformat()},
        )
    if now >= closes:
        raise Problem(
            "booking_closed",
            detail=_("预约已截止"),
            extra={"booking_closes_at": closes.isoformat()},
        )


def check_audience(activity: Activity, user: Any, now: datetime) -> None:
    audience = activity.audience
    if audience == Audience.ELDERLY:
        birth_year = getattr(user, "birth_year", None)
        if not birth_year:
            raise Problem(
                "audience_mismatch",
                detail=_("该活动面向60岁以上老年人。请先在「我的」页面填写出生年份"),
                extra={"audience": audience, "fix": "/me/"},
            )
        if timezone.localtime(now).year - birth_year < ELDERLY_MIN_AGE:
            raise Problem(
                "audience_mismatch",
                detail=_("该活动面向60岁以上老年人"),
                extra={"audience": audience},
            )
    elif audience == Audience.RIDERS and not RoleAssignment.objects.filter(user=user, role=Role.RIDER).exists():
        raise Problem(
            "audience_mismatch",
            detail=_("该活动面向骑手、快递员，请先在驿站登记骑手身份"),
            extra={"audience": audience},
        )


def already_booked() -> Problem:
    return Problem(
        "already_booked",
        detail=_("您已预约或正在候补这个活动，可在「我的预约」查看"),
    )


class CodeCollision(Exception):
    """The random check-in code was taken (about 1 in 10^12): the attempt is rolled back and retried."""


def limit_reached(street: Any, live: int) -> Problem:
    return Problem(
        "booking_limit_reached",
        detail=format_lazy(
            _("您在{street}已有 {live} 个未开始的活动预约，上限为 {limit} 个"),
            street=local_name_lazy(street),
            live=live,
            limit=street.booking_limit,
        ),
        extra={"limit": street.booking_limit},
    )


def activity_full(source: str) -> Problem:
    return Problem(
        "activity_full",
        detail=_("名额已满") if source == BookingSource.WALK_IN else _("名额已满，候补名单也已排满"),
    )
