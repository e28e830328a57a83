"""Recording what gates report: heartbeats and the time of their last event, on the Gate rows.

`EventRecorder` takes raw MQTT messages (topic, payload) from a network thread, verifies each event's MAC with the
gate's command_key (looked up by public id through `GateKeys`, a small cache) in its own thread, and writes the
newest times per gate once per `flush_every` seconds with one queryset `.update()` per gate. Events that do not
verify (forged, altered, another gate's, replayed long after) are ignored and counted. The `gate-listener` service
records every heartbeat this way; a web process's client records them too, throttled (see `client.GateWire`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from django.db import OperationalError, close_old_connections, connections, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest

from linli.access.gatewire import protocol
from linli.access.models import Gate
from linli.access.services.tap_results import tap_command_result

logger = logging.getLogger(__name__)
T = TypeVar("T")


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
    thread; `drain()` processes what is queued in the caller's thread (tests, shutdown).

    The thread never dies of a database error: a batch that cannot be written (database down, SQLite busy or
    locked, a connection gone bad) is kept and tried again, after a short retry for "locked" and then with a
    growing pause (up to MAX_BACKOFF_SECONDS) between attempts; the thread starts each retry on a fresh connection.
    Only the newest time per gate is kept meanwhile, so a long outage costs no memory beyond one entry per gate."""

    LOCKED_RETRIES = 5  # quick retries of one write that found SQLite locked, 20 ms doubling (about 0.6 s)
    MAX_BACKOFF_SECONDS = 30.0
    MAX_UNVERIFIED = 100_000  # events kept unverified while the database cannot be read (the oldest go first)

    def __init__(self, *, flush_every: float = 1.0, keys: GateKeys | None = None) -> None:
        self.flush_every = flush_every
        self.keys = keys or GateKeys()
        self.stats: Counter[str] = Counter()
        self._queue: queue.SimpleQueue[tuple[str, bytes, float]] = queue.SimpleQueue()
        self._tap_results: queue.SimpleQueue[tuple[int, str, str, bool]] = queue.SimpleQueue()
        self._unverified: list[tuple[str, bytes, float]] = []  # taken from the queue, not yet verified
        self._unwritten: dict[str, tuple[float | None, float]] = {}  # verified, not yet written
        self._unrecorded: list[tuple[int, str, str, bool]] = []  # late tap results not yet recorded
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._drain_lock = threading.Lock()
        self._flushed = threading.Condition()
        self.written: Counter[str] = Counter()  # `stats` as of the last successful flush
        self.failures = 0  # consecutive failed attempts (0: the last one succeeded)

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
        """Stop the thread and record what is still queued, in the caller's thread. Never raises: a last batch
        that cannot be written is logged and dropped (the next heartbeats carry the same news)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self.flush_every + self.MAX_BACKOFF_SECONDS + 5)
            self._thread = None
        try:
            self.drain()
        except Exception:
            logger.warning("gate events: the last batch could not be recorded", exc_info=True)

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        pause = self.flush_every
        while not self._stopping.wait(pause):
            try:
                self.drain()
            except Exception:  # a database hiccup must not end heartbeat recording for the process's life
                self.failures += 1
                self.stats["failed_batches"] += 1
                pause = min(self.flush_every * 2**self.failures, self.MAX_BACKOFF_SECONDS)
                logger.warning(
                    "gate events: recording failed (%d in a row); retrying in %.1f s",
                    self.failures,
                    pause,
                    exc_info=True,
                )
                _forget_connections()
            else:
                self.failures, pause = 0, self.flush_every
                _close_old_connections()

    def drain(self) -> int:
        """Verify and record everything queued now (and whatever an earlier failed attempt left); returns the
        number of events verified. Raises what the database raised, keeping the unrecorded work for next time."""
        with self._drain_lock:
            self._record_tap_results()
            batch, self._unverified = self._unverified, []
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            recorded = 0
            if batch:
                try:
                    latest, recorded = self._retry_locked(functools.partial(self._verify, batch))
                except Exception:
                    self._keep_unverified(batch)
                    raise
                _merge(self._unwritten, latest)
            if self._unwritten:
                self._retry_locked(functools.partial(write_gate_times, self._unwritten))
                self.stats["gates_written"] += len(self._unwritten)
                self._unwritten = {}
            self.stats["flushes"] += 1
            with self._flushed:
                self.written = self.stats.copy()
                self._flushed.notify_all()
        return recorded

    def wait_for(self, predicate: Callable[[Counter[str]], bool], timeout: float = 5.0) -> bool:
        """Wait until `predicate(written)` holds: `written` is `stats` as of the last flush that succeeded, so what
        it counts is in the database by then."""
        deadline = time.monotonic() + timeout
        with self._flushed:
            while not predicate(self.written):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._flushed.wait(min(left, 0.5))
        return True

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Hold the recorder's writes for a moment (events keep queueing): a read of what it wrote then never
        meets one of its writes, which SQLite's in-memory shared-cache databases (tests) answer with "locked"."""
        with self._drain_lock:
            yield

    def _retry_locked(self, work: Callable[[], T]) -> T:
        """Run `work`, again after 20, 40, 80 ... ms while SQLite answers "locked" (another connection is writing,
        or reading a shared-cache table); other errors and the last "locked" are raised."""
        delay = 0.02
        for _attempt in range(self.LOCKED_RETRIES):
            try:
                return work()
            except Exception as exc:
                if not _is_locked(exc):
                    raise
                self.stats["locked_retries"] += 1
                time.sleep(delay)
                delay *= 2
        return work()

    def _keep_unverified(self, batch: list[tuple[str, bytes, float]]) -> None:
        if len(batch) > self.MAX_UNVERIFIED:
            self.stats["dropped"] += len(batch) - self.MAX_UNVERIFIED
            batch = batch[-self.MAX_UNVERIFIED :]
        self._unverified = batch

    def _record_tap_results(self) -> None:
        while True:
            try:
                self._unrecorded.append(self._tap_results.get_nowait())
            except queue.Empty:
                break
        while self._unrecorded:
            tap_id, command_id, outcome, opened = self._unrecorded[0]
            if self._retry_locked(
                functools.partial(
                    tap_command_result, tap_id=tap_id, command_id=command_id, outcome=outcome, opened=opened
                )
            ):
                self.stats["late_reports"] += 1
            self._unrecorded.pop(0)

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


def _merge(into: dict[str, tuple[float | None, float]], latest: dict[str, tuple[float | None, float]]) -> None:
    """Fold a batch's newest times into the times not yet written (newest wins)."""
    for public_id, (heartbeat, last) in latest.items():
        old_heartbeat, old_last = into.get(public_id, (None, 0.0))
        if old_heartbeat is not None:
            heartbeat = old_heartbeat if heartbeat is None else max(heartbeat, old_heartbeat)
        into[public_id] = (heartbeat, max(last, old_last))


def _is_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked" (busy past its timeout) and "database table is locked" (shared cache)."""
    return isinstance(exc, OperationalError) and "locked" in str(exc)


def _close_old_connections() -> None:
    """What Django does after a request: close connections past their CONN_MAX_AGE or in error."""
    try:
        close_old_connections()
    except Exception:
        _forget_connections()


def _forget_connections() -> None:
    """After a failure, start over: close this thread's connections (quietly: one may be broken, or not this
    thread's to close) and drop them, so the next attempt opens fresh ones."""

    for conn in connections.all(initialized_only=True):
        with contextlib.suppress(Exception):
            conn.close()
        with contextlib.suppress(Exception):
            del connections[conn.alias]


def write_gate_times(latest: dict[str, tuple[float | None, float]]) -> None:
    """Write each gate's newest heartbeat (None: none in this batch) and event time, one `.update()` per gate, never
    moving a time back (several recorders, the listener and web processes, may write the same gate)."""
    if not latest:
        return

    def newest(field: str, at: float) -> Greatest:
        value = Value(dt.datetime.fromtimestamp(at, tz=dt.UTC))
        return Greatest(Coalesce(F(field), value), value)

    with transaction.atomic():
        for public_id, (heartbeat, last) in sorted(latest.items()):
            fields = {"last_event_at": newest("last_event_at", last)}
            if heartbeat is not None:
                fields["last_heartbeat_at"] = newest("last_heartbeat_at", heartbeat)
            Gate.objects.filter(public_id=public_id).update(**fields)
