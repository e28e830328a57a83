"""The call state machine: its transition table, the stamps, the refusal and the timeline row of a move."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from linli.care.models import Call, CallEvent, CallStatus
from linli.core.transitions import StateMachine, Step, event_row, refusal

C = CallStatus

# A call: stored new; escalated when nobody acknowledged it within 60 s; then on the way, on site, closed. A
# chat or a help call a responder settles on the phone may be closed from acknowledged or on the way.
CALL_TRANSITIONS: dict[str, frozenset[str]] = {
    C.NEW: frozenset({C.ESCALATED, C.ACKNOWLEDGED, C.CLOSED}),
    C.ESCALATED: frozenset({C.ACKNOWLEDGED, C.CLOSED}),
    C.ACKNOWLEDGED: frozenset({C.ON_THE_WAY, C.ON_SITE, C.CLOSED}),
    C.ON_THE_WAY: frozenset({C.ON_SITE, C.CLOSED}),
    C.ON_SITE: frozenset({C.CLOSED}),
    C.CLOSED: frozenset(),
}

CALL_STAMPS: dict[str, str] = {
    C.ESCALATED: "escalated_at",
    C.ACKNOWLEDGED: "acknowledged_at",
    C.ON_THE_WAY: "on_the_way_at",
    C.ON_SITE: "on_site_at",
    C.CLOSED: "closed_at",
}


def _action(step: Step[Any]) -> str:
    return str(step.data.get("action", "transition"))


def _data(step: Step[Any]) -> dict[str, Any]:
    return {k: v for k, v in step.data.items() if k != "action"}


CALL_MACHINE: StateMachine[Call] = StateMachine(
    model=Call,
    table=CALL_TRANSITIONS,
    refused=refusal(
        "care_call_invalid_transition",
        CallStatus,
        _("呼叫 #{id} 当前为「{status}」，不能改为「{to_status}」"),
        id=lambda o: o.pk,
    ),
    stamps=CALL_STAMPS,
    event_model=CallEvent,
    event_fields=("call", "at", "actor", "action", "from_status", "to_status", "note", "data"),
    event_row=event_row("call", action=_action, data=_data),
)
