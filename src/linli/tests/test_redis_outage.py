"""A Redis outage degrades Linli, it does not break it (issue 13, item 4). PostgreSQL suite (`make test-pg`, CI).

The test starts its own redis-server on a free port, points the app's cache (rate limits) and channel layer
(live pushes) at it, and runs hazard reports and gate taps from several threads while a case console is
connected. Then it kills Redis (SIGKILL) and keeps the load going, and starts Redis again:

- every report and every tap is answered, none with a server error (the rate limits fall back to a per-process
  limiter, the pushes are skipped; the outage is logged once, and Redis' return once);
- the console's socket is closed when Redis goes (the page shows "正在重新连接"), a reconnect while Redis is away
  is refused with 1013 (try again later), and once Redis is back the console reconnects with its cursor and gets
  every case it missed, replayed from the database, then live pushes again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test import Client

from linli.access.tests.factories import build_access_world
from linli.cases.tests.factories import build_world
from linli.core import ratelimit
from linli.core.cache import redis_state
from linli.core.services import token_create
from linli.settings import redis_channel_layer

pytestmark = [pytest.mark.django_db(transaction=True)]

THREADS = 4
PER_PHASE = 12  # reports and as many taps in each phase (before, during and after the outage)


def _require_services() -> bool:
    return os.environ.get("LINLI_REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes", "on"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnRedis:
    """A redis-server of this test's own, on its own port: killed and started again at will."""

    def __init__(self, exe: str, workdir: Path) -> None:
        self.exe, self.workdir, self.port = exe, workdir, _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(  # noqa: S603 - our own command line
            [*args, "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path, settings: Any) -> Iterator[OwnRedis]:
    if connection.vendor != "postgresql":
        pytest.skip("the Redis outage test runs in the PostgreSQL suite (make test-pg)")
    exe = shutil.which("redis-server")
    if exe is None:
        if _require_services():
            pytest.fail("redis-server is not installed (the Redis outage test starts its own)")
        pytest.skip("redis-server is not installed")
    server = OwnRedis(exe, tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "linli.core.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
    }
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(server.url)}
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LINLI_CASE_REPORTS_PER_10_MIN = 10_000
    settings.LINLI_ACCESS_TAPS_PER_MINUTE = 10_000
    settings.LINLI_ACCESS_OPEN_TIMEOUT = 0.05
    channel_layers.backends = {}
    redis_state.reset()
    ratelimit._local.clear()
    try:
        yield server
    finally:
        server.kill()
        channel_layers.backends = {}
        redis_state.reset()


async def _next_output(comm: WebsocketCommunicator, timeout: float) -> dict[str, Any] | None:
    """The application's next message, or None after `timeout`: unlike `receive_output`, a time-out does not
    cancel the application (the console stays connected)."""
    end = time.monotonic() + timeout
    while True:
        if not comm.output_queue.empty():
            return comm.output_queue.get_nowait()  # type: ignore[no-any-return]
        if comm.future.done():
            comm.future.result()  # the consumer failed: raise what it raised
            return {"type": "websocket.close", "code": None}
        if time.monotonic() >= end:
            return None
        await asyncio.sleep(0.02)


class Console:
    """A staff member's case console: a WebSocket client on its own event loop thread, with the page's cursor."""

    def __init__(self, user: Any, street: str) -> None:
        from linli.cases.routing import websocket_urlpatterns

        self.user, self.street, self.app = user, street, URLRouter(websocket_urlpatterns)
        self.cursor = ""
        self.seen: set[int] = set()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.comm: WebsocketCommunicator | None = None

    def _run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def connect(self) -> str:
        """ "live" once subscribed (after the catch-up it asked for), else the close code's reason."""

        async def go() -> str:
            path = f"/ws/cases/{self.street}/" + (f"?since={quote(self.cursor)}" if self.cursor else "")
            comm = WebsocketCommunicator(self.app, path)
            comm.scope["user"] = self.user
            connected, _ = await comm.connect(timeout=10)
            assert connected
            first = await _next_output(comm, 10)
            assert first is not None
            if first["type"] == "websocket.close":
                return f"closed {first.get('code')}"
            self.comm = comm
            self._take(first)
            if self.cursor and "?since=" in path:
                while True:  # the catch-up ends with caught_up
                    out = await _next_output(comm, 10)
                    assert out is not None, "no caught_up"
                    if self._take(out) in ("caught_up", "closed"):
                        break
            return "live"

        return self._run(go())

    def _take(self, out: dict[str, Any]) -> str:
        if out["type"] == "websocket.close":
            self.comm = None
            return "closed"
        import json

        msg = json.loads(out["text"])
        if msg["type"] == "case.changed":
            self.seen.add(msg["case"]["id"])
            self.cursor = max(self.cursor, msg["case"]["updated_at"] or "")
        elif msg.get("cursor"):
            self.cursor = max(self.cursor, msg["cursor"])
        return str(msg["type"])

    def drain(self, seconds: float) -> str:
        """Read what arrives for `seconds`; "closed <code>" if the server closed the socket."""

        async def go() -> str:
            assert self.comm is not None
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                out = await _next_output(self.comm, end - time.monotonic())
                if out is None:
                    break
                if self._take(out) == "closed":
                    return f"closed {out.get('code')}"
            return "open"

        return self._run(go(), timeout=seconds + 30)

    def stop(self) -> None:
        if self.comm is not None:
            with contextlib.suppress(Exception):  # the socket may be gone
                self._run(self.comm.disconnect(), timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)


def test_a_redis_outage_degrades_and_the_console_catches_up(own_redis: OwnRedis, caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="linli.redis")
    cases_world = build_world("outjie")
    access = build_access_world("outacc")
    reporter = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=cases_world.rider)}"}
    rider = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=access.rider)}"}
    statuses: list[int] = []
    case_ids: list[int] = []
    lock = threading.Lock()
    spot = iter(range(10_000))

    def report() -> None:
        n = next(spot)  # each report ≥ 60 m from the others: its own case, not a merge
        lat, lng = 31.2505 + (n % 15) * 0.0006, 121.3805 + (n // 15) * 0.0007
        data = {"category": "corridor_clutter", "lat": f"{lat:.6f}", "lng": f"{lng:.6f}", "description": "楼道堆物"}
        resp = Client().post("/api/v1/reports", data=data, **reporter)
        with lock:
            statuses.append(resp.status_code)
            if resp.status_code == 201:
                case_ids.append(resp.json()["case_id"])

    def tap() -> None:
        body = {"gate_token": access.token(access.gx)}
        resp = Client().post("/api/v1/access/taps", body, content_type="application/json", **rider)
        with lock:
            statuses.append(resp.status_code)

    def load() -> list[int]:
        start = len(case_ids)
        with ThreadPoolExecutor(THREADS) as pool:
            for f in [pool.submit(job) for _ in range(PER_PHASE) for job in (report, tap)]:
                f.result()
        return case_ids[start:]

    console = Console(cases_world.admin, "outjie")
    try:
        assert console.connect() == "live"
        before = load()
        console.drain(2)
        assert set(before) <= console.seen  # live pushes while Redis is up

        own_redis.kill()
        assert console.drain(10).startswith("closed")  # the socket drops with Redis: the page says reconnecting
        during = load()
        assert console.connect() == "closed 1013"  # Redis still away: try again later
        assert not set(during) & console.seen

        own_redis.start()
        time.sleep(1.2)  # past the one second the process waits before trying Redis again
        assert console.connect() == "live"
        assert set(during) <= console.seen, sorted(set(during) - console.seen)  # caught up by its cursor
        after = load()
        console.drain(2)
        assert set(after) <= console.seen  # and live again
    finally:
        console.stop()

    assert len(statuses) == 6 * PER_PHASE and all(s < 500 for s in statuses), statuses
    assert statuses.count(201) == 3 * PER_PHASE and len(case_ids) == 3 * PER_PHASE  # every report made its case
    assert all(s == 200 for s in statuses if s != 201)  # every tap answered with a decision
    messages = [r.getMessage() for r in caplog.records if r.name == "linli.redis"]
    assert sum("Redis unavailable" in m for m in messages) == 1, messages  # logged once
    assert sum("Redis is back" in m for m in messages) == 1, messages
