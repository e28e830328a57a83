"""Dashboard: a street's KPIs for a year of data from the precomputed counters, against the same numbers computed
from the raw tables in the same run (issue 22: a street's dashboard renders in <= 300 ms p95).

What it builds (in process, bench/common.py `django_in_process`: SQLite by default, LINLI_BENCH_DATABASE_URL for
PostgreSQL): the sample street's grid tree ("一总三站多单元": 1 HQ, 3 workstations, 18 units) and service points,
then a year of history in every domain at SCALE times the sample street's daily volume
(`linli.demo.dashboard.history_build`: cases with their timelines, assistant questions, activity check-ins, affairs
tickets served, volunteer shifts), and the counters rebuilt from it (`counters_rebuild`, timed: the nightly task).

What it measures, RUNS times each (p50/p95/max, wall and CPU):
- `page_month`: GET /dashboard/?g=month as the street admin (Django test client: the view, the counters' queries,
  the 12-month chart series, the escalation board, the template, five SVG charts);
- `api_year`: GET /api/v1/dashboard/kpis for the whole year by month (totals, previous year, 12 buckets, ranking);
- `baseline_raw_year`: the same year's KPI totals computed from the source tables (`dashboard.kpis.compute`, the
  queries the rebuild runs, over the year) — what a dashboard without counters would do on each view.
It checks that the API's year totals equal the raw tables' (`agree`).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))
import common  # noqa: E402

DAYS = 365
SCALE = int(os.environ.get("LINLI_BENCH_DASHBOARD_SCALE", "4"))
RUNS = int(os.environ.get("LINLI_BENCH_DASHBOARD_RUNS", "30"))
BUDGET_MS = 300.0


def run() -> dict:
    with common.django_in_process() as engine:
        return _measure(engine)


def _stats(samples: list[float]) -> dict:
    s = sorted(samples)

    def pct(q: float) -> float:
        return round(s[min(len(s) - 1, int(round(q * (len(s) - 1))))], 1)

    return {"p50_ms": pct(0.5), "p95_ms": pct(0.95), "max_ms": round(s[-1], 1)}


def _times(fn: object, runs: int) -> dict:
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {"runs": runs, **_stats(wall), "cpu": _stats(cpu)}


def _populate() -> tuple[object, object, dict]:
    import datetime as dt

    from django.utils import timezone

    from linli.cases.services.reports import categories_default_create
    from linli.core.imports import compounds_import, grids_import
    from linli.core.models import Role, RoleAssignment, Street, User
    from linli.demo import COMPOUNDS_FILE, GRIDS_FILE, PLACES_FILE, load_collection
    from linli.demo.dashboard import history_build
    from linli.places.services import places_import

    street = Street.objects.create(code="benchdash", name="大屏街道", center_lat=31.265, center_lng=121.3975)
    grids_import(street=street, collection=load_collection(GRIDS_FILE))
    compounds_import(street=street, collection=load_collection(COMPOUNDS_FILE))
    places_import(street=street, collection=load_collection(PLACES_FILE))
    categories_default_create(street=street)
    User.objects.bulk_create([User(phone=f"+86139000{i:05d}", display_name=f"居民{i}") for i in range(150)])
    admin = User.objects.create(phone="+8613800000001", display_name="主任", is_staff=True)
    RoleAssignment.objects.create(user=admin, street=street, role=Role.ADMIN)
    today = timezone.localdate()
    t0 = time.perf_counter()
    counts = history_build(street, today=today + dt.timedelta(days=1), days=DAYS, scale=SCALE)
    counts["fill_seconds"] = round(time.perf_counter() - t0, 1)
    return street, admin, counts


def _measure(engine: str) -> dict:
    import datetime as dt

    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from linli.core.models import Grid, GridLevel
    from linli.dashboard import kpis
    from linli.dashboard.attribution import attribution_for
    from linli.dashboard.models import KpiCounter
    from linli.dashboard.selectors_kpis import derived
    from linli.dashboard.services.counters import counters_rebuild, day_start

    settings.ALLOWED_HOSTS = ["*"]
    street, admin, counts = _populate()
    t0 = time.perf_counter()
    counters = counters_rebuild(street=street, days=DAYS + 2)  # type: ignore[arg-type]
    rebuild_s = time.perf_counter() - t0
    hq = Grid.objects.get(street=street, level=GridLevel.HQ)
    today = timezone.localdate()
    first = today - dt.timedelta(days=DAYS - 1)
    client = Client()
    client.force_login(admin)  # type: ignore[arg-type]

    def page() -> None:
        r = client.get("/dashboard/", {"street": street.code, "g": "month"})  # type: ignore[attr-defined]
        assert r.status_code == 200, r.status_code

    year_query = {"grid": hq.pk, "from": str(first), "to": str(today), "granularity": "month"}

    def api() -> dict:
        r = client.get("/api/v1/dashboard/kpis", year_query)
        assert r.status_code == 200, r.content[:300]
        return r.json()

    def raw() -> dict:
        att = attribution_for(street.pk)  # type: ignore[attr-defined]
        values = kpis.compute(att, list(kpis.FAMILIES), day_start(first), day_start(today + dt.timedelta(days=1)))
        sums: dict[str, int] = {}
        for (_g, _d, kpi), v in values.items():
            sums[kpi] = sums.get(kpi, 0) + v
        return derived(sums)

    page()
    api()  # warm: templates compiled, the attribution cached, as a running server has
    raw_totals = raw()
    api_totals = api()["now"]
    agree = all(api_totals.get(k) == raw_totals.get(k) for k in api_totals)
    result = {
        "bench": "dashboard_kpis",
        "database": engine,
        "days": DAYS,
        "scale": SCALE,
        "rows": counts,
        "counter_rows": KpiCounter.objects.filter(street=street).count(),
        "rebuild_seconds": round(rebuild_s, 2),
        "rebuild_counters_written": counters,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "page_month": _times(page, RUNS),
        "api_year": _times(api, RUNS),
        "baseline_raw_year": _times(raw, max(5, RUNS // 3)),
        "agree": agree,
        "year_totals": {k: api_totals.get(k) for k in ("served", "cases_reported", "on_time_rate", "resolution_p90")},
    }
    result["ratio_raw_over_api_p95"] = round(result["baseline_raw_year"]["p95_ms"] / result["api_year"]["p95_ms"], 1)
    result["budget"] = {
        "page_p95_ms": BUDGET_MS,
        "met": result["page_month"]["p95_ms"] <= BUDGET_MS and result["api_year"]["p95_ms"] <= BUDGET_MS and agree,
    }
    return result
