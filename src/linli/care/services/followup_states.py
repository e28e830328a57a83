"""The followup state machine: its transition table, the stamps, the refusal and the timeline row of a move."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linli.care.models import FollowUp, FollowUpEvent, FollowUpStatus
from linli.care.services.state_common import EVENT_FIELDS_TAIL, event_row_for, refusal
from linli.core.transitions import StateMachine

F = FollowUpStatus

FOLLOWUP_TRANSITIONS: dict[str, frozenset[str]] = {
    F.OPEN: frozenset({F.DONE, F.CANCELLED}),
    F.DONE: frozenset(),
    F.CANCELLED: frozenset(),
}

FOLLOWUP_STAMPS: dict[str, str] = {F.DONE: "done_at"}


FOLLOWUP_MACHINE: StateMachine[FollowUp] = StateMachine(
    model=FollowUp,
    table=FOLLOWUP_TRANSITIONS,
    refused=refusal("care_followup_invalid_transition", _("回访"), FollowUpStatus),
    stamps=FOLLOWUP_STAMPS,
    event_model=FollowUpEvent,
    event_fields=("followup", *EVENT_FIELDS_TAIL),
    event_row=event_row_for("followup"),
)
