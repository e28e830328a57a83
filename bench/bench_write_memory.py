"""Memory of a worker serving the write paths (issue 23 item 4): resident set after 10,000 requests of each kind,
the worst single request, and no growth over a soak bounded in time.

One process plays a gunicorn worker: Linli's WSGI handler serving, one after the other, REQUESTS requests of each
write path of bench_write_profile.py (booking, order, hazard report with a photo, gate tap, appointment, shift
sign-up, emergency call, survey answer; each request a new write, every answer checked), with the same databases,
populates, gate listener and controllers. Per path: `rss_mb` (VmRSS) before and after, `growth_mb`,
`peak_request_growth_mb` — the largest rise of the high-water mark (VmHWM, reset through /proc/self/clear_refs
before each sampled request) over the resident set just before one request, every SAMPLE_EVERY-th request — and
the CPU per request. The paths' limits (rate limits in Redis) are reset every RESET_EVERY requests: a resident makes
a few of each, this process makes thousands with a few hundred tokens.

Then the soak: the paths in turn, in rounds of SOAK_BATCH requests each, until SOAK_SECONDS have passed (default
1,800: the issue's 30 minutes), VmRSS sampled after every round; `soak.growth_mb` compares the last quarter's
median with the second quarter's (the first quarter warms caches), and `soak.trend_mb_per_10min` is the
least-squares slope over the second half. Once a path's tokens are used up (REQUESTS + SOAK_USERS) its requests
repeat a resident's write and are refused (409 and the like): answered, not 5xx, still through the whole stack. Budget: the soak's growth ≤ SOAK_GROWTH_BUDGET_MB (10 MB).

The worst single requests of other kinds: photos are measured by bench_photo_memory.py (each input in a fresh
process; a 12 MP phone photo peaks at ~82 MB and the decoding budget refuses what would exceed it), and exports
stream (core/downloads.py). Here `report` carries one small JPEG.

Run: `.venv/bin/python bench/run.py write_memory` (needs PostgreSQL, Redis, Mosquitto). Environment:
LINLI_BENCH_WMEM_REQUESTS (per path, default 10000), LINLI_BENCH_WMEM_SOAK_SECONDS (default 1800; 0 skips the
soak), LINLI_BENCH_WMEM_PATHS (default all), LINLI_BENCH_WMEM_OUT (also write the result to this file).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))
import bench_write_profile as wp  # noqa: E402
import common  # noqa: E402

REQUESTS = int(os.environ.get("LINLI_BENCH_WMEM_REQUESTS", "10000"))
SOAK_SECONDS = float(os.environ.get("LINLI_BENCH_WMEM_SOAK_SECONDS", "1800"))
PATHS = [p for p in os.environ.get("LINLI_BENCH_WMEM_PATHS", ",".join(wp.ALL_PATHS)).split(",") if p]
SOAK_BATCH = 50
SAMPLE_EVERY = 50
RESET_EVERY = 100
SOAK_GROWTH_BUDGET_MB = 10.0
SOAK_USERS = 3000  # the soak's requests after REQUESTS + SOAK_USERS of a path repeat a resident's write (refused)


def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb() -> float:
    return _status("VmRSS")


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def run() -> dict:
    result: dict = {
        "bench": "write_memory",
        "requests_per_path": REQUESTS,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    users = REQUESTS + SOAK_USERS + 50
    with wp.prepared(PATHS, users, prefix="linli_bench_wmem") as (paths, facts):
        result.update(facts)
        from django.core.handlers.wsgi import WSGIHandler

        handler = WSGIHandler()
        next_i = dict.fromkeys((p.name for p in paths), 0)

        def serve(p: wp.Path_, n: int, sample: bool = False, soak: bool = False) -> dict:
            wp._switch(p.db)
            peak = 0.0
            t0 = time.thread_time()
            for k in range(n):
                i = next_i[p.name]
                next_i[p.name] += 1
                if i % RESET_EVERY == 0:
                    common.redis_flush(wp._redis_url())
                env = p.request(i % (users - 10))
                if sample and k % SAMPLE_EVERY == 0:
                    _reset_peak()
                    before = rss_mb()
                    status, body = wp.call(handler, env)
                    peak = max(peak, _status("VmHWM") - before)
                else:
                    status, body = wp.call(handler, env)
                if soak and status < 500:
                    continue  # a resident's second try of the same write is refused, and answered
                wp._check(env, status, body, p.expect)
            return {"cpu_ms_per_request": round((time.thread_time() - t0) / n * 1000, 3), "peak": peak}

        for p in paths:  # the first requests of each kind: imports, caches, prepared statements
            serve(p, 20)
        start_rss = rss_mb()
        per_path = {}
        for p in paths:
            print(f"write_memory: {REQUESTS} x {p.name} ...", file=sys.stderr, flush=True)
            before = rss_mb()
            done = serve(p, REQUESTS, sample=True)
            after = rss_mb()
            per_path[p.name] = {
                "rss_mb_before": round(before, 1),
                "rss_mb_after": round(after, 1),
                "growth_mb": round(after - before, 1),
                "peak_request_growth_mb": round(done["peak"], 1),
                "cpu_ms_per_request": done["cpu_ms_per_request"],
            }
        result["paths"] = per_path
        result["rss_mb_after_warmup"] = round(start_rss, 1)
        result["rss_mb_after_all"] = round(rss_mb(), 1)
        result["worst_single_request"] = max(
            ({"path": k, "peak_growth_mb": v["peak_request_growth_mb"]} for k, v in per_path.items()),
            key=lambda x: x["peak_growth_mb"],
        )
        if SOAK_SECONDS > 0:
            print(f"write_memory: soak for {SOAK_SECONDS:g} s ...", file=sys.stderr, flush=True)
            samples: list[tuple[float, float]] = []
            t0 = time.monotonic()
            served = 0
            while time.monotonic() - t0 < SOAK_SECONDS:
                for p in paths:
                    serve(p, SOAK_BATCH, soak=True)
                    served += SOAK_BATCH
                samples.append((round(time.monotonic() - t0, 1), round(rss_mb(), 2)))
            result["soak"] = _soak_figures(samples, served)
        result["taps"] = {"answered": wp.ANSWERS["taps"], "opened": wp.ANSWERS["taps_opened"]}
    budgets = []
    if "tap" in PATHS:
        budgets.append(common.budget("taps not opened", result["taps"]["answered"] - result["taps"]["opened"], 0))
    if "soak" in result:
        budgets.append(
            common.budget(f"RSS growth over a {SOAK_SECONDS / 60:g}-minute soak", result["soak"]["growth_mb"],
                          SOAK_GROWTH_BUDGET_MB, unit=" MB",
                          baseline={"rss_mb_second_quarter": result["soak"]["rss_mb_second_quarter_median"]}),
        )  # fmt: skip
    result["budgets"] = budgets
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    out = os.environ.get("LINLI_BENCH_WMEM_OUT")
    if out:
        Path(out).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return result


def _soak_figures(samples: list[tuple[float, float]], served: int) -> dict:
    rss = [r for _t, r in samples]
    q = max(len(rss) // 4, 1)
    second = statistics.median(rss[q : 2 * q] or rss)
    last = statistics.median(rss[-q:])
    half = samples[len(samples) // 2 :]
    slope = 0.0
    if len(half) >= 2:
        ts = [t for t, _ in half]
        rs = [r for _, r in half]
        mt, mr = statistics.mean(ts), statistics.mean(rs)
        den = sum((t - mt) ** 2 for t in ts)
        slope = sum((t - mt) * (r - mr) for t, r in zip(ts, rs, strict=True)) / den if den else 0.0
    return {
        "seconds": samples[-1][0] if samples else 0,
        "requests": served,
        "rss_mb_first": rss[0] if rss else None,
        "rss_mb_second_quarter_median": round(second, 1),
        "rss_mb_last_quarter_median": round(last, 1),
        "rss_mb_max": max(rss) if rss else None,
        "growth_mb": round(last - second, 2),
        "trend_mb_per_10min": round(slope * 600, 2),
        "samples": samples[:: max(len(samples) // 60, 1)],
    }


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2))
