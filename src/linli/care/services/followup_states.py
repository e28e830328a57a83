"""The followup state machine: its transition table, the stamps, the refusal and the timeline row of a move."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from linli.care.models import FollowUp, FollowUpEvent, FollowUpStatus
from linli.core.transitions import StateMachine, Step, event_row, refusal

F = FollowUpStatus

FOLLOWUP_TRANSITIONS: dict[str, frozenset[str]] = {
    F.OPEN: frozenset({F.DONE, F.CANCELLED}),
    F.DONE: frozenset(),
    F.CANCELLED: frozenset(),
}

FOLLOWUP_STAMPS: dict[str, str] = {F.DONE: "done_at"}


def _action(step: Step[Any]) -> str:
    return str(step.data.get("action", "transition"))


def _data(step: Step[Any]) -> dict[str, Any]:
    return {k: v for k, v in step.data.items() if k != "action"}


FOLLOWUP_MACHINE: StateMachine[FollowUp] = StateMachine(
    model=FollowUp,
    table=FOLLOWUP_TRANSITIONS,
    refused=refusal(
        "care_followup_invalid_transition",
        FollowUpStatus,
        _("回访 #{id} 当前为「{status}」，不能改为「{to_status}」"),
        id=lambda o: o.pk,
    ),
    stamps=FOLLOWUP_STAMPS,
    event_model=FollowUpEvent,
    event_fields=("followup", "at", "actor", "action", "from_status", "to_status", "note", "data"),
    event_row=event_row("followup", action=_action, data=_data),
)
