"""The alert state machine: its transition table, the stamps, the refusal and the timeline row of a move."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from linli.care.models import Alert, AlertEvent, AlertStatus
from linli.core.transitions import StateMachine, Step, event_row, refusal

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


def _action(step: Step[Any]) -> str:
    return str(step.data.get("action", "transition"))


def _data(step: Step[Any]) -> dict[str, Any]:
    return {k: v for k, v in step.data.items() if k != "action"}


ALERT_MACHINE: StateMachine[Alert] = StateMachine(
    model=Alert,
    table=ALERT_TRANSITIONS,
    refused=refusal(
        "care_alert_invalid_transition",
        AlertStatus,
        _("报平安提醒 #{id} 当前为「{status}」，不能改为「{to_status}」"),
        id=lambda o: o.pk,
    ),
    stamps=ALERT_STAMPS,
    event_model=AlertEvent,
    event_fields=("alert", "at", "actor", "action", "from_status", "to_status", "note", "data"),
    event_row=event_row("alert", action=_action, data=_data),
)
