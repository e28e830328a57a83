"""Affairs: slot search over a big street, and an appointment storm (issue 16).

Budget (the issue): slot search for a street with 200 items and 30 resources over 30 days p95 <= 50 ms; an
appointment storm (200 clients on 50 slots x 3 places, then unlimited places) with 0 overbookings, every
request answered, booking/ping >= 0.2 (the same server's `GET /api/v1/ping` in the same run).

What it does (run alone: `.venv/bin/python bench/bench_affairs.py`; needs `wrk`, PostgreSQL, Redis):
1. drops and creates the PostgreSQL database `linli_bench_affairs`, migrates it and fills it in a subprocess:
   one street, an affairs centre with 24 windows, 4 remote points, 2 door-to-door teams (30 resources), 200
   items (windows and remote), slot templates through the services (Mo-Fr 09:00-11:30,13:30-16:30, 30 min, 2
   places; a Saturday template for 20 items), slots for the next 30 days; the storm's 50 slots x 3 places and 50
   slots x 10,000 places; N users with a bearer token each;
2. starts gunicorn (gthread, 2 workers x 8 threads, CONN_MAX_AGE=600, DEBUG off);
3. slot search: 4 closed-loop clients (keep-alive) for 10 s, `GET /api/v1/affairs/slots?item=<one of 40>`,
   each answer the item's free slots of its whole 30-day window (hundreds of slots); p50/p95/p99; the ping in
   the same loop;
4. the storm with wrk (bench/loadgen/affairs.lua): ping at 200 clients, then phase A: 200 clients, every user
   books one of the 50 slots x 3 places (150 places: 150 booked, the rest `slot_full`), then phase B: every
   user books one of the 50 slots x 10,000 places (unlimited); after each phase the database is checked:
   `booked` == live rows <= places for every slot, no person with two live appointments for an item;
5. stops gunicorn, drops the database (try/finally).

Environment: LINLI_BENCH_PG_URL, LINLI_BENCH_REDIS_URL (default redis://127.0.0.1:6379/13: give another db
when others benchmark on the same Redis), LINLI_BENCH_DB_SUFFIX, LINLI_BENCH_AFFAIRS_USERS (default 6000).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))
import common  # noqa: E402
import openloop  # noqa: E402

LUA = BENCH_DIR / "loadgen" / "affairs.lua"
DB = common.Database("linli_bench_affairs")
N_USERS = int(os.environ.get("LINLI_BENCH_AFFAIRS_USERS", "6000"))
N_ITEMS, N_WINDOWS, N_REMOTE, N_HOME = 200, 24, 4, 2
STORM_SLOTS, STORM_PLACES, UNLIMITED_PLACES = 50, 3, 10_000
CLIENTS = 200
SEARCH_CLIENTS = 4
SEARCH_SECONDS = 10
PHASE_SECONDS = 25
PING_SECONDS = 6
WORKERS, THREADS = 2, 8
BUDGET_SEARCH_P95_MS = 50
BUDGET_MIN_RATIO = 0.2


def populate_main(tokens_file: str, n_users: int) -> None:
    """Runs in a subprocess (its own Django settings): the street, resources, templates, slots, users."""
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from linli.affairs.models import Item, Slot
    from linli.affairs.services import slots as slot_services
    from linli.affairs.services.defaults import street_defaults_create
    from linli.affairs.services.items import ItemValues, MaterialValues, item_upsert
    from linli.core.auth import token_digest
    from linli.core.geo import h3_cell
    from linli.core.models import ApiToken, Street, User
    from linli.places.models import Place

    now = timezone.now()
    with transaction.atomic():
        street = Street.objects.create(code="bench-affairs", name="压测街道")
        street_defaults_create(street)

        def place(key: str, kind: str) -> Place:
            lat, lng = 31.2304, 121.4737
            return Place.objects.create(
                street=street, external_id=key, name=f"压测{key}", kind=kind, address="某路1号", lat=lat, lng=lng,
                h3_cell=h3_cell(lat, lng),
            )  # fmt: skip

        centre = place("centre", "affairs_center")
        items = [
            item_upsert(
                street=street,
                values=ItemValues(
                    code=f"B{i:03d}",
                    name=f"压测事项{i}",
                    channels=["window", "remote", "home"] if i % 3 == 0 else ["window", "remote"],
                    prereview=True,
                    materials=[MaterialValues(name="居民身份证"), MaterialValues(name="户口簿", form="copy")],
                    keywords=[f"关键词{i}"],
                ),
            )[0]
            for i in range(N_ITEMS)
        ]
        Item.objects.filter(pk__in=[i.pk for i in items]).update(min_notice_minutes=0)
        resources = [
            slot_services.resource_add(place=centre, name=f"{n}号窗口", kind="window") for n in range(N_WINDOWS)
        ]
        resources += [
            slot_services.resource_add(
                place=place(f"remote{n}", "remote_service_point"), name="远程帮办", kind="remote"
            )
            for n in range(N_REMOTE)
        ]
        resources += [slot_services.resource_add(place=centre, name=f"上门{n}", kind="home") for n in range(N_HOME)]
        for r in resources:
            slot_services.template_add(
                resource=r, days="Mo-Fr", times="09:00-11:30,13:30-16:30", minutes=30, places=2, materialise=False
            )
        slot_services.template_add(
            resource=resources[0], days="Sa", times="09:00-12:00", minutes=30, places=3,
            items=[i.code for i in items[:20]], materialise=False,
        )  # fmt: skip
        for r in resources:
            slot_services.slots_materialise(resource=r, days=30)

        # The storm's slots: a resource of its own, tomorrow and on.
        storm = slot_services.resource_add(place=centre, name="压测专用窗口", kind="window")
        base = (now + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        storm_slots = Slot.objects.bulk_create(
            [
                Slot(resource=storm, start=base + dt.timedelta(minutes=10 * k), end=base + dt.timedelta(minutes=10 * k + 10),
                     places=STORM_PLACES if k < STORM_SLOTS else UNLIMITED_PLACES)
                for k in range(2 * STORM_SLOTS)
            ]
        )  # fmt: skip
        users = User.objects.bulk_create(
            [
                User(phone=f"+86137{i:08d}", display_name=f"居民{i}", password="!", home_street=street)
                for i in range(n_users)
            ],
            batch_size=5000,
        )
        raws = [f"lla_{i}_{secrets.token_urlsafe(24)}" for i in range(n_users)]
        ApiToken.objects.bulk_create(
            [ApiToken(user=u, name="bench", prefix=raw[:8], digest=token_digest(raw), last_used_at=now)
             for u, raw in zip(users, raws, strict=True)],
            batch_size=5000,
        )  # fmt: skip
    a_item, b_item = items[1], items[2]
    capped = [s.pk for s in storm_slots[:STORM_SLOTS]]
    unlimited = [s.pk for s in storm_slots[STORM_SLOTS:]]
    Path(tokens_file + ".a").write_text(
        "".join(f"{raw} {capped[i % STORM_SLOTS]} {a_item.pk}\n" for i, raw in enumerate(raws)), encoding="utf-8"
    )
    Path(tokens_file + ".b").write_text(
        "".join(f"{raw} {unlimited[i % STORM_SLOTS]} {b_item.pk}\n" for i, raw in enumerate(raws)), encoding="utf-8"
    )
    slots = Slot.objects.filter(resource__street=street).count()
    print(
        json.dumps(
            {"search_items": [i.pk for i in items[::5]], "slots": slots, "capped": capped, "unlimited": unlimited}
        )
    )


def verify(slot_ids: list[int]) -> dict:
    """Every slot's counter equals its live rows and stays within its places; nobody booked an item twice."""
    DB.drain()
    rows, dups = DB.snapshot(
        [
            (
                "SELECT s.id, s.places, s.booked, (SELECT count(*) FROM affairs_appointment a WHERE a.slot_id = s.id "
                "AND a.status = 'booked') FROM affairs_slot s WHERE s.id = ANY(%s)",
                (slot_ids,),
            ),
            (
                "SELECT count(*) FROM (SELECT user_id, item_id FROM affairs_appointment WHERE status = 'booked' "
                "GROUP BY user_id, item_id HAVING count(*) > 1) d",
                (),
            ),
        ]
    )
    overbooked = sum(max(0, live - places) for _id, places, _booked, live in rows)
    mismatched = sum(1 for _id, _places, booked, live in rows if booked != live)
    return {
        "booked_rows": sum(live for *_x, live in rows),
        "places": sum(places for _id, places, *_x in rows),
        "overbookings": overbooked,
        "counters_not_matching_rows": mismatched,
        "duplicate_live_appointments": dups[0][0],
        "ok": overbooked == 0 and mismatched == 0 and dups[0][0] == 0,
    }


def closed_loop(base: str, paths: list[str], clients: int, seconds: float) -> dict:
    """`clients` threads, each with one keep-alive connection, GET the paths in turn for `seconds`."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def one(k: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        mine: list[float] = []
        seen: dict[str, int] = {}
        i = k
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            conn.request("GET", paths[i % len(paths)], headers={"Accept-Language": "en"})
            resp = conn.getresponse()
            resp.read()
            mine.append((time.perf_counter() - t0) * 1000)
            seen[str(resp.status)] = seen.get(str(resp.status), 0) + 1
            i += clients
        conn.close()
        with lock:
            latencies.extend(mine)
            for key, v in seen.items():
                statuses[key] = statuses.get(key, 0) + v

    threads = [threading.Thread(target=one, args=(k,)) for k in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    return {**openloop.percentiles(latencies), "rps": round(len(latencies) / elapsed, 1), "statuses": statuses}


def run() -> dict:
    common.require_wrk("bench_affairs")
    tmp = Path(tempfile.mkdtemp(prefix="linli-affairs-"))
    tokens = tmp / "tokens.txt"
    log = tmp / "gunicorn.log"
    env = common.django_env(tmp, DB)
    server = None
    started = time.monotonic()
    try:
        DB.create()
        common.migrate(env)
        data = common.populate(__file__, [str(tokens), str(N_USERS)], env)
        # A live database has statistics (autovacuum analyzes a table after it grows by a tenth); a freshly
        # filled one has none until autovacuum's next round, and without them PostgreSQL sorts every slot of
        # the window instead of reading the (start, resource) index up to the limit.
        DB.execute("ANALYZE")
        setup_s = round(time.monotonic() - started, 1)
        server = common.Server(env, WORKERS, THREADS, log)
        server.wait_ready(common.PING_PATH)

        # Slot search, closed loop, with the ping of the same loop.
        search_paths = [f"/api/v1/affairs/slots?item={i}" for i in data["search_items"]]
        closed_loop(server.base, search_paths, SEARCH_CLIENTS, 2)  # warm-up
        ping_loop = closed_loop(server.base, [common.PING_PATH], SEARCH_CLIENTS, 4)
        search = closed_loop(server.base, search_paths, SEARCH_CLIENTS, SEARCH_SECONDS)
        conn = http.client.HTTPConnection(*server.base.removeprefix("http://").split(":"))
        conn.request("GET", search_paths[0])
        sample = json.loads(conn.getresponse().read())
        conn.close()

        # The storm.
        def wrk(mode: str, path: str, clients: int, seconds: float, tokens_file: Path | None = None) -> dict:
            return common.wrk(server, mode, path, clients, seconds, tokens_file, lua=LUA, db=DB)

        wrk("ping", common.PING_PATH, CLIENTS, 2)
        ping = wrk("ping", common.PING_PATH, CLIENTS, PING_SECONDS)
        phase_a = wrk("book", "/api/v1/affairs/appointments", CLIENTS, PHASE_SECONDS, Path(str(tokens) + ".a"))
        phase_a["db"] = verify(data["capped"])
        phase_b = wrk("book", "/api/v1/affairs/appointments", CLIENTS, PHASE_SECONDS, Path(str(tokens) + ".b"))
        phase_b["db"] = verify(data["unlimited"])
        server.stop()
        server = None

        bookings_per_s = (
            round(phase_b["statuses"].get("201", 0) / phase_b["duration_s"], 1) if phase_b["duration_s"] else 0.0
        )
        ratio = round(bookings_per_s / ping["rps"], 3) if ping["rps"] else 0.0
        unanswered = ping["unanswered"] + phase_a["unanswered"] + phase_b["unanswered"]
        overbookings = phase_a["db"]["overbookings"] + phase_b["db"]["overbookings"]
        return {
            "bench": "affairs",
            "server": {"kind": "gunicorn gthread", "workers": WORKERS, "threads": THREADS},
            "street": {
                "items": N_ITEMS,
                "resources": N_WINDOWS + N_REMOTE + N_HOME,
                "days": 30,
                "slots": data["slots"],
            },
            "users": N_USERS,
            "setup_s": setup_s,
            "slot_search": {**search, "slots_per_answer": len(sample), "clients": SEARCH_CLIENTS},
            "ping_closed_loop": ping_loop,
            "ratio_search_to_ping": round(search["rps"] / ping_loop["rps"], 3) if ping_loop["rps"] else None,
            "ping": {k: ping[k] for k in ("rps", "p50_ms", "p99_ms", "statuses")},
            "phase_50_slots_x_3": {
                k: phase_a[k]
                for k in ("rps", "p50_ms", "p99_ms", "statuses", "problem_codes_client", "unanswered", "db")
            },
            "phase_unlimited": {
                k: phase_b[k]
                for k in ("rps", "p50_ms", "p99_ms", "statuses", "problem_codes_client", "unanswered", "db")
            },
            "bookings_per_s": bookings_per_s,
            "ratio_booking_to_ping": ratio,
            "cpu_ms_per_ping": ping["cpu"].get("server_ms_per_request"),
            "cpu_ms_per_booking": phase_b["cpu"].get("server_ms_per_request"),
            "overbookings": overbookings,
            "unanswered": unanswered,
            "budget": {
                "search_p95_ms": BUDGET_SEARCH_P95_MS,
                "min_ratio": BUDGET_MIN_RATIO,
                "met": search.get("p95_ms", 1e9) <= BUDGET_SEARCH_P95_MS
                and overbookings == 0
                and unanswered == 0
                and phase_a["db"]["ok"]
                and phase_b["db"]["ok"]
                and ratio >= BUDGET_MIN_RATIO,
            },
            "total_s": round(time.monotonic() - started, 1),
        }
    finally:
        if server is not None:
            server.stop()
        DB.drop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--populate":
        populate_main(sys.argv[2], int(sys.argv[3]))
    else:
        sys.path.insert(0, str(ROOT / "src"))
        print(json.dumps(run(), indent=2, ensure_ascii=False))
