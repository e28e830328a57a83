"""The two state machines of volunteers (core.transitions: one table, conditional UPDATE, event row).

Sign-ups:  signed_up → checked_in → checked_out → verified
           signed_up → dropped | swapped | no_show          (dropped/swapped give the place back)
           checked_in → verified                            (staff verify a volunteer who forgot to check out)
Claims:    claimed → delivered → confirmed                  (report with photos and people served; station confirms)
           claimed → cancelled;  delivered → rejected
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linli.core.transitions import StateMachine, event_row, refusal
from linli.volunteers.models import Claim, ClaimEvent, ClaimStatus, Signup, SignupEvent, SignupStatus

S = SignupStatus
C = ClaimStatus

SIGNUP_TRANSITIONS: dict[str, frozenset[str]] = {
    S.SIGNED_UP: frozenset({S.CHECKED_IN, S.DROPPED, S.SWAPPED, S.NO_SHOW}),
    S.CHECKED_IN: frozenset({S.CHECKED_OUT, S.VERIFIED}),
    S.CHECKED_OUT: frozenset({S.VERIFIED}),
    S.VERIFIED: frozenset(),
    S.DROPPED: frozenset(),
    S.SWAPPED: frozenset(),
    S.NO_SHOW: frozenset(),
}
GIVES_PLACE_BACK = frozenset({S.DROPPED, S.SWAPPED})

SIGNUPS = StateMachine(
    model=Signup,
    table=SIGNUP_TRANSITIONS,
    refused=refusal("signup_invalid_transition", SignupStatus, _("报名当前为「{status}」，不能改为「{to_status}」")),
    stamps={
        S.DROPPED: "dropped_at",
        S.SWAPPED: "dropped_at",
        S.CHECKED_IN: "checked_in_at",
        S.CHECKED_OUT: "checked_out_at",
        S.VERIFIED: "verified_at",
    },
    event_model=SignupEvent,
    event_fields=("signup", "at", "actor", "from_status", "to_status", "note"),
    event_row=event_row("signup"),
)

CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    C.CLAIMED: frozenset({C.DELIVERED, C.CANCELLED}),
    C.DELIVERED: frozenset({C.CONFIRMED, C.REJECTED}),
    C.CONFIRMED: frozenset(),
    C.CANCELLED: frozenset(),
    C.REJECTED: frozenset(),
}

CLAIMS = StateMachine(
    model=Claim,
    table=CLAIM_TRANSITIONS,
    refused=refusal("claim_invalid_transition", ClaimStatus, _("接单当前为「{status}」，不能改为「{to_status}」")),
    stamps={C.DELIVERED: "delivered_at", C.CONFIRMED: "confirmed_at", C.CANCELLED: "cancelled_at"},
    event_model=ClaimEvent,
    event_fields=("claim", "at", "actor", "from_status", "to_status", "note"),
    event_row=event_row("claim"),
)
