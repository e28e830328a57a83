"""The case's state machine: the transition table, the stamps, the refusal and the timeline row of a move.

Every status change of a case goes through `MACHINE.move` (`linli.core.transitions`): the table is checked, the
UPDATE is conditional on the status the caller saw, and a CaseEvent ("transition") is appended. Who may make a
move, and what it needs (photos, a reason), is `services.workflow`'s; a report opening a case is
`services.reports`'s (new, then dispatched through the machine).
"""

from __future__ import annotations

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.cases.models import Case, CaseEvent, CaseStatus
from linli.core.errors import Problem
from linli.core.i18n import choice_label
from linli.core.transitions import StateMachine, Step

S = CaseStatus

# The case state machine: from status -> the statuses it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.DISPATCHED, S.REJECTED}),
    S.DISPATCHED: frozenset({S.ACCEPTED, S.REJECTED}),
    S.ACCEPTED: frozenset({S.IN_PROGRESS, S.REJECTED}),
    S.IN_PROGRESS: frozenset({S.RESOLVED}),
    S.RESOLVED: frozenset({S.VERIFIED, S.IN_PROGRESS}),
    S.VERIFIED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset({S.IN_PROGRESS}),
    S.REJECTED: frozenset(),
    S.MERGED: frozenset(),
}

# The timestamp column stamped when a case enters a status.
STAMP: dict[str, str] = {
    S.DISPATCHED: "dispatched_at",
    S.ACCEPTED: "accepted_at",
    S.RESOLVED: "resolved_at",
    S.VERIFIED: "verified_at",
    S.CLOSED: "closed_at",
}

# A CaseEvent row, every column.
EVENT_FIELDS = ("case", "at", "actor", "action", "from_status", "to_status", "note", "data")


def case_invalid_transition(case: Case, from_status: str, to_status: str) -> Problem:
    return Problem(
        "case_invalid_transition",
        detail=format_lazy(
            _("事件 #{case} 当前为「{status}」，不能改为「{to_status}」"),
            case=case.pk,
            status=choice_label(CaseStatus, from_status),
            to_status=choice_label(CaseStatus, to_status),
        ),
        extra={"from_status": from_status, "to_status": to_status},
    )


def _event_row(step: Step[Case]) -> dict[str, Any]:
    return {
        "case": step.obj.pk,
        "at": step.now,
        "actor": step.actor_id,
        "action": "transition",
        "from_status": step.from_status,
        "to_status": step.to_status,
        "note": step.note[:500],
        "data": dict(step.data),
    }


MACHINE = StateMachine(
    model=Case,
    table=TRANSITIONS,
    refused=case_invalid_transition,
    stamps=STAMP,
    event_model=CaseEvent,
    event_fields=EVENT_FIELDS,
    event_row=_event_row,
)
