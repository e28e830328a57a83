"""The gate listener: one MQTT client on `linli/gates/+/evt` feeding an `EventRecorder` (see `gate-listener`)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import paho.mqtt.client as mqtt
from django.conf import settings

from linli.access.gatewire import protocol
from linli.access.gatewire.client import new_mqtt_client, parse_broker_url, set_nodelay
from linli.access.gatewire.recorder import EventRecorder

logger = logging.getLogger(__name__)


class GateListener:
    def __init__(self, broker_url: str, *, shared_group: str = "", flush_every: float = 1.0) -> None:
        self.broker_url = broker_url
        self.broker = parse_broker_url(broker_url)
        self.topic_filter = (
            f"$share/{shared_group}/{protocol.EVT_TOPIC_FILTER}" if shared_group else protocol.EVT_TOPIC_FILTER
        )
        self.recorder = EventRecorder(flush_every=flush_every)
        self._client = new_mqtt_client(self.broker, "linli-listener")
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._subscribed = threading.Event()
        self._stopping = threading.Event()

    def start(self) -> GateListener:
        self.recorder.start()
        self._client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self._client.loop_start()
        return self

    def wait_subscribed(self, timeout: float = 5.0) -> bool:
        return self._subscribed.wait(timeout)

    def stop(self) -> None:
        self._stopping.set()
        self._client.disconnect()
        self._client.loop_stop()
        self.recorder.stop()

    def stats_line(self) -> str:
        stats = self.recorder.stats
        keys = ("received", "recorded", "heartbeat", "opened", "refused", "bad_mac", "unknown_gate", "malformed")
        return " ".join(f"{key}={stats[key]}" for key in keys)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            logger.warning("gate listener: broker refused the connection: %s", reason_code)
            return
        set_nodelay(client)
        client.subscribe(self.topic_filter, qos=0)
        logger.info("gate listener: subscribed to %s", self.topic_filter)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reason_codes: Any, properties: Any) -> None:
        if all(not code.is_failure for code in reason_codes):
            self._subscribed.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        self._subscribed.clear()
        if not self._stopping.is_set():
            logger.warning("gate listener: lost the broker (%s); reconnecting", reason_code)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.recorder.submit(message.topic, message.payload)


_in_process: GateListener | None = None
_in_process_lock = threading.Lock()


def start_in_process() -> GateListener:
    """Run the listener inside this process (embedded mode: `linli serve` without a separate `gate-listener`
    service), so gates show online before any tap has started the web process's own client. Idempotent; the
    client keeps retrying quietly while no broker runs."""
    global _in_process

    with _in_process_lock:
        if _in_process is None:
            _in_process = GateListener(settings.LINLI_MQTT_URL).start()
        return _in_process


def stop_in_process() -> None:
    """Stop and forget the embedded listener, if one runs (shutdown; tests)."""
    global _in_process
    with _in_process_lock:
        current, _in_process = _in_process, None
    if current is not None:
        current.stop()
