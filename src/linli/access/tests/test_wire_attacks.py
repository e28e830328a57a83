"""Attacks on the gate wire that must fail, against the real Mosquitto: a replayed open command, forged or altered
commands, an expired command, a forged `opened` report, a heartbeat with a bad MAC. Unique gate ids per test."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from linli.access.gatewire import protocol
from linli.access.gatewire.client import GateWire
from linli.access.gatewire.listener import GateListener
from linli.access.gatewire.simulator import GateController
from linli.access.services.gates import gate_online
from linli.access.tests.factories_wire import BROKER, Gate, Spy, events, registered_gate, require_mosquitto


@pytest.fixture
def spy() -> Iterator[Callable[..., Spy]]:
    spies: list[Spy] = []

    def make(*topics: str) -> Spy:
        require_mosquitto()
        spies.append(Spy(*topics))
        return spies[-1]

    yield make
    for one in spies:
        one.stop()


def refusals(spy: Spy, count: int) -> list[protocol.Event]:
    assert spy.wait_for(lambda m: len(events(m, "refused")) >= count), spy.messages
    return events(spy.messages, "refused")


# ------------------------------------------------------------------------------------------- open commands


def test_a_replayed_open_command_is_refused(
    controllers: Callable[..., GateController], spy: Callable[..., Spy]
) -> None:
    gate = Gate()
    controller = controllers(gate)
    attacker = spy(protocol.evt_topic(gate.public_id))
    command = protocol.encode(
        protocol.make_open_command(gate=gate.public_id, command_key=gate.command_key, tap=5, now=time.time())
    )
    attacker.publish(protocol.cmd_topic(gate.public_id), command)
    assert attacker.wait_for(lambda m: len(events(m, "opened")) == 1)
    attacker.publish(protocol.cmd_topic(gate.public_id), command)  # recorded off the wire and sent again
    attacker.publish(protocol.cmd_topic(gate.public_id), command)
    refused = refusals(attacker, 2)
    assert [e.reason for e in refused] == ["replayed", "replayed"]
    assert len(controller.opened) == 1


def test_forged_and_altered_commands_are_refused(
    controllers: Callable[..., GateController], spy: Callable[..., Spy]
) -> None:
    gate, other = Gate(), Gate()
    controller = controllers(gate)
    attacker = spy(protocol.evt_topic(gate.public_id))
    now = time.time()

    def genuine(**changes: object) -> dict:
        command = protocol.make_open_command(gate=gate.public_id, command_key=gate.command_key, tap=5, now=now)
        command.update(changes)
        return command

    forged = [
        genuine(mac=protocol.b64url(b"\0" * 32)),  # a made-up MAC
        protocol.make_open_command(gate=gate.public_id, command_key=other.command_key, tap=5, now=now),  # wrong key
        genuine(exp=genuine()["exp"] + 5_000),  # exp pushed later
        genuine(tap=6),  # another tap
        genuine(gate=other.public_id),  # renamed for another gate
    ]
    for command in forged:
        attacker.publish(protocol.cmd_topic(gate.public_id), protocol.encode(command))
    # A genuine command of another gate, sent to this gate's topic.
    foreign = protocol.make_open_command(gate=other.public_id, command_key=gate.command_key, tap=5, now=now)
    attacker.publish(protocol.cmd_topic(gate.public_id), protocol.encode(foreign))
    attacker.publish(protocol.cmd_topic(gate.public_id), b'{"v":1,"action":"open"}')  # no id: refused silently
    refused = refusals(attacker, 6)
    assert [e.reason for e in refused] == ["bad_mac"] * 5 + ["wrong_gate"]
    time.sleep(0.2)
    assert controller.opened == [] and len(controller.refused) == 7


def test_an_expired_command_is_refused(controllers: Callable[..., GateController], spy: Callable[..., Spy]) -> None:
    gate = Gate()
    controller = controllers(gate)
    attacker = spy(protocol.evt_topic(gate.public_id))
    old = protocol.make_open_command(gate=gate.public_id, command_key=gate.command_key, tap=5, now=time.time() - 6)
    attacker.publish(protocol.cmd_topic(gate.public_id), protocol.encode(old))
    assert [e.reason for e in refusals(attacker, 1)] == ["expired"]
    assert controller.opened == []


# ------------------------------------------------------------------------------------------------- reports


def test_a_forged_opened_report_does_not_open_the_gate_for_the_platform(
    wire: GateWire, spy: Callable[..., Spy]
) -> None:
    gate, attackers_gate = Gate(), Gate()
    forger = spy(protocol.cmd_topic(gate.public_id))

    def forge_reports(client: object, userdata: object, message: object) -> None:
        payload = getattr(message, "payload", b"")
        command = protocol.check_open_command(
            payload, gate=gate.public_id, command_key=gate.command_key, now=time.time()
        )
        now = time.time()
        wrong_key = protocol.make_event(
            type="opened", gate=gate.public_id, command_key=attackers_gate.command_key, now=now, command=command.id
        )
        own_gate = protocol.make_event(  # genuinely signed by the attacker's own gate, on its own topic
            type="opened",
            gate=attackers_gate.public_id,
            command_key=attackers_gate.command_key,
            now=now,
            command=command.id,
        )
        altered = protocol.make_event(
            type="refused",
            gate=gate.public_id,
            command_key=gate.command_key,
            now=now,
            command=command.id,
            reason="expired",
        )
        altered["type"] = "opened"  # a genuine-looking report with its type changed
        forger.client.publish(protocol.evt_topic(gate.public_id), protocol.encode(wrong_key))
        forger.client.publish(protocol.evt_topic(attackers_gate.public_id), protocol.encode(own_gate))
        forger.client.publish(protocol.evt_topic(gate.public_id), protocol.encode(own_gate))
        forger.client.publish(protocol.evt_topic(gate.public_id), protocol.encode(altered))

    forger.client.on_message = forge_reports
    before = wire.stats["bad_events"]
    result = wire.open(gate_public_id=gate.public_id, command_key=gate.command_key, tap_id=1, timeout=0.8)
    assert result.outcome == "timeout" and not result.opened
    assert wire.stats["bad_events"] - before >= 3


@pytest.mark.django_db(transaction=True)
def test_a_heartbeat_with_a_bad_mac_does_not_mark_the_gate_online(spy: Callable[..., Spy]) -> None:
    row, secret = registered_gate()
    _, command_key = protocol.derive_keys(secret)
    _, wrong_key = protocol.derive_keys(protocol.new_device_secret())
    other_row, other_secret = registered_gate(name="另一门")
    _, other_key = protocol.derive_keys(other_secret)
    listener = GateListener(BROKER, flush_every=0.1).start()
    try:
        assert listener.wait_subscribed(5)
        attacker = spy()
        topic = protocol.evt_topic(row.public_id)
        now = time.time()
        bad = [
            protocol.make_event(type="heartbeat", gate=row.public_id, command_key=wrong_key, now=now),
            protocol.make_event(type="heartbeat", gate=row.public_id, command_key=command_key, now=now - 600),  # replay
            protocol.make_event(type="heartbeat", gate=other_row.public_id, command_key=other_key, now=now),
            {**protocol.make_event(type="heartbeat", gate=row.public_id, command_key=command_key, now=now), "at": 1},
        ]
        for event in bad:
            attacker.publish(topic, protocol.encode(event))
        attacker.publish(topic, b"{not json")
        recorder = listener.recorder
        assert recorder.wait_for(lambda written: written["bad_mac"] >= 4 and written["malformed"] >= 1)
        time.sleep(0.3)
        assert recorder.stats["bad_mac"] == 4 and recorder.stats["recorded"] == 0
        with recorder.paused():
            row.refresh_from_db()
        assert row.last_heartbeat_at is None and not gate_online(row)
        good = protocol.make_event(type="heartbeat", gate=row.public_id, command_key=command_key, now=time.time())
        attacker.publish(topic, protocol.encode(good))
        assert recorder.wait_for(lambda written: written["heartbeat"] >= 1)
        with recorder.paused():
            row.refresh_from_db()
            other_row.refresh_from_db()
        assert gate_online(row)
        assert other_row.last_heartbeat_at is None
    finally:
        listener.stop()
