"""The pipeline's state machine: its transition table, the stamps, the refusal and the timeline row of a move."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from linli.core.transitions import StateMachine, Step, event_row, refusal
from linli.jobs.models import Application, ApplicationEvent, AppStatus

A = AppStatus

PIPELINE_TRANSITIONS: dict[str, frozenset[str]] = {
    A.SUGGESTED: frozenset({A.CONTACTED, A.INTERVIEW, A.REFUSED}),
    A.APPLIED: frozenset({A.CONTACTED, A.INTERVIEW, A.REFUSED}),
    A.CONTACTED: frozenset({A.INTERVIEW, A.REFUSED}),
    A.INTERVIEW: frozenset({A.OFFER, A.HIRED, A.REFUSED}),
    A.OFFER: frozenset({A.HIRED, A.REFUSED}),
    A.HIRED: frozenset({A.RETAINED, A.LEFT}),
    A.RETAINED: frozenset({A.LEFT}),
    A.REFUSED: frozenset(),
    A.LEFT: frozenset(),
}

PIPELINE_STAMPS: dict[str, str] = {
    A.CONTACTED: "contacted_at",
    A.INTERVIEW: "interview_at",
    A.OFFER: "offer_at",
    A.HIRED: "hired_at",
    A.REFUSED: "refused_at",
    A.RETAINED: "retained_at",
    A.LEFT: "left_at",
}

# Where the employer owes an answer (the 14-day reminder, the 60-day auto-decline).
AWAITING_EMPLOYER = (A.SUGGESTED, A.APPLIED, A.CONTACTED, A.INTERVIEW)


def _action(step: Step[Any]) -> str:
    return str(step.data.get("action", "transition"))


def _data(step: Step[Any]) -> dict[str, Any]:
    return {k: v for k, v in step.data.items() if k != "action"}


PIPELINE_MACHINE: StateMachine[Application] = StateMachine(
    model=Application,
    table=PIPELINE_TRANSITIONS,
    refused=refusal(
        "jobs_application_invalid_transition",
        AppStatus,
        _("求职进展 #{id} 当前为「{status}」，不能改为「{to_status}」"),
        id=lambda o: o.pk,
    ),
    stamps=PIPELINE_STAMPS,
    event_model=ApplicationEvent,
    event_fields=("application", "at", "actor", "action", "from_status", "to_status", "note", "data"),
    event_row=event_row("application", action=_action, data=_data),
)
