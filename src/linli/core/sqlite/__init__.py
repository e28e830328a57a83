"""The SQLite database backend of the embedded mode (`ENGINE: "linli.core.sqlite"`, see `base.py`).

SQLite lets one connection write at a time. Django's backend starts every transaction with `BEGIN IMMEDIATE`
(settings: `transaction_mode`), so a writer takes the lock when it begins rather than failing half-way; but the
waiting itself is SQLite's busy handler, which polls (sleeping up to 100 ms a turn) and is not fair: under a crowd
the new arrivals keep taking the lock from those that have waited longest, and a waiter gives up with "database is
locked" once its busy timeout passes (`linli serve` answered 500 to a dozen residents booking one activity).

So within one process the writers queue here, first come first served, and only the head of the queue asks
SQLite for the lock: `WriterQueue`, one per database file. A transaction joins the queue at BEGIN and leaves it at
COMMIT or ROLLBACK; a write statement outside a transaction (autocommit) holds it for that statement. Other
processes on the same file (`linli import` beside `linli serve`) still meet the busy timeout (settings: 30 s);
where SQLite still refuses, `locked_retry` runs a write again if the refused attempt committed nothing (the API's
create endpoints go through it, in `core.idempotency`). A read request does not queue for a bookkeeping write:
`write_unless_busy` skips it while writers are busy (a token's last-used time).
In-memory databases (the test suite's) do not queue: they are one shared connection.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

T = TypeVar("T")

QUEUE_TIMEOUT_S = 30.0


class WriterQueue:
    """A FIFO lock handed over directly from the releasing owner to the longest waiter (no barging)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._owner: object | None = None
        self._waiters: deque[tuple[object, threading.Event]] = deque()

    def acquire(self, owner: object, timeout: float = QUEUE_TIMEOUT_S) -> bool:
        with self._mutex:
            if self._owner is None and not self._waiters:
                self._owner = owner
                return True
            ticket = (owner, threading.Event())
            self._waiters.append(ticket)
        if ticket[1].wait(timeout):
            return True
        with self._mutex:
            if self._owner is owner:  # handed over just as the wait timed out
                return True
            self._waiters.remove(ticket)
            return False

    def try_acquire(self, owner: object) -> bool:
        """Take the lock only if nobody holds it or waits for it."""
        with self._mutex:
            if self._owner is None and not self._waiters:
                self._owner = owner
                return True
            return False

    def release(self, owner: object) -> None:
        with self._mutex:
            if self._owner is not owner:
                return
            if self._waiters:
                self._owner, event = self._waiters.popleft()
                event.set()
            else:
                self._owner = None


_queues: dict[str, WriterQueue] = {}
_queues_lock = threading.Lock()


def writer_queue(name: str) -> WriterQueue:
    with _queues_lock:
        queue = _queues.get(name)
        if queue is None:
            queue = _queues[name] = WriterQueue()
        return queue


def write_unless_busy(write: Callable[[], object], using: str = DEFAULT_DB_ALIAS) -> bool:
    """Run `write` — a short write a read request does on the side, such as a token's last-used time — only when
    no writer of this process holds or waits for the database, so that a read never queues behind writers.
    Returns False when it was skipped (do it on a later request). Other backends, or inside a transaction: runs."""
    conn = connections[using]
    acquire = getattr(conn, "writer_acquire", None)
    if acquire is None or conn.in_atomic_block:
        write()
        return True
    if not acquire(wait=False):
        return False
    try:
        write()
    finally:
        conn.writer_release()  # type: ignore[attr-defined]  # linli.core.sqlite.base.DatabaseWrapper
    return True


def is_locked_error(exc: BaseException) -> bool:
    """SQLite's "database is locked" (busy past its timeout, or this process's writer queue timed out)."""
    return isinstance(exc, OperationalError) and "locked" in str(exc)


def locked_retry(write: Callable[[], T], *, attempts: int = 3, using: str = DEFAULT_DB_ALIAS) -> T:
    """`write()`, run again (up to `attempts` times in all, after a short random pause) when SQLite refused it
    with "database is locked" and the refused attempt committed nothing — so running it again cannot write
    twice. Inside a transaction, or on another backend, `write()` runs once."""
    conn = connections[using]
    for attempt in range(1, attempts + 1):
        before = getattr(conn, "commits", None)
        try:
            return write()
        except OperationalError as exc:
            committed = before is None or getattr(conn, "commits", None) != before
            if attempt == attempts or committed or conn.in_atomic_block or not is_locked_error(exc):
                raise
        time.sleep(random.uniform(0.05, 0.2) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
