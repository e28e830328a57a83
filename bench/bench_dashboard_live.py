"""Live dashboards: a case's move → the new picture reaching 50 open dashboards, through the production arrangement.

Budget (issue 22): a live update reaches 50 open dashboards p99 <= 300 ms after the event's commit.

What it does (run alone: `.venv/bin/python bench/run.py dashboard_live`; needs PostgreSQL and Redis). The database,
servers and CPU accounting are bench/common.py's, percentiles bench/openloop.py's:
1. drops and creates the PostgreSQL database `linli_bench_dashboard_live`, migrates it and fills it in a subprocess
   (`python bench/bench_dashboard_live.py --populate`): one street with a grid tree (HQ → 2 workstations → 10
   units), the default hazard categories, OPEN_CASES open cases spread over the units (EVENT_CASES of them
   dispatched in unit u00, the ones the run moves), a report in the last hour for every fifth, and the street's
   admin with a signed-in session (the dashboards) and a bearer token (the moves);
2. starts gunicorn `linli.wsgi:application` (gthread) for the API and uvicorn `linli.asgi:application` for /ws/,
   both with the Redis channel layer (db 11) and PostgreSQL;
3. in this process (asyncio): opens DASHBOARDS WebSockets to `ws/dashboard/live/<grid>/` — 20 on the HQ, 15 on
   the west workstation, 15 on unit u00 (every one of them sees u00's cases) — and waits for each one's first
   picture; measures the baseline: a bare channel-layer `group_send` to a group of 50 channels through the same
   Redis, until the last of the 50 has received it (BASELINE_MESSAGES at 20/s);
4. steady phase: RATE moves/s for SECONDS seconds, one after the other (`POST /api/v1/cases/<id>/transitions`
   `{"to_status": "accepted"}`): the k-th move makes u00's "accepted" count base+k on every dashboard. Its latency
   to a dashboard is from the moment its POST starts (before the commit, so an upper bound) to the moment that
   dashboard receives a picture showing it; `latency_after_answer` counts from the POST's answer instead (after
   the commit: a lower bound, negative when the push beat the answer). The commit lies between the two;
5. burst phase: BURST moves back to back as fast as the API answers; how long after the last answer every
   dashboard shows the final count, and how many pictures each dashboard received (coalescing: fewer than moves);
6. stops the servers, drops the database and flushes Redis db 10 (try/finally).

Environment: LINLI_BENCH_PG_URL, LINLI_BENCH_DASHBOARD_REDIS_URL (default redis://127.0.0.1:6379/10),
LINLI_BENCH_DASHBOARD_RATE (default 5), LINLI_BENCH_DASHBOARD_SECONDS (default 20), LINLI_BENCH_DASHBOARD_KEEP=1.
"""

from __future__ import annotations

import asyncio
import json
import os
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

DB_NAME = "linli_bench_dashboard_live"
DB = common.Database(DB_NAME)
STREET = "bench-dashboard"

RATE = float(os.environ.get("LINLI_BENCH_DASHBOARD_RATE", "5"))
SECONDS = float(os.environ.get("LINLI_BENCH_DASHBOARD_SECONDS", "20"))
BURST = 50
DASHBOARDS = {"hq": 20, "w0": 15, "u00": 15}
OPEN_CASES = 600
EVENT_CASES = int(RATE * SECONDS) + BURST + 10
BASELINE_MESSAGES = 200
PUSH_WAIT_S = 5.0
GUNICORN_WORKERS, GUNICORN_THREADS = 2, 4
BUDGET_P99_MS = 300

LAT0, LAT1, LNG0, LNG1 = 31.200, 31.220, 121.400, 121.430
UNITS_PER_WS = 5


def _redis_url() -> str:
    return os.environ.get("LINLI_BENCH_DASHBOARD_REDIS_URL", "redis://127.0.0.1:6379/10")


def _layer_host() -> dict:
    return {"address": _redis_url(), "socket_timeout": 30, "socket_connect_timeout": 5}


def populate_main() -> None:
    """Runs in a subprocess with the bench's Django settings: street, grids, cases, the admin's session and token."""
    import django

    django.setup()
    import random
    from datetime import timedelta

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction
    from django.utils import timezone

    from linli.cases.models import Case, CaseStatus, Report
    from linli.cases.services.reports import categories_default_create
    from linli.core.auth import token_digest
    from linli.core.models import ApiToken, Grid, Role, RoleAssignment, Street, User

    def square(lat0: float, lng0: float, lat1: float, lng1: float) -> dict:
        ring = [[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]
        return {"type": "Polygon", "coordinates": [ring]}

    def grid(ext: str, level: str, box: tuple[float, float, float, float], parent: Grid | None) -> Grid:
        return Grid.objects.create(
            street=street, external_id=ext, name=f"网格 {ext}", level=level, parent=parent, geometry=square(*box),
            min_lat=box[0], min_lng=box[1], max_lat=box[2], max_lng=box[3],
        )  # fmt: skip

    rng = random.Random(22)
    now = timezone.now()
    out: dict = {"grids": {}}
    with transaction.atomic():
        street = Street.objects.create(
            code=STREET, name="压测街道", center_lat=(LAT0 + LAT1) / 2, center_lng=(LNG0 + LNG1) / 2
        )
        categories = categories_default_create(street=street)
        hq = grid("hq", "hq", (LAT0, LNG0, LAT1, LNG1), None)
        mid = (LNG0 + LNG1) / 2
        stations = [
            grid("w0", "workstation", (LAT0, LNG0, LAT1, mid), hq),
            grid("w1", "workstation", (LAT0, mid, LAT1, LNG1), hq),
        ]
        out["grids"] = {"hq": hq.pk, "w0": stations[0].pk}
        units = []
        step = (LAT1 - LAT0) / UNITS_PER_WS
        for w, (g0, g1) in enumerate(((LNG0, mid), (mid, LNG1))):
            for u in range(UNITS_PER_WS):
                box = (LAT0 + step * u, g0, LAT0 + step * (u + 1), g1)
                units.append((grid(f"u{w}{u}", "unit", box, stations[w]), box))
        out["grids"]["u00"] = units[0][0].pk

        def case(unit: Grid, box: tuple, status: str) -> Case:
            created = now - timedelta(hours=rng.uniform(0.1, 72))
            category = rng.choice(categories)
            return Case(
                street=street, category=category, status=status, grid=unit,
                lat=rng.uniform(box[0], box[2]), lng=rng.uniform(box[1], box[3]), created_at=created, updated_at=created,
                resolution_due_at=created + timedelta(minutes=category.resolution_minutes), reports_count=1,
            )  # fmt: skip

        statuses = [
            CaseStatus.NEW,
            CaseStatus.DISPATCHED,
            CaseStatus.ACCEPTED,
            CaseStatus.IN_PROGRESS,
            CaseStatus.RESOLVED,
        ]
        rows = [case(*units[i % len(units)], rng.choice(statuses)) for i in range(OPEN_CASES)]
        movers = [case(*units[0], CaseStatus.DISPATCHED) for _ in range(EVENT_CASES)]
        Case.objects.bulk_create(rows + movers)
        Report.objects.bulk_create(
            Report(street=street, case=c, category=c.category, token=str(uuid.uuid4()), lat=c.lat, lng=c.lng,
                   created_at=now - timedelta(minutes=rng.uniform(0, 59)))
            for c in rows[::5]
        )  # fmt: skip
        out["cases"] = [c.pk for c in movers]
        admin = User.objects.create(phone="+8613900000001", display_name="指挥部", password="!")
        RoleAssignment.objects.create(user=admin, street=street, role=Role.ADMIN)
        session = SessionStore()
        session[SESSION_KEY] = str(admin.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = admin.get_session_auth_hash()
        session.create()
        out["session"] = session.session_key
        raw = f"llb_dash_{secrets.token_urlsafe(24)}"
        ApiToken.objects.create(user=admin, name="bench", prefix=raw[:8], digest=token_digest(raw))
        out["token"] = raw
    print(json.dumps(out))


# ------------------------------------------------------------------------------------------ measurement


async def _baseline_fanout() -> dict:
    """A bare group_send to a group of 50 channels through the same Redis, until the last one received it."""
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[_layer_host()])
    n = sum(DASHBOARDS.values())
    channels = [await layer.new_channel() for _ in range(n)]
    group = f"bench.baseline.{uuid.uuid4().hex[:8]}"
    for ch in channels:
        await layer.group_add(group, ch)
    lat: list[float] = []
    try:
        for i in range(BASELINE_MESSAGES):
            t0 = time.perf_counter()
            await layer.group_send(group, {"type": "bench.ping", "i": i})
            await asyncio.gather(*(layer.receive(ch) for ch in channels))
            lat.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(max(0.0, 1 / 20 - (time.perf_counter() - t0)))
    finally:
        for ch in channels:
            await layer.group_discard(group, ch)
        await layer.close_pools()
    return openloop.percentiles(lat)


async def _load(api: str, ws_base: str, origin: str, data: dict, meter: common.CpuMeter) -> dict:
    import httpx
    import websockets

    # Per dashboard: the times at which each "accepted" count of unit u00's subtree was first shown.
    seen: list[dict[int, float]] = []
    pictures: list[int] = []
    base: list[int] = []
    first_picture = [asyncio.get_running_loop().create_future() for _ in range(sum(DASHBOARDS.values()))]

    async def listen(i: int, ws: object) -> None:
        async for raw in ws:  # type: ignore[attr-defined]
            now = time.perf_counter()
            msg = json.loads(raw)
            if msg.get("type") != "live":
                continue
            pictures[i] += 1
            count = msg["picture"]["cases"]["by_status"]["accepted"]
            if not first_picture[i].done():
                first_picture[i].set_result(count)
            seen[i].setdefault(count, now)

    sockets, listeners = [], []
    index = 0
    for name, n in DASHBOARDS.items():
        for _ in range(n):
            ws = await websockets.connect(
                f"{ws_base}/ws/dashboard/live/{data['grids'][name]}/",
                additional_headers={"Cookie": f"sessionid={data['session']}", "Origin": origin},
                open_timeout=20,
                ping_interval=None,
            )
            seen.append({})
            pictures.append(0)
            sockets.append(ws)
            listeners.append(asyncio.create_task(listen(index, ws)))
            index += 1
    for fut in first_picture:  # the HQ, the workstation and the unit count different "accepted" totals (the rest of
        base.append(await asyncio.wait_for(fut, timeout=30))  # their subtrees): each dashboard's own base

    baseline = await _baseline_fanout()
    cases = list(data["cases"])
    headers = {"Authorization": f"Bearer {data['token']}", "Content-Type": "application/json"}
    body = json.dumps({"to_status": "accepted"})
    statuses: dict[str, int] = {}
    moves: list[tuple[float, float]] = []  # (POST start, answer) per move, in commit order

    async with httpx.AsyncClient(base_url=api, timeout=30) as client:

        async def move() -> None:
            case_id = cases.pop(0)
            t0 = time.perf_counter()
            resp = await client.post(f"/api/v1/cases/{case_id}/transitions", content=body, headers=headers)
            moves.append((t0, time.perf_counter()))
            statuses[str(resp.status_code)] = statuses.get(str(resp.status_code), 0) + 1

        for _ in range(3):  # warm-up: the first request of each gunicorn thread, outside the figures
            await client.get("/api/v1/ping")
        await asyncio.sleep(1.0)
        steady_from = len(moves)
        await asyncio.to_thread(meter.start)
        n_steady = int(RATE * SECONDS)
        start = time.perf_counter()
        for k in range(n_steady):  # one after the other on a fixed schedule (a move takes far less than 1/RATE)
            await asyncio.sleep(max(0.0, start + k / RATE - time.perf_counter()))
            await move()
        cpu = await asyncio.to_thread(meter.done, n_steady, "move")
        await asyncio.sleep(1.0)
        burst_from = len(moves)
        for _ in range(BURST):
            await move()
        burst_last_answer = moves[-1][1]

    deadline = time.perf_counter() + PUSH_WAIT_S
    final = len(moves)
    while time.perf_counter() < deadline and not all(final + base[i] in seen[i] for i in range(len(sockets))):
        await asyncio.sleep(0.05)
    for task in listeners:
        task.cancel()
    for ws in sockets:
        await ws.close()

    def shown_at(i: int, k: int) -> float | None:
        """When dashboard i first showed the k-th move (1-based), through a picture with that count or more."""
        times = [t for count, t in seen[i].items() if count >= base[i] + k]
        return min(times) if times else None

    latencies, after_answer, missed = [], [], 0
    for k in range(steady_from + 1, steady_from + n_steady + 1):
        t0, answered = moves[k - 1]
        for i in range(len(sockets)):
            at = shown_at(i, k)
            if at is None:
                missed += 1
                continue
            latencies.append((at - t0) * 1000)
            after_answer.append((at - answered) * 1000)
    burst_done = [shown_at(i, final) for i in range(len(sockets))]
    burst_pictures = [pictures[i] for i in range(len(sockets))]
    return {
        "dashboards": len(sockets),
        "dashboards_by_grid": DASHBOARDS,
        "statuses": statuses,
        "steady": {
            "moves": n_steady,
            "rate_per_s": RATE,
            "deliveries_expected": n_steady * len(sockets),
            "deliveries_missed": missed,
            "latency_from_post_start": openloop.percentiles(latencies),
            "latency_after_answer": openloop.percentiles(after_answer),
            "post_response": openloop.percentiles([(b - a) * 1000 for a, b in moves[steady_from:burst_from]]),
            "cpu": cpu,
        },
        "burst": {
            "moves": BURST,
            "duration_ms": round((burst_last_answer - moves[burst_from][0]) * 1000, 1),
            "every_dashboard_final_after_last_answer_ms": (
                round((max(burst_done) - burst_last_answer) * 1000, 1) if all(burst_done) else None  # type: ignore[type-var]
            ),
            "dashboards_not_final": sum(1 for t in burst_done if t is None),
            "pictures_per_dashboard_whole_run": openloop.percentiles([float(p) for p in burst_pictures]),
            "moves_whole_run": final,
        },
        "baseline_group_send_to_50_channels": baseline,
    }


# ------------------------------------------------------------------------------------------ run


def run() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="linli-bench-dashboard-"))
    env = common.django_env(tmp, DB, redis=_redis_url(), extra={"LINLI_SMS_BACKEND": "linli.core.sms.OutboxSmsBackend"})
    keep = os.environ.get("LINLI_BENCH_DASHBOARD_KEEP") == "1"
    procs: list[common.Proc] = []
    result: dict = {
        "bench": "dashboard_live",
        "budget": {"update_p99_ms_after_commit": BUDGET_P99_MS, "dashboards": sum(DASHBOARDS.values())},
        "arrangement": {
            "api": f"gunicorn gthread {GUNICORN_WORKERS}x{GUNICORN_THREADS} (linli.wsgi)",
            "ws": "uvicorn linli.asgi (1 process)",
            "channel_layer": "channels_redis (Redis db 10)",
            "database": "PostgreSQL",
            "open_cases": OPEN_CASES + EVENT_CASES,
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
        ws_base = f"ws://127.0.0.1:{uvicorn.port}"
        result.update(asyncio.run(_load(gunicorn.base, ws_base, gunicorn.base, data, meter)))
        p99 = result["steady"]["latency_from_post_start"].get("p99_ms")
        result["within_budget"] = bool(
            p99 is not None
            and p99 <= BUDGET_P99_MS
            and result["steady"]["deliveries_missed"] == 0
            and result["burst"]["dashboards_not_final"] == 0
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
