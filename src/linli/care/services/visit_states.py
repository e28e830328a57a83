"""The visit state machine: its transition table, the stamps, the refusal and the timeline row of a move."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linli.care.models import VisitEvent, VisitRequest, VisitStatus
from linli.care.services.state_common import EVENT_FIELDS_TAIL, event_row_for, refusal
from linli.core.transitions import StateMachine

V = VisitStatus

VISIT_TRANSITIONS: dict[str, frozenset[str]] = {
    V.OPEN: frozenset({V.ON_SITE, V.CANCELLED}),
    V.ON_SITE: frozenset({V.COMPLETED, V.FOLLOW_UP}),
    V.FOLLOW_UP: frozenset({V.ON_SITE, V.COMPLETED}),
    V.COMPLETED: frozenset(),
    V.CANCELLED: frozenset(),
}

VISIT_STAMPS: dict[str, str] = {V.ON_SITE: "arrived_at", V.COMPLETED: "done_at", V.FOLLOW_UP: "done_at"}


VISIT_MACHINE: StateMachine[VisitRequest] = StateMachine(
    model=VisitRequest,
    table=VISIT_TRANSITIONS,
    refused=refusal("care_visit_invalid_transition", _("上门特办"), VisitStatus),
    stamps=VISIT_STAMPS,
    event_model=VisitEvent,
    event_fields=("visit", *EVENT_FIELDS_TAIL),
    event_row=event_row_for("visit"),
)
