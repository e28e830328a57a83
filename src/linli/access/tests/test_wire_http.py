"""The HTTP interface for controllers without MQTT (`/api/v1/access/gates/`): the `Gate` authorization, the
long-poll, events, and `open_gate(transport="http")` end to end through a live server, with the in-memory queue
(embedded mode) and with Redis (production)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from django.test import override_settings

from linli.access.gatewire import open_gate, protocol, queues
from linli.access.gatewire.simulator import HttpGateController
from linli.access.tests.factories_wire import registered_gate, wait_until

REDIS = "redis://127.0.0.1:6379/0"


def base(public_id: str) -> str:
    return f"/api/v1/access/gates/{public_id}"


def auth(public_id: str, command_key: bytes, now: float | None = None) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": protocol.make_http_auth(public_id, command_key, time.time() if now is None else now)}


@pytest.fixture
def http_gate(db: None) -> tuple[object, str, bytes]:
    gate, secret = registered_gate(transport="http")
    return gate, secret, protocol.derive_keys(secret)[1]


def test_every_request_needs_the_gates_signature(client, http_gate) -> None:  # type: ignore[no-untyped-def]
    from linli.access.services.gates import gate_update

    gate, _, command_key = http_gate
    other, other_secret = registered_gate(name="北门", transport="http")
    _, other_key = protocol.derive_keys(other_secret)
    stranger = protocol.new_gate_public_id()
    bad = [
        {},
        {"HTTP_AUTHORIZATION": "Bearer abc"},
        auth(gate.public_id, other_key),  # another gate's key
        auth(other.public_id, other_key),  # another gate's valid header
        auth(gate.public_id, command_key, time.time() - 120),  # too old
    ]
    for headers in bad:
        response = client.get(f"{base(gate.public_id)}/commands", **headers)
        assert response.status_code == 401, headers
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == "not_authenticated"
    assert client.get(f"{base(stranger)}/commands", **auth(stranger, command_key)).status_code == 401
    assert client.get(f"{base('nonsense')}/commands", **auth(gate.public_id, command_key)).status_code == 401
    assert client.get(f"{base(gate.public_id)}/commands", **auth(gate.public_id, command_key)).status_code == 200
    gate_update(gate=gate, actor=None, active=False)
    assert client.get(f"{base(gate.public_id)}/commands", **auth(gate.public_id, command_key)).status_code == 401


def test_poll_returns_queued_unexpired_commands_and_counts_as_a_heartbeat(client, http_gate) -> None:  # type: ignore[no-untyped-def]
    from linli.access.models import Gate

    gate, _, command_key = http_gate
    queue = queues.command_queue()
    fresh = protocol.make_open_command(gate=gate.public_id, command_key=command_key, tap=1, now=time.time())
    stale = protocol.make_open_command(gate=gate.public_id, command_key=command_key, tap=2, now=time.time() - 6)
    queue.push_command(gate.public_id, stale)
    queue.push_command(gate.public_id, fresh)
    response = client.get(f"{base(gate.public_id)}/commands?wait=0", **auth(gate.public_id, command_key))
    assert response.status_code == 200 and response.json() == {"commands": [fresh]}
    assert Gate.objects.get(pk=gate.pk).last_heartbeat_at is not None
    again = client.get(f"{base(gate.public_id)}/commands", **auth(gate.public_id, command_key))
    assert again.json() == {"commands": []}
    too_long = client.get(f"{base(gate.public_id)}/commands?wait=26", **auth(gate.public_id, command_key))
    assert too_long.status_code == 422 and too_long.json()["code"] == "validation_error"


def test_long_poll_wakes_when_a_command_arrives(client, http_gate) -> None:  # type: ignore[no-untyped-def]
    """The poll answers with the command that arrives while it waits, without waiting out its 5 s: a second
    command due 4 s in is not in the answer. (How soon it wakes is measured by bench/bench_gate_waits.py.)"""
    gate, _, command_key = http_gate
    command, later = (
        protocol.make_open_command(gate=gate.public_id, command_key=command_key, tap=tap, now=time.time())
        for tap in (1, 2)
    )
    push = queues.command_queue().push_command
    first = threading.Timer(0.3, push, args=(gate.public_id, command))
    second = threading.Timer(4, push, args=(gate.public_id, later))
    first.start()
    second.start()
    try:
        response = client.get(f"{base(gate.public_id)}/commands?wait=5", **auth(gate.public_id, command_key))
    finally:
        second.cancel()
    assert response.json() == {"commands": [command]}


def test_events_are_verified_before_anything_happens(client, http_gate) -> None:  # type: ignore[no-untyped-def]
    from linli.access.models import Gate

    gate, _, command_key = http_gate
    _, wrong_key = protocol.derive_keys(protocol.new_device_secret())
    url = f"{base(gate.public_id)}/events"
    forged = protocol.make_event(type="heartbeat", gate=gate.public_id, command_key=wrong_key, now=time.time())
    response = client.post(
        url, json.dumps(forged), content_type="application/json", **auth(gate.public_id, command_key)
    )
    assert response.status_code == 422 and response.json()["code"] == "validation_error"
    assert Gate.objects.get(pk=gate.pk).last_heartbeat_at is None
    no_auth = protocol.make_event(type="heartbeat", gate=gate.public_id, command_key=command_key, now=time.time())
    assert client.post(url, json.dumps(no_auth), content_type="application/json").status_code == 401
    response = client.post(
        url, json.dumps(no_auth), content_type="application/json", **auth(gate.public_id, command_key)
    )
    assert response.status_code == 200 and response.json() == {"accepted": True, "type": "heartbeat"}
    row = Gate.objects.get(pk=gate.pk)
    assert row.last_heartbeat_at is not None and row.last_event_at == row.last_heartbeat_at


@pytest.mark.django_db(transaction=True)
def test_a_report_posted_over_http_resolves_the_waiting_open(client) -> None:  # type: ignore[no-untyped-def]
    gate, secret = registered_gate(
        transport="http"
    )  # a controller thread reads it: committed, not in a test transaction
    _, command_key = protocol.derive_keys(secret)
    _, wrong_key = protocol.derive_keys(protocol.new_device_secret())

    def controller() -> None:
        response = client.get(f"{base(gate.public_id)}/commands?wait=5", **auth(gate.public_id, command_key))
        command = response.json()["commands"][0]
        url = f"{base(gate.public_id)}/events"
        forged = protocol.make_event(
            type="opened", gate=gate.public_id, command_key=wrong_key, now=time.time(), command=command["id"]
        )
        client.post(url, json.dumps(forged), content_type="application/json", **auth(gate.public_id, command_key))
        refused = protocol.make_event(
            type="refused",
            gate=gate.public_id,
            command_key=command_key,
            now=time.time(),
            command=command["id"],
            reason="replayed",
        )
        client.post(url, json.dumps(refused), content_type="application/json", **auth(gate.public_id, command_key))

    thread = threading.Thread(target=controller)
    thread.start()
    result = open_gate(gate_public_id=gate.public_id, command_key=command_key, transport="http", tap_id=9, timeout=5)
    thread.join()
    assert result.outcome == "refused:replayed" and not result.opened


def test_no_poll_in_time_leaves_the_command_queued(http_gate) -> None:  # type: ignore[no-untyped-def]
    gate, _, command_key = http_gate
    result = open_gate(gate_public_id=gate.public_id, command_key=command_key, transport="http", tap_id=9, timeout=0.2)
    assert result.outcome == "queued" and not result.opened
    commands = queues.command_queue().pop_commands(gate.public_id, 0)
    assert [c["id"] for c in commands] == [result.command_id]


@pytest.fixture(params=["memory", "redis"])
def queue_backend(request) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "memory":
        with override_settings(REDIS_URL=""):
            yield "memory"
        return
    import redis

    try:
        redis.Redis.from_url(REDIS).ping()
    except redis.RedisError:
        pytest.fail("Redis is not running on 127.0.0.1:6379")
    with override_settings(REDIS_URL=REDIS):
        yield "redis"


@pytest.mark.django_db(transaction=True)
def test_http_controller_opens_the_gate_end_to_end(live_server, queue_backend: str) -> None:  # type: ignore[no-untyped-def]
    from linli.access.models import Gate

    gate, secret = registered_gate(transport="http")
    _, command_key = protocol.derive_keys(secret)
    controller = HttpGateController(gate.public_id, secret, live_server.url, heartbeat_every=60, poll_wait=2).start()
    try:
        assert controller.wait_polling(10)
        assert wait_until(lambda: Gate.objects.get(pk=gate.pk).last_heartbeat_at is not None)
        for tap in range(3):
            result = open_gate(
                gate_public_id=gate.public_id, command_key=command_key, transport="http", tap_id=tap, timeout=5
            )
            assert result.opened and result.outcome == "opened", (queue_backend, result)
        assert len(controller.opened) == 3 and controller.errors == 0
    finally:
        controller.stop()


def test_redis_queue_down_is_broker_down() -> None:
    queue = queues.RedisCommandQueue("redis://127.0.0.1:1/0")
    result = queues.open_http_gate(
        gate_public_id=protocol.new_gate_public_id(), command_key=b"k" * 32, tap_id=1, timeout=1, queue=queue
    )
    assert result.outcome == "broker_down"


def test_redis_queue_round_trip_and_expiry() -> None:
    import redis

    prefix = f"test:{protocol.new_command_id()}"
    queue = queues.RedisCommandQueue(REDIS, prefix=prefix)
    gate = protocol.new_gate_public_id()
    key = b"k" * 32
    try:
        fresh = protocol.make_open_command(gate=gate, command_key=key, tap=1, now=time.time())
        queue.push_command(gate, fresh)
        assert 0 < queue.redis.ttl(f"{prefix}:cmd:{gate}") <= queues.QUEUE_TTL_SECONDS
        assert queue.pop_commands(gate, 0) == [fresh]
        assert queue.pop_commands(gate, 0.3) == []
        # the wait blocks: a command pushed while it waits is its answer (bench_gate_waits.py measures the wait)
        later = protocol.make_open_command(gate=gate, command_key=key, tap=2, now=time.time())
        timer = threading.Timer(0.2, queue.push_command, args=(gate, later))
        timer.start()
        assert queue.pop_commands(gate, 5) == [later]
        timer.join()
        queue.push_reply(fresh["id"], b"payload")
        assert queue.wait_reply(fresh["id"], 1) == b"payload"
        assert queue.wait_reply(fresh["id"], 0.1) is None
    finally:
        for k in queue.redis.scan_iter(f"{prefix}:*"):
            queue.redis.delete(k)
        assert isinstance(queue.redis, redis.Redis)
