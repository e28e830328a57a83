"""The appointment's state machine: one transition table, every change checked by it and recorded.

    booked → checked_in → completed          (the window queue: check-in by QR or code, the clerk records served)
    booked → cancelled                       (the resident before the cut-off, or staff)
    booked → no_show                         (the slot ended and nobody came: counts toward the no-show rule)
    checked_in → no_show                     (called and never came to the window)

A reschedule keeps the status `booked` and moves the appointment to another slot (services.appointments).
The window queue (its own models, migration 0002+) moves appointments with `MACHINE.move(...)`:
`checked_in` when the resident checks in, `completed` when the clerk records "served".
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linli.affairs.models import Appointment, AppointmentEvent, AppointmentStatus
from linli.core.transitions import StateMachine, event_row, refusal

S = AppointmentStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.BOOKED: frozenset({S.CHECKED_IN, S.CANCELLED, S.NO_SHOW}),
    S.CHECKED_IN: frozenset({S.COMPLETED, S.NO_SHOW}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NO_SHOW: frozenset(),
}

# Statuses that hold a place of the slot.
HOLDS_PLACE = frozenset({S.BOOKED, S.CHECKED_IN, S.COMPLETED, S.NO_SHOW})

STAMP: dict[str, str] = {
    S.CANCELLED: "cancelled_at",
    S.CHECKED_IN: "checked_in_at",
    S.COMPLETED: "completed_at",
    S.NO_SHOW: "no_show_at",
}


invalid_transition = refusal(
    "appointment_invalid_transition",
    AppointmentStatus,
    _("预约 {code} 当前为「{status}」，不能改为「{to_status}」"),
    code=lambda a: a.code,
)


MACHINE = StateMachine(
    model=Appointment,
    table=TRANSITIONS,
    refused=invalid_transition,
    stamps=STAMP,
    event_model=AppointmentEvent,
    event_fields=("appointment", "at", "actor", "from_status", "to_status", "note"),
    event_row=event_row("appointment"),
)
