"""The gate wire protocol (pure functions): keys, rotating tokens, signed commands, events, HTTP auth; round trips
with hypothesis and every tamper case."""

from __future__ import annotations

import contextlib
import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.access.gatewire import protocol as p

SECRET = p.b64url(bytes(range(32)))
OTHER_SECRET = p.b64url(bytes(range(1, 33)))
GATE = "gabcdefghijkl"
OTHER_GATE = "gmnopqrstuvwx"
NOW = 1_796_000_000.0  # 2026-11

public_ids = st.from_regex(p.PUBLIC_ID_RE, fullmatch=True)
secrets_b64 = st.binary(min_size=32, max_size=32).map(p.b64url)
times = st.floats(min_value=1_600_000_000, max_value=2_500_000_000, allow_nan=False)
tap_ids = st.integers(min_value=0, max_value=2**53)


def keys(secret: str = SECRET) -> tuple[bytes, bytes]:
    return p.derive_keys(secret)


# ------------------------------------------------------------------------------------------------- secrets


def test_new_device_secret_is_32_random_bytes_as_43_base64url_chars() -> None:
    a, b = p.new_device_secret(), p.new_device_secret()
    assert len(a) == 43 and "=" not in a and a != b
    assert len(p.b64url_decode(a)) == 32


def test_derive_keys_matches_the_contract_and_differs_per_label() -> None:
    import hashlib
    import hmac

    token_key, command_key = keys()
    raw = bytes(range(32))
    assert token_key == hmac.new(raw, b"linli-gate-token-v1", hashlib.sha256).digest()
    assert command_key == hmac.new(raw, b"linli-gate-command-v1", hashlib.sha256).digest()
    assert token_key != command_key and keys(OTHER_SECRET) != (token_key, command_key)


@pytest.mark.parametrize(
    "bad", ["", "short", SECRET[:-1], SECRET + "A", SECRET[:-1] + "=", "!" * 43, p.b64url(bytes(31))]
)
def test_derive_keys_rejects_a_malformed_secret(bad: str) -> None:
    with pytest.raises(p.SecretInvalid):
        p.derive_keys(bad)


def test_new_gate_public_id_shape() -> None:
    ids = {p.new_gate_public_id() for _ in range(200)}
    assert len(ids) == 200 and all(p.is_public_id(i) and len(i) == 13 for i in ids)


def test_topics() -> None:
    assert p.cmd_topic(GATE) == f"linli/gates/{GATE}/cmd"
    assert p.topic_gate(p.evt_topic(GATE)) == GATE
    assert p.topic_gate("linli/gates/../evt") is None
    assert p.topic_gate(f"linli/gates/{GATE}/evt/x") is None


# --------------------------------------------------------------------------------------------------- token


@settings(max_examples=200)
@given(public_id=public_ids, secret=secrets_b64, now=times)
def test_token_round_trip(public_id: str, secret: str, now: float) -> None:
    token_key, _ = p.derive_keys(secret)
    token = p.make_gate_token(public_id, token_key, now)
    assert len(token) <= 60
    got_id, window, mac = p.parse_gate_token(token)
    assert got_id == public_id and window == int(now // 30) and len(mac) == 22
    p.check_gate_token(token, token_key, now)
    p.check_gate_token(token, token_key, p.token_expires_at(window))  # the last accepted moment
    with pytest.raises(p.TokenExpired):
        p.check_gate_token(token, token_key, p.token_expires_at(window) + 0.001)


def test_token_format_matches_the_contract() -> None:
    import base64
    import hashlib
    import hmac

    token_key, _ = keys()
    window = int(NOW // 30)
    mac = base64.urlsafe_b64encode(hmac.new(token_key, f"v1.{GATE}.{window}".encode(), hashlib.sha256).digest())
    assert p.make_gate_token(GATE, token_key, NOW) == f"v1.{GATE}.{window}.{mac.decode()[:22]}"
    assert p.token_expires_at(window) == (window + 1) * 30 + 5


def test_token_accepts_next_window_and_previous_within_grace_only() -> None:
    token_key, _ = keys()
    start = (NOW // 30) * 30
    previous = p.make_gate_token(GATE, token_key, start - 1)
    p.check_gate_token(previous, token_key, start + 4.9)
    with pytest.raises(p.TokenExpired):
        p.check_gate_token(previous, token_key, start + 5.1)  # a photographed QR code used after its window
    next_window = p.make_gate_token(GATE, token_key, start + 30)
    p.check_gate_token(next_window, token_key, start)  # a gate clock a little ahead
    far = p.make_gate_token(GATE, token_key, start + 60)
    with pytest.raises(p.TokenInvalid):
        p.check_gate_token(far, token_key, start)


def _tampered_tokens(token: str) -> list[str]:
    version, public_id, window, mac = token.split(".")
    flip = "A" if mac[0] != "A" else "B"
    return [
        f"{version}.{public_id}.{window}.{flip}{mac[1:]}",  # altered mac
        f"{version}.{public_id}.{int(window) + 1}.{mac}",  # altered window
        f"{version}.{OTHER_GATE}.{window}.{mac}",  # names another gate
        f"v2.{public_id}.{window}.{mac}",
        f"{version}.{public_id}.0{window}.{mac}",  # non-canonical window
        f"{version}.{public_id}.{window}.{mac}=",
        f"{version}.{public_id}.{window}.{mac[:-1]}",
        f"{version}.{public_id.upper()}.{window}.{mac}",
        f"{version}.{public_id}.-{window}.{mac}",
        f"{version}.{public_id}.{window}",
        f"{token}.x",
        "",
        "v1...",
        token + "A" * 100,
        f"{version}.{public_id}.{window} .{mac}",
        f"{version}.{public_id}.\u0663.{mac}",  # a non-ASCII digit int() would accept
    ]


def test_every_tampered_token_is_invalid() -> None:
    token_key, _ = keys()
    token = p.make_gate_token(GATE, token_key, NOW)
    for bad in _tampered_tokens(token):
        with pytest.raises(p.TokenInvalid):
            p.check_gate_token(bad, token_key, NOW)


def test_token_of_another_gate_key_is_invalid() -> None:
    token_key, _ = keys()
    other_key, _ = keys(OTHER_SECRET)
    with pytest.raises(p.TokenInvalid):
        p.check_gate_token(p.make_gate_token(GATE, other_key, NOW), token_key, NOW)


@given(st.text(max_size=100))
def test_parse_gate_token_never_crashes(text: str) -> None:
    try:
        public_id, window, mac = p.parse_gate_token(text)
    except p.TokenInvalid:
        return
    assert p.is_public_id(public_id) and window >= 0 and len(mac) == 22


def test_gate_url() -> None:
    token_key, _ = keys()
    token = p.make_gate_token(GATE, token_key, NOW)
    assert p.gate_url("http://127.0.0.1:8000/", token) == f"http://127.0.0.1:8000/access/tap/?t={token}"


# ------------------------------------------------------------------------------------------------ commands


@settings(max_examples=200)
@given(public_id=public_ids, secret=secrets_b64, now=times, tap=tap_ids)
def test_command_round_trip(public_id: str, secret: str, now: float, tap: int) -> None:
    _, command_key = p.derive_keys(secret)
    command = p.make_open_command(gate=public_id, command_key=command_key, tap=tap, now=now)
    assert command["exp"] == p.now_ms(now) + 5000
    got = p.check_open_command(p.encode(command), gate=public_id, command_key=command_key, now=now)
    assert got == p.OpenCommand(id=command["id"], gate=public_id, exp=command["exp"], tap=tap)


def test_command_mac_matches_the_contract() -> None:
    import base64
    import hashlib
    import hmac

    _, command_key = keys()
    command = p.make_open_command(gate=GATE, command_key=command_key, tap=7, now=NOW, command_id="ab" * 16)
    text = f"1|{'ab' * 16}|{GATE}|open|{command['exp']}|7"
    mac = base64.urlsafe_b64encode(hmac.new(command_key, text.encode(), hashlib.sha256).digest()).rstrip(b"=")
    assert command["mac"] == mac.decode() and len(command["mac"]) == 43
    assert set(command) == {"v", "id", "gate", "action", "exp", "tap", "mac"}


def _refusal(payload: object, now: float = NOW, gate: str = GATE) -> str:
    _, command_key = keys()
    with pytest.raises(p.CommandRefused) as info:
        p.check_open_command(payload, gate=gate, command_key=command_key, now=now)  # type: ignore[arg-type]
    return info.value.reason


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", "cd" * 16), ("gate", OTHER_GATE), ("exp", None), ("tap", 999), ("action", "close"), ("v", 2)],
)
def test_an_altered_command_is_refused(field: str, value: object) -> None:
    _, command_key = keys()
    command = p.make_open_command(gate=GATE, command_key=command_key, tap=7, now=NOW)
    command[field] = command["exp"] + 1000 if field == "exp" else value
    expected = p.REFUSE_MALFORMED if field in ("action", "v") else p.REFUSE_BAD_MAC
    assert _refusal(p.encode(command)) == expected


def test_a_command_signed_with_another_gates_key_is_refused() -> None:
    _, other_key = keys(OTHER_SECRET)
    command = p.make_open_command(gate=GATE, command_key=other_key, tap=7, now=NOW)
    assert _refusal(p.encode(command)) == p.REFUSE_BAD_MAC


def test_a_genuine_command_for_another_gate_is_refused() -> None:
    _, command_key = keys()
    command = p.make_open_command(gate=OTHER_GATE, command_key=command_key, tap=7, now=NOW)
    assert _refusal(p.encode(command)) == p.REFUSE_WRONG_GATE


def test_expiry_and_too_far_ahead() -> None:
    _, command_key = keys()
    command = p.make_open_command(gate=GATE, command_key=command_key, tap=7, now=NOW)
    p.check_open_command(command, gate=GATE, command_key=command_key, now=NOW + 5.0)
    assert _refusal(command, now=NOW + 5.002) == p.REFUSE_EXPIRED
    assert _refusal(command, now=NOW - 5.1) == p.REFUSE_EXP_TOO_FAR  # exp 10.1 s ahead of the controller
    p.check_open_command(command, gate=GATE, command_key=command_key, now=NOW - 4.9)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not json",
        b"[]",
        b"{}",
        b"\xff\xfe",
        b"{" + b" " * 2000 + b"}",
        json.dumps({"v": 1, "id": "x", "gate": GATE, "action": "open", "exp": 1, "tap": 1, "mac": "m"}).encode(),
        json.dumps(
            {"v": 1, "id": "ab" * 16, "gate": GATE, "action": "open", "exp": 1.5, "tap": 1, "mac": "m"}
        ).encode(),
        json.dumps(
            {"v": 1, "id": "ab" * 16, "gate": GATE, "action": "open", "exp": 1, "tap": True, "mac": "m"}
        ).encode(),
        json.dumps({"v": 1, "id": "AB" * 16, "gate": GATE, "action": "open", "exp": 1, "tap": 1, "mac": "m"}).encode(),
        json.dumps({"v": 1, "id": "ab" * 16, "gate": GATE, "action": "open", "exp": 1, "tap": 1, "mac": 5}).encode(),
    ],
)
def test_a_malformed_command_is_refused(payload: bytes) -> None:
    assert _refusal(payload) == p.REFUSE_MALFORMED


@given(st.binary(max_size=300))
def test_check_open_command_never_crashes_on_garbage(payload: bytes) -> None:
    assert _refusal(payload) in p.REFUSE_REASONS


def test_seen_commands_single_use_until_exp() -> None:
    seen = p.SeenCommands()
    exp = p.now_ms(NOW) + 5000
    assert seen.add("a" * 32, exp, NOW)
    assert not seen.add("a" * 32, exp, NOW + 1)
    assert seen.add("b" * 32, exp, NOW + 1)
    assert seen.add("c" * 32, p.now_ms(NOW + 10) + 5000, NOW + 10)  # prunes the expired ones
    assert len(seen) == 1


# -------------------------------------------------------------------------------------------------- events


@settings(max_examples=200)
@given(
    public_id=public_ids,
    secret=secrets_b64,
    now=times,
    type_=st.sampled_from(p.EVENT_TYPES),
    reason=st.sampled_from(p.REFUSE_REASONS),
)
def test_event_round_trip(public_id: str, secret: str, now: float, type_: str, reason: str) -> None:
    _, command_key = p.derive_keys(secret)
    command = None if type_ == "heartbeat" else p.new_command_id()
    event = p.make_event(
        type=type_,
        gate=public_id,
        command_key=command_key,
        now=now,
        command=command,
        reason=reason if type_ == "refused" else None,
    )
    got = p.check_event(p.encode(event), command_key=command_key, now=now, gate=public_id)
    assert (got.type, got.gate, got.command, got.at) == (type_, public_id, command, p.now_ms(now))


def test_event_mac_matches_the_contract() -> None:
    import base64
    import hashlib
    import hmac

    _, command_key = keys()
    event = p.make_event(type="heartbeat", gate=GATE, command_key=command_key, now=NOW)
    text = f"1|heartbeat|{GATE}|||{event['at']}"
    mac = base64.urlsafe_b64encode(hmac.new(command_key, text.encode(), hashlib.sha256).digest()).rstrip(b"=")
    assert event["mac"] == mac.decode()
    assert event["command"] is None and event["reason"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("type", "refused"), ("command", "cd" * 16), ("reason", "expired"), ("at", 1), ("gate", OTHER_GATE), ("mac", "x")],
)
def test_an_altered_event_is_invalid(field: str, value: object) -> None:
    _, command_key = keys()
    event = p.make_event(type="opened", gate=GATE, command_key=command_key, now=NOW, command="ab" * 16)
    event[field] = event["at"] + 1 if field == "at" else value
    with pytest.raises(p.EventInvalid):
        p.check_event(p.encode(event), command_key=command_key, now=NOW)


def test_a_forged_or_misplaced_event_is_invalid() -> None:
    _, command_key = keys()
    _, other_key = keys(OTHER_SECRET)
    forged = p.make_event(type="opened", gate=GATE, command_key=other_key, now=NOW, command="ab" * 16)
    with pytest.raises(p.EventInvalid):
        p.check_event(forged, command_key=command_key, now=NOW)
    genuine = p.make_event(type="heartbeat", gate=GATE, command_key=command_key, now=NOW)
    with pytest.raises(p.EventInvalid):
        p.check_event(genuine, command_key=command_key, now=NOW, gate=OTHER_GATE)  # on another gate's topic
    with pytest.raises(p.EventInvalid):
        p.check_event(genuine, command_key=command_key, now=NOW + 121)  # an old heartbeat replayed
    p.check_event(genuine, command_key=command_key, now=NOW + 119)


def test_event_shape_rules() -> None:
    _, command_key = keys()
    for bad in (
        {"type": "opened", "command": None},
        {"type": "refused", "command": "ab" * 16, "reason": None},
        {"type": "refused", "command": "ab" * 16, "reason": "Bad Reason!"},
        {"type": "exploded", "command": None},
    ):
        event = {"v": 1, "gate": GATE, "reason": None, "at": p.now_ms(NOW), "mac": "x", **bad}
        with pytest.raises(p.EventInvalid):
            p.parse_event(event)
    with pytest.raises(ValueError):
        p.make_event(type="exploded", gate=GATE, command_key=command_key, now=NOW)


@given(st.binary(max_size=300))
def test_parse_event_never_crashes_on_garbage(payload: bytes) -> None:
    with contextlib.suppress(p.EventInvalid):
        p.parse_event(payload)


# ----------------------------------------------------------------------------------------------- HTTP auth


def test_http_auth_round_trip_and_tampering() -> None:
    _, command_key = keys()
    _, other_key = keys(OTHER_SECRET)
    header = p.make_http_auth(GATE, command_key, NOW)
    p.check_http_auth(header, public_id=GATE, command_key=command_key, now=NOW + 60)
    bad_headers = [
        None,
        "",
        header.replace("Gate ", "Bearer "),
        header + "x",
        p.make_http_auth(GATE, other_key, NOW),
        p.make_http_auth(OTHER_GATE, command_key, NOW),
        header.replace(str(int(NOW)), str(int(NOW) + 1)),
    ]
    for bad in bad_headers:
        with pytest.raises(p.AuthInvalid):
            p.check_http_auth(bad, public_id=GATE, command_key=command_key, now=NOW)
    for skewed in (NOW + 61, NOW - 61):
        with pytest.raises(p.AuthInvalid):
            p.check_http_auth(header, public_id=GATE, command_key=command_key, now=skewed)


def test_real_clock_round_trip() -> None:
    token_key, command_key = keys()
    now = time.time()
    p.check_gate_token(p.make_gate_token(GATE, token_key, now), token_key, time.time())
