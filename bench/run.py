"""Run every benchmark module `bench/bench_*.py` (each exposes `run() -> dict`).

Prints one JSON document to stdout and writes it to bench/results/latest.json (git-ignored).
Usage: python bench/run.py [NAME ...]   e.g. `python bench/run.py nearest` runs bench_nearest.py only.
Each benchmark runs in its own Python process (`run.py --one PATH`, its result the last stdout line), one after the
other: the in-process ones set Django up (settings, database, logging) once per process, and a benchmark must not
inherit another's.
Benchmarks: nearest, nearest_selector, booking_storm, lunch_rush (`bench_lunch_rush.py`: 200 clients ordering
2-dish lunches; 0 oversold dishes, >= 400 orders/s, p99 <= 300 ms at 50 clients).
assistant (`bench_assistant.py`: the offline 问一问 engine over the evaluation set, p95 <= 200 ms per answer).
dispatch (`bench_dispatch.py`: hazard reports at 50/s through gunicorn, pushes to grid workers' WebSockets through
uvicorn + Redis; p99 report → push <= 300 ms).
dashboard_live (`bench_dashboard_live.py`: case moves through gunicorn, the new live picture to 50 open dashboards
through uvicorn + Redis; p99 <= 300 ms after the commit).
gate_tap (`bench_gate_tap.py`: (a) open_gate → simulated controller → `opened` through Mosquitto at 200 commands/s;
(b) `POST /api/v1/access/taps` at 200 taps/s through gunicorn + PostgreSQL with controllers in another process;
p99 tap → opened <= 150 ms).
gate_waits (`bench_gate_waits.py`: the gate wire's bounded waits — timeout, broker down, long poll — take their
time and no more; the tests assert what they answer).
order_cpu (`bench_order_cpu.py`: CPU per lunch order ÷ CPU per ping in the application process, the ratio a
loaded machine barely moves; compare it between commits).
photo_memory (`bench_photo_memory.py`: peak RSS growth of decoding one photo, hostile 16-bit PNGs against a 12 MP
phone JPEG, each in a fresh process).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import platform
import subprocess
import sys
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"linli_bench.{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_here(path: Path) -> dict:
    try:
        return _load(path).run()
    except Exception:  # one broken benchmark must not hide the others' figures
        return {"bench": path.stem.removeprefix("bench_"), "error": traceback.format_exc()}


def _run_child(path: Path) -> dict:
    proc = subprocess.run(  # noqa: S603 - stderr (progress, server logs) goes straight to ours
        [sys.executable, __file__, "--one", str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False
    )
    lines = proc.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = "\n".join(lines[-20:])
        return {"bench": path.stem.removeprefix("bench_"), "error": f"exited with {proc.returncode}: {tail}"}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        sys.path.insert(0, str(ROOT / "src"))
        print(json.dumps(_run_here(Path(argv[1])), ensure_ascii=False))
        return 0
    wanted = {a.removeprefix("bench_") for a in argv}
    modules = sorted(p for p in BENCH_DIR.glob("bench_*.py") if not wanted or p.stem.removeprefix("bench_") in wanted)
    document: dict = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "results": [],
    }
    for path in modules:
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        document["results"].append(_run_child(path))
    # Every budget of DESIGN.md the benchmarks report, each with its same-run baseline and whether it is met.
    document["budgets"] = [
        {"bench": r.get("bench"), **b} for r in document["results"] for b in r.get("budgets", []) if isinstance(b, dict)
    ]
    for b in document["budgets"]:
        base = f" (baseline: {json.dumps(b['baseline'], ensure_ascii=False)})" if b.get("baseline") else ""
        mark = "met" if b["met"] else "NOT MET"
        print(f"budget {b['bench']}: {b['what']} = {b['value']} {b['budget']}: {mark}{base}", file=sys.stderr)
    text = json.dumps(document, ensure_ascii=False, indent=2)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 1 if any("error" in r for r in document["results"]) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
