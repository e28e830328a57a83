"""Django's SQLite backend, with this process's writers queued first come first served (see `__init__.py`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.db.backends.sqlite3 import base as sqlite_base
from django.db.utils import OperationalError

from linli.core.sqlite import QUEUE_TIMEOUT_S, WriterQueue, writer_queue

# A statement that writes: the DML and DDL keywords, or a WITH clause leading to one.
_WRITE = re.compile(r"\s*(?:insert|update|delete|replace|create|drop|alter)\b", re.IGNORECASE)
_WITH_WRITE = re.compile(r"\s*with\b.*\b(?:insert|update|delete|replace)\b", re.IGNORECASE | re.DOTALL)


def is_write(sql: str) -> bool:
    return bool(_WRITE.match(sql) or _WITH_WRITE.match(sql))


class DatabaseWrapper(sqlite_base.DatabaseWrapper):
    _writer_queue: WriterQueue | None = None
    writer_held = False
    commits = 0  # transactions and autocommit writes committed by this connection (for `locked_retry`)

    queue_timeout = QUEUE_TIMEOUT_S

    def get_connection_params(self) -> dict[str, Any]:
        """OPTIONS: `queue_timeout` (seconds in this process's writer queue; default `timeout`, SQLite's busy
        timeout for other processes, else 30 s), besides Django's own."""
        kwargs = super().get_connection_params()
        queue_timeout = kwargs.pop("queue_timeout", None)
        self.queue_timeout = float(
            queue_timeout if queue_timeout is not None else kwargs.get("timeout", QUEUE_TIMEOUT_S)
        )
        return kwargs

    def _queue(self) -> WriterQueue | None:
        if self._writer_queue is None and not self.is_in_memory_db():
            self._writer_queue = writer_queue(str(Path(str(self.settings_dict["NAME"])).resolve()))
        return self._writer_queue

    def writer_acquire(self, *, wait: bool = True) -> bool:
        """Join this process's writer queue (no-op for an in-memory database or when already held)."""
        queue = self._queue()
        if queue is None or self.writer_held:
            return True
        taken = queue.acquire(self, self.queue_timeout) if wait else queue.try_acquire(self)
        if not taken and wait:
            raise OperationalError(f"database is locked (waited {self.queue_timeout:g} s in this process's queue)")
        self.writer_held = taken
        return taken

    def writer_release(self) -> None:
        if self.writer_held and self._writer_queue is not None:
            self.writer_held = False
            self._writer_queue.release(self)

    def _start_transaction_under_autocommit(self) -> None:
        self.writer_acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in django-stubs
        except BaseException:
            self.writer_release()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # not in django-stubs
            self.commits += 1
        finally:
            if self.connection is None or not self.connection.in_transaction:
                self.writer_release()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # not in django-stubs
        finally:
            self.writer_release()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # not in django-stubs
        finally:
            self.writer_release()

    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=lambda conn: QueuedCursor(conn, self))


class QueuedCursor(sqlite_base.SQLiteCursorWrapper):
    """A write outside a transaction holds the writer queue for its statement; inside one (a transaction opened
    without `atomic`, which Python's sqlite3 begins before the first write) until COMMIT or ROLLBACK."""

    def __init__(self, conn: Any, wrapper: DatabaseWrapper) -> None:
        super().__init__(conn)
        self.wrapper = wrapper

    def _queued(self, run: Any, query: str) -> Any:
        wrapper = self.wrapper
        if wrapper.writer_held or not is_write(query):
            return run()
        wrapper.writer_acquire()
        if wrapper.get_autocommit():
            try:
                result = run()
                wrapper.commits += 1
                return result
            finally:
                wrapper.writer_release()
        return run()

    def execute(self, query: str, params: Any = None) -> Any:
        return self._queued(lambda: super(QueuedCursor, self).execute(query, params), query)

    def executemany(self, query: str, param_list: Any) -> Any:
        return self._queued(lambda: super(QueuedCursor, self).executemany(query, param_list), query)
