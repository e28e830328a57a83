"""The embedded mode's SQLite backend (linli.core.sqlite): writers of one process queue first come first served
instead of polling SQLite's busy handler, a refused write that committed nothing runs again, and a read's
bookkeeping write never waits behind writers. On a database file of its own (the test database is in memory,
where nothing queues), through a second database alias."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connections, transaction

from linli.core.sqlite import WriterQueue, locked_retry, write_unless_busy, writer_queue

ALIAS = "writers_file"


@pytest.fixture
def file_db(tmp_path: Path, request: pytest.FixtureRequest, django_db_blocker: Any) -> Iterator[str]:
    """A second alias on a SQLite file in WAL: SQLite's own busy timeout 0.1 s, the queue's 10 s. (No test
    database: only this file is used.)"""
    engine = getattr(request, "param", "linli.core.sqlite")
    settings = {
        **connections["default"].settings_dict,
        "ENGINE": engine,
        "NAME": str(tmp_path / "writers.sqlite3"),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 0.1,
            **({"queue_timeout": 10} if engine == "linli.core.sqlite" else {}),
        },
        "TEST": {"NAME": None},
    }
    connections.settings[ALIAS] = settings
    with django_db_blocker.unblock():
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
        yield ALIAS
        connections[ALIAS].close()
    del connections[ALIAS]
    del connections.settings[ALIAS]


def _insert(alias: str, who: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("INSERT INTO t (who) VALUES (%s)", [who])


def _rows(alias: str) -> list[str]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT who FROM t ORDER BY id")
        return [r[0] for r in cursor.fetchall()]


def _race(alias: str) -> list[str]:
    """A transaction holds the write lock for 0.6 s; meanwhile a second transaction and an autocommit write
    start. Returns what each of the two later writers met ("ok" or the error)."""
    began = threading.Event()
    outcomes: dict[str, str] = {}

    def holder() -> None:
        with transaction.atomic(using=alias):
            _insert(alias, "holder")
            began.set()
            time.sleep(0.6)
        connections[alias].close()

    def writer(name: str, in_transaction: bool) -> None:
        began.wait()
        time.sleep(0.05 if in_transaction else 0.15)  # the transaction asks first, the autocommit write second
        try:
            if in_transaction:
                with transaction.atomic(using=alias):
                    _insert(alias, name)
            else:
                _insert(alias, name)
            outcomes[name] = "ok"
        except OperationalError as exc:
            outcomes[name] = str(exc)
        finally:
            connections[alias].close()

    threads = [
        threading.Thread(target=holder),
        threading.Thread(target=writer, args=("transaction", True)),
        threading.Thread(target=writer, args=("autocommit", False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [outcomes["transaction"], outcomes["autocommit"]]


@pytest.mark.parametrize("file_db", ["django.db.backends.sqlite3"], indirect=True)
def test_without_the_queue_a_writer_waiting_past_the_busy_timeout_is_refused(file_db):
    # The situation the queue is for, on Django's plain backend: SQLite's busy handler gives up after 0.1 s.
    assert all("database is locked" in outcome for outcome in _race(file_db))


def test_writers_of_one_process_wait_in_turn_instead_of_being_refused(file_db):
    assert _race(file_db) == ["ok", "ok"]
    assert _rows(file_db) == ["holder", "transaction", "autocommit"]  # first come, first served


def test_the_queue_hands_the_lock_to_the_longest_waiter_and_forgets_one_that_gave_up():
    queue = WriterQueue()
    first, second, third, quitter = object(), object(), object(), object()
    assert queue.acquire(first)
    got: list[object] = []

    def wait_for(owner: object) -> None:
        if queue.acquire(owner, timeout=5):
            got.append(owner)
            queue.release(owner)

    t2 = threading.Thread(target=wait_for, args=(second,))
    t2.start()
    time.sleep(0.05)
    assert not queue.acquire(quitter, timeout=0.05)  # gave up: must not hold the queue up later
    t3 = threading.Thread(target=wait_for, args=(third,))
    t3.start()
    time.sleep(0.05)
    assert not queue.try_acquire(object())  # held, with waiters: no jumping the queue
    queue.release(first)
    t2.join()
    t3.join()
    assert got == [second, third]
    assert queue.try_acquire(quitter)


def test_locked_retry_runs_a_refused_write_again_only_when_nothing_was_committed(file_db):
    calls: list[str] = []

    def refused_once_before_writing() -> str:
        calls.append("try")
        if len(calls) == 1:
            raise OperationalError("database is locked")
        _insert(file_db, "retried")
        return "done"

    assert locked_retry(refused_once_before_writing, using=file_db) == "done"
    assert calls == ["try", "try"]

    def refused_after_a_commit() -> None:
        _insert(file_db, "committed")  # an autocommit write: already stored
        raise OperationalError("database is locked")

    with pytest.raises(OperationalError):
        locked_retry(refused_after_a_commit, using=file_db)
    assert _rows(file_db) == ["retried", "committed"]  # not written twice


def test_a_bookkeeping_write_is_skipped_while_writers_are_busy(file_db):
    path = str(Path(connections[file_db].settings_dict["NAME"]).resolve())
    other_writer = object()
    assert writer_queue(path).acquire(other_writer)
    try:
        assert write_unless_busy(lambda: _insert(file_db, "touch"), using=file_db) is False
    finally:
        writer_queue(path).release(other_writer)
    assert _rows(file_db) == []
    assert write_unless_busy(lambda: _insert(file_db, "touch"), using=file_db) is True
    assert _rows(file_db) == ["touch"]
