"""The visit state machine: its transition table, the stamps, the refusal and the timeline row of a move."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from linli.care.models import VisitEvent, VisitRequest, VisitStatus
from linli.core.transitions import StateMachine, Step, event_row, refusal

V = VisitStatus

VISIT_TRANSITIONS: dict[str, frozenset[str]] = {
    V.OPEN: frozenset({V.ON_SITE, V.CANCELLED}),
    V.ON_SITE: frozenset({V.COMPLETED, V.FOLLOW_UP}),
    V.FOLLOW_UP: frozenset({V.ON_SITE, V.COMPLETED}),
    V.COMPLETED: frozenset(),
    V.CANCELLED: frozenset(),
}

VISIT_STAMPS: dict[str, str] = {V.ON_SITE: "arrived_at", V.COMPLETED: "done_at", V.FOLLOW_UP: "done_at"}


def _action(step: Step[Any]) -> str:
    return str(step.data.get("action", "transition"))


def _data(step: Step[Any]) -> dict[str, Any]:
    return {k: v for k, v in step.data.items() if k != "action"}


VISIT_MACHINE: StateMachine[VisitRequest] = StateMachine(
    model=VisitRequest,
    table=VISIT_TRANSITIONS,
    refused=refusal(
        "care_visit_invalid_transition",
        VisitStatus,
        _("上门特办 #{id} 当前为「{status}」，不能改为「{to_status}」"),
        id=lambda o: o.pk,
    ),
    stamps=VISIT_STAMPS,
    event_model=VisitEvent,
    event_fields=("visit", "at", "actor", "action", "from_status", "to_status", "note", "data"),
    event_row=event_row("visit", action=_action, data=_data),
)
