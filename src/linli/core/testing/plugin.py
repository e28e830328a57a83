"""The project's pytest plugin (registered by `pytest_plugins` in src/linli/conftest.py): every fixture more than one
domain's tests take lives here, so no test module imports another.

- Browser: Debian's Chromium (/usr/bin/chromium) through Playwright's sync API, against pytest-django's
  `live_server` or `asgi_live_server` (pages, API and /ws/ under uvicorn). Without Chromium browser tests skip
  loudly, unless LINLI_REQUIRE_SERVICES=1 (CI), where they fail. Helpers for them: `linli.core.testing.browser`.
- Per-test resets of process-wide caches that core owns (bearer tokens, the holiday calendar); reads on the
  primary even where a read replica is configured (only the replica tests read from it).
- Hypothesis without its deadline (a wall-clock assertion): the profile `linli`.
- At the end of the session, the database sessions other threads left open are ended (PostgreSQL).
- pytest-django's WSGI `live_server` on SQLite's in-memory test database answers one request at a time (below).
- On PostgreSQL a transactional test's flush deletes rows instead of truncating tables (below).

A domain's own fixtures stay in its `tests/conftest.py`; its test data in `tests/factories*.py`.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import SyncToAsync
from channels.routing import ProtocolTypeRouter
from django.conf import settings as django_settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application
from django.core.cache import cache
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection, connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper
from django.test.testcases import LiveServerThread
from django.utils import translation
from django.utils.module_loading import import_string
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from linli.core.auth import token_cache_forget
from linli.core.holidays import calendar
from linli.core.testing.browser import watch_errors

# Playwright's sync API runs an event loop in the test thread; Django's ORM then refuses to run there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Servers the tests start (`linli serve` in a subprocess) print SMS codes to their console like the demo's.
os.environ.setdefault("LINLI_SMS_CONSOLE_ALLOWED", "1")

# Hypothesis' per-example deadline (200 ms) and its too-slow health check are wall-clock assertions: on a busy
# machine they fail tests whose behaviour is right. Off for every test; the benchmarks in bench/ measure time.
hypothesis_settings.register_profile("linli", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("linli")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_JS = Path(__file__).resolve().parents[2] / "test_vendor" / "axe-core" / "axe.min.js"


# ------------------------------------------------------------------------------- the WSGI live server

LONG_POLLS = ("/commands",)  # access's gate controllers wait here for open commands (query `wait`)


class OneRequestAtATimeWSGIServer(ThreadedWSGIServer):
    """Django's threaded live server, but with the in-memory SQLite test database (one connection every thread
    shares) it runs one request's view at a time. Two request threads on that one connection deadlocked a test run
    for good: one thread inside sqlite3_step running one of Django's Python SQL functions (date truncation for a
    chart) waits for the GIL while holding the database's mutex; the other holds the GIL and waits for the mutex.
    The browser still opens several connections (keep-alive, one thread each); only the views are taken in turn.
    A gate controller's long poll waits for commands without the database and is let through, or it would hold
    every other request for its whole wait."""

    def set_app(self, application: Any) -> None:
        if not getattr(self, "connections_override", None):  # PostgreSQL: concurrency is what the tests are for
            super().set_app(application)
            return
        lock = threading.RLock()

        def one_at_a_time(environ: dict[str, Any], start_response: Any) -> Any:
            if environ.get("PATH_INFO", "").endswith(LONG_POLLS):
                return application(environ, start_response)
            with lock:
                return application(environ, start_response)

        super().set_app(one_at_a_time)


LiveServerThread.server_class = OneRequestAtATimeWSGIServer  # type: ignore[attr-defined]


# ------------------------------------------------------------------- the flush after a transactional test


def _delete_instead_of_truncate() -> None:
    """After each transactional test Django empties every table with one TRUNCATE of all of them (about 150):
    on PostgreSQL that took 4-6 s each time, a DELETE of each 0.1 s (the tables hold a test's few rows; TRUNCATE
    pays per table, DELETE per row). The foreign keys Django creates are DEFERRABLE INITIALLY DEFERRED, so the
    order of the deletes does not matter inside the flush's transaction; with `reset_sequences` (or CASCADE)
    Django's TRUNCATE stays."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self: Any, style: Any, tables: Any, *, reset_sequences: bool = False, allow_cascade: bool = False):  # noqa: ANN202
        if reset_sequences or allow_cascade or not tables:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        deletes = [f"DELETE FROM {self.quote_name(table)};" for table in tables]  # noqa: S608 - Django's table names
        return ["SET CONSTRAINTS ALL DEFERRED;", *deletes]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]


_delete_instead_of_truncate()


# ------------------------------------------------------------------------------------------ browser


def _require_services() -> bool:
    return os.environ.get("LINLI_REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes", "on"}


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        message = (
            f"!!! BROWSER TESTS SKIPPED: {CHROMIUM} is missing. Install Debian's `chromium` package to run them. "
            "Set LINLI_REQUIRE_SERVICES=1 to make this a failure (CI does). !!!"
        )
        if _require_services():
            pytest.fail(message)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright  # only browser tests need Playwright loaded

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_context_factory(chromium_browser: Any) -> Iterator[Callable[..., Any]]:
    """`new_context(**options)`: a fresh Playwright context (default: 1280×800, zh-CN); closed after the test."""
    contexts: list[Any] = []

    def new_context(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        options.setdefault("locale", "zh-CN")
        context = chromium_browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield new_context
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(browser_context_factory: Callable[..., Any]) -> Any:
    """A page in a fresh context; console errors (CSP violations among them) are collected in `page.errors`."""
    return watch_errors(browser_context_factory().new_page())


@pytest.fixture
def axe_audit() -> Callable[..., list[dict[str, Any]]]:
    """`axe_audit(page, impacts=("serious", "critical"))`: the axe-core violations of that impact on the page.

    axe is evaluated through Playwright (not a <script> tag), so the page's CSP stays strict.
    """
    source = AXE_JS.read_text(encoding="utf-8")

    def audit(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(source)
        result = page.evaluate(
            "async () => await window.axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
        )
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
            if v["impact"] in impacts
        ]

    return audit


# ------------------------------------------------------------------------------- the ASGI live server


class AsgiLiveServer:
    def __init__(self, url: str) -> None:
        self.url = url


def _share_sqlite_connection() -> Callable[[], None]:
    """Make every thread use the test thread's connection to SQLite's in-memory test database; return an undo."""
    conn = connections["default"]
    if not (isinstance(conn, SQLiteDatabaseWrapper) and conn.is_in_memory_db()):
        return lambda: None
    conn.ensure_connection()
    conn.inc_thread_sharing()
    original = connections.create_connection

    def create_connection(alias: str) -> Any:
        return conn if alias == "default" else original(alias)

    connections.create_connection = create_connection  # type: ignore[method-assign]

    def undo() -> None:
        del connections.create_connection

        # asgiref's thread-sensitive executor thread outlives the server and kept the shared connection in its
        # thread-local: make it forget, or later tests' sync_to_async calls there would use it unshared.
        def forget() -> None:
            if getattr(connections._connections, "default", None) is conn:  # type: ignore[attr-defined]
                del connections["default"]

        SyncToAsync.single_thread_executor.submit(forget).result(timeout=10)
        conn.dec_thread_sharing()

    return undo


@pytest.fixture
def asgi_live_server(transactional_db: None, settings: Any, tmp_path: Path) -> Iterator[AsgiLiveServer]:
    """The project's ASGI application (settings.ASGI_APPLICATION: pages, API and /ws/, as the embedded `linli serve`
    runs it) with static files, under uvicorn in a thread, against the test database and the in-memory channel
    layer. pytest-django's `live_server` speaks WSGI only.

    With SQLite's in-memory test database every thread uses the test's connection (as Django's own live server
    does for SQLite); with PostgreSQL each thread opens its own."""
    import uvicorn  # only the WebSocket browser tests need a server in the test process

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    cache.clear()
    undo = _share_sqlite_connection()
    # The project's application routes WebSockets; HTTP goes through the static files handler in front of Django.
    project = import_string(django_settings.ASGI_APPLICATION)
    app = ProtocolTypeRouter({"http": ASGIStaticFilesHandler(get_asgi_application()), "websocket": project})
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", ws="websockets-sansio", http="h11")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield AsgiLiveServer(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        undo()


# ------------------------------------------------------------------------- process-wide state per test


@pytest.fixture(autouse=True)
def _forget_cached_tokens() -> Iterator[None]:
    """Bearer lookups are cached per process; each test starts with an empty cache."""
    token_cache_forget()
    yield
    token_cache_forget()


@pytest.fixture(autouse=True)
def _reads_on_the_primary() -> Iterator[None]:
    """With a read replica configured (CI's PostgreSQL stage sets LINLI_DATABASE_REPLICA_URL), every test reads
    the primary, as without one: a test's rows reach the replica only after the replication lag, and a test that
    has not declared the "replica" database may not query it. The replica tests (tests/test_replica_pg.py)
    turn replica reads back on."""
    before = getattr(django_settings, "LINLI_REPLICA_READS", True)
    django_settings.LINLI_REPLICA_READS = False
    yield
    django_settings.LINLI_REPLICA_READS = before


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the site's default language: a request a test made in English (LocaleMiddleware
    activates the reader's language in the thread) must not make the next test's texts English."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_holiday_calendar() -> Iterator[None]:
    """The holiday calendar is read once per process; each test reads the table its own transaction sees."""
    calendar.invalidate_local()
    yield
    calendar.invalidate_local()


@pytest.fixture(scope="session", autouse=True)
def _close_worker_thread_connections(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Before the test database is dropped, end the sessions other threads left open on it.

    Channels runs database work of WebSocket consumers (and `sync_to_async` code) in executor threads whose
    connections live for CONN_MAX_AGE; those threads outlive the tests, so pytest-django's DROP DATABASE met
    "being accessed by other users" and left the test database behind. This fixture is torn down before
    `django_db_setup` (it depends on it), while the database still exists."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
