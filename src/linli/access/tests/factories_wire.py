"""Test data and tools for the gate-wire tests: gates with their keys, gates registered the platform's way, a raw
MQTT client that sees what anyone on the broker sees, and waiting for what another thread does. The broker is the
real Mosquitto on 127.0.0.1:1883; the `wire` and `controllers` fixtures are in this package's conftest."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from linli.access.gatewire import protocol
from linli.access.services.gates import gate_create
from linli.core.models import Compound
from linli.core.tests.factories import StreetFactory

BROKER = "mqtt://127.0.0.1:1883"


def require_mosquitto() -> None:
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=1).close()
    except OSError:
        pytest.fail("Mosquitto is not running on 127.0.0.1:1883 (these tests need a real broker)")


class Gate:
    """A gate's identity as both sides hold it: the controller has the secret, the platform the derived keys."""

    def __init__(self) -> None:
        self.public_id = protocol.new_gate_public_id()
        self.secret = protocol.new_device_secret()
        self.token_key, self.command_key = protocol.derive_keys(self.secret)


class Spy:
    """A raw MQTT client: what anyone with access to the broker can see and send."""

    def __init__(self, *topics: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._ready = threading.Event()
        self._got = threading.Condition()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"spy-{protocol.new_command_id()[:8]}")
        self.client.on_connect = lambda c, *_: c.subscribe([(t, 0) for t in topics]) if topics else self._ready.set()
        self.client.on_subscribe = lambda *_: self._ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", 1883)
        self.client.loop_start()
        assert self._ready.wait(5)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._got:
            self.messages.append((message.topic, bytes(message.payload)))
            self._got.notify_all()

    def wait_for(self, predicate: Callable[[list[tuple[str, bytes]]], bool], timeout: float = 3.0) -> bool:
        with self._got:
            return self._got.wait_for(lambda: predicate(self.messages), timeout)

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=0).wait_for_publish(2)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def events(messages: list[tuple[str, bytes]], type_: str) -> list[protocol.Event]:
    return [e for e in (protocol.parse_event(payload) for _, payload in messages if "/evt" in _) if e.type == type_]


def registered_gate(name: str = "东门", transport: str = "mqtt") -> tuple[object, str]:
    """A gate registered the platform's way (the secret is returned once), on a fresh compound."""
    street = StreetFactory(code="wirejie")
    compound, _ = Compound.objects.get_or_create(
        street=street,
        external_id="c-wire",
        defaults={
            "name": "测试小区",
            "geometry": {"type": "Point", "coordinates": [121.39, 31.25]},
            "lat": 31.25,
            "lng": 121.39,
        },
    )
    new = gate_create(compound=compound, name=name, transport=transport, actor=None)
    return new.gate, new.secret


def wait_until(predicate: Callable[[], object], timeout: float = 5.0) -> bool:
    """Poll `predicate` until it holds (another thread's work is done) or `timeout` seconds pass; say whether it
    holds. The timeout bounds the wait; it is not what the test asserts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
