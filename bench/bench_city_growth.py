"""The growth curve (issue 21 item 2): the same request paths on three sizes of one synthetic city, in one run.

`.venv/bin/python bench/run.py city_growth` (`make bench-city`; ~20-30 minutes on the 2-core machine, most of it
generating a year). PostgreSQL on 127.0.0.1:5432. The bench migrates one template database, then for each size
makes a copy of it and fills it with `linli simulate city --scale F --days N` (F = LINLI_BENCH_CITY_SCALE, default
0.01; the sizes LINLI_BENCH_CITY_DAYS, default "0,30,365": an empty street — the city's streets, places and people
without any history — then a month and a year of history). Each size is then measured in a child process with
Django in process (`django.test.Client`, the whole request: middleware, view, selectors, database), 2 rounds
interleaved over the sizes (empty, month, year, empty, ...; the lower p95 of the two is kept, the machine being
shared):

- resident reads: the street map page, nearest points, this month's activities, a meal point's menus, my orders,
  my bookings, ask (问一问);
- writes: a booking, a lunch order, a hazard report, a gate tap;
- staff reads: the case console, the gate audit search with filters (denials this month), a kitchen's production
  list, exports of a month (the gate log and the cases of a month as CSV).

For every path the queries of one request are captured (`CaptureQueriesContext`) and EXPLAINed on the database
of that size: a `Seq Scan` over a table of more than BIG_TABLE_ROWS rows fails the path. Figures per path and size:
`p50_ms`, `p95_ms`, `queries`, and at the larger sizes `ratio_p95` (to the empty street) and `ratio_p95_to_month`
(to the month-old city). The verdict at the largest size uses the first, except for the WINDOWED paths (their
answer covers this month, the last 30 days, yesterday or the latest 100 orders: an empty street has nothing in the
window), judged by the second. Budget (DESIGN.md): every indexed path ≤ 1.3×, no big sequential scan. Databases are dropped at the end (LINLI_BENCH_CITY_KEEP=1
keeps them).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

SCALE = float(os.environ.get("LINLI_BENCH_CITY_SCALE", "0.01"))
SIZES = [int(d) for d in os.environ.get("LINLI_BENCH_CITY_DAYS", "0,30,365").split(",")]
ROUNDS = int(os.environ.get("LINLI_BENCH_CITY_ROUNDS", "2"))
ITERATIONS = int(os.environ.get("LINLI_BENCH_CITY_ITERATIONS", "30"))
BIG_TABLE_ROWS = 10_000
BUDGET = 1.3
# Paths whose answer covers a recent window (this month, the last 30 days, yesterday, the latest 100 orders): an
# empty street has nothing in it, so their growth is judged against the month-old city, whose window is full.
WINDOWED = ("case_console", "audit_search", "production_list", "export_taps_month", "export_cases_month", "my_orders")


def size_name(days: int) -> str:
    return "empty" if days == 0 else f"{days}d"


# ------------------------------------------------------------------------------------------ the driver


def run() -> dict:
    end = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    template = common.Database("linli_bench_city_tmpl")
    dbs = {days: common.Database(f"linli_bench_city_{size_name(days)}") for days in SIZES}
    tmp = Path(tempfile.mkdtemp(prefix="linli-bench-city-"))
    out: dict = {"bench": "city_growth", "scale": SCALE, "sizes": [size_name(d) for d in SIZES], "end": str(end)}
    reuse = os.environ.get("LINLI_BENCH_CITY_REUSE") == "1"  # measure again the databases a KEEP run left
    try:
        if reuse:
            out["reused"] = True
            raise _Reuse
        template.create()
        t = time.monotonic()
        common.migrate(env(tmp, template))
        out["migrate_s"] = round(time.monotonic() - t, 1)
        generated = {}
        for days, db in dbs.items():
            db.drop()
            common.pg_admin(f'CREATE DATABASE "{db.name}" TEMPLATE "{template.name}"')
            t = time.monotonic()
            proc = subprocess.run(  # noqa: S603
                [*common.linli_command(), "simulate", "city", "--scale", str(SCALE), "--days", str(days), "--end",
                 str(end), "--json"],
                env=env(tmp, db), check=True, capture_output=True, text=True, cwd=common.ROOT,
            )  # fmt: skip
            summary = json.loads(proc.stdout.strip().splitlines()[-1])
            generated[size_name(days)] = {
                "rows_total": summary["rows_total"],
                "seconds": summary["seconds"],
                "wall_s": round(time.monotonic() - t, 1),
                "seconds_by_part": summary["seconds_by_part"],
                "rows": summary["rows"],
                "database_mb": round(db.query("SELECT pg_database_size(current_database())")[0][0] / 1e6, 1),
            }
            print(f"city_growth: {size_name(days)} generated, {summary['rows_total']:,} rows", file=sys.stderr)
        out["generated"] = generated
    except _Reuse:
        pass
    try:
        out["storage"] = storage(dbs[max(SIZES)])
        rounds: dict[str, list[dict]] = {size_name(d): [] for d in SIZES}
        for r in range(ROUNDS):
            for days, db in dbs.items():
                proc = subprocess.run(  # noqa: S603
                    [sys.executable, __file__, "--measure", str(end)], env=env(tmp, db), check=True,
                    capture_output=True, text=True, cwd=common.ROOT,
                )  # fmt: skip
                rounds[size_name(days)].append(json.loads(proc.stdout.strip().splitlines()[-1]))
                print(f"city_growth: round {r + 1} {size_name(days)} measured", file=sys.stderr)
        out["paths"] = combine(rounds)
        out["load_average_after"] = os.getloadavg()
        failing = {p: v["verdict"] for p, v in out["paths"].items() if v["verdict"] != "ok"}
        out["budget"] = {"ratio_at_most": BUDGET, "largest": size_name(max(SIZES)), "failing": failing,
                         "met": not failing}  # fmt: skip
    finally:
        if os.environ.get("LINLI_BENCH_CITY_KEEP") != "1":
            for db in [*dbs.values(), template]:
                db.drop()
    return out


class _Reuse(Exception):  # noqa: N818 - control flow: skip the generation
    pass


def env(tmp: Path, db: common.Database) -> dict:
    # Client-side binding: the captured SQL carries its values, so it can be EXPLAINed as it ran.
    return common.django_env(tmp, db, extra={"LINLI_PG_PREPARED_STATEMENTS": "0", "LINLI_REDIS_URL": ""})


def storage(db: common.Database) -> list[dict]:
    """Bytes per row of the largest tables (pg_total_relation_size: heap, indexes, TOAST) at the largest size."""
    rows = db.query(
        "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid), pg_relation_size(c.oid) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' "
        "AND n.nspname = 'public' AND c.reltuples > 1000 ORDER BY pg_total_relation_size(c.oid) DESC"
    )
    return [
        {
            "table": name,
            "rows": n,
            "total_mb": round(total / 1e6, 1),
            "bytes_per_row": round(total / n),
            "heap_bytes_per_row": round(heap / n),
        }  # fmt: skip
        for name, n, total, heap in rows
    ]


def combine(rounds: dict[str, list[dict]]) -> dict:
    """Per path: each size's best round, the ratios and the verdict at the largest size."""
    sizes = list(rounds)
    empty, largest = sizes[0], sizes[-1]
    paths = list(rounds[empty][0])
    out: dict = {}
    for path in paths:
        entry: dict = {}
        for size in sizes:
            best = min((r[path] for r in rounds[size]), key=lambda m: m.get("p95_ms", float("inf")))
            entry[size] = best
        base_size = sizes[1] if path in WINDOWED and len(sizes) > 2 else empty
        for size in sizes[1:]:
            for key, against in (("ratio_p95", empty), ("ratio_p95_to_month", sizes[1])):
                base = entry[against].get("p95_ms")
                if base and entry[size].get("p95_ms") is not None and size != against:
                    entry[size][key] = round(entry[size]["p95_ms"] / base, 2)
        top = entry[largest]
        big_scans = top.get("big_seq_scans", [])
        ratio = top.get("ratio_p95_to_month" if base_size != empty else "ratio_p95")
        if top.get("error"):
            verdict = "error"
        elif big_scans:
            verdict = "seq_scan"
        elif ratio is not None and ratio > BUDGET:
            verdict = "over_budget"
        else:
            verdict = "ok"
        entry["ratio_base"] = base_size
        entry["verdict"] = verdict
        out[path] = entry
    return out


# ------------------------------------------------------------------------------------------ measuring (child)
# bench/city_paths.py, in a child process per size and round: `bench_city_growth.py --measure END`.

if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        sys.path.insert(0, str(common.ROOT / "src"))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
        import django

        django.setup()
        import city_paths

        print(json.dumps(city_paths.measure_all(dt.date.fromisoformat(sys.argv[2]), ITERATIONS), ensure_ascii=False))
    else:
        print(json.dumps(run(), ensure_ascii=False, indent=2))
