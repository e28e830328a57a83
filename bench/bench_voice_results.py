"""Voice: a survey's results with 10,000 answers x 20 questions (issue 19: render <= 300 ms).

What it measures (in process, `linli.voice.selectors_results.results` as the staff results page and the API call
it, then the staff results page's template): the counts per option, the star histograms, number statistics and
the answered count per question come from GROUP BY queries; two of the 20 questions are long texts whose words
jieba counts over the latest 2,000 answers. Baseline in the same run: reading every answer row raw
(`values_list` of all 200,000 rows), the least a Python aggregation would have to do before counting anything.

Answering (issue 19: "answering stays <= the booking path's cost per request"; issue 23: the new domains' hot
writes within 2x a booking's): in the same process, CPU per `POST /api/v1/surveys/{id}/responses` (a signed-in
resident's answers to a 5-question and to a 20-question survey, fresh `Idempotency-Key`, each 201)
against CPU per `POST /api/v1/activities/{id}/bookings` (a signed-in resident, fresh key, each 201) and per
`GET /api/v1/ping`, through Django's test client: ANSWERS of each, ROUNDS rounds, medians.

Database (bench/common.py `django_in_process`): a fresh SQLite file by default; LINLI_BENCH_DATABASE_URL=postgres://...
uses PostgreSQL (its test database is created and dropped).
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))
import common  # noqa: E402

N_RESPONSES = 10_000
N_QUESTIONS = 20
RUNS = 7
ANSWERS = int(os.environ.get("LINLI_BENCH_VOICE_ANSWERS", "200"))
SIZES = (5, 20)  # questions per answer in the answering part
ROUNDS = 3
PINGS = 500
BUDGET_MS = 300.0
TEXTS = ["希望多开老年食堂", "停车太难了，晚上没有车位", "电瓶车充电桩不够", "小区绿化需要修剪", "希望服务中心晚上开放",
         "楼道堆物要清理", "半份菜很好，分量刚好"]  # fmt: skip


def run() -> dict:
    with common.django_in_process() as engine:
        return _measure(engine)


def _populate() -> object:
    import datetime as dt
    import uuid

    from django.db import transaction
    from django.utils import timezone

    from linli.core.models import Committee, Compound, Street
    from linli.voice.models import Answer, CommitteeHouseholds, Response
    from linli.voice.services.surveys import survey_create
    from linli.voice.services.tallies import tallies_rebuild

    street = Street.objects.create(code="benchjie", name="问卷街道")
    committees = [Committee.objects.create(street=street, external_id=f"c{i}", name=f"居委{i}") for i in range(8)]
    for c in committees:
        CommitteeHouseholds.objects.create(committee=c, households=3000)
    compounds = [Compound.objects.create(street=street, external_id=f"x{i}", name=f"小区{i}", geometry={}, lat=31.2,
                                         lng=121.4, committee=committees[i % 8]) for i in range(16)]  # fmt: skip
    kinds = ["single", "multiple", "rating", "ranking", "number", "single", "rating", "multiple", "single", "rating",
             "long_text", "single", "multiple", "rating", "number", "single", "ranking", "rating", "long_text", "single"]  # fmt: skip
    specs = [{"kind": k, "text": f"问题{i}", "options": ["甲", "乙", "丙", "丁", "戊"] if k in ("single", "multiple", "ranking") else []}
             for i, k in enumerate(kinds[:N_QUESTIONS])]  # fmt: skip
    now = timezone.now()
    survey = survey_create(street=street, title="大问卷", closes_at=now + dt.timedelta(days=7), questions=specs,
                           opens_at=now - dt.timedelta(days=7))  # fmt: skip
    questions = list(survey.questions.all())
    rng = random.Random(7)
    with transaction.atomic():
        responses = [Response(survey=survey, client_id=uuid.UUID(int=rng.getrandbits(128)), channel=rng.choice(["online", "door"]),
                              compound=(cp := rng.choice(compounds)), committee_id=cp.committee_id, consent=True)
                     for _ in range(N_RESPONSES)]  # fmt: skip
        Response.objects.bulk_create(responses, batch_size=2000)
        rows = []
        for r in responses:
            for q in questions:
                if q.kind in ("single",):
                    rows.append(Answer(response=r, question=q, option=rng.randrange(5)))
                elif q.kind in ("multiple", "ranking"):
                    for rank, o in enumerate(rng.sample(range(5), 2), start=1):
                        rows.append(
                            Answer(response=r, question=q, option=o, number=rank if q.kind == "ranking" else None)
                        )
                elif q.kind == "rating":
                    rows.append(Answer(response=r, question=q, number=rng.randint(1, 5)))
                elif q.kind == "number":
                    rows.append(Answer(response=r, question=q, number=rng.randint(1, 8)))
                else:
                    rows.append(Answer(response=r, question=q, text=rng.choice(TEXTS)))
            if len(rows) > 20_000:
                Answer.objects.bulk_create(rows, batch_size=5000)
                rows = []
        Answer.objects.bulk_create(rows, batch_size=5000)
    tallies_rebuild(survey)  # written in bulk: the counters recounted once, as the demo does
    return survey


def _times(fn: object, runs: int = RUNS) -> dict:
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    wall.sort()
    cpu.sort()
    return {"runs": runs, "median_ms": round(wall[len(wall) // 2], 1), "max_ms": round(wall[-1], 1),
            "cpu_median_ms": round(cpu[len(cpu) // 2], 1)}  # fmt: skip


def _measure(engine: str) -> dict:
    from django.template.loader import render_to_string

    from linli.voice.models import Answer, Channel
    from linli.voice.selectors_results import Filters, results

    t0 = time.perf_counter()
    survey = _populate()
    fill_s = time.perf_counter() - t0
    answers = Answer.objects.filter(question__survey=survey).count()
    results(survey)  # warm jieba's dictionary once, as a running server has

    def page() -> str:
        r = results(survey)
        return render_to_string("voice/staff_results.html", {"survey": survey, "street": survey.street, "results": r,  # type: ignore[attr-defined]
                                "staff": True, "committees": [], "channels": Channel.choices, "filters": Filters()})  # fmt: skip

    def raw() -> int:
        return len(list(Answer.objects.filter(question__survey=survey).values_list(
            "response_id", "question_id", "option", "number", "text")))  # fmt: skip

    page()  # and the template compiled once, as a running server has
    selector = _times(lambda: results(survey))
    filtered = _times(
        lambda: results(survey, filters=Filters(committee_id=survey.street.committees.first().pk, channel="door"))
    )  # type: ignore[attr-defined]
    rendered = _times(page)
    baseline = _times(raw)
    return {
        "bench": "voice_results",
        "database": engine,
        "responses": N_RESPONSES,
        "questions": N_QUESTIONS,
        "answer_rows": answers,
        "fill_seconds": round(fill_s, 1),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "results": selector,
        "results_filtered_committee_door": filtered,
        "results_page_rendered": rendered,
        "baseline_read_answers_raw": baseline,
        "ratio_baseline_over_page": round(baseline["median_ms"] / rendered["median_ms"], 2),
        "budget": {"page_ms": BUDGET_MS, "met": rendered["median_ms"] <= BUDGET_MS},
        "answering": _answering(survey.street),  # type: ignore[attr-defined]
    }


def _answering(street: object) -> dict:
    """CPU per survey answer against CPU per activity booking and per ping (module docstring)."""
    import datetime as dt
    import json
    import statistics
    import uuid

    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from linli.activities.models import Activity
    from linli.core.geo import h3_cell
    from linli.core.models import User
    from linli.core.services import token_create
    from linli.places.models import Place
    from linli.voice.services.surveys import survey_create

    settings.ALLOWED_HOSTS = ["*"]
    now = timezone.now()
    values = {"single": 1, "multiple": [0, 2], "rating": 4, "ranking": [2, 0, 1, 3], "number": 3}
    bodies = {}
    for n in SIZES:  # a short survey and the results benchmark's 20 questions
        kinds = (["single", "multiple", "rating", "ranking", "number"] * 4)[:n]
        specs = [{"kind": k, "text": f"答题{i}", "options": ["甲", "乙", "丙", "丁"] if k in ("single", "multiple", "ranking") else []}
                 for i, k in enumerate(kinds)]  # fmt: skip
        survey = survey_create(street=street, title=f"答题问卷{n}", closes_at=now + dt.timedelta(days=7),
                               questions=specs, opens_at=now - dt.timedelta(days=1))  # fmt: skip
        questions = list(survey.questions.order_by("position", "id"))
        bodies[n] = (survey.pk, json.dumps({"answers": {str(q.pk): values[q.kind] for q in questions}}))
    lat, lng = 31.2304, 121.4737
    place = Place.objects.create(street=street, external_id="bench-voice-venue", name="问卷压测活动室",
                                 kind="party_service_center", address="某路2号", lat=lat, lng=lng,
                                 h3_cell=h3_cell(lat, lng))  # fmt: skip
    start = now + dt.timedelta(days=10)
    activity = Activity.objects.create(street=street, place=place, title="问卷压测活动", start=start,
                                       end=start + dt.timedelta(hours=2), capacity=None, status="published",
                                       external_id="bench-voice-activity")  # fmt: skip
    per_round = ANSWERS * len(SIZES) + 10
    users = ROUNDS * per_round
    tokens = []
    for i in range(users):
        user = User.objects.create(phone=f"+86139{i:08d}", display_name=f"居民{i}", home_street_id=street.pk)  # type: ignore[attr-defined]
        tokens.append(token_create(user=user, name="bench"))
    client = Client()
    for token in tokens:  # every resident has used the app in the last hour, as in steady use: its token's last
        # use is recorded (once an hour, core.auth), else the first request of each token would pay that write
        # (the answers, which came first) and the second not (the bookings)
        if client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code != 200:
            raise RuntimeError("the bench's token does not sign in")

    def post(path: str, token: str, data: str) -> None:
        response = client.post(path, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
                               HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))  # fmt: skip
        if response.status_code != 201:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.content[:300]!r}")

    def cpu_per(fn: object, n: int) -> float:
        t0 = time.process_time()
        for i in range(n):
            fn(i)  # type: ignore[operator]
        return (time.process_time() - t0) / n * 1000

    rounds = []
    booking_path = f"/api/v1/activities/{activity.pk}/bookings"
    for r in range(ROUNDS):
        mine = tokens[r * per_round : (r + 1) * per_round]
        for i in range(10):  # warm-up: the first of each kind of request
            for survey_id, body in bodies.values():
                post(f"/api/v1/surveys/{survey_id}/responses", mine[i], body)
            post(booking_path, mine[i], "{}")
        row: dict[str, float] = {}
        for k, (n, (survey_id, body)) in enumerate(bodies.items()):
            base = 10 + k * ANSWERS
            path = f"/api/v1/surveys/{survey_id}/responses"
            row[f"cpu_ms_per_answer_{n}q"] = round(cpu_per(lambda i, m=mine, b=base, p=path, d=body: post(p, m[b + i], d), ANSWERS), 3)  # fmt: skip
        book = cpu_per(lambda i, m=mine: post(booking_path, m[10 + i], "{}"), ANSWERS)
        ping = cpu_per(lambda i: client.get("/api/v1/ping"), PINGS)
        row.update({"cpu_ms_per_booking": round(book, 3), "cpu_ms_per_ping": round(ping, 4)})
        for n in SIZES:
            row[f"ratio_answer_{n}q_to_booking"] = round(row[f"cpu_ms_per_answer_{n}q"] / book, 2)
        rounds.append(row)
    ratios = {n: statistics.median(x[f"ratio_answer_{n}q_to_booking"] for x in rounds) for n in SIZES}
    return {
        "answers_per_round": ANSWERS,
        "questions_per_answer": list(SIZES),
        "rounds": rounds,
        **{f"median_ratio_answer_{n}q_to_booking_cpu": ratios[n] for n in SIZES},
        "median_ratio_answer_20q_to_ping_cpu": statistics.median(
            x[f"cpu_ms_per_answer_{SIZES[-1]}q"] / x["cpu_ms_per_ping"] for x in rounds
        ),
        # Issue 19 asked for an answer at most a booking's cost; issue 23 for the new domains' hot writes within
        # 2x a booking's. A 20-question answer writes 21 rows and about 40 counters where a booking writes 2
        # rows: the 2x budget is the one held (the README and the note give both figures).
        "budget": {
            "answer_at_most_2x_booking": True,
            "met": all(r <= 2.0 for r in ratios.values()),
            "answer_at_most_booking": all(r <= 1.0 for r in ratios.values()),
        },  # fmt: skip
    }
