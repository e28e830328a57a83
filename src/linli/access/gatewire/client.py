"""The platform's side of the gate wire: `open_gate` sends a signed open command and waits for the controller's
report.

MQTT gates: one long-lived paho-mqtt client per process (`GateWire`), started lazily on the first command,
reconnecting on its own (paho's network thread), subscribed to `linli/gates/+/evt`. A command's waiter is a
`threading.Event` keyed by command id; the network thread resolves it when an `opened`/`refused` event for that
id arrives whose MAC verifies with the gate's command_key. The client is fork-safe: a process that finds a client
created by its parent (gunicorn's preload, multiprocessing) drops it and builds its own.

HTTP gates: the command goes into the gate's queue (`gatewire.queues`), which the controller long-polls; its
report, posted to the HTTP interface, reaches the waiter through the same queue module.

`open_gate` never raises for wire trouble and never blocks longer than its timeout: broker unreachable is the
outcome "broker_down", no report in time is "timeout" (MQTT) or "queued" (HTTP).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from django.conf import settings
from paho.mqtt.enums import CallbackAPIVersion

from linli.access.gatewire import protocol
from linli.access.gatewire.recorder import EventRecorder

logger = logging.getLogger(__name__)

CONNECT_WAIT_SECONDS = 0.5  # how long a command waits for a (re)connecting client before "broker_down"
HEARTBEAT_RECORD_EVERY_SECONDS = 45.0  # a web process records one gate's heartbeat at most this often
LATE_REPORT_SECONDS = protocol.MAX_COMMAND_AHEAD_SECONDS  # a report after the timeout still reaches the tap's row


@dataclass(frozen=True)
class OpenResult:
    opened: bool
    command_id: str
    outcome: str  # "opened" | "refused:<reason>" | "timeout" | "queued" | "broker_down"


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def parse_broker_url(url: str) -> BrokerAddress:
    """`mqtt://[user[:password]@]host[:port]` (1883) or `mqtts://...` (TLS, 8883)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ValueError(f"not an MQTT broker URL: {url!r}")
    tls = parts.scheme in ("mqtts", "ssl")
    return BrokerAddress(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def set_nodelay(client: mqtt.Client) -> None:
    """Turn Nagle's algorithm off on the client's socket (paho leaves it on): a command or report is one small
    packet, and waiting for the previous packet's delayed ACK would add up to 40 ms to each."""
    sock = client.socket()
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


def ack_now(client: mqtt.Client) -> None:
    """Acknowledge what was just received at once (Linux TCP_QUICKACK). A broker that keeps Nagle's algorithm on
    (Mosquitto's default, `set_tcp_nodelay false`) holds its next packet to us until our ACK of the previous one
    comes, which a delayed ACK puts off by up to 40 ms; an immediate ACK releases it."""
    if _QUICKACK is None:
        return
    sock = client.socket()
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)


def new_mqtt_client(broker: BrokerAddress, client_prefix: str) -> mqtt.Client:
    """A paho client set up the way every Linli MQTT client is: MQTT 3.1.1, clean session, unique client id,
    quick reconnects, no limit on in-flight messages (a burst of taps must not queue behind PUBACKs)."""
    client_id = f"{client_prefix}-{socket.gethostname()[:20]}-{os.getpid()}-{secrets.token_hex(3)}"
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311, clean_session=True)
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set()
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    client.max_inflight_messages_set(0)
    client.max_queued_messages_set(1000)
    return client


class _Waiter:
    __slots__ = ("gate", "command_key", "tap_id", "done", "outcome", "late_until")

    def __init__(self, gate: str, command_key: bytes, tap_id: int) -> None:
        self.gate = gate
        self.command_key = command_key
        self.tap_id = tap_id
        self.done = threading.Event()
        self.outcome = ""
        self.late_until = 0.0


class GateWire:
    """One process's MQTT connection to the gates. Thread-safe; use `wire()` rather than building one."""

    def __init__(
        self,
        broker_url: str,
        *,
        record_heartbeats: bool = True,
        record_late_reports: bool = True,
        client_prefix: str = "linli-web",
    ) -> None:
        self.broker = parse_broker_url(broker_url)
        self.pid = os.getpid()
        self._client = new_mqtt_client(self.broker, client_prefix)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._connected = threading.Event()
        self._lock = threading.Lock()
        self._waiters: dict[str, _Waiter] = {}
        self._late: dict[str, _Waiter] = {}  # timed-out commands whose report may still come
        self._record_late_reports = record_late_reports
        self._started = False
        self._stopping = False
        self._record_heartbeats = record_heartbeats
        self._heartbeat_recorded: dict[str, float] = {}
        self._recorder: EventRecorder | None = None
        self.stats = {"commands": 0, "events": 0, "bad_events": 0, "broker_down": 0}

    # -------------------------------------------------------------------------------------- connection

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        self._client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        with self._lock:
            started, self._started = self._started, False
        self._stopping = True
        if started:
            self._client.disconnect()
            self._client.loop_stop()
        if self._recorder is not None:
            self._recorder.stop()

    def abandon(self) -> None:
        """In a forked child: forget the parent's client without a word on its socket (a DISCONNECT sent from here
        would end the parent's session); only close this process's copy of the file descriptor."""
        sock = self._client.socket()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()  # the parent's descriptor stays open, so the connection is not shut down

    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        self.start()
        return self._connected.wait(timeout)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            logger.warning("gate wire: broker refused the connection: %s", reason_code)
            return
        set_nodelay(client)
        client.subscribe(protocol.EVT_TOPIC_FILTER, qos=0)
        self._connected.set()
        logger.info("gate wire: connected to %s:%s", self.broker.host, self.broker.port)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if self._connected.is_set() and not self._stopping:
            logger.warning("gate wire: lost the broker (%s); reconnecting", reason_code)
        self._connected.clear()

    # ---------------------------------------------------------------------------------------- commands

    def open(self, *, gate_public_id: str, command_key: bytes, tap_id: int, timeout: float) -> OpenResult:
        deadline = time.monotonic() + max(timeout, 0.0)
        command = protocol.make_open_command(gate=gate_public_id, command_key=command_key, tap=tap_id, now=time.time())
        command_id = command["id"]
        if not self._connected.is_set() and not self.wait_connected(
            min(CONNECT_WAIT_SECONDS, max(deadline - time.monotonic(), 0.0))
        ):
            self.stats["broker_down"] += 1
            return OpenResult(opened=False, command_id=command_id, outcome="broker_down")
        waiter = _Waiter(gate_public_id, command_key, tap_id)
        with self._lock:
            self._waiters[command_id] = waiter
        try:
            # QoS 0: a command the broker did not take now is never sent later (it could open the gate after the
            # rider was told it failed); paho answers NO_CONN at once when the connection is gone.
            info = self._client.publish(protocol.cmd_topic(gate_public_id), protocol.encode(command), qos=0)
            self.stats["commands"] += 1
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                self.stats["broker_down"] += 1
                return OpenResult(opened=False, command_id=command_id, outcome="broker_down")
            if not waiter.done.wait(max(deadline - time.monotonic(), 0.0)) and self._give_up(command_id, waiter):
                return OpenResult(opened=False, command_id=command_id, outcome="timeout")
            return OpenResult(opened=waiter.outcome == "opened", command_id=command_id, outcome=waiter.outcome)
        finally:
            with self._lock:
                self._waiters.pop(command_id, None)

    def _give_up(self, command_id: str, waiter: _Waiter) -> bool:
        """False when the report came at the last moment after all; else keep the waiter a while, so a late report
        still reaches the tap's row (`_resolve`). Under the lock `_resolve` takes too: one of the two wins."""
        now = time.monotonic()
        with self._lock:
            if waiter.done.is_set():
                return False
            if self._record_late_reports:
                if len(self._late) > 1000:
                    self._late = {k: w for k, w in self._late.items() if w.late_until > now}
                waiter.late_until = now + LATE_REPORT_SECONDS
                self._late[command_id] = waiter
        return True

    # ------------------------------------------------------------------------------------------ events

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        ack_now(client)
        topic_gate = protocol.topic_gate(message.topic)
        if topic_gate is None:
            return
        self.stats["events"] += 1
        try:
            event = protocol.parse_event(message.payload)
        except protocol.EventInvalid:
            self.stats["bad_events"] += 1
            return
        if event.command is not None:
            with self._lock:
                waiter = self._waiters.get(event.command) or self._late.get(event.command)
            if waiter is not None and waiter.gate == topic_gate:
                self._resolve(event.command, waiter, message.payload)
            return
        if event.type == "heartbeat" and self._record_heartbeats:
            now = time.monotonic()
            if now - self._heartbeat_recorded.get(topic_gate, -1e9) >= HEARTBEAT_RECORD_EVERY_SECONDS:
                self._heartbeat_recorded[topic_gate] = now
                self._background_recorder().submit(message.topic, message.payload)

    def _resolve(self, command_id: str, waiter: _Waiter, payload: bytes) -> None:
        """Settle the waiter with a verified report. A report for a command already answered "timeout" is recorded
        on its tap by the recorder's thread (this is the network thread, which never touches the database)."""
        try:
            event = protocol.check_event(payload, command_key=waiter.command_key, now=time.time(), gate=waiter.gate)
        except protocol.EventInvalid:
            self.stats["bad_events"] += 1  # a forged or altered report: the waiter keeps waiting
            return
        if event.type not in ("opened", "refused"):
            return
        with self._lock:
            if waiter.done.is_set():
                return  # the first report settles it (a replay of the command is refused afterwards)
            waiter.outcome = "opened" if event.type == "opened" else f"refused:{event.reason}"
            waiter.done.set()
            late_until = waiter.late_until
            if late_until:
                self._late.pop(command_id, None)
        if late_until and time.monotonic() <= late_until:
            self._background_recorder().submit_tap_result(
                tap_id=waiter.tap_id, command_id=command_id, outcome=waiter.outcome, opened=waiter.outcome == "opened"
            )

    @property
    def recorder(self) -> EventRecorder | None:
        """The recorder thread writing this client's heartbeats and late reports (None until the first one)."""
        return self._recorder

    def _background_recorder(self) -> EventRecorder:
        recorder = self._recorder
        if recorder is None:
            with self._lock:
                if self._recorder is None:
                    self._recorder = EventRecorder(flush_every=1.0)
                    self._recorder.start()
                recorder = self._recorder
        return recorder


# ----------------------------------------------------------------------------------- the process's client

_wire: GateWire | None = None
_wire_lock = threading.Lock()


def _forget_after_fork() -> None:
    global _wire, _wire_lock
    if _wire is not None:
        _wire.abandon()
    _wire = None
    _wire_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def broker_url() -> str:
    return getattr(settings, "LINLI_MQTT_URL", "mqtt://127.0.0.1:1883")


def wire() -> GateWire:
    """This process's client, created (not yet connected) on first use; a parent's client is never reused."""
    global _wire
    current = _wire
    if current is not None and current.pid == os.getpid():
        return current
    with _wire_lock:
        if _wire is not None and _wire.pid != os.getpid():
            _wire.abandon()
            _wire = None
        if _wire is None:
            _wire = GateWire(broker_url())
        return _wire


def reset_wire() -> None:
    """Stop and forget this process's client (tests; settings changes)."""
    global _wire
    with _wire_lock:
        current, _wire = _wire, None
    if current is not None and current.pid == os.getpid():
        current.stop()
