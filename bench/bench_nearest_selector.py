"""Nearest search as the API runs it: `linli.places.selectors.places_nearest` over 20,000 places in a database.

Complements bench_nearest.py (pure index level): this one includes the index snapshot check, the filters,
loading the 10 result rows with their services and building the API dicts (opening hours evaluated, navigation
links). Baseline in the same run: the naive selector a first version would write — load every active place
(`values_list`) and sort by haversine in Python.

Database (bench/common.py `django_in_process`): a fresh SQLite file by default; LINLI_BENCH_DATABASE_URL=postgres://...
uses PostgreSQL (its test database is created and dropped).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:  # bench/common.py, bench_nearest.py
    sys.path.insert(0, str(BENCH_DIR))
import common  # noqa: E402

N_POINTS = 20_000
N_QUERIES = 1_000
N_BASELINE_QUERIES = 60
LIMIT = 10
BUDGET_P99_MS = 5.0
BUDGET_MIN_RATIO = 20.0


def _populate() -> None:
    import numpy as np
    from bench_nearest import SEED, shanghai_points

    from linli.core.geo import h3_cell
    from linli.core.models import Street
    from linli.places.models import Place, PlaceKind, Service

    rng = np.random.default_rng(SEED)
    lats, lngs = shanghai_points(N_POINTS, rng)
    streets = [Street.objects.create(code=f"s{i:03d}", name=f"街道{i}") for i in range(200)]
    kinds = PlaceKind.values
    hours = ["Mo-Fr 08:30-17:00; Sa 09:00-12:00; PH off", "24/7", "Mo-Su 10:30-13:00,16:30-18:30", ""]
    Place.objects.bulk_create(
        [
            Place(
                street=streets[i % len(streets)],
                external_id=f"p{i}",
                name=f"服务点{i}",
                kind=kinds[i % len(kinds)],
                address=f"某路{i}号",
                lat=float(lats[i]),
                lng=float(lngs[i]),
                h3_cell=h3_cell(float(lats[i]), float(lngs[i])),
                opening_hours=hours[i % len(hours)],
            )
            for i in range(N_POINTS)
        ],
        batch_size=2000,
    )
    services = list(Service.objects.filter(street__isnull=True))
    meal = next(s for s in services if s.code == "meal")
    through = Place.services.through
    rows = []
    for pid in Place.objects.values_list("id", flat=True):
        rows.append(through(place_id=pid, service_id=services[pid % len(services)].pk))
        if pid % 10 == 0 and services[pid % len(services)].pk != meal.pk:
            rows.append(through(place_id=pid, service_id=meal.pk))  # ~16 % offer meals
    through.objects.bulk_create(rows, batch_size=5000)


def naive_nearest(lat: float, lng: float, service: str | None = None) -> list[tuple[int, float]]:
    """The baseline: every active place from the database, haversine in Python, sort."""
    from linli.core.geo import haversine_m
    from linli.places.models import Place

    qs = Place.objects.filter(is_active=True)
    if service:
        qs = qs.filter(services__code=service)
    rows = qs.values_list("id", "lat", "lng")
    return sorted(((pid, haversine_m(lat, lng, a, b)) for pid, a, b in rows), key=lambda r: (r[1], r[0]))[:LIMIT]


def run() -> dict:
    with common.django_in_process() as engine:
        return _measure(engine)


def _measure(engine: str) -> dict:
    import numpy as np
    from bench_nearest import latency, shanghai_points

    _populate()
    from linli.places.selectors import places_nearest

    rng = np.random.default_rng(7)
    q_lats, q_lngs = shanghai_points(N_QUERIES, rng)
    queries = list(zip(q_lats.tolist(), q_lngs.tolist(), strict=True))

    mismatches = 0
    for q in queries[:30]:
        for service in (None, "meal"):
            got = [r["id"] for r in places_nearest(lat=q[0], lng=q[1], service=service, limit=LIMIT)]
            want = [r[0] for r in naive_nearest(*q, service=service)]
            if got != want:
                mismatches += 1

    selector = latency(lambda q: places_nearest(lat=q[0], lng=q[1], limit=LIMIT), queries, 3)
    selector_meal = latency(lambda q: places_nearest(lat=q[0], lng=q[1], service="meal", limit=LIMIT), queries, 3)
    selector_open = latency(lambda q: places_nearest(lat=q[0], lng=q[1], open_now=True, limit=LIMIT), queries[:300], 3)
    baseline = latency(lambda q: naive_nearest(*q), queries[:N_BASELINE_QUERIES])
    baseline_meal = latency(lambda q: naive_nearest(*q, service="meal"), queries[:N_BASELINE_QUERIES])
    ratio = baseline["p99_ms"] / selector["p99_ms"]
    ratio_cpu = baseline["cpu"]["p99_ms"] / selector["cpu"]["p99_ms"]
    return {
        "bench": "nearest_selector",
        "database": engine,
        "points": N_POINTS,
        "limit": LIMIT,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "selector": selector,
        "selector_service_meal": selector_meal,
        "selector_open_now": selector_open,
        "baseline_naive_scan": baseline,
        "baseline_naive_scan_service_meal": baseline_meal,
        "ratio_p99": round(ratio, 1),
        "ratio_p99_cpu": round(ratio_cpu, 1),
        "ratio_p99_service_meal": round(baseline_meal["p99_ms"] / selector_meal["p99_ms"], 1),
        "mismatches_vs_baseline": mismatches,
        "budget": {
            "p99_ms": BUDGET_P99_MS,
            "min_ratio": BUDGET_MIN_RATIO,
            "met": mismatches == 0 and selector["p99_ms"] <= BUDGET_P99_MS and ratio >= BUDGET_MIN_RATIO,
            "met_cpu_time": mismatches == 0
            and selector["cpu"]["p99_ms"] <= BUDGET_P99_MS
            and ratio_cpu >= BUDGET_MIN_RATIO,
        },
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))
