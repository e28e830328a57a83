"""The case's state machine: the transition table, the stamps, the refusal and the timeline row of a move.

Every status change of a case goes through `MACHINE.move` (`linli.core.transitions`): the table is checked, the
UPDATE is conditional on the status the caller saw, and a CaseEvent ("transition") is appended. Who may make a
move, and what it needs (photos, a reason), is `services.workflow`'s; a report opening a case is
`services.reports`'s (new, then dispatched through the machine).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linli.cases.models import Case, CaseEvent, CaseStatus
from linli.core.transitions import StateMachine, event_row, refusal

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


case_invalid_transition = refusal(
    "case_invalid_transition",
    CaseStatus,
    _("事件 #{case} 当前为「{status}」，不能改为「{to_status}」"),
    case=lambda case: case.pk,
)


MACHINE = StateMachine(
    model=Case,
    table=TRANSITIONS,
    refused=case_invalid_transition,
    stamps=STAMP,
    event_model=CaseEvent,
    event_fields=EVENT_FIELDS,
    event_row=event_row("case", action=lambda step: "transition", data=lambda step: dict(step.data)),
)
