"""A gate controller in software: what `linli gate-sim`, the tests and the benchmark run in place of a device.

It holds the device secret (the platform does not), checks every open command exactly as a device must (MAC,
gate, expiry, not too far ahead, single use), "opens" (records the command id and calls `on_open`), and reports
`opened` or `refused` with the reason, plus a signed heartbeat every `heartbeat_every` seconds.
`GateController` speaks MQTT (a real paho client that reconnects on its own); `HttpGateController` long-polls
the platform's HTTP interface for controllers without MQTT. Neither needs Django.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import paho.mqtt.client as mqtt

from linli.access.gatewire import protocol
from linli.access.gatewire.client import ack_now, new_mqtt_client, parse_broker_url, set_nodelay

logger = logging.getLogger(__name__)


class ControllerLogic:
    """The decision a controller makes for one command payload, and what it has done so far. Thread-safe."""

    def __init__(
        self,
        public_id: str,
        secret_b64: str,
        *,
        on_open: Callable[[protocol.OpenCommand], None] | None = None,
        on_refuse: Callable[[str | None, str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not protocol.is_public_id(public_id):
            raise ValueError(f"not a gate public id: {public_id!r}")
        self.public_id = public_id
        self.token_key, self.command_key = protocol.derive_keys(secret_b64)
        self.on_open = on_open
        self.on_refuse = on_refuse
        self.clock = clock
        self.seen = protocol.SeenCommands()
        self._lock = threading.Lock()
        self.opened: list[str] = []
        self.refused: list[tuple[str | None, str]] = []

    def handle(self, payload: bytes | str | dict[str, Any]) -> dict[str, Any] | None:
        """The event to report for this command payload (None when it has no command id to report against)."""
        now = self.clock()
        try:
            command = protocol.check_open_command(payload, gate=self.public_id, command_key=self.command_key, now=now)
            if not self.seen.add(command.id, command.exp, now):
                raise protocol.CommandRefused("command id already used", reason=protocol.REFUSE_REPLAYED)
        except protocol.CommandRefused as exc:
            command_id = protocol.command_id_of(payload)
            with self._lock:
                self.refused.append((command_id, exc.reason))
            if self.on_refuse is not None:
                self.on_refuse(command_id, exc.reason)
            if command_id is None:
                return None
            return self.event("refused", command=command_id, reason=exc.reason)
        with self._lock:
            self.opened.append(command.id)
        if self.on_open is not None:
            self.on_open(command)
        return self.event("opened", command=command.id)

    def event(self, type: str, *, command: str | None = None, reason: str | None = None) -> dict[str, Any]:
        return protocol.make_event(
            type=type,
            gate=self.public_id,
            command_key=self.command_key,
            now=self.clock(),
            command=command,
            reason=reason,
        )


class GateController:
    """A real MQTT gate controller: subscribes to `linli/gates/<id>/cmd`, reports on `linli/gates/<id>/evt`."""

    def __init__(
        self,
        public_id: str,
        secret_b64: str,
        broker_url: str = "mqtt://127.0.0.1:1883",
        heartbeat_every: float = 30,
        *,
        on_open: Callable[[protocol.OpenCommand], None] | None = None,
        on_refuse: Callable[[str | None, str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.logic = ControllerLogic(public_id, secret_b64, on_open=on_open, on_refuse=on_refuse, clock=clock)
        self.public_id = public_id
        self.heartbeat_every = heartbeat_every
        self.broker = parse_broker_url(broker_url)
        self._client = new_mqtt_client(self.broker, "linli-gate")
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._heartbeats: threading.Thread | None = None
        self.heartbeats_sent = 0

    @property
    def opened(self) -> list[str]:
        return self.logic.opened

    @property
    def refused(self) -> list[tuple[str | None, str]]:
        return self.logic.refused

    def start(self) -> GateController:
        self._stopping.clear()
        self._client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self._client.loop_start()
        self._heartbeats = threading.Thread(target=self._heartbeat_loop, name=f"gate-{self.public_id}-hb", daemon=True)
        self._heartbeats.start()
        return self

    def wait_connected(self, timeout: float = 5.0) -> bool:
        """True once connected and subscribed to its command topic."""
        return self._connected.wait(timeout)

    def stop(self) -> None:
        self._stopping.set()
        self._client.disconnect()
        self._client.loop_stop()
        if self._heartbeats is not None:
            self._heartbeats.join(timeout=2)

    def connected(self) -> bool:
        return self._connected.is_set()

    def send_heartbeat(self) -> None:
        self._publish(self.logic.event("heartbeat"))
        self.heartbeats_sent += 1

    def _publish(self, event: dict[str, Any]) -> None:
        self._client.publish(protocol.evt_topic(self.public_id), protocol.encode(event), qos=0)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            logger.warning("gate %s: broker refused the connection: %s", self.public_id, reason_code)
            return
        set_nodelay(client)
        client.subscribe(protocol.cmd_topic(self.public_id), qos=0)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reason_codes: Any, properties: Any) -> None:
        if any(code.is_failure for code in reason_codes):
            logger.warning("gate %s: the broker refused the subscription: %s", self.public_id, reason_codes)
            return
        # Ready only now: a command published before the broker has the subscription would be lost.
        self._connected.set()
        self.send_heartbeat()  # online as soon as it can take commands, not a heartbeat period later

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        self._connected.clear()
        if not self._stopping.is_set():
            logger.warning("gate %s: lost the broker (%s); reconnecting", self.public_id, reason_code)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        ack_now(client)
        event = self.logic.handle(message.payload)
        if event is not None:
            self._publish(event)

    def _heartbeat_loop(self) -> None:
        while not self._stopping.wait(self.heartbeat_every):
            if self._connected.is_set():
                self.send_heartbeat()


class HttpGateController:
    """A controller without MQTT: long-polls `GET <api>/gates/<id>/commands?wait=N` and posts its reports and
    heartbeats to `POST <api>/gates/<id>/events`, each request signed with the `Gate` authorization header."""

    def __init__(
        self,
        public_id: str,
        secret_b64: str,
        site_url: str,
        heartbeat_every: float = 30,
        *,
        poll_wait: int = 25,
        on_open: Callable[[protocol.OpenCommand], None] | None = None,
        on_refuse: Callable[[str | None, str], None] | None = None,
    ) -> None:
        self.logic = ControllerLogic(public_id, secret_b64, on_open=on_open, on_refuse=on_refuse)
        self.public_id = public_id
        self.heartbeat_every = heartbeat_every
        self.poll_wait = poll_wait
        self.base = f"{site_url.rstrip('/')}/api/v1/access/gates/{public_id}"
        self._http = httpx.Client(timeout=poll_wait + 10)
        self._stopping = threading.Event()
        self._polled = threading.Event()
        self._threads: list[threading.Thread] = []
        self.heartbeats_sent = 0
        self.errors = 0

    @property
    def opened(self) -> list[str]:
        return self.logic.opened

    @property
    def refused(self) -> list[tuple[str | None, str]]:
        return self.logic.refused

    def start(self) -> HttpGateController:
        self._stopping.clear()
        for target, name in ((self._poll_loop, "poll"), (self._heartbeat_loop, "hb")):
            thread = threading.Thread(target=target, name=f"gate-{self.public_id}-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def wait_polling(self, timeout: float = 5.0) -> bool:
        """True once the first poll has been answered (the platform knows the controller is there)."""
        return self._polled.wait(timeout)

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:  # a poll in flight ends within poll_wait; the threads are daemons
            thread.join(timeout=2)
        self._http.close()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": protocol.make_http_auth(self.public_id, self.logic.command_key, time.time())}

    def post_event(self, event: dict[str, Any]) -> int:
        response = self._http.post(f"{self.base}/events", json=event, headers=self._headers())
        return response.status_code

    def send_heartbeat(self) -> None:
        if self.post_event(self.logic.event("heartbeat")) == 200:
            self.heartbeats_sent += 1

    def _poll_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                response = self._http.get(
                    f"{self.base}/commands", params={"wait": self.poll_wait}, headers=self._headers()
                )
                if response.status_code != 200:
                    raise httpx.HTTPStatusError("poll refused", request=response.request, response=response)
                self._polled.set()
                for command in response.json().get("commands", []):
                    event = self.logic.handle(command)
                    if event is not None:
                        self.post_event(event)
            except (httpx.HTTPError, ValueError) as exc:
                self.errors += 1
                logger.warning("gate %s: poll failed: %s", self.public_id, exc)
                self._stopping.wait(1.0)

    def _heartbeat_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.send_heartbeat()
            except httpx.HTTPError as exc:
                self.errors += 1
                logger.warning("gate %s: heartbeat failed: %s", self.public_id, exc)
            if self._stopping.wait(self.heartbeat_every):
                return
