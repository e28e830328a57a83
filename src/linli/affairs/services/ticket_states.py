"""The queue ticket's state machine: one transition table, every change checked by it and recorded.

waiting → called                         (a window calls the number; the hall screen shows and says it)
called → called                          (recalled: the same window says it again; no status change)
called → served | incomplete | referred  (the clerk records the outcome; incomplete names what was missing)
called → missed                          (called three times, nobody came: 过号)
called → waiting                         (the clerk puts it back: the person went to fetch a document)
missed → waiting                         (the person came back: the front desk puts the number back)
waiting → cancelled                      (the person left; the front desk takes the number out)
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linli.affairs.models import QueueTicket, QueueTicketEvent, TicketStatus
from linli.core.transitions import StateMachine, event_row, refusal

S = TicketStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.WAITING: frozenset({S.CALLED, S.CANCELLED}),
    S.CALLED: frozenset({S.SERVED, S.INCOMPLETE, S.REFERRED, S.MISSED, S.WAITING}),
    S.MISSED: frozenset({S.WAITING}),
    S.SERVED: frozenset(),
    S.INCOMPLETE: frozenset(),
    S.REFERRED: frozenset(),
    S.CANCELLED: frozenset(),
}

OUTCOMES = (S.SERVED, S.INCOMPLETE, S.REFERRED)

STAMP: dict[str, str] = {
    S.CALLED: "called_at",
    S.SERVED: "finished_at",
    S.INCOMPLETE: "finished_at",
    S.REFERRED: "finished_at",
    S.MISSED: "finished_at",
    S.CANCELLED: "finished_at",
}


invalid_transition = refusal(
    "ticket_invalid_transition",
    TicketStatus,
    _("{number} 号当前为「{status}」，不能改为「{to_status}」"),
    number=lambda t: t.number,
)


MACHINE = StateMachine(
    model=QueueTicket,
    table=TRANSITIONS,
    refused=invalid_transition,
    stamps=STAMP,
    event_model=QueueTicketEvent,
    event_fields=("ticket", "at", "actor", "from_status", "to_status", "note"),
    event_row=event_row("ticket"),
)
