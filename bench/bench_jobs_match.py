"""Matches for one job seeker over 5,000 open jobs (issue 18): `linli.jobs.services.matching.seeker_matches`, the
street's road network routed in process, every match with its reasons. Budget: p95 <= 100 ms per seeker.

The street: a 4 x 4 km grid of roads (41 east-west and 41 north-south LineStrings, a vertex at every crossing:
1,681 nodes), 5,000 open jobs of the taxonomy's occupations at random points, 60 seekers at random homes, a third
each walking (15 min), cycling (20 min) and by transit (30 min), skills and shifts drawn at random.
Baseline in the same run: `seeker_matches_scan`, the brute-force reference (every open job read from the database,
one route per job); both must give the same matches (`mismatches_vs_baseline`).

Database (bench/common.py `django_in_process`): a fresh SQLite file by default; LINLI_BENCH_DATABASE_URL=postgres://...
uses PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:  # bench/common.py, bench_nearest.py
    sys.path.insert(0, str(BENCH_DIR))
import common  # noqa: E402

N_JOBS = 5_000
N_SEEKERS = 60
N_BASELINE_SEEKERS = 3
GRID = 41  # roads each way
SPAN_DEG = 0.04  # ~4 km of latitude
LAT0, LNG0 = 31.24, 121.38
BUDGET_P95_MS = 100.0


def _populate(rng) -> list:  # noqa: ANN001
    from django.utils import timezone

    from linli.core.models import Street, User
    from linli.jobs.models import Employer, Job, Seeker
    from linli.jobs.services.employers import credit_code_with_check
    from linli.jobs.services.roads import roads_import
    from linli.jobs.taxonomy import OCCUPATIONS, SKILLS

    street = Street.objects.create(code="benchjobs", name="基准街道", center_lat=LAT0, center_lng=LNG0)
    step = SPAN_DEG / (GRID - 1)
    features = []
    for i in range(GRID):
        lat = LAT0 + i * step
        features.append([[LNG0 + j * step, lat] for j in range(GRID)])
        lng = LNG0 + i * step
        features.append([[lng, LAT0 + j * step] for j in range(GRID)])
    roads_import(street=street, collection={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": c}} for c in features
    ]})  # fmt: skip
    employers = [
        Employer.objects.create(
            street=street,
            name=f"单位{i}",
            credit_code=credit_code_with_check(f"9131010{i:04d}MA1FL0"[:17]),
            verified_at=timezone.now(),
        )  # fmt: skip
        for i in range(100)
    ]
    codes = list(OCCUPATIONS)
    skills = list(SKILLS)
    shifts = ["morning", "afternoon", "evening", "night"]
    hours = ["full_time", "part_time", "flexible", "school_hours"]
    valid = timezone.localdate() + dt.timedelta(days=60)
    jobs = []
    for i in range(N_JOBS):
        occ = OCCUPATIONS[codes[int(rng.integers(len(codes)))]]
        jobs.append(Job(
            street=street, employer=employers[i % len(employers)], title=f"岗位{i}", occupation=occ.code,
            skills_essential=list(occ.essential), skills_optional=list(occ.optional),
            lat=LAT0 + float(rng.random()) * SPAN_DEG, lng=LNG0 + float(rng.random()) * SPAN_DEG,
            hours_kind=hours[int(rng.integers(4))], shifts=sorted({shifts[int(rng.integers(4))] for _ in range(2)}),
            heavy_lifting=bool(rng.random() < 0.2), step_free=bool(rng.random() < 0.5), valid_through=valid,
        ))  # fmt: skip
    Job.objects.bulk_create(jobs, batch_size=1000)
    user = User.objects.create(phone="+8613900000000")
    modes = [("walk", 15), ("bike", 20), ("transit", 30)]
    seekers = []
    for i in range(N_SEEKERS):
        mode, minutes = modes[i % 3]
        seekers.append(Seeker.objects.create(
            street=street, name=f"求职者{i}", consent_at=timezone.now(), caseworker=user,
            lat=LAT0 + float(rng.random()) * SPAN_DEG, lng=LNG0 + float(rng.random()) * SPAN_DEG,
            skills=sorted({skills[int(rng.integers(len(skills)))] for _ in range(4)}),
            occupations=[codes[int(rng.integers(len(codes)))]], shifts=sorted({shifts[int(rng.integers(3))] for _ in range(2)}),
            travel_mode=mode, max_minutes=minutes, constraints=["no_heavy"] if i % 4 == 0 else [],
        ))  # fmt: skip
    return seekers


def run() -> dict:
    with common.django_in_process() as engine:
        return _measure(engine)


def _measure(engine: str) -> dict:
    import numpy as np
    from bench_nearest import latency

    from linli.jobs.services.matching import seeker_matches, seeker_matches_scan

    load_before = os.getloadavg()
    seekers = _populate(np.random.default_rng(18))
    first = latency(lambda s: seeker_matches(s), seekers[:1])  # builds the graph and the job index
    scans: dict[int, list] = {}
    baseline = latency(lambda s: scans.__setitem__(s.pk, seeker_matches_scan(s)), seekers[:N_BASELINE_SEEKERS])
    mismatches = sum(
        [(m.job_id, m.score, m.minutes) for m in seeker_matches(s)]
        != [(m.job_id, m.score, m.minutes) for m in scans[s.pk]]
        for s in seekers[:N_BASELINE_SEEKERS]
    )
    matched = [len(seeker_matches(s)) for s in seekers]
    fast = latency(lambda s: seeker_matches(s), seekers, 3)
    ratio = baseline["p95_ms"] / fast["p95_ms"]
    return {
        "bench": "jobs_match",
        "database": engine,
        "jobs": N_JOBS,
        "seekers": N_SEEKERS,
        "road_nodes": GRID * GRID,
        "load_average_before": [round(x, 2) for x in load_before],
        "first_call_builds_index": first,
        "seeker_matches": fast,
        "baseline_brute_force_scan": baseline,
        "ratio_p95": round(ratio, 1),
        "ratio_p95_cpu": round(baseline["cpu"]["p95_ms"] / fast["cpu"]["p95_ms"], 1),
        "matches_per_seeker_mean": round(sum(matched) / len(matched), 1),
        "mismatches_vs_baseline": mismatches,
        "budget": {
            "p95_ms": BUDGET_P95_MS,
            "met": mismatches == 0 and fast["p95_ms"] <= BUDGET_P95_MS,
            "met_cpu_time": mismatches == 0 and fast["cpu"]["p95_ms"] <= BUDGET_P95_MS,
        },
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))
