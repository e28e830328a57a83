"""The demo's tests run like each domain's own: SMS to the outbox, an empty cache, no LLM configured."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import override_settings

from linli.core.models import Street
from linli.core.sms import OutboxSmsBackend
from linli.demo.loader import DemoResult, demo_load


@pytest.fixture(autouse=True)
def _outbox_cache_and_offline_assistant(settings) -> Iterator[None]:  # noqa: ANN001
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    settings.LINLI_ASSISTANT_LLM_URL = ""
    cache.clear()
    OutboxSmsBackend.clear()
    yield
    cache.clear()
    OutboxSmsBackend.clear()


@dataclass
class _Built:
    empty: sqlite3.Connection  # the test database as it was before the build
    demo: sqlite3.Connection  # ... and after it
    result: DemoResult
    var: Path  # VAR_DIR and MEDIA_ROOT of the build (the demo's photos)


def _in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def _copy() -> sqlite3.Connection:
    connection.ensure_connection()
    target = sqlite3.connect(":memory:", check_same_thread=False)
    connection.connection.backup(target)
    return target


def _restore(snapshot: sqlite3.Connection) -> None:
    assert not connection.in_atomic_block, "a snapshot is restored between tests, never inside a transaction"
    connection.ensure_connection()
    snapshot.backup(connection.connection)
    cache.clear()  # the places index version and the other cached marks of the database just replaced


@pytest.fixture(scope="session")
def _demo_built(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[_Built | None]:
    """The sample street built once per test run, kept as a copy of SQLite's in-memory test database (SQLite's
    backup API; restoring it takes milliseconds). Each build takes 20-45 s and about twenty tests need one. None on
    PostgreSQL, where `demo_shared` builds it for each module instead."""
    if not _in_memory_sqlite():
        yield None
        return
    var = Path(tmp_path_factory.mktemp("demo"))
    sms = override_settings(LINLI_SMS_BACKEND="linli.core.sms.OutboxSmsBackend", VAR_DIR=var, MEDIA_ROOT=var / "media")
    with django_db_blocker.unblock(), sms:
        empty = _copy()
        try:
            result = demo_load()
            built = _copy()
        finally:
            _restore(empty)
            OutboxSmsBackend.clear()
    yield _Built(empty=empty, demo=built, result=result, var=var)
    empty.close()
    built.close()


@pytest.fixture(scope="module")
def demo_shared(_demo_built: _Built | None, django_db_blocker: Any) -> Iterator[DemoResult]:
    """The sample street (`demo_load()`) for a module's tests. Each test runs in its own transaction rolled back
    after it (pytest-django's), so what a test writes is gone for the next; after the module the database is as it
    was before. On SQLite the street is the run's one build, restored; on PostgreSQL it is built for the module
    inside a transaction rolled back after it."""
    sms = override_settings(LINLI_SMS_BACKEND="linli.core.sms.OutboxSmsBackend")  # the demo's notices, kept
    if _demo_built is not None:
        files = override_settings(VAR_DIR=_demo_built.var, MEDIA_ROOT=_demo_built.var / "media")
        with django_db_blocker.unblock(), sms, files:
            _restore(_demo_built.demo)
            try:
                yield _demo_built.result
            finally:
                _restore(_demo_built.empty)
        return
    with django_db_blocker.unblock(), sms:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            OutboxSmsBackend.clear()
            yield demo_load()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            OutboxSmsBackend.clear()


@pytest.fixture(scope="module")
def demo_street_shared(demo_shared: DemoResult) -> Street:
    """The sample street of `demo_shared`."""
    return demo_shared.street


@pytest.fixture(scope="module")
def demo_accounts(demo_shared: DemoResult) -> dict[str, Any]:
    """The demo's users by account key, as the domain loaders take them."""
    return {account.key: user for account, user in demo_shared.accounts}
