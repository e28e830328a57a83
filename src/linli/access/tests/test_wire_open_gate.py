"""`open_gate` over MQTT against the real Mosquitto (127.0.0.1:1883) with real simulated controllers: round trip,
refusals, timeout, broker down, concurrency, reconnection, fork safety. Every test uses fresh gate ids, so topics
never collide with other tests running at the same time."""

from __future__ import annotations

import multiprocessing
import socket
import threading
import time
from collections.abc import Callable

import pytest
from django.test import override_settings

from linli.access.gatewire import OpenResult, open_gate
from linli.access.gatewire import client as wire_client
from linli.access.gatewire.client import GateWire
from linli.access.gatewire.simulator import GateController
from linli.access.tests.factories_wire import BROKER, Gate, require_mosquitto

# ---------------------------------------------------------------------------------------------- round trip


def test_open_round_trip_through_mosquitto(wire: GateWire, controllers: Callable[..., GateController]) -> None:
    gate = Gate()
    controller = controllers(gate)
    result = wire.open(gate_public_id=gate.public_id, command_key=gate.command_key, tap_id=41, timeout=2.0)
    assert result.opened and result.outcome == "opened"
    assert controller.opened == [result.command_id]


def test_open_gate_uses_the_process_client_from_settings(controllers: Callable[..., GateController]) -> None:
    require_mosquitto()
    gate = Gate()
    controllers(gate)
    wire_client.reset_wire()
    try:
        with override_settings(LINLI_MQTT_URL=BROKER):
            first = open_gate(gate_public_id=gate.public_id, command_key=gate.command_key, transport="mqtt", tap_id=1)
            second = open_gate(
                gate_public_id=gate.public_id, command_key=memoryview(gate.command_key), transport="mqtt", tap_id=2
            )
        assert first.opened and second.opened and first.command_id != second.command_id
        assert wire_client.wire() is wire_client.wire()
    finally:
        wire_client.reset_wire()


def test_controller_refusal_is_reported(wire: GateWire, controllers: Callable[..., GateController]) -> None:
    ahead, behind = Gate(), Gate()
    controllers(ahead, clock=lambda: time.time() + 20)  # the command looks expired to this controller
    controllers(behind, clock=lambda: time.time() - 15)  # ... and too far ahead to this one
    expired = wire.open(gate_public_id=ahead.public_id, command_key=ahead.command_key, tap_id=1, timeout=2.0)
    too_far = wire.open(gate_public_id=behind.public_id, command_key=behind.command_key, tap_id=1, timeout=2.0)
    assert expired == OpenResult(opened=False, command_id=expired.command_id, outcome="refused:expired")
    assert too_far.outcome == "refused:exp_too_far" and not too_far.opened


def test_no_controller_times_out(wire: GateWire) -> None:
    """Nobody answers: the outcome is `timeout`, the gate did not open, and the command was sent (how long the
    wait takes is measured by bench/bench_gate_waits.py)."""
    gate = Gate()
    commands = wire.stats["commands"]
    result = wire.open(gate_public_id=gate.public_id, command_key=gate.command_key, tap_id=1, timeout=0.3)
    assert result.outcome == "timeout" and not result.opened
    assert wire.stats["commands"] == commands + 1 and wire.stats["broker_down"] == 0


def test_broker_down_is_reported_and_never_raises() -> None:
    """No broker: `broker_down`, not an exception (bench/bench_gate_waits.py measures that it comes in well under the
    timeout)."""
    gate = Gate()
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    dead = GateWire(f"mqtt://127.0.0.1:{port}", record_heartbeats=False)
    try:
        result = dead.open(gate_public_id=gate.public_id, command_key=gate.command_key, tap_id=1, timeout=3.0)
        assert result.outcome == "broker_down" and not result.opened
        assert dead.stats == {"commands": 0, "events": 0, "bad_events": 0, "broker_down": 1}  # nothing was sent
    finally:
        dead.stop()
    wire_client.reset_wire()
    try:
        with override_settings(LINLI_MQTT_URL="mqtt://no-such-host.invalid:1883"):
            result = open_gate(gate_public_id=gate.public_id, command_key=gate.command_key, transport="mqtt", tap_id=1)
        assert result.outcome == "broker_down"
    finally:
        wire_client.reset_wire()


def test_unknown_transport_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        open_gate(gate_public_id="gabcdefghijkl", command_key=b"k", transport="carrier-pigeon", tap_id=1)


def test_concurrent_commands_are_correlated_by_id(wire: GateWire, controllers: Callable[..., GateController]) -> None:
    gates = [Gate() for _ in range(4)]
    started = {g.public_id: controllers(g) for g in gates}
    results: list[tuple[str, OpenResult]] = []
    lock = threading.Lock()

    def tap(i: int) -> None:
        gate = gates[i % len(gates)]
        result = wire.open(gate_public_id=gate.public_id, command_key=gate.command_key, tap_id=i, timeout=5.0)
        with lock:
            results.append((gate.public_id, result))

    threads = [threading.Thread(target=tap, args=(i,)) for i in range(80)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 80 and all(r.opened for _, r in results)
    for public_id, result in results:
        assert result.command_id in started[public_id].opened
    assert sum(len(c.opened) for c in started.values()) == 80


def test_the_client_reconnects_after_losing_the_broker(
    wire: GateWire, controllers: Callable[..., GateController]
) -> None:
    gate = Gate()
    controllers(gate)
    sock = wire._client.socket()
    assert isinstance(sock, socket.socket)
    sock.shutdown(socket.SHUT_RDWR)  # the connection drops under the client's feet
    deadline = time.monotonic() + 8
    while wire.connected() and time.monotonic() < deadline:
        time.sleep(0.02)
    down = wire.open(gate_public_id=gate.public_id, command_key=gate.command_key, tap_id=1, timeout=0.2)
    assert down.outcome in ("broker_down", "opened")
    assert wire.wait_connected(8)
    result = wire.open(gate_public_id=gate.public_id, command_key=gate.command_key, tap_id=2, timeout=2.0)
    assert result.opened


def _child_open(public_id: str, command_key: bytes, parent_wire_id: int, out: multiprocessing.Queue) -> None:
    child_wire = wire_client.wire()
    result = open_gate(gate_public_id=public_id, command_key=command_key, transport="mqtt", tap_id=7, timeout=3.0)
    out.put((id(child_wire) != parent_wire_id, child_wire.pid, result.outcome))


def test_a_forked_child_builds_its_own_client(controllers: Callable[..., GateController]) -> None:
    require_mosquitto()
    gate = Gate()
    controller = controllers(gate)
    wire_client.reset_wire()
    try:
        with override_settings(LINLI_MQTT_URL=BROKER):
            parent = wire_client.wire()
            assert open_gate(
                gate_public_id=gate.public_id, command_key=gate.command_key, transport="mqtt", tap_id=1
            ).opened
            context = multiprocessing.get_context("fork")
            out: multiprocessing.Queue = context.Queue()
            child = context.Process(target=_child_open, args=(gate.public_id, gate.command_key, id(parent), out))
            child.start()
            fresh, child_pid, outcome = out.get(timeout=10)
            child.join(10)
            assert fresh and child_pid == child.pid and outcome == "opened"
            # The parent's connection survived the child (the child never spoke on the parent's socket).
            again = open_gate(gate_public_id=gate.public_id, command_key=gate.command_key, transport="mqtt", tap_id=2)
            assert again.opened and wire_client.wire() is parent
        assert len(controller.opened) == 3
    finally:
        wire_client.reset_wire()
