"""Times as a resident reads them, in the business zone (Asia/Shanghai): the zone, weekday codes and their names,
and any datetime or ISO string as a local datetime. Shared by every domain's template filters."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def day_names() -> dict[str, str]:
    """Weekday (and public holiday) codes of opening hours -> their names in the request's language."""
    return {
        "Mo": _("周一"),
        "Tu": _("周二"),
        "We": _("周三"),
        "Th": _("周四"),
        "Fr": _("周五"),
        "Sa": _("周六"),
        "Su": _("周日"),
        "PH": _("法定节假日"),
    }


def as_local(value: object) -> datetime | None:
    """A datetime or ISO string in Shanghai time (a naive one is taken as Shanghai time); None otherwise."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, datetime):
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(SHANGHAI)
