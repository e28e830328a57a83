"""Heartbeats and events recorded on the Gate rows: the `gate-listener` service (batched, verified), the web
process's own client (throttled), the recorder's rules (newest time wins, unknown gates ignored)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from linli.access.gatewire import protocol
from linli.access.gatewire.client import GateWire
from linli.access.gatewire.listener import GateListener
from linli.access.gatewire.recorder import EventRecorder, GateKeys
from linli.access.gatewire.simulator import GateController
from linli.access.tests.factories_wire import BROKER, registered_gate, require_mosquitto, wait_until


@pytest.mark.django_db(transaction=True)
def test_listener_records_heartbeats_and_events_of_a_real_controller() -> None:
    from linli.access.models import Gate
    from linli.access.services.gates import gate_online

    require_mosquitto()
    gate, secret = registered_gate()
    listener = GateListener(BROKER, flush_every=0.1).start()
    recorder = listener.recorder
    controller = GateController(gate.public_id, secret, BROKER, heartbeat_every=0.2)
    wire = GateWire(BROKER, record_heartbeats=False)
    try:
        assert listener.wait_subscribed(5)
        controller.start()
        # Read what the recorder wrote once a flush has written it, and never while it writes (SQLite's
        # in-memory test database answers a read meeting a write with "table is locked").
        assert recorder.wait_for(lambda written: written["heartbeat"] >= 3)
        with recorder.paused():
            row = Gate.objects.get(pk=gate.pk)
        assert row.last_heartbeat_at is not None and row.last_event_at is not None and gate_online(row)
        first, seen = row.last_heartbeat_at, recorder.written["heartbeat"]
        assert recorder.wait_for(lambda written: written["heartbeat"] > seen)
        with recorder.paused():
            assert Gate.objects.get(pk=gate.pk).last_heartbeat_at > first
        result = wire.open(
            gate_public_id=gate.public_id, command_key=protocol.derive_keys(secret)[1], tap_id=3, timeout=2
        )
        assert result.opened
        assert recorder.wait_for(lambda written: written["opened"] == 1)
        # Every event of the controller verified (gates of other processes on the same broker are "unknown_gate").
        assert recorder.stats["bad_mac"] == 0
        assert recorder.failures == 0 and recorder.stats["failed_batches"] == 0
        assert "opened=1" in listener.stats_line()
    finally:
        controller.stop()
        wire.stop()
        listener.stop()
    assert not recorder.running()


@pytest.mark.django_db(transaction=True)
def test_the_web_client_records_heartbeats_throttled() -> None:
    from linli.access.models import Gate

    require_mosquitto()
    gate, secret = registered_gate()
    wire = GateWire(BROKER, record_heartbeats=True)
    controller = GateController(gate.public_id, secret, BROKER, heartbeat_every=0.1)
    try:
        assert wire.wait_connected(5)
        controller.start()
        assert wait_until(lambda: wire.recorder is not None)
        recorder = wire.recorder
        assert recorder is not None and recorder.wait_for(lambda written: written["gates_written"] >= 1)
        with recorder.paused():
            assert Gate.objects.get(pk=gate.pk).last_heartbeat_at is not None
        assert wait_until(lambda: controller.heartbeats_sent >= 6)
        time.sleep(1.2)
        # Several heartbeats arrived, one was written: a web process writes a gate at most every 45 s.
        assert recorder.stats["heartbeat"] == 1
    finally:
        controller.stop()
        wire.stop()
    assert not recorder.running()


def test_recorder_keeps_the_newest_time_and_ignores_unknown_gates(db: None) -> None:
    from linli.access.models import Gate

    gate, secret = registered_gate()
    _, command_key = protocol.derive_keys(secret)
    recorder = EventRecorder(keys=GateKeys(ttl=60))
    topic = protocol.evt_topic(gate.public_id)
    now = time.time()
    newest = protocol.make_event(type="heartbeat", gate=gate.public_id, command_key=command_key, now=now)
    older = protocol.make_event(type="heartbeat", gate=gate.public_id, command_key=command_key, now=now - 30)
    stranger = protocol.new_gate_public_id()
    stranger_event = protocol.make_event(type="heartbeat", gate=stranger, command_key=command_key, now=now)
    recorder.submit(topic, protocol.encode(newest), received_at=now)
    recorder.submit(topic, protocol.encode(older), received_at=now - 30)
    recorder.submit(protocol.evt_topic(stranger), protocol.encode(stranger_event), received_at=now)
    recorder.submit("linli/other/topic", b"{}", received_at=now)
    assert recorder.drain() == 2
    assert recorder.stats["unknown_gate"] == 1 and recorder.stats["malformed"] == 1
    row = Gate.objects.get(pk=gate.pk)
    assert row.last_heartbeat_at == dt.datetime.fromtimestamp(now, tz=dt.UTC)
    # A later batch carrying an older time (another recorder was behind) never moves the time back.
    recorder.submit(topic, protocol.encode(older), received_at=now - 30)
    assert recorder.drain() == 1
    assert Gate.objects.get(pk=gate.pk).last_heartbeat_at == row.last_heartbeat_at
    # An `opened` event moves last_event_at only.
    opened = protocol.make_event(
        type="opened", gate=gate.public_id, command_key=command_key, now=now + 5, command="ab" * 16
    )
    recorder.submit(topic, protocol.encode(opened), received_at=now + 5)
    recorder.drain()
    row = Gate.objects.get(pk=gate.pk)
    assert row.last_event_at == dt.datetime.fromtimestamp(now + 5, tz=dt.UTC)
    assert row.last_heartbeat_at == dt.datetime.fromtimestamp(now, tz=dt.UTC)
    assert row.last_event_at <= timezone.now() + dt.timedelta(seconds=6)


def test_gate_keys_cache_answers_from_memory_until_forgotten(db: None, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    gate, secret = registered_gate()
    keys = GateKeys(ttl=60)
    stranger = protocol.new_gate_public_id()
    with django_assert_num_queries(1):
        found = keys.get_many([gate.public_id, stranger])
        again = keys.get_many([gate.public_id, stranger])
    assert found == again == {gate.public_id: protocol.derive_keys(secret)[1], stranger: None}
    keys.forget(gate.public_id)
    with django_assert_num_queries(1):
        keys.get_many([gate.public_id])
    keys.expire_soon(gate.public_id, within=0)  # a key that did not verify is read again (after a re-key)
    with django_assert_num_queries(1):
        keys.get_many([gate.public_id])


@pytest.mark.django_db(transaction=True)
def test_start_in_process_runs_one_listener_for_the_embedded_mode() -> None:
    from django.test import override_settings

    from linli.access.gatewire import listener as listener_module
    from linli.access.models import Gate

    require_mosquitto()
    gate, secret = registered_gate()
    with override_settings(LINLI_MQTT_URL=BROKER):
        first = listener_module.start_in_process()
    controller = GateController(gate.public_id, secret, BROKER, heartbeat_every=30)
    try:
        assert listener_module.start_in_process() is first and first.wait_subscribed(5)
        controller.start()
        assert first.recorder.wait_for(lambda written: written["heartbeat"] >= 1, timeout=8)
        with first.recorder.paused():
            assert Gate.objects.get(pk=gate.pk).last_heartbeat_at is not None
    finally:
        controller.stop()
        listener_module.stop_in_process()
    assert listener_module._in_process is None and not first.recorder.running()


@pytest.mark.django_db(transaction=True)
def test_the_recorder_survives_database_errors_and_records_the_batch_later(django_db_blocker) -> None:  # type: ignore[no-untyped-def]
    """A long-running listener must not die of a database hiccup: "locked" is retried at once; a database that
    does not answer at all costs failed attempts with growing pauses, and the batch is written once it answers."""
    from django.db import connection, transaction

    from linli.access.models import Gate

    gate, secret = registered_gate()
    _, command_key = protocol.derive_keys(secret)
    topic = protocol.evt_topic(gate.public_id)

    def heartbeat(at: float) -> bytes:
        return protocol.encode(
            protocol.make_event(type="heartbeat", gate=gate.public_id, command_key=command_key, now=at)
        )

    recorder = EventRecorder(flush_every=0.05)
    recorder.start()
    try:
        # Another connection holds a write on the gate table: SQLite answers the recorder "locked" (PostgreSQL
        # makes its UPDATE wait for the row); it goes through within the same flush once the write commits.
        now = time.time()
        with transaction.atomic():
            Gate.objects.filter(pk=gate.pk).update(name="东门 1")
            recorder.submit(topic, heartbeat(now), now)
            time.sleep(0.3)
        assert recorder.wait_for(lambda written: written["heartbeat"] >= 1)
        assert recorder.stats["failed_batches"] == 0
        if connection.vendor == "sqlite":
            assert recorder.stats["locked_retries"] >= 1
        # No database at all for a while (every query refused): the thread keeps the batch, pauses longer after
        # each failed attempt, and writes the batch when the database is back.
        later = now + 10
        with django_db_blocker.block():
            recorder.submit(topic, heartbeat(later), later)
            assert wait_until(lambda: recorder.stats["failed_batches"] >= 2)
            assert recorder.running() and recorder.failures >= 2
        assert recorder.wait_for(lambda written: written["heartbeat"] >= 2)
        assert recorder.failures == 0 and recorder.running()
        with recorder.paused():
            row = Gate.objects.get(pk=gate.pk)
        assert row.last_heartbeat_at == dt.datetime.fromtimestamp(later, tz=dt.UTC)
    finally:
        recorder.stop()
    assert not recorder.running()
