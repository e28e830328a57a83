"""Dispatch: a rider's hazard report → the push reaching the grid worker's console, through the production arrangement.

Budget (DESIGN.md): hazard report → push reaches the grid worker: p99 <= 300 ms at 50 reports/s.

What it does (run alone: `.venv/bin/python bench/run.py dispatch`; needs PostgreSQL and Redis). The database,
servers and CPU accounting are bench/common.py's, the open-loop schedule and percentiles bench/openloop.py's:
1. drops and creates the PostgreSQL database `linli_bench_dispatch`, migrates it (`linli migrate`) and fills it in
   a subprocess (`python bench/bench_dispatch.py --populate`, JSON on stdout): one street with a grid tree
   (HQ → 2 workstations → 10 unit grids), the default hazard categories, WORKERS_PER_GRID grid workers per unit
   grid (each with a signed-in session, as a browser would hold), and RIDERS riders with bearer tokens;
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
import sys
import tempfile
import time
import uuid
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:  # bench/common.py
    sys.path.insert(0, str(BENCH_DIR))
import common  # noqa: E402
import openloop  # noqa: E402

DB_NAME = "linli_bench_dispatch"
DB = common.Database(DB_NAME)
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


def _redis_url() -> str:
    return os.environ.get("LINLI_BENCH_DISPATCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def _layer_host() -> dict:
    """The bench's own channel-layer host (the baseline): with the 30 s socket timeout settings.py gives the
    servers' layer (redis-py's default 5 s read timeout is the 5 s channels_redis blocks in BZPOPMIN for)."""
    return {"address": _redis_url(), "socket_timeout": 30, "socket_connect_timeout": 5}


def _unit_boxes() -> list[tuple[str, tuple[float, float, float, float]]]:
    """(external id, (lat0, lng0, lat1, lng1)) of the unit grids."""
    boxes = []
    mid = (LNG0 + LNG1) / 2
    step = (LAT1 - LAT0) / UNITS_PER_WS
    for w, (g0, g1) in enumerate(((LNG0, mid), (mid, LNG1))):
        for u in range(UNITS_PER_WS):
            boxes.append((f"u{w}{u}", (LAT0 + step * u, g0, LAT0 + step * (u + 1), g1)))
    return boxes


def populate_main() -> None:
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
    print(json.dumps(out))


# ------------------------------------------------------------------------------------------ measurement


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
    return openloop.percentiles(lat)


async def _load(api: str, ws_url: str, origin: str, data: dict, meter: common.CpuMeter) -> dict:
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
    error_kinds: dict[str, int] = {}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=api, timeout=30, limits=limits) as client:

        async def one(i: int, _scheduled: float) -> None:
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
            except httpx.HTTPError as exc:
                errors += 1
                error_kinds[type(exc).__name__] = error_kinds.get(type(exc).__name__, 0) + 1

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
        # Open loop; a report's latency counts from the moment its POST starts (`t0` in one()).
        start = time.perf_counter()
        send_s, _ = await openloop.open_loop(n_reports, RATE, one)
    cpu = await asyncio.to_thread(meter.done, len(done_at), "report")
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
        "client_error_kinds": error_kinds,
        "grid_worker_sockets": len(sockets),
        "pushes_expected": expected,
        "pushes_received": len(latencies),
        "reports_missing_a_push": missed,
        "pushes_to_a_wrong_grid": wrong_grid,
        "other_events": other_events,
        "push_latency": openloop.percentiles(latencies),
        "push_latency_first_worker": openloop.percentiles(first_latencies),
        "post_response": openloop.percentiles(post_ms),
        "baseline_channel_layer_group_send_receive": baseline,
        "cpu": cpu,
    }


# ------------------------------------------------------------------------------------------ run


def run() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="linli-bench-dispatch-"))
    env = common.django_env(
        tmp, DB, redis=_redis_url(), extra={"LINLI_SMS_BACKEND": "linli.core.sms.OutboxSmsBackend"}
    )  # LINLI_REDIS_URL: cache and channel layer (its socket timeout: settings.py)
    keep = os.environ.get("LINLI_BENCH_DISPATCH_KEEP") == "1"
    procs: list[common.Proc] = []
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
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    common.redis_flush(_redis_url())
    DB.create()
    try:
        t0 = time.monotonic()
        common.migrate(env)
        data = common.populate(__file__, [], env)
        result["setup_s"] = round(time.monotonic() - t0, 1)
        gunicorn = common.Server(env, GUNICORN_WORKERS, GUNICORN_THREADS, tmp / "gunicorn.log")
        procs.append(gunicorn)
        uvicorn = common.Uvicorn(env, tmp / "uvicorn.log")
        procs.append(uvicorn)
        gunicorn.wait_ready()
        uvicorn.wait_ready()
        meter = common.CpuMeter({"gunicorn": gunicorn.pids, "uvicorn": uvicorn.pids}, db=DB, wrk=False)
        ws_url = f"ws://127.0.0.1:{uvicorn.port}/ws/cases/{STREET}/"
        result.update(asyncio.run(_load(gunicorn.base, ws_url, gunicorn.base, data, meter)))
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
            DB.drop()
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            result["kept"] = str(tmp)
        common.redis_flush(_redis_url())
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["--populate"]:
        sys.path.insert(0, str(ROOT / "src"))
        populate_main()
    else:
        print(json.dumps(run(), ensure_ascii=False, indent=2))
