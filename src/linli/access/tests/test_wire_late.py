"""A controller's report that comes after the tap was answered ("timeout" over MQTT, "queued" over HTTP) still
reaches the tap's audit row, through the access service's `tap_command_result`; a forged late report does not."""

from __future__ import annotations

import json
import time

import pytest

from linli.access.gatewire import open_gate, protocol
from linli.access.gatewire.client import GateWire
from linli.access.gatewire.simulator import GateController
from linli.access.tests.factories_wire import BROKER, Spy, registered_gate, require_mosquitto, wait_until


def pending_tap(gate):  # type: ignore[no-untyped-def]
    from linli.access.models import Decision, Tap

    return Tap.objects.create(
        gate=gate, street_id=gate.street_id, compound_id=gate.compound_id, decision=Decision.ALLOW, outcome="pending"
    )


@pytest.mark.django_db(transaction=True)
def test_a_late_mqtt_report_is_recorded_on_the_tap() -> None:
    from linli.access.models import Tap
    from linli.access.services.tap_results import tap_command_result

    require_mosquitto()
    gate, secret = registered_gate()
    _, command_key = protocol.derive_keys(secret)
    slow = GateController(gate.public_id, secret, BROKER, on_open=lambda _c: time.sleep(0.6)).start()
    wire = GateWire(BROKER, record_heartbeats=False)
    try:
        assert slow.wait_connected(5) and wire.wait_connected(5)
        tap = pending_tap(gate)
        result = wire.open(gate_public_id=gate.public_id, command_key=command_key, tap_id=tap.pk, timeout=0.2)
        assert result.outcome == "timeout"
        tap_command_result(tap_id=tap.pk, command_id=result.command_id, outcome=result.outcome, opened=False)
        # The late report is written by the client's recorder thread: read the row once it has, not meanwhile.
        assert wait_until(lambda: wire.recorder is not None, timeout=5)
        recorder = wire.recorder
        assert recorder is not None and recorder.wait_for(lambda written: written["late_reports"] == 1)
        with recorder.paused():
            row = Tap.objects.get(pk=tap.pk)
        assert (row.outcome, row.command_id) == ("opened", result.command_id)
    finally:
        slow.stop()
        wire.stop()


@pytest.mark.django_db(transaction=True)
def test_a_forged_late_report_changes_nothing() -> None:
    from linli.access.models import Tap
    from linli.access.services.tap_results import tap_command_result

    require_mosquitto()
    gate, secret = registered_gate()
    _, command_key = protocol.derive_keys(secret)
    _, wrong_key = protocol.derive_keys(protocol.new_device_secret())
    wire = GateWire(BROKER, record_heartbeats=False)
    attacker = Spy()
    try:
        assert wire.wait_connected(5)
        tap = pending_tap(gate)
        result = wire.open(gate_public_id=gate.public_id, command_key=command_key, tap_id=tap.pk, timeout=0.1)
        tap_command_result(tap_id=tap.pk, command_id=result.command_id, outcome=result.outcome, opened=False)
        forged = protocol.make_event(
            type="opened", gate=gate.public_id, command_key=wrong_key, now=time.time(), command=result.command_id
        )
        bad_before = wire.stats["bad_events"]
        attacker.publish(protocol.evt_topic(gate.public_id), protocol.encode(forged))
        assert wait_until(lambda: wire.stats["bad_events"] > bad_before)
        time.sleep(0.3)
        row = Tap.objects.get(pk=tap.pk)
        assert not row.opened and row.outcome == "timeout"
    finally:
        attacker.stop()
        wire.stop()


def test_a_late_http_report_is_recorded_on_the_tap(client, db: None) -> None:  # type: ignore[no-untyped-def]
    from linli.access.models import Tap
    from linli.access.services.tap_results import tap_command_result

    gate, secret = registered_gate(transport="http")
    _, command_key = protocol.derive_keys(secret)
    tap = pending_tap(gate)
    result = open_gate(
        gate_public_id=gate.public_id, command_key=command_key, transport="http", tap_id=tap.pk, timeout=0.1
    )
    assert result.outcome == "queued"
    tap_command_result(tap_id=tap.pk, command_id=result.command_id, outcome=result.outcome, opened=False)
    headers = {"HTTP_AUTHORIZATION": protocol.make_http_auth(gate.public_id, command_key, time.time())}
    polled = client.get(f"/api/v1/access/gates/{gate.public_id}/commands", **headers).json()["commands"]
    assert [c["id"] for c in polled] == [result.command_id]
    report = protocol.make_event(
        type="opened", gate=gate.public_id, command_key=command_key, now=time.time(), command=result.command_id
    )
    response = client.post(
        f"/api/v1/access/gates/{gate.public_id}/events", json.dumps(report), content_type="application/json", **headers
    )
    assert response.status_code == 200
    row = Tap.objects.get(pk=tap.pk)
    assert row.opened and row.outcome == "opened"
