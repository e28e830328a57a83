"""The pre-review's state machine (原件预审): one transition table, every change checked by it and recorded.

    submitted → approved | needs_correction | rejected | withdrawn     (staff review every material)
    needs_correction → submitted | withdrawn                           (the resident corrects what was flagged)
    approved → completed                                               (handled at the window, or entrusted)

Files are deleted `Policy.file_retention_days` (90) after the pre-review is closed (completed, rejected or
withdrawn), by the beat task `affairs.purge_prereview_files`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linli.affairs.models import PreReview, PreReviewEvent, PreReviewStatus
from linli.core.transitions import StateMachine, event_row, refusal

S = PreReviewStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.APPROVED, S.NEEDS_CORRECTION, S.REJECTED, S.WITHDRAWN}),
    S.NEEDS_CORRECTION: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.COMPLETED}),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.COMPLETED: frozenset(),
}

CLOSED = frozenset({S.REJECTED, S.WITHDRAWN, S.COMPLETED})

STAMP: dict[str, str] = {
    S.SUBMITTED: "submitted_at",
    S.APPROVED: "approved_at",
    S.REJECTED: "closed_at",
    S.WITHDRAWN: "closed_at",
    S.COMPLETED: "closed_at",
}


invalid_transition = refusal(
    "prereview_invalid_transition",
    PreReviewStatus,
    _("预审 {code} 当前为「{status}」，不能改为「{to_status}」"),
    code=lambda p: p.code,
)


MACHINE = StateMachine(
    model=PreReview,
    table=TRANSITIONS,
    refused=invalid_transition,
    stamps=STAMP,
    event_model=PreReviewEvent,
    event_fields=("prereview", "at", "actor", "from_status", "to_status", "note"),
    event_row=event_row("prereview"),
)
