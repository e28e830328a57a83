"""Care calls: a call device's emergency call → the push on every on-duty responder's console, through the
production arrangement.

Budget (DESIGN.md): emergency call → every on-duty responder's console: p99 <= 300 ms at 20 calls/s.

What it does (run alone: `.venv/bin/python bench/run.py care_calls`; needs PostgreSQL and Redis), modelled on
bench_dispatch.py (database, servers and CPU accounting are bench/common.py's, the open-loop schedule and
percentiles bench/openloop.py's):
1. drops and creates the PostgreSQL database `linli_bench_care`, migrates it and fills it in a subprocess
   (`python bench/bench_care_calls.py --populate`): one street with COMMITTEES committees, RESPONDERS responders
   per committee (social workers with a signed-in session) on duty around the clock, PEOPLE registered people
   spread over the committees, each with a call device (its token);
2. starts gunicorn `linli.wsgi:application` (gthread) for the API and uvicorn `linli.asgi:application` for /ws/,
   with the Redis channel layer (db 11) and PostgreSQL;
3. connects every responder's console to `ws/care/<street>/` and waits for its "hello"; measures two baselines in
   the same run — a bare channel-layer `group_send` → receive through the same Redis, and `GET /api/v1/ping`
   (the project's trivial endpoint) at the calls' rate; then posts RATE calls/s for SECONDS seconds (open loop) to
   `POST /api/v1/care/calls` with a device's `X-Device-Token` and `kind: emergency`, each with its own note;
4. for each call, the latency from the moment its POST starts to the moment each on-duty responder of its
   committee receives the `care.call` "created" push (matched by the note); a push to a responder of another
   committee, or a call that misses a responder, is counted;
5. stops the servers and drops the database. Redis is shared with other work, so nothing is flushed: the channel
   layer's group memberships of closed sockets expire by themselves.

Environment: LINLI_BENCH_PG_URL, LINLI_BENCH_CARE_REDIS_URL (default redis://127.0.0.1:6379/11; not 12 or 13,
which other benchmarks flush), LINLI_BENCH_CARE_RATE (default 20), LINLI_BENCH_CARE_SECONDS (default 15),
LINLI_BENCH_CARE_KEEP=1 (keep the database and the server logs).
"""

from __future__ import annotations

import asyncio
import json
import os
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

DB = common.Database("linli_bench_care")
STREET = "bench-care"
RATE = float(os.environ.get("LINLI_BENCH_CARE_RATE", "20"))
SECONDS = float(os.environ.get("LINLI_BENCH_CARE_SECONDS", "15"))
COMMITTEES = 5
RESPONDERS = 3  # per committee, all on duty
PEOPLE = 100  # with a call device each (a device may call 20 times in 10 minutes)
BASELINE_MESSAGES = 200
WARMUP_CALLS = 10
PUSH_WAIT_S = 5.0
GUNICORN_WORKERS, GUNICORN_THREADS = 2, 4
BUDGET_P99_MS = 300


def _redis_url() -> str:
    return os.environ.get("LINLI_BENCH_CARE_REDIS_URL", "redis://127.0.0.1:6379/11")


def populate_main() -> None:
    """Runs in a subprocess with the bench's Django settings: street, committees, rota, people, devices, sessions."""
    import django

    django.setup()
    from datetime import time as dtime

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction

    from linli.care.services import register, rota
    from linli.core.models import Committee, Compound, Role, RoleAssignment, Street, User

    out: dict = {"responders": [], "devices": []}
    with transaction.atomic():
        street = Street.objects.create(code=STREET, name="压测关爱街道", center_lat=31.21, center_lng=121.41)
        lead = User.objects.create(phone="+8613500000000", display_name="负责人", password="!")
        RoleAssignment.objects.create(user=lead, street=street, role=Role.CARE_LEAD)
        committees = []
        n = 0
        for c in range(COMMITTEES):
            committee = Committee.objects.create(street=street, external_id=f"c{c}", name=f"居委{c}")
            committees.append(committee)
            Compound.objects.create(
                street=street, external_id=f"x{c}", name=f"小区{c}", committee=committee,
                geometry={"type": "Point", "coordinates": [121.41 + c * 0.002, 31.21]}, lat=31.21, lng=121.41 + c * 0.002,
            )  # fmt: skip
            for _ in range(RESPONDERS):
                n += 1
                user = User.objects.create(phone=f"+86135{n:08d}", display_name=f"社工{n}", password="!")
                RoleAssignment.objects.create(user=user, street=street, role=Role.SOCIAL_WORKER)
                for day in range(7):
                    rota.shift_add(
                        actor=None, committee=committee, user=user, weekday=day, start=dtime(0), end=dtime(0)
                    )
                session = SessionStore()
                session[SESSION_KEY] = str(user.pk)
                session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
                session[HASH_SESSION_KEY] = user.get_session_auth_hash()
                session.create()
                out["responders"].append({"committee": c, "session": session.session_key})
        for i in range(PEOPLE):
            c = i % COMMITTEES
            committee = committees[c]
            person = register.person_register(
                actor=lead, committee=committee, compound=committee.compounds.first(), building=f"{i % 9 + 1}号楼",
                name=f"老人{i}", groups=["living_alone"], consent_by=f"老人{i}",
                contacts=[{"kind": "family", "name": "家属", "phone": f"139{i:08d}"}],
            )  # fmt: skip
            _device, raw = register.device_create(actor=lead, person=person)
            out["devices"].append({"committee": c, "token": raw})
    print(json.dumps(out))


async def _baseline_channel_layer() -> dict:
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[{"address": _redis_url(), "socket_timeout": 30, "socket_connect_timeout": 5}])
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
        await layer.close_pools()
    return openloop.percentiles(lat)


async def _load(api: str, ws_url: str, data: dict, meter: common.CpuMeter) -> dict:
    import httpx
    import websockets

    n_calls = int(RATE * SECONDS)
    sent_at: dict[str, float] = {}
    committee_of: dict[str, int] = {}
    latencies: list[float] = []
    last_latencies: list[float] = []
    received: dict[str, set[int]] = {}
    wrong = 0
    responders = data["responders"]
    per_committee = {c: sum(1 for r in responders if r["committee"] == c) for c in range(COMMITTEES)}

    async def listen(index: int, ws: object, committee: int) -> None:
        nonlocal wrong
        async for raw in ws:  # type: ignore[attr-defined]
            now = time.perf_counter()
            msg = json.loads(raw)
            if msg.get("type") != "care.call" or msg.get("event") != "created":
                continue
            note = (msg.get("call") or {}).get("note", "")
            if note not in sent_at:
                continue
            if committee_of[note] != committee:
                wrong += 1
                continue
            got = received.setdefault(note, set())
            if index in got:
                continue
            got.add(index)
            ms = (now - sent_at[note]) * 1000
            latencies.append(ms)
            if len(got) == per_committee[committee]:
                last_latencies.append(ms)  # the call has reached every responder on duty

    sockets, listeners = [], []
    for i, r in enumerate(responders):
        ws = await websockets.connect(
            ws_url, additional_headers={"Cookie": f"sessionid={r['session']}", "Origin": api},
            open_timeout=20, ping_interval=None,
        )  # fmt: skip
        hello = json.loads(await asyncio.wait_for(ws.recv(), timeout=20))
        if hello.get("type") != "hello":
            raise RuntimeError(f"responder socket not subscribed: {hello}")
        sockets.append(ws)
        listeners.append(asyncio.create_task(listen(i, ws, r["committee"])))

    baseline = await _baseline_channel_layer()
    devices = data["devices"]
    post_ms: list[float] = []
    ping_ms: list[float] = []
    statuses: dict[str, int] = {}
    errors = 0
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=api, timeout=30, limits=limits) as client:

        async def ping(_i: int, _scheduled: float) -> None:
            t0 = time.perf_counter()
            await client.get(common.PING_PATH)
            ping_ms.append((time.perf_counter() - t0) * 1000)

        async def one(i: int, _scheduled: float) -> None:
            nonlocal errors
            device = devices[i % len(devices)]
            note = f"bench-{i}-{uuid.uuid4().hex[:6]}"
            committee_of[note] = device["committee"]
            t0 = time.perf_counter()
            sent_at[note] = t0
            try:
                resp = await client.post(
                    "/api/v1/care/calls", json={"kind": "emergency", "note": note},
                    headers={"X-Device-Token": device["token"]},
                )  # fmt: skip
                post_ms.append((time.perf_counter() - t0) * 1000)
                statuses[str(resp.status_code)] = statuses.get(str(resp.status_code), 0) + 1
            except httpx.HTTPError:
                errors += 1

        for j in range(WARMUP_CALLS):  # each gunicorn thread's first request; not recorded (notes unknown)
            await client.post("/api/v1/care/calls", json={"kind": "chat", "note": f"warm{j}"},
                              headers={"X-Device-Token": devices[-1 - j]["token"]})  # fmt: skip
            await client.get(common.PING_PATH)
        await asyncio.sleep(0.5)
        await openloop.open_loop(int(RATE * 5), RATE, ping)  # the trivial endpoint at the same rate, same run
        await asyncio.to_thread(meter.start)
        send_s, _ = await openloop.open_loop(n_calls, RATE, one)
    cpu = await asyncio.to_thread(meter.done, len(post_ms), "call")
    expected = sum(per_committee[committee_of[n]] for n in sent_at)
    deadline = time.perf_counter() + PUSH_WAIT_S
    while len(latencies) < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    for task in listeners:
        task.cancel()
    for ws in sockets:
        await ws.close()
    missed = sum(1 for n in sent_at if len(received.get(n, ())) < per_committee[committee_of[n]])
    push = openloop.percentiles(latencies)
    ping_p = openloop.percentiles(ping_ms)
    return {
        "calls_sent": n_calls,
        "send_duration_s": round(send_s, 2),
        "offered_rate_per_s": RATE,
        "statuses": statuses,
        "client_errors": errors,
        "responder_sockets": len(sockets),
        "pushes_expected": expected,
        "pushes_received": len(latencies),
        "calls_missing_a_push": missed,
        "pushes_to_a_wrong_committee": wrong,
        "push_latency": push,
        "push_latency_every_responder_reached": openloop.percentiles(last_latencies),
        "post_response": openloop.percentiles(post_ms),
        "baseline_ping": ping_p,
        "baseline_channel_layer_group_send_receive": baseline,
        "ratio_push_p99_to_ping_p99": round(push["p99_ms"] / ping_p["p99_ms"], 1) if ping_p.get("p99_ms") else None,
        "cpu": cpu,
    }


def run() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="linli-bench-care-"))
    env = common.django_env(tmp, DB, redis=_redis_url(), extra={"LINLI_SMS_BACKEND": "linli.core.sms.OutboxSmsBackend"})
    keep = os.environ.get("LINLI_BENCH_CARE_KEEP") == "1"
    procs: list[common.Proc] = []
    result: dict = {
        "bench": "care_calls",
        "budget": {"push_p99_ms": BUDGET_P99_MS, "rate_per_s": 20},
        "arrangement": {
            "api": f"gunicorn gthread {GUNICORN_WORKERS}x{GUNICORN_THREADS} (linli.wsgi)",
            "ws": "uvicorn linli.asgi (1 process)",
            "channel_layer": "channels_redis (Redis db 11)",
            "database": "PostgreSQL",
            "committees": COMMITTEES,
            "responders_per_committee": RESPONDERS,
            "devices": PEOPLE,
            "rate_per_s": RATE,
            "seconds": SECONDS,
        },
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
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
        ws_url = f"ws://127.0.0.1:{uvicorn.port}/ws/care/{STREET}/"
        result.update(asyncio.run(_load(gunicorn.base, ws_url, data, meter)))
        p99 = result["push_latency"].get("p99_ms")
        result["within_budget"] = bool(
            p99 is not None
            and p99 <= BUDGET_P99_MS
            and result["calls_missing_a_push"] == 0
            and result["pushes_to_a_wrong_committee"] == 0
        )
    finally:
        for p in procs:
            p.stop()
        if not keep:
            DB.drop()
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            result["kept"] = str(tmp)
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["--populate"]:
        sys.path.insert(0, str(ROOT / "src"))
        populate_main()
    else:
        print(json.dumps(run(), ensure_ascii=False, indent=2))
