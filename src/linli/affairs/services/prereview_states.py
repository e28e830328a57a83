"""The pre-review's state machine (原件预审): one transition table, every change checked by it and recorded.

    submitted → approved | needs_correction | rejected | withdrawn     (staff review every material)
    needs_correction → submitted | withdrawn                           (the resident corrects what was flagged)
    approved → completed                                               (handled at the window, or entrusted)

Files are deleted `Policy.file_retention_days` (90) after the pre-review is closed (completed, rejected or
withdrawn), by the beat task `affairs.purge_prereview_files`.
"""

from __future__ import annotations

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.affairs.models import PreReview, PreReviewEvent, PreReviewStatus
from linli.core.errors import Problem
from linli.core.i18n import choice_label
from linli.core.transitions import StateMachine, Step

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


def invalid_transition(prereview: PreReview, from_status: str, to_status: str) -> Problem:
    return Problem(
        "prereview_invalid_transition",
        detail=format_lazy(
            _("预审 {code} 当前为「{status}」，不能改为「{to_status}」"),
            code=prereview.code,
            status=choice_label(PreReviewStatus, from_status),
            to_status=choice_label(PreReviewStatus, to_status),
        ),
        extra={"from_status": from_status, "to_status": to_status},
    )


def _event_row(step: Step[PreReview]) -> dict[str, Any]:
    return {
        "prereview": step.obj.pk,
        "at": step.now,
        "actor": step.actor_id,
        "from_status": step.from_status,
        "to_status": step.to_status,
        "note": step.note[:500],
    }


MACHINE = StateMachine(
    model=PreReview,
    table=TRANSITIONS,
    refused=invalid_transition,
    stamps=STAMP,
    event_model=PreReviewEvent,
    event_fields=("prereview", "at", "actor", "from_status", "to_status", "note"),
    event_row=_event_row,
)
