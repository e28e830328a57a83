"""Booking storm: 200 concurrent clients booking through the production arrangement (gunicorn gthread).

Budget (DESIGN.md): 0 overbookings, every request answered; >= 800 confirmed bookings/s and >= 0.12 of the same
server's trivial endpoint (`GET /api/v1/ping`) in the same run; p99 <= 200 ms at 50 clients.

What it does (run alone: `.venv/bin/python bench/run.py booking_storm`; needs `wrk`, PostgreSQL, Redis):
1. drops and creates the PostgreSQL database `linli_bench_storm`, migrates it (`linli migrate` in a subprocess)
   and fills it in a second subprocess (`python bench/bench_booking_storm.py --populate`): one street
   (booking_limit 1000), one venue, the activities below, 20,000 users with one bearer token each (raw tokens
   go to a temporary file, one a line, for the load generator);
2. for each gunicorn arrangement in CONFIGS (workers x threads): starts gunicorn `linli.wsgi:application`
   (gthread, CONN_MAX_AGE=600, DEBUG off, Redis db 13), then a short probe: ping and 5 s of bookings on an
   activity of its own; the arrangement with the most confirmed bookings/s in the probe wins;
3. with the winner (restarted): warm-up, the ping baseline at 200 clients, phase A (capacity 3,000, waitlist
   200: confirmed, then waitlisted, then `activity_full`; until every user has tried once or 30 s), the edge
   phase (300 seats, 50 waitlist places, 1,000 users: always runs past full, even on a busy machine where
   phase A does not reach 3,000), phase B (unlimited seats; every user once or 20 s), all at 200 clients, then
   50 clients on another unlimited activity for the p99 figure;
4. after each phase checks the database: confirmed rows == `booked` <= capacity, waitlisted rows ==
   `waitlisted` <= waitlist capacity, no person with two live bookings; the client's 201/409 counts are
   compared with the rows;
5. the floor of the machine in the same run: a WSGI app that does nothing (bench/loadgen/bare_wsgi.py) and a bare
   Django view without middleware or database (bench/loadgen/bare_django.py), each under the same gunicorn
   arrangement, pinged by the same wrk at 200 clients;
6. stops gunicorn, drops the database and flushes Redis db 13 (try/finally).

The load generator is wrk (C, one event loop per thread) with bench/loadgen/storm.lua. It shares the 2 cores
with gunicorn and PostgreSQL, which is why every figure sits beside the ping baseline of the same run.

Environment: LINLI_BENCH_PG_URL (server URL, default postgres://postgres@127.0.0.1:5432/postgres),
LINLI_BENCH_REDIS_URL (default redis://127.0.0.1:6379/13), LINLI_BENCH_STORM_CONFIGS (default "2x8,3x4"),
LINLI_BENCH_STORM_USERS (default 20000), LINLI_BENCH_STORM_KEEP=1 (keep the database and the gunicorn log).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:  # bench/common.py
    sys.path.insert(0, str(BENCH_DIR))
import common  # noqa: E402

LUA = BENCH_DIR / "loadgen" / "storm.lua"
DB_NAME = "linli_bench_storm"

N_USERS = int(os.environ.get("LINLI_BENCH_STORM_USERS", "20000"))
CAPACITY = 3000
WAITLIST = 200
CLIENTS = 200
CLIENTS_LATENCY = 50
WRK_THREADS = common.WRK_THREADS
PHASE_A_SECONDS = 30
PHASE_SECONDS = 20
EDGE_CAPACITY, EDGE_WAITLIST, EDGE_USERS = 300, 50, 1000
LATENCY_SECONDS = 10
PING_SECONDS = 8
PROBE_SECONDS = 4
FLOOR_SECONDS = 5
WARMUP_SECONDS = 2
CONFIGS = os.environ.get("LINLI_BENCH_STORM_CONFIGS", "2x8,3x4")

BUDGET_MIN_BOOKINGS_PER_S = 800
BUDGET_MIN_RATIO = 0.12
BUDGET_P99_MS_AT_50 = 200

PING_PATH = common.PING_PATH
FALLBACK_PING_PATH = "/api/v1/streets"  # before /api/v1/ping existed
LIVE = ("confirmed", "waitlisted", "checked_in")


# ------------------------------------------------------------------------------------------ plumbing
# The database, server, CPU accounting and wrk runs are bench/common.py's, pointed at this bench's database and
# Lua script.

DB = common.Database(DB_NAME)
Server = common.Server


def wrk(server: Server, mode: str, path: str, clients: int, seconds: float, tokens_file: Path | None = None) -> dict:
    """One wrk run with bench/loadgen/storm.lua; in "book" mode it ends when every thread has used its tokens."""
    return common.wrk(server, mode, path, clients, seconds, tokens_file, lua=LUA, db=DB, threads=WRK_THREADS)


def _populate(env: dict[str, str], tokens_file: Path, n_probe: int) -> dict:
    return common.populate(__file__, [str(tokens_file), str(N_USERS), str(n_probe)], env)


def populate_main(tokens_file: str, n_users: int, n_probe: int) -> None:
    """Runs in a subprocess (its own Django settings): street, venue, activities, users and tokens."""
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from linli.activities.models import Activity
    from linli.core.auth import token_digest
    from linli.core.geo import h3_cell
    from linli.core.models import ApiToken, Street, User
    from linli.places.models import Place

    now = timezone.now()
    start = now + dt.timedelta(days=30)
    with transaction.atomic():
        street = Street.objects.create(code="bench-storm", name="压测街道", booking_limit=1000)
        lat, lng = 31.2304, 121.4737
        place = Place.objects.create(
            street=street,
            external_id="bench-venue",
            name="压测党群服务中心",
            kind="party_service_center",
            address="某路1号",
            lat=lat,
            lng=lng,
            h3_cell=h3_cell(lat, lng),
        )

        def activity(key: str, capacity: int | None, waitlist: int) -> int:
            fields = {
                "street": street,
                "place": place,
                "title": f"压测活动 {key}",
                "start": start,
                "end": start + dt.timedelta(hours=2),
                "capacity": capacity,
                "waitlist_capacity": waitlist,
                "status": "published",
            }
            # Plain ORM: activity_create() wants a staff actor; these rows are what it would write.
            return Activity.objects.create(external_id=f"bench-{key}", **fields).pk

        ids = {
            "capacity_3000": activity("A", CAPACITY, WAITLIST),
            "capacity_edge": activity("E", EDGE_CAPACITY, EDGE_WAITLIST),
            "unlimited": activity("B", None, WAITLIST),
            "latency_50": activity("C", None, WAITLIST),
            "warmup": activity("W", None, WAITLIST),
            "probes": [activity(f"P{i}", None, WAITLIST) for i in range(n_probe)],
        }

        users = User.objects.bulk_create(
            [
                User(phone=f"+86139{i:08d}", display_name=f"居民{i}", password="!", home_street=street)
                for i in range(n_users)
            ],
            batch_size=5000,
        )
        raws = [f"llb_{i}_{secrets.token_urlsafe(24)}" for i in range(n_users)]
        ApiToken.objects.bulk_create(
            [
                ApiToken(user=u, name="bench", prefix=raw[:8], digest=token_digest(raw), last_used_at=now)
                for u, raw in zip(users, raws, strict=True)
            ],
            batch_size=5000,
        )
    Path(tokens_file).write_text("\n".join(raws) + "\n", encoding="utf-8")
    print(json.dumps(ids))


# ------------------------------------------------------------------------------------------ checks


def verify(activity_id: int, load: dict) -> dict:
    """The database's account of one phase, and its agreement with the client's counts."""
    DB.drain()
    activity_rows, status_rows, dup_rows, span_rows = DB.snapshot(
        [
            (
                "SELECT capacity, waitlist_capacity, booked, waitlisted FROM activities_activity WHERE id = %s",
                (activity_id,),
            ),
            ("SELECT status, count(*) FROM activities_booking WHERE activity_id = %s GROUP BY status", (activity_id,)),
            (
                "SELECT count(*) FROM (SELECT user_id FROM activities_booking WHERE activity_id = %s "
                "AND status = ANY(%s) GROUP BY user_id HAVING count(*) > 1) d",
                (activity_id, list(LIVE)),
            ),
            (
                "SELECT extract(epoch FROM max(created_at) - min(created_at)) FROM activities_booking "
                "WHERE activity_id = %s AND status = 'confirmed'",
                (activity_id,),
            ),
        ]
    )
    cap, wl_cap, booked, waitlisted = activity_rows[0]
    rows = dict(status_rows)
    duplicates = dup_rows[0][0]
    span = span_rows[0][0]
    confirmed, wl_rows = rows.get("confirmed", 0), rows.get("waitlisted", 0)
    created_201 = load["statuses"].get("201", 0)
    # Every answer that is neither a 201 nor a 5xx is a refusal; the database says how many rows exist, so the
    # refusals are the answers minus the rows the client saw created (the rest were answered after wrk stopped).
    refusals = load["answered"] - created_201 - load["server_errors_5xx"]
    result = {
        "activity_id": activity_id,
        "capacity": cap,
        "waitlist_capacity": wl_cap,
        "confirmed_rows": confirmed,
        "waitlisted_rows": wl_rows,
        "other_rows": {k: v for k, v in rows.items() if k not in ("confirmed", "waitlisted")},
        "counter_booked": booked,
        "counter_waitlisted": waitlisted,
        "counters_match_rows": booked == confirmed and waitlisted == wl_rows,
        "reached_full": cap is not None and confirmed >= cap,
        "overbookings": max(0, confirmed - cap) if cap is not None else 0,
        "waitlist_overflow": max(0, wl_rows - wl_cap) if cap is not None else 0,
        "duplicate_live_bookings": duplicates,
        "rows_vs_client_201": confirmed + wl_rows - created_201,  # >= 0: rows of requests wrk stopped waiting for
        "refused_409_or_4xx": refusals,
        "confirmed_span_s": round(float(span), 3) if span else None,
        "confirmed_per_s_server_span": round(confirmed / float(span), 1) if span else None,
        "confirmed_per_s": round(confirmed / load["duration_s"], 1) if load["duration_s"] else 0.0,
    }
    result["ok"] = (
        result["overbookings"] == 0
        and result["waitlist_overflow"] == 0
        and duplicates == 0
        and result["counters_match_rows"]
        and 0 <= result["rows_vs_client_201"] <= load["in_flight_at_stop"]
        and load["unanswered"] == 0
    )
    return result


def _phase(server: Server, path_for, activity_id: int, clients: int, seconds: float, tokens: Path) -> dict:
    load = wrk(server, "book", path_for(activity_id), clients, seconds, tokens)
    return {**load, "db": verify(activity_id, load)}


# ------------------------------------------------------------------------------------------ run


def _parse_configs() -> list[tuple[int, int]]:
    out = []
    for item in CONFIGS.split(","):
        w, t = item.lower().strip().split("x")
        out.append((int(w), int(t)))
    return out


def _budgets(overbookings: int, unanswered: int, phases: tuple, bookings_per_s: float, cpu_per_booking: float | None,
             lat: dict, floor: dict) -> list[dict]:  # fmt: skip
    """DESIGN.md's booking-storm budgets, each against the bare Django view of the same run (issue 23)."""
    bare = {"bare_django_rps": floor["rps"], "bare_django_cpu_ms_per_request": floor["cpu_ms_per_request"]}
    rate = round(bookings_per_s / floor["rps"], 3) if floor["rps"] else None
    cpu = (
        round(cpu_per_booking / floor["cpu_ms_per_request"], 2)
        if cpu_per_booking and floor["cpu_ms_per_request"]
        else None
    )
    return [
        common.budget("overbookings", overbookings, 0),
        common.budget("unanswered requests", unanswered, 0),
        common.budget("database checks failed (counters = rows)", sum(not p["db"]["ok"] for p in phases), 0),
        common.budget("confirmed bookings/s ÷ bare Django rps", rate, 0.2, at_most=False, baseline=bare),
        common.budget("server CPU per booking (gunicorn + PostgreSQL) ÷ bare Django's", cpu, 4, baseline=bare),
        common.budget("p99 at 50 clients", lat["p99_ms"], 200, unit=" ms"),
    ]


def run() -> dict:
    common.require_wrk("bench_booking_storm")
    configs = _parse_configs()
    tmp = Path(tempfile.mkdtemp(prefix="linli-storm-"))
    tokens = tmp / "tokens.txt"
    log = tmp / "gunicorn.log"
    keep = os.environ.get("LINLI_BENCH_STORM_KEEP") == "1"
    env = common.django_env(tmp, DB)
    server: Server | None = None
    started = time.monotonic()
    try:
        DB.create()
        common.redis_flush()
        common.migrate(env)
        ids = _populate(env, tokens, len(configs))
        setup_s = round(time.monotonic() - started, 1)

        def path_for(activity_id: int) -> str:
            return f"/api/v1/activities/{activity_id}/bookings"

        # Probe every arrangement briefly; keep the best (most confirmed bookings/s).
        probes = []
        ping_path = PING_PATH
        for (workers, threads), probe_id in zip(configs, ids["probes"], strict=True):
            server = Server(env, workers, threads, log)
            if server.wait_ready(PING_PATH) == 404:
                ping_path = FALLBACK_PING_PATH
            wrk(server, "ping", ping_path, CLIENTS, 2)  # warm the workers
            ping = wrk(server, "ping", ping_path, CLIENTS, PROBE_SECONDS)
            book = _phase(server, path_for, probe_id, CLIENTS, PROBE_SECONDS, tokens)
            probes.append(
                {
                    "workers": workers,
                    "threads": threads,
                    "ping_rps": ping["rps"],
                    "booking_rps": book["rps"],
                    "confirmed_per_s": book["db"]["confirmed_per_s"],
                    "p99_ms": book["p99_ms"],
                    "statuses": book["statuses"],
                }
            )
            server.stop()
            server = None
        best = max(probes, key=lambda p: p["confirmed_per_s"])

        server = Server(env, best["workers"], best["threads"], log)
        server.wait_ready(ping_path)
        wrk(server, "ping", ping_path, CLIENTS, WARMUP_SECONDS)
        wrk(server, "book", path_for(ids["warmup"]), CLIENTS, WARMUP_SECONDS, tokens)
        ping = wrk(server, "ping", ping_path, CLIENTS, PING_SECONDS)
        phase_a = _phase(server, path_for, ids["capacity_3000"], CLIENTS, PHASE_A_SECONDS, tokens)
        # Phase A crosses its 3,000 seats only above ~110 bookings/s; this one always runs past full (and past
        # its waitlist), so the overbooking check meets the capacity edge on a slow or busy machine too.
        edge_tokens = tmp / "tokens_edge.txt"
        edge_tokens.write_text("".join(tokens.read_text().splitlines(keepends=True)[:EDGE_USERS]))
        phase_edge = _phase(server, path_for, ids["capacity_edge"], CLIENTS, PHASE_SECONDS, edge_tokens)
        phase_b = _phase(server, path_for, ids["unlimited"], CLIENTS, PHASE_SECONDS, tokens)
        lat = _phase(server, path_for, ids["latency_50"], CLIENTS_LATENCY, LATENCY_SECONDS, tokens)
        server.stop()
        server = None

        # The floor of this machine in the same run: a WSGI app that does nothing and a bare Django view (no
        # middleware, no database), same gunicorn arrangement, same wrk, same 200 clients.
        floors = {}
        for name, app in (("bare_wsgi", "bare_wsgi:application"), ("bare_django", "bare_django:application")):
            server = Server(env, best["workers"], best["threads"], log, app=app)
            server.wait_ready(PING_PATH)
            wrk(server, "ping", PING_PATH, CLIENTS, WARMUP_SECONDS)
            floor = wrk(server, "ping", PING_PATH, CLIENTS, FLOOR_SECONDS)
            server.stop()
            server = None
            floors[name] = {
                "rps": floor["rps"],
                "p99_ms": floor["p99_ms"],
                "statuses": floor["statuses"],
                "cpu_ms_per_request": floor["cpu"].get("gunicorn_ms_per_request"),
                "wrk_ms_per_request": floor["cpu"].get("wrk_ms_per_request"),
            }

        phases = (phase_a, phase_edge, phase_b, lat)
        overbookings = sum(p["db"]["overbookings"] for p in phases)
        unanswered = sum(p["unanswered"] for p in phases) + ping["unanswered"]
        bookings_per_s = phase_b["db"]["confirmed_per_s"]
        ratio = bookings_per_s / ping["rps"] if ping["rps"] else 0.0
        gunicorn_5xx_lines = common.gunicorn_5xx_lines(log)
        result = {
            "bench": "booking_storm",
            "server": {
                "kind": "gunicorn gthread",
                "workers": best["workers"],
                "threads": best["threads"],
                "conn_max_age": 600,
                "tried": probes,
            },
            "load_generator": f"wrk {WRK_THREADS} threads, same machine (shares the 2 cores)",
            "users": N_USERS,
            "setup_s": setup_s,
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
            "baseline_path": ping_path,
            "ping": {
                "rps": ping["rps"],
                "p50_ms": ping["p50_ms"],
                "p99_ms": ping["p99_ms"],
                "clients": CLIENTS,
                "statuses": ping["statuses"],
            },
            "phase_capacity_3000": phase_a,
            "phase_capacity_edge_300": phase_edge,
            "phase_unlimited": phase_b,
            "latency_50_clients": lat,
            "overbookings": overbookings,
            "unanswered": unanswered,
            "gunicorn_log_5xx_lines": gunicorn_5xx_lines,
            "db_checks_ok": all(p["db"]["ok"] for p in phases),
            "bookings_per_s": bookings_per_s,
            "ratio_booking_to_ping": round(ratio, 3),
            # Load-independent: server CPU (gunicorn + PostgreSQL) per request, and the same ratio computed from it.
            "cpu_ms_per_ping": ping["cpu"].get("server_ms_per_request"),
            "cpu_ms_per_booking": phase_b["cpu"].get("server_ms_per_request"),
            "ratio_booking_to_ping_cpu": round(
                ping["cpu"]["server_ms_per_request"] / phase_b["cpu"]["server_ms_per_request"], 3
            )
            if ping["cpu"].get("server_ms_per_request") and phase_b["cpu"].get("server_ms_per_request")
            else None,
            "ratio_requests_capacity_phase_to_ping": round(phase_a["rps"] / ping["rps"], 3) if ping["rps"] else 0.0,
            "floor": floors,
            "ratio_booking_to_bare_django": round(bookings_per_s / floors["bare_django"]["rps"], 3)
            if floors["bare_django"]["rps"]
            else None,
            "budgets": _budgets(
                overbookings,
                unanswered,
                phases,
                bookings_per_s,
                phase_b["cpu"].get("server_ms_per_request"),
                lat,
                floors["bare_django"],
            ),  # fmt: skip
            "budget": {
                "min_bookings_per_s": BUDGET_MIN_BOOKINGS_PER_S,
                "min_ratio": BUDGET_MIN_RATIO,
                "p99_ms_at_50": BUDGET_P99_MS_AT_50,
                "met": overbookings == 0
                and unanswered == 0
                and all(p["db"]["ok"] for p in phases)
                and bookings_per_s >= BUDGET_MIN_BOOKINGS_PER_S
                and ratio >= BUDGET_MIN_RATIO
                and lat["p99_ms"] <= BUDGET_P99_MS_AT_50,
            },
            "total_s": round(time.monotonic() - started, 1),
        }
        if keep:
            result["kept"] = {"database": DB.url, "gunicorn_log": str(log), "tokens": str(tokens)}
        return result
    finally:
        if server is not None:
            server.stop()
        if not keep:
            DB.drop()
            common.redis_flush()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--populate":
        populate_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.path.insert(0, str(ROOT / "src"))
        print(json.dumps(run(), indent=2, ensure_ascii=False))
