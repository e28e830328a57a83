"""Recording what gates report: heartbeats and the time of their last event, on the Gate rows.

`EventRecorder` takes raw MQTT messages (topic, payload) from a network thread, verifies each event's MAC with the
gate's command_key (looked up by public id through `GateKeys`, a small cache) in its own thread, and writes the
newest times per gate once per `flush_every` seconds with one queryset `.update()` per gate. Events that do not
verify (forged, altered, another gate's, replayed long after) are ignored and counted. The `gate-listener` service
records every heartbeat this way; a web process's client records them too, throttled (see `client.GateWire`).
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Iterable

from linli.access.gatewire import protocol

logger = logging.getLogger(__name__)


class GateKeys:
    """public_id -> command_key (None for no such gate), each answer kept `ttl` seconds. Thread-safe."""

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, bytes | None]] = {}

    def get_many(self, public_ids: Iterable[str]) -> dict[str, bytes | None]:
        now = time.monotonic()
        wanted = set(public_ids)
        found: dict[str, bytes | None] = {}
        with self._lock:
            for public_id in wanted:
                cached = self._cache.get(public_id)
                if cached is not None and cached[0] > now:
                    found[public_id] = cached[1]
        missing = wanted - found.keys()
        if missing:
            from linli.access.models import Gate

            rows = dict(Gate.objects.filter(public_id__in=missing).values_list("public_id", "command_key"))
            with self._lock:
                for public_id in missing:
                    key = bytes(rows[public_id]) if public_id in rows else None
                    found[public_id] = key
                    self._cache[public_id] = (now + self.ttl, key)
                if len(self._cache) > 100_000:
                    self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        return found

    def forget(self, public_id: str) -> None:
        with self._lock:
            self._cache.pop(public_id, None)

    def expire_soon(self, public_id: str, within: float = 5.0) -> None:
        """An event did not verify with the cached key: perhaps the gate was re-keyed. Read the key again within
        `within` seconds (not at once: forged events must not cost a query each)."""
        soon = time.monotonic() + within
        with self._lock:
            cached = self._cache.get(public_id)
            if cached is not None and cached[0] > soon:
                self._cache[public_id] = (soon, cached[1])


class EventRecorder:
    """Verifies gate events and writes `last_heartbeat_at` / `last_event_at`, batched. `start()` runs it in a
    thread; `drain()` processes what is queued in the caller's thread (tests, shutdown)."""

    def __init__(self, *, flush_every: float = 1.0, keys: GateKeys | None = None) -> None:
        self.flush_every = flush_every
        self.keys = keys or GateKeys()
        self.stats: Counter[str] = Counter()
        self._queue: queue.SimpleQueue[tuple[str, bytes, float]] = queue.SimpleQueue()
        self._tap_results: queue.SimpleQueue[tuple[int, str, str, bool]] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._drain_lock = threading.Lock()

    def submit(self, topic: str, payload: bytes, received_at: float | None = None) -> None:
        self.stats["received"] += 1
        self._queue.put((topic, bytes(payload), time.time() if received_at is None else received_at))

    def submit_tap_result(self, *, tap_id: int, command_id: str, outcome: str, opened: bool) -> None:
        """A command's report that came after its tap was answered: stored on the tap by the access service."""
        self._tap_results.put((tap_id, command_id, outcome, opened))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="gate-event-recorder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self.flush_every + 5)
        self.drain()

    def _run(self) -> None:
        from django.db import close_old_connections

        while not self._stopping.wait(self.flush_every):
            try:
                self.drain()
            except Exception:  # a database hiccup must not end heartbeat recording for the process's life
                logger.exception("gate events: recording failed; will retry with the next batch")
            finally:
                close_old_connections()

    def drain(self) -> int:
        """Verify and record everything queued now; returns the number of events recorded."""
        with self._drain_lock:
            self._record_tap_results()
            batch: list[tuple[str, bytes, float]] = []
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if not batch:
                return 0
            latest, recorded = self._verify(batch)
            write_gate_times(latest)
            self.stats["gates_written"] += len(latest)
            return recorded

    def _record_tap_results(self) -> None:
        from linli.access.services.taps import tap_command_result

        while True:
            try:
                tap_id, command_id, outcome, opened = self._tap_results.get_nowait()
            except queue.Empty:
                return
            if tap_command_result(tap_id=tap_id, command_id=command_id, outcome=outcome, opened=opened):
                self.stats["late_reports"] += 1

    def _verify(self, batch: list[tuple[str, bytes, float]]) -> tuple[dict[str, tuple[float | None, float]], int]:
        """public_id -> (newest heartbeat time or None, newest event time) over the batch's verified events, and
        how many verified."""
        gates: dict[str, str] = {}
        for topic, _, _ in batch:
            public_id = protocol.topic_gate(topic)
            if public_id is not None:
                gates[topic] = public_id
        keys = self.keys.get_many(set(gates.values()))
        latest: dict[str, tuple[float | None, float]] = {}
        recorded = 0
        for topic, payload, received_at in batch:
            public_id = gates.get(topic)
            if public_id is None:
                self.stats["malformed"] += 1
                continue
            key = keys.get(public_id)
            if key is None:
                self.stats["unknown_gate"] += 1
                continue
            try:
                protocol.parse_event(payload)
            except protocol.EventInvalid:
                self.stats["malformed"] += 1
                continue
            try:
                event = protocol.check_event(payload, command_key=key, now=received_at, gate=public_id)
            except protocol.EventInvalid:
                self.stats["bad_mac"] += 1  # forged, altered, another gate's, or replayed long after
                self.keys.expire_soon(public_id)
                continue
            recorded += 1
            self.stats[event.type] += 1
            heartbeat, last = latest.get(public_id, (None, 0.0))
            if event.type == "heartbeat":
                heartbeat = max(heartbeat or 0.0, received_at)
            latest[public_id] = (heartbeat, max(last, received_at))
        self.stats["recorded"] += recorded
        return latest, recorded


def write_gate_times(latest: dict[str, tuple[float | None, float]]) -> None:
    """Write each gate's newest heartbeat (None: none in this batch) and event time, one `.update()` per gate, never
    moving a time back (several recorders, the listener and web processes, may write the same gate)."""
    if not latest:
        return
    from django.db import transaction
    from django.db.models import F, Value
    from django.db.models.functions import Coalesce, Greatest

    from linli.access.models import Gate

    def newest(field: str, at: float) -> Greatest:
        value = Value(dt.datetime.fromtimestamp(at, tz=dt.UTC))
        return Greatest(Coalesce(F(field), value), value)

    with transaction.atomic():
        for public_id, (heartbeat, last) in sorted(latest.items()):
            fields = {"last_event_at": newest("last_event_at", last)}
            if heartbeat is not None:
                fields["last_heartbeat_at"] = newest("last_heartbeat_at", heartbeat)
            Gate.objects.filter(public_id=public_id).update(**fields)
