"""Two app nodes behind nginx, as a city runs them (deploy/nginx-city.conf, README "Many app nodes").

Two `linli serve --mode production` nodes (gunicorn + uvicorn each) and a Celery worker with beat per node, all on
the test's PostgreSQL database, one Redis and the real Mosquitto; nginx in front with deploy/nginx-city.conf
(ports rewritten). SMS go to a webhook this test serves, so every message either node sends is counted. Checked:
- a session signed in through node A works on node B;
- a change made through node A reaches a WebSocket client held by node B (and one through nginx);
- taps through nginx (both nodes take some): each open command reaches the gate exactly once;
- the SLA reminder of a case goes out once, with two workers sweeping at the same moment;
- each scheduled task is sent once per period with two beats racing, and no task runs twice.

Needs PostgreSQL, Redis, Mosquitto and nginx; skipped without them outside CI, a failure in CI
(LINLI_REQUIRE_SERVICES=1). LINLI_TEST_NODES_PORT picks the ports (that one for nginx, +10/+11 node A,
+20/+21 node B); free ports by default."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection
from django.utils import timezone

from linli.access.gatewire.simulator import GateController
from linli.access.models import Tap
from linli.access.tests.factories import build_access_world
from linli.cases.models import Case, CaseEvent
from linli.cases.services.reports import report_create
from linli.cases.tests.factories import IN_A1
from linli.cases.tests.factories import build_world as build_case_world
from linli.core.services import token_create
from linli.core.testing import require_postgres
from linli.places.tests.factories import PlaceFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("LINLI_TEST_NODES_REDIS_URL", "redis://127.0.0.1:6379/12")
BROKER = "mqtt://127.0.0.1:1883"
SLA_INTERVAL = 2.0  # the cases-sla-sweep entry's interval on these nodes (LINLI_BEAT_INTERVALS)
DEPLOY_CONF = Path(__file__).resolve().parents[3] / "deploy" / "nginx-city.conf"
LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})")


def _require_services() -> bool:
    return os.environ.get("LINLI_REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes", "on"}


def _skip_or_fail(message: str) -> None:
    message = f"!!! SKIPPED: {message}. Set LINLI_REQUIRE_SERVICES=1 to make this a failure (CI does). !!!"
    if _require_services():
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int, path: str = "/api/v1/ping") -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5).status_code < 500
    except httpx.HTTPError:
        return False


class SmsInbox:
    """The SMS gateway's webhook (LINLI_SMS_WEBHOOK_URL): every message any node sends lands here."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        lock = self.lock = threading.Lock()
        messages = self.messages

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with lock:
                    messages.append((str(body.get("phone")), str(body.get("message"))))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts(self) -> list[tuple[str, str]]:
        with self.lock:
            return list(self.messages)

    def code_for(self, phone: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for to, text in reversed(self.texts()):
                if to == phone and (m := re.search(r"\b(\d{6})\b", text)):
                    return m.group(1)
            time.sleep(0.1)
        raise AssertionError(f"no sign-in code reached {phone}: {self.texts()}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class City:
    proxy: int
    node_a: int
    node_b: int
    tmp: Path
    sms: SmsInbox
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}:\n{self.log(name)[-4000:]}")


def _nginx_conf(tmp: Path, proxy: int, a: int, b: int) -> Path:
    """deploy/nginx-city.conf with this test's ports, inside a main context of its own (pid, logs, temp dirs)."""
    site = DEPLOY_CONF.read_text()
    for old, new in (
        ("10.0.0.11:8000", f"127.0.0.1:{a}"),
        ("10.0.0.11:8001", f"127.0.0.1:{a + 1}"),
        ("10.0.0.12:8000", f"127.0.0.1:{b}"),
        ("10.0.0.12:8001", f"127.0.0.1:{b + 1}"),
        ("listen 80;", f"listen 127.0.0.1:{proxy};"),
        ("/srv/linli/var/static/", f"{tmp}/a/static/"),
    ):
        assert old in site, f"deploy/nginx-city.conf no longer has {old!r}"
        site = site.replace(old, new)
    temp = "\n".join(
        f"    {kind}_temp_path {tmp}/nginx-{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/nginx-error.log;\n"
        f"events {{ worker_connections 512; }}\nhttp {{\n    access_log {tmp}/nginx-access.log;\n{temp}\n{site}\n}}\n"
    )
    return conf


def _stop(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture
def city(tmp_path: Path) -> Iterator[City]:
    require_postgres("the two-node test")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).flushdb()  # this test's own Redis database
    except Exception as exc:  # noqa: BLE001 - any failure to reach it means "not available"
        _skip_or_fail(f"Redis is not answering at {REDIS_URL} ({exc})")
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=1).close()
    except OSError:
        _skip_or_fail("Mosquitto is not running on 127.0.0.1:1883")
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        _skip_or_fail("nginx is not installed (Debian: apt-get install nginx; .ci/run installs it)")
    base = int(os.environ.get("LINLI_TEST_NODES_PORT", "0"))
    proxy, a, b = (base, base + 10, base + 20) if base else (_free_port(), _free_port(), _free_port())
    if not base:
        while b + 1 in (a, proxy) or a + 1 in (b, proxy):
            b = _free_port()
    db = connection.settings_dict
    db_url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    sms = SmsInbox()
    city = City(proxy=proxy, node_a=a, node_b=b, tmp=tmp_path, sms=sms)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "linli.settings",
        "LINLI_DATABASE_URL": db_url,
        "LINLI_CONN_MAX_AGE": "0",  # the test database is dropped at the end: no session left behind
        "LINLI_REDIS_URL": REDIS_URL,
        "LINLI_CELERY_BROKER_URL": REDIS_URL,
        "LINLI_SECRET_KEY": f"two-nodes-{uuid.uuid4().hex}",  # one key for the city: sessions signed alike
        "LINLI_SMS_BACKEND": "linli.core.sms.WebhookSmsBackend",
        "LINLI_SMS_WEBHOOK_URL": sms.url,
        "LINLI_MQTT_URL": BROKER,
        "LINLI_SITE_URL": f"http://127.0.0.1:{proxy}",
        "LINLI_ACCESS_OPEN_TIMEOUT": "5",
        "LINLI_BEAT_INTERVALS": json.dumps({"cases-sla-sweep": SLA_INTERVAL}),
        "LINLI_LOG_LEVEL": "INFO",
    }
    for name in ("LINLI_DATABASE_REPLICA_URL", "LINLI_PORT"):
        env.pop(name, None)
    try:
        for name, port in (("a", a), ("b", b)):
            node_env = {**env, "LINLI_VAR_DIR": str(tmp_path / name)}
            with open(tmp_path / f"node-{name}.log", "wb") as out:
                city.procs[f"node-{name}"] = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                    [sys.executable, "-m", "linli.cli", "serve", "--mode", "production", "--port", str(port),
                     "--ws-port", str(port + 1), "--workers", "1", "--threads", "4"],
                    env=node_env, stdout=out, stderr=subprocess.STDOUT,
                )  # fmt: skip
            with open(tmp_path / f"worker-{name}.log", "wb") as out:
                city.procs[f"worker-{name}"] = subprocess.Popen(  # noqa: S603
                    [sys.executable, "-m", "celery", "-A", "linli", "worker", "--beat", "-n", f"worker-{name}@%h",
                     "-s", str(tmp_path / f"beat-{name}"), "--pool", "solo", "-l", "INFO"],
                    env=node_env, stdout=out, stderr=subprocess.STDOUT,
                )  # fmt: skip
        with open(tmp_path / "nginx.log", "wb") as out:
            city.procs["nginx"] = subprocess.Popen(  # noqa: S603
                [nginx, "-c", str(_nginx_conf(tmp_path, proxy, a, b)), "-p", str(tmp_path)],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 240  # minutes on a loaded 2-core machine; ~20 s alone
        while not all(_answers(p) for p in (a, b, proxy)) or not all(
            "ready." in city.log(w) for w in ("worker-a", "worker-b")
        ):
            city.check_alive()
            if time.monotonic() > deadline:
                answering = {p: _answers(p) for p in (a, b, proxy)}
                raise AssertionError(f"the nodes did not come up in 240 s ({answering}): " + city.log("node-a")[-2000:])
            time.sleep(0.3)
        yield city
    finally:
        for proc in city.procs.values():  # all at once: each takes a few seconds to finish its work
            if proc.poll() is None:
                proc.terminate()
        for proc in city.procs.values():
            _stop(proc)
        sms.close()
        _wait_for_other_sessions_to_end()


def _wait_for_other_sessions_to_end(timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.2)


def _sign_in(base: str, phone: str, sms: SmsInbox) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=15, follow_redirects=False)
    client.get("/login/")
    csrf = client.cookies["csrftoken"]
    resp = client.post("/login/", data={"csrfmiddlewaretoken": csrf, "phone": phone, "action": "send"})
    assert resp.status_code == 200, resp.text[-500:]
    code = sms.code_for(f"+86{phone}")
    resp = client.post(
        "/login/", data={"csrfmiddlewaretoken": csrf, "phone": f"+86{phone}", "code": code, "action": "verify"}
    )
    assert resp.status_code == 302, resp.text[-500:]
    assert "sessionid" in client.cookies
    return client


async def _next_message(url: str, ready: threading.Event, got: list[Any]) -> None:
    import websockets

    origin = "http://" + url.split("/")[2]  # as a browser on the page's own host sends it (channels checks it)
    async with websockets.connect(url, open_timeout=10, origin=origin) as ws:  # type: ignore[arg-type]
        ready.set()
        got.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=20)))


def _listen(url: str) -> tuple[threading.Thread, threading.Event, list[Any]]:
    ready, got = threading.Event(), []
    thread = threading.Thread(target=asyncio.run, args=(_next_message(url, ready, got),), daemon=True)
    thread.start()
    assert ready.wait(15), f"no WebSocket connection to {url}"
    return thread, ready, got


def _log_times(text: str, needle: str) -> list[float]:
    times = []
    for line in text.splitlines():
        if needle in line and (m := LOG_TIME.match(line)):
            times.append(dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp())
    return times


def test_two_nodes_share_sessions_pushes_gates_and_scheduled_work(city: City) -> None:
    access = build_access_world("liangjie")
    cases = build_case_world("liangjie-c")
    admin = access.people["admin"]
    place = PlaceFactory(street=access.street, external_id="two-nodes-place", name="两节点服务点")
    # A case whose 75 % reminder is due now (created 80 minutes ago, due in 20), before any worker sweeps.
    case = report_create(
        street=cases.street, category="fire_passage", lat=IN_A1[0], lng=IN_A1[1], reporter=cases.people["rider"]
    ).case
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        created_at=now - dt.timedelta(minutes=80), resolution_due_at=now + dt.timedelta(minutes=20)
    )
    gate = access.gx
    controller = GateController(gate.public_id, access.secrets[gate.public_id], BROKER, heartbeat_every=5).start()
    try:
        assert controller.wait_connected(5)
        _check_session_and_push(city, admin, place)
        _check_taps(city, access, controller)
    finally:
        controller.stop()
    _check_sla_reminder_once(city, case)
    _check_scheduled_once(city)


def _check_session_and_push(city: City, admin: Any, place: Any) -> None:
    # Signed in through node A (the SMS code came through node A's SMS backend), the session works on node B.
    phone = admin.phone.removeprefix("+86")
    client_a = _sign_in(f"http://127.0.0.1:{city.node_a}", phone, city.sms)
    client_b = httpx.Client(base_url=f"http://127.0.0.1:{city.node_b}", cookies=client_a.cookies, timeout=15)
    me = client_b.get("/me/")
    assert me.status_code == 200 and admin.display_name in me.text, me.status_code
    assert httpx.get(f"http://127.0.0.1:{city.node_b}/me/", timeout=15).status_code == 302  # no cookie: sign in

    # A place changed through node A reaches WebSocket clients on node B and behind nginx.
    code = place.street.code
    on_b = _listen(f"ws://127.0.0.1:{city.node_b + 1}/ws/places/{code}/")
    via_proxy = _listen(f"ws://127.0.0.1:{city.proxy}/ws/places/{code}/")
    token = token_create(user=admin)
    resp = httpx.patch(
        f"http://127.0.0.1:{city.node_a}/api/v1/places/{place.pk}",
        json={"name": "两节点服务点（已改）"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    assert resp.status_code == 200, resp.text
    for thread, _, got in (on_b, via_proxy):
        thread.join(25)
        assert got == [{"type": "place.changed", "ids": [place.pk]}], got


def _check_taps(city: City, access: Any, controller: GateController) -> None:
    rider = access.people["rider"]
    headers = {"Authorization": f"Bearer {token_create(user=rider)}"}
    nodes: Counter[str] = Counter()
    answers = []
    with httpx.Client(base_url=f"http://127.0.0.1:{city.proxy}", headers=headers, timeout=20) as client:
        for _ in range(8):
            resp = client.post("/api/v1/access/taps", json={"gate_token": access.token(access.gx)})
            assert resp.status_code == 200, resp.text
            nodes[resp.headers.get("X-Linli-Node", "")] += 1
            answers.append(resp.json())
    assert {f"127.0.0.1:{city.node_a}", f"127.0.0.1:{city.node_b}"} <= set(nodes), nodes  # both nodes took taps
    assert all(a["decision"] == "allow" and a["opened"] for a in answers), answers
    # Each tap's command reached the gate once: as many commands as taps, none repeated (a repeat would also
    # have been refused as replayed), each the one recorded on its tap.
    assert len(controller.opened) == len(answers) == len(set(controller.opened)), controller.opened
    assert controller.refused == []
    recorded = set(Tap.objects.filter(pk__in=[a["tap_id"] for a in answers]).values_list("command_id", flat=True))
    assert recorded == set(controller.opened)


def _check_sla_reminder_once(city: City, case: Case) -> None:
    from celery import Celery

    # Besides both beats, four sweeps sent at once: the two workers run them at the same moment.
    client = Celery("linli-two-nodes-test", broker=REDIS_URL, backend=None, set_as_current=False)
    for _ in range(4):
        client.send_task("cases.sla_sweep")
    deadline = time.monotonic() + 30
    while (
        time.monotonic() < deadline
        and sum(
            "cases.sla_sweep" in line and "succeeded" in line
            for w in ("worker-a", "worker-b")
            for line in city.log(w).splitlines()
        )
        < 6
    ):
        city.check_alive()
        time.sleep(0.3)
    assert CaseEvent.objects.filter(case=case, action="remind").count() == 1
    reminders = [(to, text) for to, text in city.sms.texts() if f"事件 #{case.pk}" in text and "提醒" in text]
    assert reminders, city.sms.texts()
    assert len(reminders) == len({to for to, _ in reminders}), reminders  # each person told once
    ran_on = {w for w in ("worker-a", "worker-b") if "cases.sla_sweep" in city.log(w)}
    assert ran_on == {"worker-a", "worker-b"}, "both workers should have swept"


def _check_scheduled_once(city: City) -> None:
    # Let both beats race over several periods.
    time.sleep(4 * SLA_INTERVAL)
    city.check_alive()
    logs = {w: city.log(w) for w in ("worker-a", "worker-b")}
    sent = sorted(t for text in logs.values() for t in _log_times(text, "Sending due task cases-sla-sweep"))
    skipped = [t for text in logs.values() for t in _log_times(text, "cases-sla-sweep not sent")]
    assert len(sent) >= 4, sent
    assert skipped, "the two beats never met: nothing raced"
    # Once per period: never two sends of the entry closer than the claim (90 % of the interval, less the log's
    # and the timers' slack).
    gaps = [later - earlier for earlier, later in zip(sent, sent[1:], strict=False)]
    assert min(gaps) >= 0.9 * SLA_INTERVAL - 0.3, gaps
    # And no task message ran twice, on either worker.
    ids = [m for text in logs.values() for m in re.findall(r"Task [\w.]+\[([0-9a-f-]{36})\] succeeded", text)]
    assert ids and len(ids) == len(set(ids)), Counter(ids).most_common(3)
