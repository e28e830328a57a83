"""Where one write request's CPU goes, per write path, against a bare Django view running the same SQL (issue 23).

For each write path — booking, order, hazard report, gate tap, and the newer domains' hot writes (affairs
appointment, volunteer shift sign-up, care emergency call, survey answer) — this process serves requests through
Linli's own WSGI handler (`linli.wsgi`'s middleware, django-ninja, the services, PostgreSQL through psycopg, Redis
for rate limits; no gunicorn, no network client) and splits one request's CPU time (`time.thread_time`) into:

- `middleware`: each middleware's own code (its share excluding what it calls inside), also listed per class;
- `authentication`: the bearer-token (or device-token) lookup and django-ninja's auth callbacks;
- `parsing_validation`: the input edge's body check and django-ninja's parsing and validation of the parameters;
- `service`: the view function and the services it calls, minus their SQL;
- `sql`: every statement through Django's cursor (an `execute_wrapper`): psycopg's work in this process (the
  PostgreSQL server's own CPU is not in it; `sql_wall_ms` is the wall time of the same statements);
- `serialisation`: django-ninja's response validation and JSON rendering;
- `framework`: Django's and django-ninja's request machinery around all of the above (WSGIRequest, URL
  resolving, signals, the response object).

The phases are self times (a phase's time excludes the phases it calls), so they add up to the instrumented
request. `cpu_ms_per_request` is measured in a separate loop without the instrumentation (the honest figure);
`instrumented_cpu_ms` shows what the timers add.

Baselines in the same run and process:
- `bare_django_ping`: a Django handler without middleware, one JSON view, no database (what
  bench/loadgen/bare_django.py serves under gunicorn): the budgets' "bare Django request";
- per path, `bare_same_sql`: a Django view without middleware that runs the very statements the Linli request ran
  (recorded from a Linli request, replayed with the same parameters inside a transaction that is rolled back, so
  each replay finds the database as the recording did; its BEGIN/ROLLBACK are counted in it) and answers a small
  JSON document;
- `linli_ping`: `GET /api/v1/ping` through Linli's stack.

Budget (DESIGN.md, issue 23) reported here: the newer domains' hot writes (appointment, sign-up, call, answer)
<= 2x a booking's CPU, in the same process and run. The booking's and the order's budgets against a bare Django
request (<= 4x, <= 6x, and their rates) are bench_booking_storm's and bench_lunch_rush's, under gunicorn as the
issue measured them; the in-process ratio to the bare handler is listed here as `budget_ratios.*_in_process`,
informative only (without an HTTP server around it the bare request costs ~0.1 ms, not ~0.45 ms).

Run: `.venv/bin/python bench/run.py write_profile` (about 3-6 minutes; needs PostgreSQL, Redis and Mosquitto).
Each path has its own database (created from one migrated template, filled by the load benchmark's own populate
where there is one), all dropped at the end. Environment: as bench/common.py; LINLI_BENCH_WPROF_N (requests per
loop, default 300), LINLI_BENCH_WPROF_PATHS (comma list, default all), LINLI_BENCH_WPROF_REDIS_URL (default
redis://127.0.0.1:6379/9, flushed), LINLI_BENCH_WPROF_OUT (also write the result to this file).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import types
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:  # bench/common.py
    sys.path.insert(0, str(BENCH_DIR))
import common  # noqa: E402

N = int(os.environ.get("LINLI_BENCH_WPROF_N", "300"))
WARMUP = 20
ALL_PATHS = ["booking", "order", "report", "tap", "appointment", "signup", "call", "answer"]
PATHS = [p for p in os.environ.get("LINLI_BENCH_WPROF_PATHS", ",".join(ALL_PATHS)).split(",") if p]
PREFIX = "linli_bench_wprof"
BUDGETS = {"booking": 4.0, "order": 6.0}  # CPU per request <= this x a bare Django request
NEW_DOMAINS = ("appointment", "signup", "call", "answer")  # each <= 2x a booking's CPU
NEW_DOMAIN_RATIO = 2.0
PHASES = ("middleware", "authentication", "parsing_validation", "service", "sql", "serialisation", "framework")


def _redis_url() -> str:
    return os.environ.get("LINLI_BENCH_WPROF_REDIS_URL", "redis://127.0.0.1:6379/9")


USERS = 3 * (N + WARMUP) + 20  # users (tokens) each path's database holds: every request is a new user's write


def _users_needed() -> int:
    return USERS


# ------------------------------------------------------------------------------------------ phase timer


class Phases:
    """Self time per phase (thread CPU), with a stack: entering a phase charges the elapsed time to the phase
    below it. Off unless `on`."""

    def __init__(self) -> None:
        self.on = False
        self.cpu: dict[str, float] = defaultdict(float)
        self.sql_wall = 0.0
        self.sql_count = 0
        self.stack: list[str] = []
        self.last = 0.0

    def reset(self) -> None:
        self.cpu.clear()
        self.sql_wall = 0.0
        self.sql_count = 0

    def enter(self, name: str) -> None:
        now = time.thread_time()
        if self.stack:
            self.cpu[self.stack[-1]] += now - self.last
        self.stack.append(name)
        self.last = now

    def leave(self) -> None:
        now = time.thread_time()
        self.cpu[self.stack.pop()] += now - self.last
        self.last = now

    def wrap(self, name: str, fn: Callable) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.on:
                return fn(*args, **kwargs)
            self.enter(name)
            try:
                return fn(*args, **kwargs)
            finally:
                self.leave()

        timed.__wrapped__ = fn  # type: ignore[attr-defined]
        return timed


PH = Phases()
RECORDED: list[tuple[str, Any]] | None = None  # statements of the request being recorded


def _sql_wrapper(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
    if RECORDED is not None:
        RECORDED.append((sql, params))
    if not PH.on:
        return execute(sql, params, many, context)
    PH.enter("sql")
    t0 = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        PH.sql_wall += time.perf_counter() - t0
        PH.sql_count += 1
        PH.leave()


def _instrument() -> None:
    """Wrap the phases' entry points (before the handler is built: the middleware chain is built from them)."""
    import django.core.handlers.base as base
    from ninja.operation import Operation

    import linli.core.middleware as mw

    convert = base.convert_exception_to_response

    def convert_timed(get_response: Any) -> Any:
        name = (
            f"middleware:{type(get_response).__name__}"
            if not isinstance(get_response, types.MethodType)
            else "framework"
        )
        return convert(PH.wrap(name, get_response.__call__ if name != "framework" else get_response))

    base.convert_exception_to_response = convert_timed  # type: ignore[assignment]
    mw.user_from_bearer = PH.wrap("authentication", mw.user_from_bearer)  # type: ignore[assignment]
    mw._body_refusal = PH.wrap("parsing_validation", mw._body_refusal)  # type: ignore[assignment]
    Operation._run_authentication = PH.wrap("authentication", Operation._run_authentication)  # type: ignore[method-assign]
    Operation._get_values = PH.wrap("parsing_validation", Operation._get_values)  # type: ignore[method-assign]
    Operation._result_to_response = PH.wrap("serialisation", Operation._result_to_response)  # type: ignore[method-assign]
    # The operation itself: the view function and the services it calls (django-ninja's few lines around them
    # count here too); its authentication, parsing, SQL and serialisation are their own phases inside it.
    Operation.run = PH.wrap("service", Operation.run)  # type: ignore[method-assign]


# ------------------------------------------------------------------------------------------ requests


def environ(
    method: str, path: str, body: bytes = b"", ctype: str = "application/json", headers: dict | None = None
) -> dict:
    path, _, query = path.partition("?")
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "linli-bench",
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body or method in ("POST", "PUT", "PATCH"):
        env["CONTENT_LENGTH"] = str(len(body))
        env["CONTENT_TYPE"] = ctype
    for key, value in (headers or {}).items():
        env["HTTP_" + key.upper().replace("-", "_")] = value
    return env


def call(handler: Any, env: dict) -> tuple[int, bytes]:
    status: list[str] = []

    def start_response(s: str, _headers: list, _exc: Any = None) -> None:
        status.append(s)

    result = handler(env, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return int(status[0].split()[0]), body


def bearer(token: str, key: bool = True) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    return headers


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = "bench" + secrets.token_hex(8)
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data, ctype) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n".encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


# ------------------------------------------------------------------------------------------ the paths


class Path_:
    """One write path: its database, how it is filled, and its i-th request (each request is a new write)."""

    name = ""
    populate_script: str | None = None
    expect = (201,)

    def __init__(self, tmp: Path, prefix: str = PREFIX) -> None:
        self.tmp = tmp
        self.db = common.Database(f"{prefix}_{self.name}")
        self.data: dict = {}

    def populate_args(self) -> list[str]:
        return []

    def fill_in_process(self) -> None:
        """For the paths without a load benchmark's populate: fill the database from this process."""

    def request(self, i: int) -> dict:
        raise NotImplementedError


class Booking(Path_):
    name = "booking"
    populate_script = str(BENCH_DIR / "bench_booking_storm.py")

    def populate_args(self) -> list[str]:
        return [str(self.tmp / "tokens_booking"), str(_users_needed()), "0"]

    def request(self, i: int) -> dict:
        if "tokens" not in self.data:
            self.data["tokens"] = (self.tmp / "tokens_booking").read_text().split()
        token = self.data["tokens"][i]
        return environ("POST", f"/api/v1/activities/{self.data['unlimited']}/bookings", b"{}", headers=bearer(token))


class Order(Path_):
    name = "order"
    populate_script = str(BENCH_DIR / "bench_lunch_rush.py")

    def populate_args(self) -> list[str]:
        return [str(self.tmp / "tokens_order"), str(_users_needed())]

    def request(self, i: int) -> dict:
        if "tokens" not in self.data:
            self.data["tokens"] = (self.tmp / "tokens_order").read_text().split()
        menu = self.data["menus"]["unlimited"]
        body = {
            "date": menu["date"],
            "slot": "lunch",
            "destination": {"place_id": self.data["place_id"]},
            "items": [
                {"menu_item_id": menu["items"][i % 3], "quantity": 1},
                {"menu_item_id": menu["items"][(i + 1) % 3], "quantity": 1},
            ],
        }
        return environ(
            "POST", "/api/v1/meals/orders", json.dumps(body).encode(), headers=bearer(self.data["tokens"][i])
        )


class Report(Path_):
    name = "report"
    populate_script = str(BENCH_DIR / "bench_dispatch.py")

    def request(self, i: int) -> dict:
        import bench_dispatch

        if "points" not in self.data:
            self.data["points"] = bench_dispatch._lattice(self.data["units"])
            self.data["photo"] = bench_dispatch._jpeg()
        _ext, lat, lng = self.data["points"][i % len(self.data["points"])]
        body, ctype = multipart(
            {
                "street": bench_dispatch.STREET,
                "category": bench_dispatch.CATEGORY,
                "lat": f"{lat:.6f}",
                "lng": f"{lng:.6f}",
                "description": f"压测上报 {i}",
            },
            {"photos": (f"p{i}.jpg", self.data["photo"], "image/jpeg")},
        )
        riders = self.data["riders"]
        return environ("POST", "/api/v1/reports", body, ctype, headers=bearer(riders[i % len(riders)]))


class Tap(Path_):
    name = "tap"
    populate_script = str(BENCH_DIR / "bench_gate_tap.py")
    expect = (200,)

    def request(self, i: int) -> dict:
        from linli.access.gatewire import protocol

        gate = self.data["gates"][i % len(self.data["gates"])]
        token = protocol.make_gate_token(gate["public_id"], bytes.fromhex(gate["token_key"]), time.time())
        riders = self.data["riders"]
        body = json.dumps({"gate_token": token}).encode()
        return environ("POST", "/api/v1/access/taps", body, headers=bearer(riders[i % len(riders)], key=False))


class Appointment(Path_):
    name = "appointment"
    populate_script = str(BENCH_DIR / "bench_affairs.py")

    def populate_args(self) -> list[str]:
        return [str(self.tmp / "tokens_affairs"), str(_users_needed())]

    def request(self, i: int) -> dict:
        if "lines" not in self.data:
            self.data["lines"] = (self.tmp / "tokens_affairs.b").read_text().splitlines()
        token, slot, item = self.data["lines"][i].split()
        body = json.dumps({"slot": int(slot), "item": int(item)}).encode()
        return environ("POST", "/api/v1/affairs/appointments", body, headers=bearer(token))


class Call(Path_):
    name = "call"
    populate_script = str(BENCH_DIR / "bench_care_calls.py")

    def request(self, i: int) -> dict:
        devices = self.data["devices"]
        device = devices[i % len(devices)]
        body = json.dumps({"kind": "emergency", "note": f"压测呼叫 {i}"}).encode()
        return environ(
            "POST",
            "/api/v1/care/calls",
            body,
            headers={"X-Device-Token": device["token"], "Idempotency-Key": str(uuid.uuid4())},
        )


class Signup(Path_):
    name = "signup"

    def fill_in_process(self) -> None:
        from datetime import datetime

        from django.db import transaction
        from django.utils import timezone

        from linli.core.models import Street, User
        from linli.core.services import token_create
        from linli.volunteers.models import Shift, ShiftKind, Station
        from linli.volunteers.services import profiles

        with transaction.atomic():
            street = Street.objects.create(code="bench-vol", name="压测志愿街道")
            station = Station.objects.create(street=street, name="压测市民驿站")
            day = timezone.localdate() + dt.timedelta(days=7)
            start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=timezone.get_current_timezone())
            self.data["shift"] = Shift.objects.create(
                station=station, kind=ShiftKind.OPENING, title="压测值守", start=start,
                end=start + dt.timedelta(hours=2), places=_users_needed() + 10, skills=[],
            ).pk  # fmt: skip
            tokens = []
            for i in range(_users_needed()):
                user = User.objects.create(phone=f"+86135{i:08d}", display_name=f"志愿者{i}", home_street=street)
                profiles.volunteer_register(
                    user=user, street=street, stations=[station], team=None,
                    values={"name": f"志愿者{i}", "skills": ["reception"], "consent": True},
                )  # fmt: skip
                tokens.append(token_create(user=user, name="bench"))
        self.data["tokens"] = tokens

    def request(self, i: int) -> dict:
        path = f"/api/v1/volunteer/shifts/{self.data['shift']}/signups"
        return environ("POST", path, b"{}", headers=bearer(self.data["tokens"][i]))


class Answer(Path_):
    name = "answer"

    def fill_in_process(self) -> None:
        from django.db import transaction
        from django.utils import timezone

        from linli.core.models import Street, User
        from linli.core.services import token_create
        from linli.voice.services.surveys import survey_create

        now = timezone.now()
        with transaction.atomic():
            street = Street.objects.create(code="bench-voice", name="压测问卷街道")
            kinds = ["single", "multiple", "rating", "ranking", "number"] * 4
            specs = [
                {"kind": k, "text": f"答题{i}", "options": ["甲", "乙", "丙", "丁"] if k in ("single", "multiple", "ranking") else []}
                for i, k in enumerate(kinds)
            ]  # fmt: skip
        survey = survey_create(street=street, title="答题问卷", closes_at=now + dt.timedelta(days=7), questions=specs,
                               opens_at=now - dt.timedelta(days=1))  # fmt: skip
        questions = list(survey.questions.order_by("position", "id"))
        values = {"single": 1, "multiple": [0, 2], "rating": 4, "ranking": [2, 0, 1, 3], "number": 3}
        self.data["body"] = json.dumps({"answers": {str(q.pk): values[q.kind] for q in questions}}).encode()
        self.data["survey"] = survey.pk
        with transaction.atomic():
            tokens = []
            for i in range(_users_needed()):
                user = User.objects.create(phone=f"+86134{i:08d}", display_name=f"居民{i}", home_street=street)
                tokens.append(token_create(user=user, name="bench"))
        self.data["tokens"] = tokens

    def request(self, i: int) -> dict:
        path = f"/api/v1/surveys/{self.data['survey']}/responses"
        return environ("POST", path, self.data["body"], headers=bearer(self.data["tokens"][i]))


PATH_CLASSES: dict[str, type[Path_]] = {
    c.name: c for c in (Booking, Order, Report, Tap, Appointment, Signup, Call, Answer)
}


# ------------------------------------------------------------------------------------------ bare Django


def _bare_handler(stmts: dict[str, list[tuple[str, Any]]]) -> Any:
    """A Django handler without middleware whose URLs are the bare views: a JSON ping (no database) and, per
    path, a view replaying that path's recorded statements in a rolled-back transaction."""
    from django.core.handlers.exception import convert_exception_to_response
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection, transaction
    from django.http import JsonResponse
    from django.urls import path

    def ping(request: Any) -> JsonResponse:
        return JsonResponse({"pong": True})

    def same_sql(request: Any, name: str) -> JsonResponse:
        rows = 0
        with transaction.atomic():
            with connection.cursor() as cursor:
                for sql, params in stmts[name]:
                    cursor.execute(sql, params)
                    if cursor.description is not None:
                        rows += len(cursor.fetchall())
            transaction.set_rollback(True)
        return JsonResponse({"ok": True, "rows": rows}, status=201)

    urlconf = types.ModuleType("linli_bench_bare_urls")
    urlconf.urlpatterns = [path("ping", ping), path("sql/<str:name>", same_sql)]  # type: ignore[attr-defined]

    class BareHandler(WSGIHandler):
        def load_middleware(self, is_async: bool = False) -> None:
            self._view_middleware = []
            self._template_response_middleware = []
            self._exception_middleware = []
            self._middleware_chain = convert_exception_to_response(self._get_response)

        def resolve_request(self, request: Any) -> Any:
            request.urlconf = urlconf
            return super().resolve_request(request)

    return BareHandler()


# ------------------------------------------------------------------------------------------ measuring


def _switch(db: common.Database) -> None:
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = db.name


ANSWERS: dict[str, int] = defaultdict(int)  # the taps' outcomes: every tap must be allowed and opened


def _check(env: dict, status: int, body: bytes, expect: tuple[int, ...]) -> None:
    if status not in expect:
        raise RuntimeError(f"{env['PATH_INFO']} answered {status}: {body[:300]!r}")
    if env["PATH_INFO"] == "/api/v1/access/taps":
        answer = json.loads(body)
        ANSWERS["taps"] += 1
        ANSWERS["taps_opened"] += bool(answer.get("opened"))


def _cpu_loop(handler: Any, envs: list[dict], expect: tuple[int, ...]) -> float:
    """CPU ms per request over `envs` (thread time), every answer checked."""
    t0 = time.thread_time()
    for env in envs:
        status, body = call(handler, env)
        _check(env, status, body, expect)
    return (time.thread_time() - t0) / len(envs) * 1000


def _profile(handler: Any, envs: list[dict], expect: tuple[int, ...]) -> dict:
    PH.reset()
    PH.on = True
    t0 = time.thread_time()
    try:
        for env in envs:
            PH.stack.clear()
            PH.enter("framework")
            status, body = call(handler, env)
            PH.leave()
            _check(env, status, body, expect)
    finally:
        PH.on = False
    total = (time.thread_time() - t0) / len(envs) * 1000
    n = len(envs)
    phases: dict[str, float] = defaultdict(float)
    per_middleware = {}
    for name, seconds in PH.cpu.items():
        if name.startswith("middleware:"):
            phases["middleware"] += seconds
            per_middleware[name.split(":", 1)[1]] = round(seconds / n * 1000, 4)
        else:
            phases[name] += seconds
    split = {p: round(phases.get(p, 0.0) / n * 1000, 4) for p in PHASES}
    return {
        "instrumented_cpu_ms": round(total, 4),
        "phases_cpu_ms": split,
        "phases_share": {p: round(v / sum(split.values()), 3) if sum(split.values()) else 0 for p, v in split.items()},
        "middleware_cpu_ms": dict(sorted(per_middleware.items(), key=lambda kv: -kv[1])),
        "sql_statements_per_request": round(PH.sql_count / n, 2),
        "sql_wall_ms": round(PH.sql_wall / n * 1000, 4),
    }


def _record(handler: Any, env: dict, expect: tuple[int, ...]) -> list[tuple[str, Any]]:
    """The statements one Linli request runs, recorded in a transaction that is rolled back."""
    global RECORDED
    from django.core import signals
    from django.db import close_old_connections, transaction

    from linli.core.photos import decoding_in_transaction_allowed

    # Inside a transaction that is rolled back, so the bare view's replay finds the database as the recording did
    # (a replayed INSERT would otherwise meet its own row); Django's end-of-request check would close a connection
    # left inside a transaction, so it is off for this one request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    RECORDED = []
    try:
        with transaction.atomic(), decoding_in_transaction_allowed():  # a report's photo, decoded in it
            status, body = call(handler, env)
            transaction.set_rollback(True)
    finally:
        stmts, RECORDED = RECORDED, None
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    if status not in expect:
        raise RuntimeError(f"recording {env['PATH_INFO']}: {status} {body[:300]!r}")
    # Transaction control is the bare view's own (its atomic block); keep the statements of the work.
    return [(s, p) for s, p in stmts if s.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]


def _measure_path(p: Path_, linli: Any, bare: Any, stmts: dict) -> dict:
    _switch(p.db)
    expect = p.expect
    i = 0

    def take(n: int) -> list[dict]:
        nonlocal i
        out = [p.request(i + k) for k in range(n)]
        i += n
        return out

    _cpu_loop(linli, take(WARMUP), expect)
    stmts[p.name] = _record(linli, take(1)[0], expect)
    plain = _cpu_loop(linli, take(N), expect)
    prof = _profile(linli, take(N), expect)
    bare_env = [environ("POST", f"/sql/{p.name}") for _ in range(N)]
    _cpu_loop(bare, bare_env[:WARMUP], (201,))
    bare_cpu = _cpu_loop(bare, bare_env, (201,))
    return {
        "requests": N,
        "cpu_ms_per_request": round(plain, 4),
        **prof,
        "statements": [s.split()[0].upper() + " " + " ".join(s.split())[:140] for s, _ in stmts[p.name]],
        "bare_same_sql_cpu_ms": round(bare_cpu, 4),
        "ratio_to_bare_same_sql": round(plain / bare_cpu, 2) if bare_cpu else None,
    }


@contextmanager
def prepared(names: list[str], users: int, prefix: str = PREFIX) -> Iterator[tuple[list[Path_], dict]]:
    """The paths' databases (one migrated template, one database per path filled by the load benchmark's own
    populate or in this process), Django set up in this process, and for the tap the gate listener and the
    simulated controllers; everything stopped and dropped on exit. Yields the paths and facts about the setup."""
    global USERS
    USERS = users
    sys.path.insert(0, str(ROOT / "src"))
    if "tap" in names:
        common.require_mqtt("the tap path (Mosquitto)")
    tmp = Path(tempfile.mkdtemp(prefix="linli-wprof-"))
    template = common.Database(f"{prefix}_template")
    extra = {
        "LINLI_MQTT_URL": common.mqtt_url(),
        "LINLI_SMS_BACKEND": "linli.core.sms.OutboxSmsBackend",
        "LINLI_LOG_LEVEL": "WARNING",
    }
    env = common.django_env(tmp, template, redis=_redis_url(), extra=extra)
    paths = [PATH_CLASSES[name](tmp, prefix) for name in names]
    facts: dict = {}
    procs: list[Any] = []
    controllers = None
    common.redis_flush(_redis_url())
    t_setup = time.monotonic()
    try:
        template.create()
        common.migrate(env)
        for p in paths:
            p.db.drop()
            common.pg_admin(f'CREATE DATABASE "{p.db.name}" TEMPLATE "{template.name}"')
            if p.populate_script:
                p.data = common.populate(p.populate_script, p.populate_args(), {**env, "LINLI_DATABASE_URL": p.db.url})
        os.environ.update(env)
        import django

        django.setup()
        from django.conf import settings

        settings.ALLOWED_HOSTS = ["*"]
        for p in paths:
            if not p.populate_script:
                _switch(p.db)
                p.fill_in_process()
            p.db.execute("ANALYZE")
        tap = next((p for p in paths if p.name == "tap"), None)
        if tap is not None:
            import bench_gate_tap

            tap_env = {**env, "LINLI_DATABASE_URL": tap.db.url}
            procs.append(common.LinliProc(["gate-listener", "--flush-every", "0.5"], tap_env, tmp / "listener.log"))
            gates = [{"public_id": g["public_id"], "secret": g["secret"]} for g in tap.data["gates"]]
            controllers = bench_gate_tap.Controllers(gates, tmp, tap_env)
            bench_gate_tap.DB = tap.db
            facts["tap_gates_online"] = bench_gate_tap._gates_online(len(gates))
        facts["setup_s"] = round(time.monotonic() - t_setup, 1)
        yield paths, facts
    finally:
        from django.db import connection

        connection.close()
        if controllers is not None:
            controllers.stop()
        for proc in procs:
            proc.stop()
        for p in paths:
            p.db.drop()
        template.drop()
        common.redis_flush(_redis_url())
        shutil.rmtree(tmp, ignore_errors=True)


def run() -> dict:
    result: dict = {"bench": "write_profile", "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    with prepared(PATHS, 3 * (N + WARMUP) + 20) as (paths, facts):
        result.update(facts)
        from django.db import connection

        connection.execute_wrappers.append(_sql_wrapper)
        _instrument()
        from django.core.handlers.wsgi import WSGIHandler

        linli = WSGIHandler()
        stmts: dict[str, list] = {}
        bare = _bare_handler(stmts)

        # The floor: a bare Django request and Linli's own ping, in this process, before and after the paths.
        def floors() -> dict:
            ping_envs = [environ("GET", "/ping") for _ in range(2000)]
            linli_envs = [environ("GET", "/api/v1/ping") for _ in range(2000)]
            _cpu_loop(bare, ping_envs[:100], (200,))
            _cpu_loop(linli, linli_envs[:100], (200,))
            return {
                "bare_django_ping_cpu_ms": round(_cpu_loop(bare, ping_envs, (200,)), 4),
                "linli_ping_cpu_ms": round(_cpu_loop(linli, linli_envs, (200,)), 4),
            }

        floor_before = floors()
        measured = {}
        for p in paths:
            print(f"write_profile: {p.name} ...", file=sys.stderr, flush=True)
            measured[p.name] = _measure_path(p, linli, bare, stmts)
        floor_after = floors()
        bare_ms = statistics.mean([floor_before["bare_django_ping_cpu_ms"], floor_after["bare_django_ping_cpu_ms"]])
        result["floor"] = {"before": floor_before, "after": floor_after, "bare_django_ping_cpu_ms": round(bare_ms, 4)}
        for m in measured.values():
            m["ratio_to_bare_django_ping"] = round(m["cpu_ms_per_request"] / bare_ms, 2)
        result["paths"] = measured
        if "tap" in measured:
            result["taps"] = {"answered": ANSWERS["taps"], "opened": ANSWERS["taps_opened"]}
        result["budget_ratios"] = _budgets(measured, bare_ms)
        result["budgets"] = _budget_list(result["budget_ratios"])
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    out = os.environ.get("LINLI_BENCH_WPROF_OUT")
    if out:
        Path(out).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return result


def _budget_list(budgets: dict) -> list[dict]:
    """The same budgets in bench/run.py's list form."""
    out = []
    for key, b in budgets.items():
        if b.get("informative"):
            continue
        baseline = {k: v for k, v in b.items() if k.startswith("baseline")}
        what = key.replace("_cpu_vs_", ": CPU per request ÷ ").replace("bare_django", "bare Django request")
        limit = float(b["budget"].split()[1].rstrip("x"))
        out.append(common.budget(what + " (in process)", b["ratio"], limit, baseline=baseline, unit="x"))
    return out


def _budgets(measured: dict, bare_ms: float) -> dict:
    out: dict = {}
    for name, limit in BUDGETS.items():
        if name in measured:
            # Not the budget itself (bench_booking_storm / bench_lunch_rush report that, under gunicorn): here
            # the bare request has no HTTP server around it, so the same limit would compare other things.
            ratio = measured[name]["cpu_ms_per_request"] / bare_ms
            out[f"{name}_cpu_vs_bare_django_in_process"] = {
                "informative": True,
                "budget": f"<= {limit:g}x",
                "cpu_ms": measured[name]["cpu_ms_per_request"],
                "baseline_bare_django_cpu_ms": round(bare_ms, 4),
                "ratio": round(ratio, 2),
                "met": ratio <= limit,
            }
    if "booking" in measured:
        booking = measured["booking"]["cpu_ms_per_request"]
        for name in NEW_DOMAINS:
            if name in measured:
                ratio = measured[name]["cpu_ms_per_request"] / booking
                out[f"{name}_cpu_vs_booking"] = {
                    "budget": f"<= {NEW_DOMAIN_RATIO:g}x",
                    "cpu_ms": measured[name]["cpu_ms_per_request"],
                    "baseline_booking_cpu_ms": booking,
                    "ratio": round(ratio, 2),
                    "met": ratio <= NEW_DOMAIN_RATIO,
                }
    return out


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2))
