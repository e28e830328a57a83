"""Dispatch: a rider's hazard report → the push reaching the grid worker's console, through the production arrangement.

Budget (DESIGN.md): hazard report → push reaches the grid worker: p99 <= 300 ms at 50 reports/s.

What it does (run alone: `.venv/bin/python bench/run.py dispatch`; needs PostgreSQL and Redis):
1. drops and creates the PostgreSQL database `linli_bench_dispatch`, migrates it (`linli migrate`) and fills it in
   a subprocess (`python bench/bench_dispatch.py --populate`): one street with a grid tree (HQ → 2 workstations →
   10 unit grids), the default hazard categories, WORKERS_PER_GRID grid workers per unit grid (each with a
   signed-in session, as a browser would hold), and RIDERS riders with bearer tokens;
2. starts gunicorn `linli.wsgi:application` (gthread, as `linli serve --mode production`) for the API and uvicorn
   `linli.asgi:application` for /ws/, both with the Redis channel layer (LINLI_REDIS_URL, db 12) and PostgreSQL;
3. in this process (asyncio): connects every grid worker to `ws/cases/<street>/` with their session cookie and
   waits for each socket's "hello" (subscribed); measures the baseline — a bare channel-layer `group_send` →
   receive through the same Redis, BASELINE_MESSAGES at 50/s; then posts RATE reports/s for SECONDS seconds
   (open loop: each POST starts on its schedule whatever the previous ones do) to `POST /api/v1/reports`
   (multipart with one small JPEG, as the phone page sends, `Idempotency-Key`, bearer token), category
   `fire_passage`, each at its own point of a 70 m lattice (no two merge) inside a random unit grid;
4. for each report, the latency from the moment its POST starts to the moment each grid worker of its grid
   receives the `case.changed` push (the push is matched to the report by its coordinates); a push reaching a
   worker of another grid, or a report whose push never reaches its workers, is counted;
5. stops the servers, drops the database and flushes Redis db 12 (try/finally).

The client shares the machine's cores with gunicorn, uvicorn, PostgreSQL and Redis, which is why the bare
channel-layer latency and the POST's own response time of the same run sit beside the figure.

Environment: LINLI_BENCH_PG_URL (server URL, default postgres://postgres@127.0.0.1:5432/postgres),
LINLI_BENCH_DISPATCH_REDIS_URL (default redis://127.0.0.1:6379/12: not db 13, which bench_booking_storm.py flushes;
a flush during this run deletes the consoles' group memberships and the pushes stop
arriving), LINLI_BENCH_DISPATCH_RATE (default 50),
LINLI_BENCH_DISPATCH_SECONDS (default 15), LINLI_BENCH_DISPATCH_KEEP=1 (keep the database and the server logs).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DB_NAME = "linli_bench_dispatch"
STREET = "bench-dispatch"

RATE = float(os.environ.get("LINLI_BENCH_DISPATCH_RATE", "50"))
SECONDS = float(os.environ.get("LINLI_BENCH_DISPATCH_SECONDS", "15"))
WORKERS_PER_GRID = 2
RIDERS = 50
BASELINE_MESSAGES = 200
WARMUP_REPORTS = 16
PUSH_WAIT_S = 5.0  # after the last POST: how long late pushes are waited for
GUNICORN_WORKERS, GUNICORN_THREADS = 2, 4
CATEGORY = "fire_passage"
BUDGET_P99_MS = 300

# The street: lat 31.200–31.220, lng 121.400–121.430; workstations west/east, 5 unit strips each.
LAT0, LAT1, LNG0, LNG1 = 31.200, 31.220, 121.400, 121.430
UNITS_PER_WS = 5
LATTICE_M = 70.0


# ------------------------------------------------------------------------------------------ database


def _pg_server_url() -> str:
    return os.environ.get("LINLI_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _redis_url() -> str:
    return os.environ.get("LINLI_BENCH_DISPATCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def _layer_host() -> dict:
    """The bench's own channel-layer host (the baseline): with the 30 s socket timeout settings.py gives the
    servers' layer (redis-py's default 5 s read timeout is the 5 s channels_redis blocks in BZPOPMIN for)."""
    return {"address": _redis_url(), "socket_timeout": 30, "socket_connect_timeout": 5}


def _db_url() -> str:
    return f"{_pg_server_url().rsplit('/', 1)[0]}/{DB_NAME}"


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(_pg_server_url(), autocommit=True) as conn:
        conn.execute(sql)


def _redis_flush() -> None:
    try:
        import redis

        redis.Redis.from_url(_redis_url()).flushdb()
    except Exception:  # noqa: BLE001 - a failed flush must not hide the figures
        pass


def _django_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_") or k.startswith("LINLI_BENCH_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "linli.settings",
            "LINLI_DATABASE_URL": _db_url(),
            "LINLI_REDIS_URL": _redis_url(),  # cache and channel layer (its socket timeout: settings.py)
            "LINLI_CONN_MAX_AGE": "600",
            "LINLI_DEBUG": "0",
            "LINLI_SECRET_KEY": "bench-" + secrets.token_urlsafe(32),
            "LINLI_VAR_DIR": str(tmp),
            "LINLI_SMS_BACKEND": "linli.core.sms.OutboxSmsBackend",
            "PYTHONPATH": str(ROOT / "src"),
        }
    )
    return env


def _migrate(env: dict[str, str]) -> None:
    linli = Path(sys.executable).with_name("linli")
    cmd = [str(linli)] if linli.exists() else [sys.executable, "-m", "django"]
    subprocess.run([*cmd, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)  # noqa: S603


def _unit_boxes() -> list[tuple[str, tuple[float, float, float, float]]]:
    """(external id, (lat0, lng0, lat1, lng1)) of the unit grids."""
    boxes = []
    mid = (LNG0 + LNG1) / 2
    step = (LAT1 - LAT0) / UNITS_PER_WS
    for w, (g0, g1) in enumerate(((LNG0, mid), (mid, LNG1))):
        for u in range(UNITS_PER_WS):
            boxes.append((f"u{w}{u}", (LAT0 + step * u, g0, LAT0 + step * (u + 1), g1)))
    return boxes


def populate_main(out_file: str) -> None:
    """Runs in a subprocess with the bench's Django settings: street, grids, categories, people, sessions, tokens."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction

    from linli.cases.services.reports import categories_default_create
    from linli.core.auth import token_digest
    from linli.core.models import ApiToken, Grid, Role, RoleAssignment, Street, User

    def square(lat0: float, lng0: float, lat1: float, lng1: float) -> dict:
        ring = [[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]
        return {"type": "Polygon", "coordinates": [ring]}

    def grid(ext: str, level: str, box: tuple[float, float, float, float], parent: Grid | None) -> Grid:
        return Grid.objects.create(
            street=street,
            external_id=ext,
            name=f"网格 {ext}",
            level=level,
            parent=parent,
            geometry=square(*box),
            min_lat=box[0],
            min_lng=box[1],
            max_lat=box[2],
            max_lng=box[3],
        )

    out: dict = {"workers": [], "riders": [], "units": {}}
    with transaction.atomic():
        street = Street.objects.create(
            code=STREET, name="压测街道", center_lat=(LAT0 + LAT1) / 2, center_lng=(LNG0 + LNG1) / 2
        )
        categories_default_create(street=street)
        hq = grid("hq", "hq", (LAT0, LNG0, LAT1, LNG1), None)
        mid = (LNG0 + LNG1) / 2
        stations = [
            grid("w0", "workstation", (LAT0, LNG0, LAT1, mid), hq),
            grid("w1", "workstation", (LAT0, mid, LAT1, LNG1), hq),
        ]
        n = 0
        for ext, box in _unit_boxes():
            unit = grid(ext, "unit", box, stations[int(ext[1])])
            out["units"][ext] = {"id": unit.pk, "box": box}
            for _ in range(WORKERS_PER_GRID):
                n += 1
                user = User.objects.create(phone=f"+86137{n:08d}", display_name=f"网格员{n}", password="!")
                RoleAssignment.objects.create(user=user, street=street, role=Role.GRID_WORKER, grid=unit)
                session = SessionStore()
                session[SESSION_KEY] = str(user.pk)
                session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
                session[HASH_SESSION_KEY] = user.get_session_auth_hash()
                session.create()
                out["workers"].append({"grid": ext, "session": session.session_key})
        for i in range(RIDERS):
            rider = User.objects.create(phone=f"+86136{i:08d}", display_name=f"骑手{i}", password="!")
            RoleAssignment.objects.create(user=rider, street=street, role=Role.RIDER)
            raw = f"llb_{i}_{secrets.token_urlsafe(24)}"
            ApiToken.objects.create(user=rider, name="bench", prefix=raw[:8], digest=token_digest(raw))
            out["riders"].append(raw)
    Path(out_file).write_text(json.dumps(out), encoding="utf-8")


# ------------------------------------------------------------------------------------------ servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    def __init__(self, cmd: list[str], env: dict[str, str], log: Path) -> None:
        self._log = log.open("ab")
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)  # noqa: S603

    def wait_http(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


# ------------------------------------------------------------------------------------------ CPU accounting

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)  # noqa: S603,S607
    return [int(p) for p in out.stdout.split()]


class CpuMeter:
    """CPU seconds of gunicorn (master + workers), uvicorn and the bench database's PostgreSQL backends over the
    load phase: per report, a figure the other processes on a shared machine do not distort."""

    def __init__(self, gunicorn_pid: int, uvicorn_pid: int) -> None:
        self.pids = {"gunicorn": gunicorn_pid, "uvicorn": uvicorn_pid}
        self.before: dict[str, dict[int, float]] = {}

    def _sample(self) -> dict[str, dict[int, float]]:
        import psycopg

        with psycopg.connect(_db_url(), autocommit=True) as conn:
            pg = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (DB_NAME,))]
        gun = [self.pids["gunicorn"], *_children(self.pids["gunicorn"])]
        return {
            "gunicorn": {p: _proc_cpu(p) for p in gun},
            "uvicorn": {self.pids["uvicorn"]: _proc_cpu(self.pids["uvicorn"])},
            "postgres": {p: _proc_cpu(p) for p in pg},
        }

    def start(self) -> None:
        self.before = self._sample()

    def done(self, reports: int) -> dict:
        after = self._sample()
        out: dict = {}
        for kind in ("gunicorn", "uvicorn", "postgres"):
            out[f"{kind}_s"] = round(sum(v - self.before[kind].get(p, 0.0) for p, v in after[kind].items()), 2)
        if reports:
            total_ms = (out["gunicorn_s"] + out["uvicorn_s"] + out["postgres_s"]) * 1000 / reports
            out["server_cpu_ms_per_report"] = round(total_ms, 1)
            # What two cores could take if the servers had them to themselves (an upper bound).
            out["two_core_capacity_reports_per_s"] = round(2000 / total_ms, 1) if total_ms else None
        return out


# ------------------------------------------------------------------------------------------ measurement


def _pct(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    s = sorted(values)

    def q(p: float) -> float:
        return round(s[min(len(s) - 1, max(0, int(round(p * len(s) + 0.5)) - 1))], 2)

    return {
        "n": len(s),
        "p50_ms": q(0.50),
        "p95_ms": q(0.95),
        "p99_ms": q(0.99),
        "max_ms": round(s[-1], 2),
        "mean_ms": round(statistics.fmean(s), 2),
    }


def _lattice(units: dict) -> list[tuple[str, float, float]]:
    """Points 70 m apart inside each unit, never on a boundary: (unit, lat, lng), shuffled."""
    dlat = LATTICE_M / 111_320.0
    dlng = LATTICE_M / (111_320.0 * 0.855)  # cos(31.2°)
    points = []
    for ext, u in units.items():
        lat0, lng0, lat1, lng1 = u["box"]
        lat = lat0 + dlat / 2
        while lat < lat1 - dlat / 4:
            lng = lng0 + dlng / 2
            while lng < lng1 - dlng / 4:
                points.append((ext, round(lat, 6), round(lng, 6)))
                lng += dlng
            lat += dlat
    random.Random(5).shuffle(points)
    return points


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), (190, 70, 40)).save(out, format="JPEG", quality=80)
    return out.getvalue()


async def _baseline_channel_layer() -> dict:
    """A bare group_send → receive through the same Redis (channels_redis), BASELINE_MESSAGES at 50/s."""
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[_layer_host()])
    channel = await layer.new_channel()
    group = f"bench.baseline.{uuid.uuid4().hex[:8]}"
    await layer.group_add(group, channel)
    lat: list[float] = []
    try:
        for i in range(BASELINE_MESSAGES):
            t0 = time.perf_counter()
            await layer.group_send(group, {"type": "bench.ping", "i": i})
            await layer.receive(channel)
            lat.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(max(0.0, 1 / 50 - (time.perf_counter() - t0)))
    finally:
        await layer.group_discard(group, channel)
        await layer.close_pools()  # not flush(): that would delete every group of the layer, the consoles' too
    return _pct(lat)


async def _load(api: str, ws_url: str, origin: str, data: dict, meter: CpuMeter) -> dict:
    import httpx
    import websockets

    units = data["units"]
    points = _lattice(units)
    n_reports = int(RATE * SECONDS)
    if n_reports + WARMUP_REPORTS > len(points):
        raise RuntimeError(f"only {len(points)} lattice points for {n_reports} reports")
    sent_at: dict[tuple[float, float], float] = {}
    grid_of: dict[tuple[float, float], str] = {}
    latencies: list[float] = []
    first_latencies: list[float] = []
    received: dict[tuple[float, float], set[int]] = {}
    wrong_grid = 0
    other_events = 0
    workers = data["workers"]

    async def listen(index: int, ws: object, grid: str) -> None:
        nonlocal wrong_grid, other_events
        async for raw in ws:  # type: ignore[attr-defined]
            now = time.perf_counter()
            msg = json.loads(raw)
            if msg.get("type") != "case.changed":
                continue
            case = msg["case"]
            key = (round(case["lat"], 6), round(case["lng"], 6))
            if key not in sent_at or msg.get("event") != "created":
                other_events += 1
                continue
            if grid_of[key] != grid:
                wrong_grid += 1
                continue
            got = received.setdefault(key, set())
            if index in got:
                continue
            got.add(index)
            ms = (now - sent_at[key]) * 1000
            latencies.append(ms)
            if len(got) == 1:
                first_latencies.append(ms)

    sockets = []
    listeners = []
    for i, w in enumerate(workers):
        ws = await websockets.connect(
            ws_url,
            additional_headers={"Cookie": f"sessionid={w['session']}", "Origin": origin},
            open_timeout=20,
            ping_interval=None,  # an overloaded run must not lose sockets to keep-alive timeouts
        )
        hello = json.loads(await asyncio.wait_for(ws.recv(), timeout=20))
        if hello.get("type") != "hello":
            raise RuntimeError(f"worker socket not subscribed: {hello}")
        sockets.append(ws)
        listeners.append(asyncio.create_task(listen(i, ws, w["grid"])))

    baseline = await _baseline_channel_layer()

    photo = _jpeg()
    riders = data["riders"]
    post_ms: list[float] = []
    done_at: list[float] = []
    statuses: dict[str, int] = {}
    errors = 0
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=api, timeout=30, limits=limits) as client:

        async def one(i: int) -> None:
            nonlocal errors
            ext, lat, lng = points[i]
            key = (lat, lng)
            grid_of[key] = ext
            t0 = time.perf_counter()
            sent_at[key] = t0
            try:
                resp = await client.post(
                    "/api/v1/reports",
                    data={"street": STREET, "category": CATEGORY, "lat": f"{lat:.6f}", "lng": f"{lng:.6f}",
                          "description": f"压测上报 {i}"},
                    files={"photos": (f"p{i}.jpg", photo, "image/jpeg")},
                    headers={"Authorization": f"Bearer {riders[i % len(riders)]}", "Idempotency-Key": uuid.uuid4().hex},
                )  # fmt: skip
                post_ms.append((time.perf_counter() - t0) * 1000)
                done_at.append(time.perf_counter())
                statuses[str(resp.status_code)] = statuses.get(str(resp.status_code), 0) + 1
            except httpx.HTTPError:
                errors += 1

        # Warm-up outside the figures (each gunicorn thread's first request, connections): points not recorded.
        # One warm-up report per rider (not all on the first one: with the run's own reports it would pass the
        # 30-reports-per-10-minutes limit and answer 429).
        for j, (_ext, lat, lng) in enumerate(points[-WARMUP_REPORTS:]):
            await client.post(
                "/api/v1/reports",
                data={"street": STREET, "category": CATEGORY, "lat": f"{lat:.6f}", "lng": f"{lng:.6f}"},
                files={"photos": ("w.jpg", photo, "image/jpeg")},
                headers={"Authorization": f"Bearer {riders[(len(riders) - 1 - j) % len(riders)]}"},
            )
        await asyncio.sleep(0.5)
        await asyncio.to_thread(meter.start)
        start = time.perf_counter()
        tasks = []
        for i in range(n_reports):
            delay = start + i / RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        send_s = time.perf_counter() - start
        await asyncio.gather(*tasks)
    cpu = await asyncio.to_thread(meter.done, len(done_at))
    deadline = time.perf_counter() + PUSH_WAIT_S
    expected = WORKERS_PER_GRID * n_reports
    while len(latencies) < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    for task in listeners:
        task.cancel()
    for ws in sockets:
        await ws.close()

    missed = sum(1 for key in sent_at if len(received.get(key, ())) < WORKERS_PER_GRID)
    return {
        "reports_sent": n_reports,
        "send_duration_s": round(send_s, 2),
        "offered_rate_per_s": RATE,
        "achieved_send_rate_per_s": round(n_reports / send_s, 1) if send_s else None,
        # Reports the server completed per second, first POST to last answer: below the offered rate, the
        # server fell behind and every figure below includes queueing.
        "completed_per_s": round(len(done_at) / (max(done_at) - start), 1) if done_at else None,
        "statuses": statuses,
        "client_errors": errors,
        "grid_worker_sockets": len(sockets),
        "pushes_expected": expected,
        "pushes_received": len(latencies),
        "reports_missing_a_push": missed,
        "pushes_to_a_wrong_grid": wrong_grid,
        "other_events": other_events,
        "push_latency": _pct(latencies),
        "push_latency_first_worker": _pct(first_latencies),
        "post_response": _pct(post_ms),
        "baseline_channel_layer_group_send_receive": baseline,
        "cpu": cpu,
    }


# ------------------------------------------------------------------------------------------ run


def run() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="linli-bench-dispatch-"))
    env = _django_env(tmp)
    keep = os.environ.get("LINLI_BENCH_DISPATCH_KEEP") == "1"
    procs: list[Proc] = []
    result: dict = {
        "bench": "dispatch",
        "budget": {"push_p99_ms": BUDGET_P99_MS, "rate_per_s": 50},
        "arrangement": {
            "api": f"gunicorn gthread {GUNICORN_WORKERS}x{GUNICORN_THREADS} (linli.wsgi)",
            "ws": "uvicorn linli.asgi (1 process)",
            "channel_layer": "channels_redis (Redis db 12; socket_timeout 30 s from settings.py)",
            "database": "PostgreSQL",
            "category": CATEGORY,
            "photo_per_report": "320x240 JPEG",
            "rate_per_s": RATE,
            "seconds": SECONDS,
        },
    }
    _redis_flush()
    _admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{DB_NAME}"')
    try:
        t0 = time.monotonic()
        _migrate(env)
        data_file = tmp / "data.json"
        subprocess.run([sys.executable, __file__, "--populate", str(data_file)], env=env, check=True, cwd=ROOT)  # noqa: S603
        data = json.loads(data_file.read_text(encoding="utf-8"))
        result["setup_s"] = round(time.monotonic() - t0, 1)
        api_port, ws_port = _free_port(), _free_port()
        gunicorn = [
            sys.executable, "-m", "gunicorn", "linli.wsgi:application",
            "--bind", f"127.0.0.1:{api_port}", "--worker-class", "gthread",
            "--workers", str(GUNICORN_WORKERS), "--threads", str(GUNICORN_THREADS),
            "--access-logfile", "-", "--timeout", "30", "--graceful-timeout", "20",
        ]  # fmt: skip
        uvicorn = [
            sys.executable, "-m", "uvicorn", "linli.asgi:application",
            "--host", "127.0.0.1", "--port", str(ws_port), "--lifespan", "off", "--no-access-log",
        ]  # fmt: skip
        procs.append(Proc(gunicorn, env, tmp / "gunicorn.log"))
        procs.append(Proc(uvicorn, env, tmp / "uvicorn.log"))
        procs[0].wait_http(f"http://127.0.0.1:{api_port}/api/v1/streets")
        procs[1].wait_http(f"http://127.0.0.1:{ws_port}/api/v1/streets")
        result.update(
            asyncio.run(
                _load(
                    f"http://127.0.0.1:{api_port}",
                    f"ws://127.0.0.1:{ws_port}/ws/cases/{STREET}/",
                    f"http://127.0.0.1:{api_port}",
                    data,
                    CpuMeter(procs[0].proc.pid, procs[1].proc.pid),
                )
            )
        )
        p99 = result["push_latency"].get("p99_ms")
        result["within_budget"] = bool(
            p99 is not None
            and p99 <= BUDGET_P99_MS
            and result["reports_missing_a_push"] == 0
            and result["pushes_to_a_wrong_grid"] == 0
        )
    finally:
        for p in procs:
            p.stop()
        if not keep:
            _admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            result["kept"] = str(tmp)
        _redis_flush()
    return result


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--populate":
        sys.path.insert(0, str(ROOT / "src"))
        populate_main(sys.argv[2])
    else:
        print(json.dumps(run(), ensure_ascii=False, indent=2))
