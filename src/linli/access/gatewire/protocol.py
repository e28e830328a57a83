"""The gate wire protocol: device secrets, rotating gate tokens, signed open commands and events.

Pure Python (no Django, no I/O) so the platform, the simulator and a real controller's firmware port share one
definition. Every MAC is HMAC-SHA256 and every comparison constant-time. All times are passed in (`now`, unix
seconds as float) so the functions are deterministic and testable.

- Device secret: 32 random bytes as base64url without padding (43 chars), shown once; the platform keeps only
  the two keys derived from it (`derive_keys`).
- Gate token (the QR code's `t`): `v1.<public_id>.<window>.<mac22>`, window = floor(unix / 30).
- Open command and events: compact JSON on `linli/gates/<public_id>/cmd` and `.../evt`, each with a full-length
  base64url MAC over a `|`-joined canonical string (see `command_mac`, `event_mac`).
- HTTP controllers authenticate with `Authorization: Gate <public_id>:<ts>:<mac>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

PROTOCOL_VERSION = 1
TOKEN_WINDOW_SECONDS = 30
GRACE_SECONDS = 5  # a token is still accepted this long after its window ends (the rider was mid-scan)
COMMAND_TTL_SECONDS = 5  # an open command expires this long after it is signed
MAX_COMMAND_AHEAD_SECONDS = 10  # a controller refuses a command whose exp is further ahead than this
EVENT_MAX_SKEW_SECONDS = 120  # the platform ignores events stamped further than this from its clock (replays)
HTTP_AUTH_SKEW_SECONDS = 60

TOKEN_LABEL = b"linli-gate-token-v1"
COMMAND_LABEL = b"linli-gate-command-v1"

PUBLIC_ID_RE = re.compile(r"g[a-z2-7]{12}")
COMMAND_ID_RE = re.compile(r"[0-9a-f]{32}")
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]+")
_WINDOW_RE = re.compile(r"0|[1-9][0-9]{0,11}")
_TOKEN_MAX_LENGTH = 80
_PAYLOAD_MAX_BYTES = 1024
_REASON_RE = re.compile(r"[a-z0-9_]{1,40}")

EVENT_TYPES = ("opened", "refused", "heartbeat")

# Stable reasons a controller gives in a `refused` event.
REFUSE_MALFORMED = "malformed"
REFUSE_BAD_MAC = "bad_mac"
REFUSE_WRONG_GATE = "wrong_gate"
REFUSE_EXPIRED = "expired"
REFUSE_EXP_TOO_FAR = "exp_too_far"
REFUSE_REPLAYED = "replayed"
REFUSE_REASONS = (
    REFUSE_MALFORMED,
    REFUSE_BAD_MAC,
    REFUSE_WRONG_GATE,
    REFUSE_EXPIRED,
    REFUSE_EXP_TOO_FAR,
    REFUSE_REPLAYED,
)


class ProtocolError(ValueError):
    """Base of every rejection; `reason` is a stable code."""

    reason = "invalid"

    def __init__(self, message: str = "", *, reason: str | None = None) -> None:
        super().__init__(message or self.reason)
        if reason is not None:
            self.reason = reason


class TokenInvalid(ProtocolError):
    reason = "token_invalid"


class TokenExpired(ProtocolError):
    reason = "token_expired"


class SecretInvalid(ProtocolError):
    reason = "secret_invalid"


class CommandRefused(ProtocolError):
    """A controller refuses the command; `reason` is one of REFUSE_REASONS."""

    reason = REFUSE_MALFORMED


class EventInvalid(ProtocolError):
    reason = "event_invalid"


class AuthInvalid(ProtocolError):
    reason = "auth_invalid"


# ------------------------------------------------------------------------------------------------ encoding


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not _B64URL_RE.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def _mac(key: bytes, message: str) -> str:
    return b64url(hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest())


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))


def now_ms(now: float) -> int:
    return int(math.floor(now * 1000))


# ------------------------------------------------------------------------------------------ identity, keys


def new_device_secret() -> str:
    """32 random bytes as base64url without padding: 43 characters, shown to the property manager once."""
    return b64url(secrets.token_bytes(32))


def decode_device_secret(secret_b64: str) -> bytes:
    secret_b64 = (secret_b64 or "").strip()
    try:
        raw = b64url_decode(secret_b64)
    except ValueError as exc:
        raise SecretInvalid("the device secret is not base64url") from exc
    if len(raw) != 32 or len(secret_b64) != 43:
        raise SecretInvalid("the device secret must be 32 bytes (43 base64url characters)")
    return raw


def derive_keys(secret_b64: str) -> tuple[bytes, bytes]:
    """(token_key, command_key) = HMAC-SHA256(secret, label) for the two labels; the platform stores only these."""
    raw = decode_device_secret(secret_b64)
    token_key = hmac.new(raw, TOKEN_LABEL, hashlib.sha256).digest()
    command_key = hmac.new(raw, COMMAND_LABEL, hashlib.sha256).digest()
    return token_key, command_key


def new_gate_public_id() -> str:
    """ "g" + 12 lowercase base32 characters (60 random bits)."""
    return "g" + base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()[:12]


def is_public_id(value: object) -> bool:
    return isinstance(value, str) and PUBLIC_ID_RE.fullmatch(value) is not None


def new_command_id() -> str:
    return secrets.token_hex(16)


def cmd_topic(public_id: str) -> str:
    return f"linli/gates/{public_id}/cmd"


def evt_topic(public_id: str) -> str:
    return f"linli/gates/{public_id}/evt"


EVT_TOPIC_FILTER = "linli/gates/+/evt"


def topic_gate(topic: str) -> str | None:
    """The public id in `linli/gates/<public_id>/{cmd,evt}`, or None for any other topic."""
    parts = topic.split("/")
    if len(parts) == 4 and parts[0] == "linli" and parts[1] == "gates" and is_public_id(parts[2]):
        return parts[2]
    return None


# ---------------------------------------------------------------------------------------------- gate token


def token_window(now: float) -> int:
    return int(math.floor(now / TOKEN_WINDOW_SECONDS))


def token_expires_at(window: int) -> float:
    """The last moment (unix seconds) `check_gate_token` accepts a token of `window`: its end plus the grace."""
    return float((window + 1) * TOKEN_WINDOW_SECONDS + GRACE_SECONDS)


def _token_mac(public_id: str, window: int, token_key: bytes) -> str:
    return _mac(token_key, f"v1.{public_id}.{window}")[:22]


def make_gate_token(public_id: str, token_key: bytes, now: float) -> str:
    if not is_public_id(public_id):
        raise TokenInvalid("not a gate public id")
    window = token_window(now)
    return f"v1.{public_id}.{window}.{_token_mac(public_id, window, token_key)}"


def parse_gate_token(t: str) -> tuple[str, int, str]:
    """(public_id, window, mac) of a well-shaped token; TokenInvalid otherwise. Checks nothing cryptographic."""
    if not isinstance(t, str) or len(t) > _TOKEN_MAX_LENGTH:
        raise TokenInvalid("bad token shape")
    parts = t.split(".")
    if len(parts) != 4 or parts[0] != "v1":
        raise TokenInvalid("bad token shape")
    _, public_id, window_text, mac = parts
    if not is_public_id(public_id) or not _WINDOW_RE.fullmatch(window_text):
        raise TokenInvalid("bad token shape")
    if len(mac) != 22 or not _B64URL_RE.fullmatch(mac):
        raise TokenInvalid("bad token shape")
    return public_id, int(window_text), mac


def check_gate_token(t: str, token_key: bytes, now: float) -> None:
    """Accept a token made with `token_key` whose window is current, the next one (clock skew), or the previous
    one within GRACE_SECONDS. Raises TokenInvalid (shape, MAC, another gate's key, far future) or TokenExpired."""
    public_id, window, mac = parse_gate_token(t)
    if not _same(mac, _token_mac(public_id, window, token_key)):
        raise TokenInvalid("bad token mac")
    current = token_window(now)
    if window > current + 1:
        raise TokenInvalid("token window in the future")
    if now > token_expires_at(window):
        raise TokenExpired("token window has passed")


def gate_url(site: str, token: str) -> str:
    """The QR code's URL: `<site>/access/tap/?t=<token>`."""
    return f"{site.rstrip('/')}/access/tap/?{urlencode({'t': token})}"


# -------------------------------------------------------------------------------------------- open command


def command_mac(command_key: bytes, *, command_id: str, gate: str, exp: int, tap: int) -> str:
    return _mac(command_key, f"1|{command_id}|{gate}|open|{exp}|{tap}")


def make_open_command(
    *, gate: str, command_key: bytes, tap: int, now: float, command_id: str | None = None
) -> dict[str, Any]:
    command_id = command_id or new_command_id()
    exp = now_ms(now) + COMMAND_TTL_SECONDS * 1000
    return {
        "v": PROTOCOL_VERSION,
        "id": command_id,
        "gate": gate,
        "action": "open",
        "exp": exp,
        "tap": tap,
        "mac": command_mac(command_key, command_id=command_id, gate=gate, exp=exp, tap=tap),
    }


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _decode_object(payload: bytes | str | dict[str, Any], error: type[ProtocolError]) -> dict[str, Any]:
    if isinstance(payload, dict):
        return payload
    if len(payload) > _PAYLOAD_MAX_BYTES:
        raise error("payload too large")
    try:
        message = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise error("payload is not JSON") from exc
    if not isinstance(message, dict):
        raise error("payload is not a JSON object")
    return message


def command_id_of(payload: bytes | str | dict[str, Any]) -> str | None:
    """The id a command payload claims, when it is well formed (a controller reports a refusal against it)."""
    try:
        message = _decode_object(payload, CommandRefused)
    except CommandRefused:
        return None
    command_id = message.get("id")
    if isinstance(command_id, str) and COMMAND_ID_RE.fullmatch(command_id):
        return command_id
    return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class OpenCommand:
    id: str
    gate: str
    exp: int  # unix ms
    tap: int


def check_open_command(
    payload: bytes | str | dict[str, Any], *, gate: str, command_key: bytes, now: float
) -> OpenCommand:
    """What a controller checks before opening (all but single use, see `SeenCommands`): shape, MAC, that the
    command names this gate, not expired, not more than MAX_COMMAND_AHEAD_SECONDS ahead. Raises CommandRefused."""
    try:
        message = _decode_object(payload, CommandRefused)
    except CommandRefused as exc:
        raise CommandRefused(str(exc), reason=REFUSE_MALFORMED) from exc
    command_id, target, exp, tap, mac = (message.get(k) for k in ("id", "gate", "exp", "tap", "mac"))
    if (
        message.get("v") != PROTOCOL_VERSION
        or message.get("action") != "open"
        or not isinstance(command_id, str)
        or not COMMAND_ID_RE.fullmatch(command_id)
        or not isinstance(target, str)
        or len(target) > 64
        or not _is_int(exp)
        or not _is_int(tap)
        or not isinstance(mac, str)
    ):
        raise CommandRefused("malformed command", reason=REFUSE_MALFORMED)
    assert isinstance(command_id, str) and isinstance(target, str) and isinstance(exp, int) and isinstance(tap, int)
    expected = command_mac(command_key, command_id=command_id, gate=target, exp=exp, tap=tap)
    if not _same(mac, expected):
        raise CommandRefused("bad command mac", reason=REFUSE_BAD_MAC)
    if target != gate:
        raise CommandRefused("command for another gate", reason=REFUSE_WRONG_GATE)
    current = now_ms(now)
    if exp < current:
        raise CommandRefused("command expired", reason=REFUSE_EXPIRED)
    if exp > current + MAX_COMMAND_AHEAD_SECONDS * 1000:
        raise CommandRefused("command expiry too far ahead", reason=REFUSE_EXP_TOO_FAR)
    return OpenCommand(id=command_id, gate=target, exp=exp, tap=tap)


class SeenCommands:
    """Command ids a controller has accepted, each kept until its exp (after which the command is refused as
    expired anyway). Thread-safe. `add` returns False for an id already seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}
        self._next_prune = 0

    def add(self, command_id: str, exp_ms: int, now: float) -> bool:
        current = now_ms(now)
        with self._lock:
            if current >= self._next_prune:
                self._seen = {cid: exp for cid, exp in self._seen.items() if exp >= current}
                self._next_prune = current + 1000
            if command_id in self._seen:
                return False
            self._seen[command_id] = exp_ms
            return True

    def __len__(self) -> int:
        return len(self._seen)


# -------------------------------------------------------------------------------------------------- events


def event_mac(command_key: bytes, *, type: str, gate: str, command: str | None, reason: str | None, at: int) -> str:
    return _mac(command_key, f"1|{type}|{gate}|{command or ''}|{reason or ''}|{at}")


def make_event(
    *,
    type: str,
    gate: str,
    command_key: bytes,
    now: float,
    command: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    at = now_ms(now)
    return {
        "v": PROTOCOL_VERSION,
        "type": type,
        "gate": gate,
        "command": command,
        "reason": reason,
        "at": at,
        "mac": event_mac(command_key, type=type, gate=gate, command=command, reason=reason, at=at),
    }


@dataclass(frozen=True)
class Event:
    type: str
    gate: str
    command: str | None
    reason: str | None
    at: int  # unix ms, the controller's clock


def parse_event(payload: bytes | str | dict[str, Any]) -> Event:
    """The event's fields once its shape is right (nothing cryptographic yet): lets the platform find the gate
    whose command_key verifies it. Raises EventInvalid."""
    message = _decode_object(payload, EventInvalid)
    type_, gate, command, reason, at = (message.get(k) for k in ("type", "gate", "command", "reason", "at"))
    if (
        message.get("v") != PROTOCOL_VERSION
        or type_ not in EVENT_TYPES
        or not is_public_id(gate)
        or not (command is None or (isinstance(command, str) and COMMAND_ID_RE.fullmatch(command)))
        or not (reason is None or (isinstance(reason, str) and _REASON_RE.fullmatch(reason)))
        or not _is_int(at)
        or not isinstance(message.get("mac"), str)
    ):
        raise EventInvalid("malformed event")
    assert isinstance(type_, str) and isinstance(gate, str) and isinstance(at, int)
    if type_ in ("opened", "refused") and command is None:
        raise EventInvalid("a command event names its command")
    if type_ == "refused" and reason is None:
        raise EventInvalid("a refusal gives its reason")
    return Event(type=type_, gate=gate, command=command, reason=reason, at=at)


def check_event(
    payload: bytes | str | dict[str, Any],
    *,
    command_key: bytes,
    now: float,
    gate: str | None = None,
    max_skew: float = EVENT_MAX_SKEW_SECONDS,
) -> Event:
    """Verify an event: shape, MAC with the gate's command_key, the gate it names (when `gate` is given, e.g. the
    topic's), and that its time is within `max_skew` of `now` (an old heartbeat replayed later is ignored)."""
    message = _decode_object(payload, EventInvalid)
    event = parse_event(message)
    expected = event_mac(
        command_key, type=event.type, gate=event.gate, command=event.command, reason=event.reason, at=event.at
    )
    if not _same(message["mac"], expected):
        raise EventInvalid("bad event mac")
    if gate is not None and event.gate != gate:
        raise EventInvalid("event names another gate")
    if abs(event.at - now_ms(now)) > max_skew * 1000:
        raise EventInvalid("event time too far from now")
    return event


# ----------------------------------------------------------------------------------------------- HTTP auth


def _auth_mac(command_key: bytes, public_id: str, ts: int) -> str:
    return _mac(command_key, f"{public_id}:{ts}")


def make_http_auth(public_id: str, command_key: bytes, now: float) -> str:
    """The `Authorization` header value for an HTTP controller: `Gate <public_id>:<unix ts>:<mac>`."""
    ts = int(now)
    return f"Gate {public_id}:{ts}:{_auth_mac(command_key, public_id, ts)}"


def parse_http_auth(header: str | None) -> tuple[str, int, str]:
    """(public_id, ts, mac) of a well-shaped header; AuthInvalid otherwise."""
    if not header or len(header) > 200:
        raise AuthInvalid("missing authorization")
    scheme, _, credentials = header.partition(" ")
    parts = credentials.strip().split(":")
    if scheme != "Gate" or len(parts) != 3:
        raise AuthInvalid("bad authorization shape")
    public_id, ts_text, mac = parts
    if not is_public_id(public_id) or not re.fullmatch(r"[0-9]{1,12}", ts_text) or not _B64URL_RE.fullmatch(mac):
        raise AuthInvalid("bad authorization shape")
    return public_id, int(ts_text), mac


def check_http_auth(header: str | None, *, public_id: str, command_key: bytes, now: float) -> None:
    """Raise AuthInvalid unless the header is for `public_id`, signed with its command_key, within ±60 s."""
    header_gate, ts, mac = parse_http_auth(header)
    if header_gate != public_id:
        raise AuthInvalid("authorization for another gate")
    if not _same(mac, _auth_mac(command_key, public_id, ts)):
        raise AuthInvalid("bad authorization mac")
    if abs(ts - now) > HTTP_AUTH_SKEW_SECONDS:
        raise AuthInvalid("authorization too old or too far ahead")
