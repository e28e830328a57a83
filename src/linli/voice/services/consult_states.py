"""The consultation state machine: its transition table, the stamps, the refusal and the timeline row."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from linli.core.transitions import StateMachine, Step, event_row, refusal
from linli.voice.models import Consultation, ConsultationEvent, ConsultationStatus

C = ConsultationStatus

CONSULTATION_TRANSITIONS: dict[str, frozenset[str]] = {
    C.INVITING: frozenset({C.SCHEDULED, C.CANCELLED}),
    C.SCHEDULED: frozenset({C.MET, C.CANCELLED}),
    C.MET: frozenset({C.CLOSED}),
    C.CLOSED: frozenset(),
    C.CANCELLED: frozenset(),
}

CONSULTATION_STAMPS: dict[str, str] = {
    C.SCHEDULED: "scheduled_at", C.MET: "met_at", C.CLOSED: "closed_at", C.CANCELLED: "cancelled_at",
}  # fmt: skip


def _action(step: Step[Any]) -> str:
    return str(step.data.get("action", "transition"))


def _data(step: Step[Any]) -> dict[str, Any]:
    return {k: v for k, v in step.data.items() if k != "action"}


CONSULTATION_MACHINE: StateMachine[Consultation] = StateMachine(
    model=Consultation,
    table=CONSULTATION_TRANSITIONS,
    refused=refusal(
        "consultation_invalid_transition",
        ConsultationStatus,
        _("约请 #{id} 当前为「{status}」，不能改为「{to_status}」"),
        id=lambda o: o.pk,
    ),
    stamps=CONSULTATION_STAMPS,
    event_model=ConsultationEvent,
    event_fields=("consultation", "at", "actor", "action", "from_status", "to_status", "note", "data"),
    event_row=event_row("consultation", action=_action, data=_data),
)
