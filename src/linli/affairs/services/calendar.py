"""An appointment as an iCalendar file (RFC 5545) with the two reminders as alarms, in the reader's language:
English when the signed-in resident's language is English or the page is English (`ics_language`), else Chinese.
Names (the item, the centre, the window) are the street's own, shown as they are."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from icalendar import Alarm, Calendar, Event

from linli.affairs.models import Appointment, AppointmentStatus
from linli.core.errors import request_language
from linli.core.i18n import in_language


def ics_language(request: HttpRequest, user: object | None = None) -> str:
    """`en` when the page is in English or the person chose English, else `zh-hans`."""
    chosen = (getattr(user, "language", "") or "").lower()
    if request_language(request).lower().startswith("en") or chosen.startswith("en"):
        return "en"
    return "zh-hans"


def appointment_ics_bytes(appointment: Appointment, lang: str = "zh-hans") -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Linli//affairs//EN" if lang == "en" else "-//Linli//affairs//ZH")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    ev = Event()
    host = getattr(settings, "LINLI_SITE_URL", "") or "linli.local"
    ev.add("uid", f"affairs-appointment-{appointment.pk}@{host.split('//')[-1].strip('/')}")
    item = appointment.item.name
    code = appointment.code
    ev.add("summary", in_language(format_lazy(_("{item}（预约码 {code}）"), item=item, code=code), lang))
    place = appointment.resource.place
    location = format_lazy(
        _("{place} {resource} · {address}"), place=place.name, resource=appointment.resource.name, address=place.address
    )
    ev.add("location", in_language(location, lang))
    ev.add("dtstart", appointment.start)
    ev.add("dtend", appointment.end)
    ev.add("dtstamp", appointment.created_at)
    ev.add("description", in_language(format_lazy(_("预约码 {code}。请带齐材料原件。"), code=code), lang))
    ev.add("status", "CANCELLED" if appointment.status == AppointmentStatus.CANCELLED else "CONFIRMED")
    for before in (timedelta(days=1), timedelta(hours=2)):
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", in_language(format_lazy(_("办事预约：{item}"), item=item), lang))
        alarm.add("trigger", -before)
        ev.add_component(alarm)
    cal.add_component(ev)
    return bytes(cal.to_ical())
