"""The offline assistant engine: p50/p95 per answer over the public evaluation set, in-process, on the demo street.

Loads the demo street into a fresh database, warms the engine once (jieba's dictionary, the street's lexicon: the
first call pays for them; `first_call_ms` reports it), then answers every question of
`src/linli/assistant/eval/wanli.jsonl` ROUNDS times, measuring wall-clock and CPU time per answer. Baseline in the
same run: one bare selector call per question (`places_nearest` from the question's location with limit 3), the
floor any grounded answer pays. Budget: p95 <= 200 ms per answer (DESIGN.md).

Database (bench/common.py `django_in_process`): a fresh SQLite file by default; LINLI_BENCH_DATABASE_URL=postgres://...
uses PostgreSQL (its test database is created and dropped).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:  # bench/common.py
    sys.path.insert(0, str(BENCH_DIR))
import common  # noqa: E402

ROUNDS = 3
BUDGET_P95_MS = 200.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _stats(wall: list[float], cpu: list[float]) -> dict:
    return {
        "n": len(wall),
        "p50_ms": round(_pct(wall, 0.5), 3),
        "p95_ms": round(_pct(wall, 0.95), 3),
        "max_ms": round(max(wall), 3),
        "mean_ms": round(statistics.fmean(wall), 3),
        "cpu_p50_ms": round(_pct(cpu, 0.5), 3),
        "cpu_p95_ms": round(_pct(cpu, 0.95), 3),
    }


def run() -> dict:
    with common.django_in_process() as backend:
        return _measure(backend)


def _measure(backend: str) -> dict:
    from linli.assistant.engine import answer
    from linli.assistant.engine.evaluate import load
    from linli.demo.loader import demo_load
    from linli.places.selectors import places_nearest

    street = demo_load().street
    rows = load(ROOT / "src" / "linli" / "assistant" / "eval" / "wanli.jsonl")
    t0 = time.perf_counter()
    answer(question="今天有什么活动", street=street)
    first_call_ms = (time.perf_counter() - t0) * 1000

    wall: list[float] = []
    cpu: list[float] = []
    base_wall: list[float] = []
    base_cpu: list[float] = []
    lat0, lng0 = street.center_lat, street.center_lng
    for _ in range(ROUNDS):
        for row in rows:
            lat, lng = row.get("lat"), row.get("lng")
            w, c = time.perf_counter(), time.process_time()
            answer(question=row["question"], street=street, lat=lat, lng=lng)
            cpu.append((time.process_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
            w, c = time.perf_counter(), time.process_time()
            places_nearest(lat=lat or lat0, lng=lng or lng0, street=street, limit=3)
            base_cpu.append((time.process_time() - c) * 1000)
            base_wall.append((time.perf_counter() - w) * 1000)
    engine = _stats(wall, cpu)
    baseline = _stats(base_wall, base_cpu)
    return {
        "bench": "assistant",
        "database": backend,
        "questions": len(rows),
        "rounds": ROUNDS,
        "first_call_ms": round(first_call_ms, 1),
        "engine": engine,
        "baseline_places_nearest": baseline,
        "ratio_p50_engine_to_baseline": round(engine["p50_ms"] / baseline["p50_ms"], 2) if baseline["p50_ms"] else None,
        "budget_p95_ms": BUDGET_P95_MS,
        "within_budget": engine["p95_ms"] <= BUDGET_P95_MS,
        "load_1m": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=2))
