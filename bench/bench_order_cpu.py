"""CPU per lunch order, in the application process, against CPU per ping in the same process and run.

Why: the load benchmarks (`lunch_rush`, `booking_storm`) measure throughput and latency through gunicorn and
wrk; on a shared machine their figures move by tens of percent between runs. This one answers a narrower question
that a loaded machine barely changes: how much CPU does Django's whole stack (middleware, input edge, idempotency,
the order service, PostgreSQL client) spend on one order, as a multiple of what it spends on `GET /api/v1/ping`?
Comparing that ratio between two commits shows whether the order path got heavier (issue 12: "ratio to ping within
5 % of before"). PostgreSQL's own CPU is not in it; `lunch_rush` reports that.

What it does (`.venv/bin/python bench/run.py order_cpu`; needs PostgreSQL and Redis):
1. drops and creates the database `linli_bench_order_cpu`, migrates it and fills it with `bench_lunch_rush.py
   --populate` (a street, a kitchen, menus, users with tokens and funded wallets);
2. in this process (Django's test client, DEBUG off, Redis cache): 20 warm-up orders, then ORDERS orders of two
   dishes each (one user each, a fresh Idempotency-Key, every answer must be 201), timed with `process_time`;
   then 50 warm-up pings and PINGS pings;
3. repeats step 2 ROUNDS times and reports each round and the median ratio; drops the database.

Environment: as bench/common.py; LINLI_BENCH_ORDER_CPU_ORDERS (default 300), LINLI_BENCH_ORDER_CPU_ROUNDS (3).
"""

from __future__ import annotations

import json
import os
import statistics
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

DB = common.Database("linli_bench_order_cpu")
ORDERS = int(os.environ.get("LINLI_BENCH_ORDER_CPU_ORDERS", "300"))
ROUNDS = int(os.environ.get("LINLI_BENCH_ORDER_CPU_ROUNDS", "3"))
PINGS = 1000
WARMUP = 20


def run() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="linli-order-cpu-"))
    env = common.django_env(tmp, DB, redis=common.redis_url())
    load_before = [round(x, 2) for x in os.getloadavg()]
    users = ROUNDS * (ORDERS + WARMUP) + 10
    DB.create()
    try:
        common.migrate(env)
        info = common.populate(str(BENCH_DIR / "bench_lunch_rush.py"), [str(tmp / "tokens"), str(users)], env)
        tokens = (tmp / "tokens").read_text(encoding="utf-8").split()
        os.environ.update(env)
        import django

        django.setup()
        from django.conf import settings
        from django.db import connections
        from django.test import Client

        settings.ALLOWED_HOSTS = ["*"]
        menu, place = info["menus"]["unlimited"], info["place_id"]
        client = Client()
        next_user = iter(range(users))

        def order(i: int) -> None:
            body = {
                "date": menu["date"],
                "slot": "lunch",
                "destination": {"place_id": place},
                "items": [
                    {"menu_item_id": menu["items"][i % 3], "quantity": 1},
                    {"menu_item_id": menu["items"][(i + 1) % 3], "quantity": 1},
                ],
            }
            response = client.post(
                "/api/v1/meals/orders",
                json.dumps(body),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {tokens[next(next_user)]}",
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            )
            if response.status_code != 201:
                raise RuntimeError(f"order answered {response.status_code}: {response.content[:300]!r}")

        def ping() -> None:
            if client.get("/api/v1/ping").status_code != 200:
                raise RuntimeError("ping did not answer 200")

        rounds = []
        for _ in range(ROUNDS):
            for i in range(WARMUP):
                order(i)
            t0 = time.process_time()
            for i in range(ORDERS):
                order(i)
            per_order = (time.process_time() - t0) / ORDERS * 1000
            for _ in range(50):
                ping()
            t0 = time.process_time()
            for _ in range(PINGS):
                ping()
            per_ping = (time.process_time() - t0) / PINGS * 1000
            rounds.append(
                {
                    "cpu_ms_per_order": round(per_order, 3),
                    "cpu_ms_per_ping": round(per_ping, 4),
                    "ratio_order_to_ping_cpu": round(per_order / per_ping, 2),
                }
            )
        connections.close_all()
    finally:
        DB.drop()
    return {
        "bench": "order_cpu",
        "load_average_before": load_before,
        "orders_per_round": ORDERS,
        "pings_per_round": PINGS,
        "rounds": rounds,
        "median_ratio_order_to_ping_cpu": statistics.median(r["ratio_order_to_ping_cpu"] for r in rounds),
        "median_cpu_ms_per_order": statistics.median(r["cpu_ms_per_order"] for r in rounds),
    }


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False))
