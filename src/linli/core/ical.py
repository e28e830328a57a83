"""Reading an iCalendar file (RFC 5545) that a person uploaded: one parser and one problem for every domain that
imports calendars (activities' programme, affairs' closures)."""

from __future__ import annotations

import icalendar
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem


def ical_parse(text: bytes | str) -> icalendar.Calendar:
    """Parse an iCalendar text; Problem ical_invalid with the parser's reason if it is not one VCALENDAR."""
    try:
        cal = icalendar.Calendar.from_ical(text)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise Problem(
            "ical_invalid",
            detail=format_lazy(_("无法解析日历文件：{error}"), error=exc),
            errors=[{"field": "file", "message": format_lazy(_("无法解析：{error}"), error=exc)}],
        ) from None
    if isinstance(cal, list) or cal.name != "VCALENDAR":
        raise Problem(
            "ical_invalid",
            detail=_("文件应包含一个 VCALENDAR"),
            errors=[{"field": "file", "message": _("应为一个 VCALENDAR")}],
        )
    return cal
