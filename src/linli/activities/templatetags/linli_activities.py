"""Template helpers for activity pages: "11月25日 周二 09:30–11:00", seat labels, and the staff-link check."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import selectors as core_selectors
from linli.core.local_time import SHANGHAI, WEEKDAYS, as_local, day_names

register = template.Library()

STAFF_ROLES = ["admin", "station_staff"]


@register.filter
def activity_when(item: Any) -> str:
    """An activity's date and time as a resident reads it: "今天 09:30–11:00", "11月25日 周二 09:30–11:00"."""
    start = as_local(item.get("start") if isinstance(item, dict) else getattr(item, "start", None))
    end = as_local(item.get("end") if isinstance(item, dict) else getattr(item, "end", None))
    if start is None:
        return ""
    today = timezone.now().astimezone(SHANGHAI).date()
    days = (start.date() - today).days
    weekday = day_names()[WEEKDAYS[start.weekday()]]
    if days == 0:
        day = _("今天")
    elif days == 1:
        day = _("明天")
    else:
        day = _("%(month)s月%(day)s日") % {"month": start.month, "day": start.day}
    if start.year != today.year:
        day = f"{start.year} {day}"
    hours = start.strftime("%H:%M")
    if end is not None:
        hours += "–" + (end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%m-%d %H:%M"))
    return f"{day} {weekday} {hours}"


@register.filter
def local_time(value: Any) -> str:
    """Any time as "2026-11-25 09:30" in Shanghai time (staff lists)."""
    moment = as_local(value)
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


@register.filter
def is_activity_staff(user: Any) -> bool:
    """Whether the header shows the staff link: the user runs activities (admin or station staff) somewhere."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(core_selectors.user_street_ids(user, roles=STAFF_ROLES))
