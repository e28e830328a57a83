"""The results' counters (`Tally`): kept with each response, they give the same results as recounting the answers
(every filter by committee and channel), a replayed answer is not counted twice, and a refused one counts
nothing; the results read the counters, not the answers."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli.core.errors import Problem
from linli.voice.models import Tally
from linli.voice.selectors_results import Filters, results
from linli.voice.services.surveys import response_submit
from linli.voice.services.tallies import tallies_rebuild
from linli.voice.tests.factories import build_voice_world, counted_kinds, make_survey

pytestmark = pytest.mark.django_db
QS = counted_kinds()


def _dump(survey: Any, f: Filters) -> dict[str, Any]:
    out = results(survey, filters=f).as_dict()
    for q in out["questions"]:
        q.pop("words", None), q.pop("texts", None)
    return out


def test_counters_equal_a_recount_of_the_answers_for_every_filter() -> None:
    w = build_voice_world()
    s = make_survey(w, questions=QS)
    q = [x.pk for x in s.questions.all()]
    rng = random.Random(3)
    users = [w.resident, w.resident2, w.staff, w.rider]
    for i in range(24):
        first = rng.randrange(3)
        answers: dict[str, Any] = {str(q[0]): first, str(q[2]): rng.randint(1, 5), str(q[4]): rng.randint(1, 9)}
        if first != 1:
            answers[str(q[1])] = rng.sample(range(4), rng.randint(1, 3))
        if rng.random() < 0.7:
            answers[str(q[3])] = rng.sample(range(3), 3)
        if rng.random() < 0.5:
            answers[str(q[5])] = "王阿姨"
        compound = w.compound if i % 3 else w.compound2
        if i < len(users):
            response_submit(survey=s, user=users[i], compound=compound, answers=answers)
        else:
            cid = uuid.uuid4()
            response_submit(survey=s, user=w.head, channel="door", consent=True, compound=compound,
                            flat=f"1-{i}", answers=answers, client_id=cid)  # fmt: skip
            response_submit(
                survey=s,
                user=w.head,
                channel="door",
                consent=True,
                compound=compound,
                flat=f"1-{i}",
                answers=answers,
                client_id=cid,
            )  # a replay: counted once
    with pytest.raises(Problem):  # refused (a hidden question answered): counts nothing
        response_submit(survey=s, user=w.head, channel="door", consent=True, compound=w.compound, flat="9-9",
                        answers={str(q[0]): 1, str(q[1]): [0]})  # fmt: skip
    filters = [Filters(), Filters(channel="door"), Filters(channel="online"), Filters(committee_id=w.committee.pk),
               Filters(committee_id=w.committee2.pk, channel="door")]  # fmt: skip
    kept = [_dump(s, f) for f in filters]
    assert kept[0]["total"] == 24 and kept[1]["total"] == 20
    assert sum(kept[0]["questions"][0]["options"][i]["count"] for i in range(3)) == 24
    tallies_rebuild(s)
    assert [_dump(s, f) for f in filters] == kept


def test_results_read_the_counters_not_the_answers() -> None:
    w = build_voice_world()
    s = make_survey(w, questions=QS[:5])
    q = [x.pk for x in s.questions.all()]
    response_submit(survey=s, user=w.resident, compound=w.compound,
                    answers={str(q[0]): 0, str(q[2]): 4, str(q[3]): [2, 0, 1], str(q[4]): 3})  # fmt: skip
    assert Tally.objects.filter(survey=s).exists()
    with CaptureQueriesContext(connection) as seen:
        r = results(s)
    assert not [x["sql"] for x in seen.captured_queries if '"voice_answer"' in x["sql"]]  # no text question here
    ranking = r.questions[3]
    assert ranking.rank_average == [2.0, 3.0, 1.0] and r.questions[4].average == 3
