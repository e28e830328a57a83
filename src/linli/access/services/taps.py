"""The tap: a signed-in rider's phone presents a gate token (the QR code's `t`); the platform decides, records the
tap, and on allow sends the gate a signed single-use open command and waits briefly for the controller's report.

Checks, in order (the first failure is the answer's `reason`):
    token shape and gate      token_invalid   (a token naming no active gate)
    token MAC and window      token_invalid / token_expired   (protocol.check_gate_token with the gate's key)
    tap flood                 rate_limited    (more than TAPS_PER_MINUTE attempts by one rider)
    rider credential          rider_unverified (none, revoked, expired) / rider_suspended
                              partner_not_allowed (verified only by another street, not admitted here)
    policy                    outside_hours (rider access off or outside the hours) / partner_not_allowed
    gate heartbeat            gate_offline
    phone location            too_far (when given and farther than LINLI_ACCESS_MAX_DISTANCE_M from the compound)
    entries per hour          rate_limited    (the policy's max per rider per hour, counted on allowed entries)

Nothing is cached between taps: the gate, its policy and the rider's credential are read on every tap (one
statement, `fast`: the tap's SQL is written once, not built by the ORM each time), so a suspension or revocation
takes effect at the rider's next tap. An allowed tap costs three statements (read, insert, the command's result),
a denied one two. No transaction is held open while waiting for the controller.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from linli.access import gatewire
from linli.access.gatewire import protocol
from linli.access.models import AccessPolicy, CredentialStatus, Decision, Gate, RiderCredential, Tap
from linli.access.selectors import reason_text
from linli.access.services import fast
from linli.access.services.gates import gate_online
from linli.access.services.policy import within_hours
from linli.access.services.tap_results import tap_command_result
from linli.core import ratelimit
from linli.core.geo import haversine_m
from linli.core.hooks import change_announce
from linli.core.models import User

TAPS_PER_MINUTE = 30  # attempts per rider per minute (settings.LINLI_ACCESS_TAPS_PER_MINUTE overrides)
DEFAULT_MAX_DISTANCE_M = 300
PASS_SECONDS = 60  # how long the green pass is shown as valid


@dataclass
class TapResult:
    decision: str
    reason: str | None
    gate: Gate | None
    credential: RiderCredential | None
    tap: Tap
    expires_at: datetime | None = None
    opened: bool = False
    outcome: str = ""


def max_distance_m() -> float:
    return float(getattr(settings, "LINLI_ACCESS_MAX_DISTANCE_M", DEFAULT_MAX_DISTANCE_M))


def open_timeout() -> float:
    return float(getattr(settings, "LINLI_ACCESS_OPEN_TIMEOUT", 1.0))


def _credential(
    credential: RiderCredential | None, *, user: User, gate: Gate, policy: AccessPolicy | None, now: datetime
) -> tuple[RiderCredential | None, str | None]:
    """The credential that speaks for the rider at this gate, and the deny reason if it does not admit them.
    `credential` is the rider's credential of the gate's street (read with the gate); without one, the rider's
    credentials of other streets are read."""
    here = credential
    if here is not None:
        if here.status == CredentialStatus.SUSPENDED:
            return here, "rider_suspended"
        if here.status != CredentialStatus.VERIFIED or here.expires_at <= now:
            return here, "rider_unverified"
        if policy is not None and policy.partners and here.partner.code not in policy.partners:
            return here, "partner_not_allowed"
        return here, None
    rows = fast.rider_credentials(user.pk)
    elsewhere = [c for c in rows if c.status == CredentialStatus.VERIFIED and c.expires_at > now]
    if not elsewhere:
        suspended = next((c for c in rows if c.status == CredentialStatus.SUSPENDED), None)
        return (suspended, "rider_suspended") if suspended else (rows[0] if rows else None, "rider_unverified")
    other = elsewhere[0]
    if policy is None or not policy.other_streets:
        return other, "partner_not_allowed"
    if policy.partners and other.partner.code not in policy.partners:
        return other, "partner_not_allowed"
    return other, None


def _check(
    *, user: User, context: fast.TapContext, lat: float | None, lng: float | None, now: datetime
) -> tuple[RiderCredential | None, str | None, int | None]:
    gate, policy = context.gate, context.policy
    per_minute = int(getattr(settings, "LINLI_ACCESS_TAPS_PER_MINUTE", TAPS_PER_MINUTE))
    allowed, _retry = ratelimit.hit(f"access:tap:{user.pk}", per_minute, 60)
    distance = None
    if lat is not None and lng is not None:
        distance = round(haversine_m(lat, lng, gate.compound.lat, gate.compound.lng))
    if not allowed:
        return None, "rate_limited", distance
    credential, reason = _credential(context.credential, user=user, gate=gate, policy=policy, now=now)
    if reason:
        return credential, reason, distance
    if policy is not None and (not policy.riders_allowed or not within_hours(policy, now)):
        return credential, "outside_hours", distance
    if not gate_online(gate, now):
        return credential, "gate_offline", distance
    if distance is not None and distance > max_distance_m():
        return credential, "too_far", distance
    if policy is not None and policy.max_per_hour:
        ok, _retry = ratelimit.hit(f"access:entry:{gate.compound_id}:{user.pk}", policy.max_per_hour, 3600)
        if not ok:
            return credential, "rate_limited", distance
    return credential, None, distance


def tap_decide(*, user: User, gate_token: str, lat: float | None = None, lng: float | None = None) -> TapResult:
    """Decide a tap, record it, and on allow open the gate. Always returns (a deny is an answer, not an error)."""
    now_ts = time.time()
    now = timezone.now()
    gate: Gate | None = None
    credential: RiderCredential | None = None
    distance: int | None = None
    reason: str | None
    try:
        public_id, _window, _mac = protocol.parse_gate_token(gate_token)
        context = fast.tap_context(public_id=public_id, user_id=user.pk)
        if context is None:
            raise protocol.TokenInvalid("no such gate")
        gate = context.gate
        protocol.check_gate_token(gate_token, bytes(gate.token_key), now_ts)
    except protocol.TokenExpired:
        reason = "token_expired"
    except protocol.TokenInvalid:
        reason = "token_invalid"
    else:
        credential, reason, distance = _check(user=user, context=context, lat=lat, lng=lng, now=now)
    decision = Decision.DENY if reason else Decision.ALLOW
    tap = fast.tap_insert(
        Tap(
            at=now,
            street_id=gate.street_id if gate else None,
            compound_id=gate.compound_id if gate else None,
            gate=gate,
            rider=user,
            credential=credential,
            decision=decision,
            reason=reason or "",
            lat=lat,
            lng=lng,
            distance_m=distance,
            outcome="pending" if decision == Decision.ALLOW else "",
        )
    )
    result = TapResult(decision=decision, reason=reason, gate=gate, credential=credential, tap=tap)
    if decision == Decision.DENY and gate is not None:  # a live view counts denials (allowed taps: in the log)
        change_announce(domain="access", kind="tap.deny", street_id=gate.street_id, compound_id=gate.compound_id)
    if decision == Decision.ALLOW:
        assert gate is not None
        opened = gatewire.open_gate(
            gate_public_id=gate.public_id,
            command_key=bytes(gate.command_key),
            transport=gate.transport,
            tap_id=tap.pk,
            timeout=open_timeout(),
        )
        tap_command_result(tap_id=tap.pk, command_id=opened.command_id, outcome=opened.outcome, opened=opened.opened)
        tap.command_id, tap.outcome, tap.opened = opened.command_id, opened.outcome, opened.opened
        result.opened, result.outcome = opened.opened, opened.outcome
        result.expires_at = now + timedelta(seconds=PASS_SECONDS)
    return result


def tap_answer(result: TapResult, *, lang: str = "zh-hans", photo_url: str | None = None) -> dict[str, Any]:
    """The API's answer. Riders learn only the gate and compound names: nothing about residents."""
    gate = result.gate
    credential = result.credential
    return {
        "decision": result.decision,
        "reason": result.reason,
        "reason_text": reason_text(result.reason, lang) if result.reason else None,
        "gate": {"id": gate.public_id, "name": gate.name, "compound": gate.compound.name} if gate else None,
        "expires_at": result.expires_at.isoformat() if result.expires_at else None,
        "opened": result.opened,
        "outcome": result.outcome or None,
        "tap_id": result.tap.pk,
        "rider": (
            {"name": str(result.tap.rider), "partner": credential.partner.name, "photo_url": photo_url}
            if credential is not None and result.decision == Decision.ALLOW
            else None
        ),
    }
