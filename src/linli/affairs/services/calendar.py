"""An appointment as an iCalendar file (RFC 5545) with the two reminders as alarms."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from icalendar import Alarm, Calendar, Event

from linli.affairs.models import Appointment, AppointmentStatus


def appointment_ics_bytes(appointment: Appointment) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Linli//affairs//ZH")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    ev = Event()
    host = getattr(settings, "LINLI_SITE_URL", "") or "linli.local"
    ev.add("uid", f"affairs-appointment-{appointment.pk}@{host.split('//')[-1].strip('/')}")
    ev.add("summary", f"{appointment.item.name}（预约码 {appointment.code}）")
    place = appointment.resource.place
    ev.add("location", f"{place.name} {appointment.resource.name} · {place.address}")
    ev.add("dtstart", appointment.start)
    ev.add("dtend", appointment.end)
    ev.add("dtstamp", appointment.created_at)
    ev.add("description", f"预约码 {appointment.code}。请带齐材料原件。Bring the originals of your documents.")
    ev.add("status", "CANCELLED" if appointment.status == AppointmentStatus.CANCELLED else "CONFIRMED")
    for before in (timedelta(days=1), timedelta(hours=2)):
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", appointment.item.name)
        alarm.add("trigger", -before)
        ev.add_component(alarm)
    cal.add_component(ev)
    return bytes(cal.to_ical())
