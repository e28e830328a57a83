"""The call state machine: its transition table, the stamps, the refusal and the timeline row of a move."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linli.care.models import Call, CallEvent, CallStatus
from linli.care.services.state_common import EVENT_FIELDS_TAIL, event_row_for, refusal
from linli.core.transitions import StateMachine

C = CallStatus

# A call: stored new; escalated when nobody acknowledged it within 60 s; then on the way, on site, closed. A
# chat or a help call a responder settles on the phone may be closed from acknowledged or on the way.
CALL_TRANSITIONS: dict[str, frozenset[str]] = {
    C.NEW: frozenset({C.ESCALATED, C.ACKNOWLEDGED, C.CLOSED}),
    C.ESCALATED: frozenset({C.ACKNOWLEDGED, C.CLOSED}),
    C.ACKNOWLEDGED: frozenset({C.ON_THE_WAY, C.ON_SITE, C.CLOSED}),
    C.ON_THE_WAY: frozenset({C.ON_SITE, C.CLOSED}),
    C.ON_SITE: frozenset({C.CLOSED}),
    C.CLOSED: frozenset(),
}

CALL_STAMPS: dict[str, str] = {
    C.ESCALATED: "escalated_at",
    C.ACKNOWLEDGED: "acknowledged_at",
    C.ON_THE_WAY: "on_the_way_at",
    C.ON_SITE: "on_site_at",
    C.CLOSED: "closed_at",
}


CALL_MACHINE: StateMachine[Call] = StateMachine(
    model=Call,
    table=CALL_TRANSITIONS,
    refused=refusal("care_call_invalid_transition", _("呼叫"), CallStatus),
    stamps=CALL_STAMPS,
    event_model=CallEvent,
    event_fields=("call", *EVENT_FIELDS_TAIL),
    event_row=event_row_for("call"),
)
