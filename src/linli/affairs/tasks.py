"""Celery tasks for affairs: thin, idempotent wrappers around services (beat entries in linli/settings.py)."""

from __future__ import annotations

from celery import shared_task

from linli.affairs.services.appointments import appointment_reminders_send, appointments_no_show_sweep
from linli.affairs.services.prereviews import prereview_files_purge, prereviews_escalate
from linli.affairs.services.remote import remote_recordings_purge
from linli.affairs.services.slots import slots_materialise_all


@shared_task(name="affairs.send_reminders")
def send_reminders() -> int:
    """Appointment reminders due now (day before, two hours before)."""
    return appointment_reminders_send()


@shared_task(name="affairs.escalate_prereviews")
def escalate_prereviews() -> int:
    """Pre-reviews past their review deadline: tell the centre's head."""
    return prereviews_escalate()


@shared_task(name="affairs.no_show_sweep")
def no_show_sweep() -> int:
    """Appointments nobody came to: no-show, and the street's no-show rule."""
    return appointments_no_show_sweep()


@shared_task(name="affairs.purge_prereview_files")
def purge_prereview_files() -> int:
    """Pre-review files past their retention (90 days after completion)."""
    return prereview_files_purge()


@shared_task(name="affairs.materialise_slots")
def materialise_slots() -> int:
    """Slots for the next 60 days from the templates, the holiday table and the exceptions."""
    return slots_materialise_all()


@shared_task(name="affairs.purge_recordings")
def purge_recordings() -> int:
    """Remote-window recordings past their street's retention (30 days by default): files deleted, logs kept."""
    return remote_recordings_purge()
