"""The alert state machine: its transition table, the stamps, the refusal and the timeline row of a move."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linli.care.models import Alert, AlertEvent, AlertStatus
from linli.care.services.state_common import EVENT_FIELDS_TAIL, event_row_for, refusal
from linli.core.transitions import StateMachine

A = AlertStatus

# A missed check-in climbs one rung per timer (services.checks.LADDER); a check-in or a staff member's
# confirmation resolves it from any rung.
ALERT_TRANSITIONS: dict[str, frozenset[str]] = {
    A.REMINDED: frozenset({A.STAFF_CALL, A.RESOLVED}),
    A.STAFF_CALL: frozenset({A.DOOR_KNOCK, A.RESOLVED}),
    A.DOOR_KNOCK: frozenset({A.FAMILY_TOLD, A.RESOLVED}),
    A.FAMILY_TOLD: frozenset({A.RESOLVED}),
    A.RESOLVED: frozenset(),
}

ALERT_STAMPS: dict[str, str] = {
    A.STAFF_CALL: "step_at",
    A.DOOR_KNOCK: "step_at",
    A.FAMILY_TOLD: "step_at",
    A.RESOLVED: "resolved_at",
}


ALERT_MACHINE: StateMachine[Alert] = StateMachine(
    model=Alert,
    table=ALERT_TRANSITIONS,
    refused=refusal("care_alert_invalid_transition", _("报平安提醒"), AlertStatus),
    stamps=ALERT_STAMPS,
    event_model=AlertEvent,
    event_fields=("alert", *EVENT_FIELDS_TAIL),
    event_row=event_row_for("alert"),
)
