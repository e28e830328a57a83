"""The answering fast path agrees with its step-by-step twin (docs/architecture.md, "Fast paths").

`fast.response_write` (plain statements) and `surveys.response_write` (the ORM, the reference) take the same
generated sequences of answers, each on a survey of its own in the same database (SQLite here, PostgreSQL in
`make test-pg`): online answers by signed-in residents, door entries by a building-group head, per person or per
household, some repeated. Every outcome (the response, or the refusal's code and message) and every row written
(responses, answers, the results' counters) must be the same. `fast.questions_read` gives what
`survey.questions.all()` gives."""

from __future__ import annotations

import itertools
import uuid
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from linli.core.errors import Problem
from linli.core.tests.factories import UserFactory
from linli.voice.models import Answer, Response, Tally
from linli.voice.services import fast, surveys
from linli.voice.tests.factories import build_voice_world, counted_kinds, make_survey

pytestmark = pytest.mark.django_db

_worlds = itertools.count()
N_RESIDENTS = 3
QS = [*counted_kinds(), {"kind": "date", "text": "方便的日期"}]

answer_values = st.fixed_dictionaries(
    {"0": st.integers(0, 2)},
    optional={
        "1": st.lists(st.integers(0, 3), min_size=1, max_size=3, unique=True),
        "2": st.integers(1, 5),
        "3": st.permutations([0, 1, 2]),
        "4": st.integers(1, 9),
        "5": st.sampled_from(["王", "李先生", "  张阿姨 "]),
        "6": st.sampled_from(["2026-12-01", "2027-01-15"]),
    },
)
step = st.tuples(
    st.one_of(st.integers(0, N_RESIDENTS - 1), st.just("door")),  # who answers
    st.integers(0, 1),  # which flat (door entries and per-household surveys)
    answer_values,
    st.booleans(),  # send the step's client id again (an offline replay)
)


def _household(key: str) -> str:
    """The household key without its compound's id (each run has compounds of its own)."""
    return key.split(":", 1)[-1]


@contextmanager
def _reference() -> Any:
    """`response_submit` with the step-by-step write in place of the fast one."""
    with mock.patch.object(surveys.fast, "response_write", surveys.response_write):
        yield


def _run(fast_path: bool, *, one_answer: str, steps: list[tuple[Any, int, dict[str, Any], bool]], now: Any) -> Any:
    world = build_voice_world(code=f"fastv{next(_worlds)}")
    survey = make_survey(world, questions=QS, one_answer=one_answer)
    ids = {q.position: q.pk for q in survey.questions.all()}
    residents = [UserFactory() for _ in range(N_RESIDENTS)]
    who = {u.pk: i for i, u in enumerate(residents)} | {world.head.pk: "head"}
    outcomes = []
    last_client_id = None
    for n, (person, flat, values, replay) in enumerate(steps):
        answers = {str(ids[int(k)]): v for k, v in values.items()}
        client_id = last_client_id if replay and last_client_id else uuid.UUID(int=n + 1)
        door = person == "door"
        kwargs: dict[str, Any] = {
            "survey": survey, "answers": answers, "client_id": client_id, "now": now, "drop_hidden": True,
            "user": world.head if door else residents[person], "channel": "door" if door else "online",
            "compound": world.compound if door or one_answer == "household" else None,
            "flat": f"3号楼{flat + 1}01室", "consent": door,
        }  # fmt: skip
        try:
            with _reference() if not fast_path else mock.MagicMock():
                done = surveys.response_submit(**kwargs)
            outcomes.append(("ok", done.duplicate, done.response.channel, _household(done.response.household)))
            last_client_id = client_id
        except Problem as problem:
            outcomes.append((problem.code, str(problem.detail), str(problem.errors)))
    position = {pk: pos for pos, pk in ids.items()}
    rows = [
        (r.client_id, who.get(r.user_id), who.get(r.entered_by_id), r.channel, r.committee_id is not None,
         r.compound_id is not None, _household(r.household), r.consent, r.created_at,
         sorted((position[a.question_id], a.option, a.number, a.text, a.photo.name) for a in r.answers.all()))
        for r in Response.objects.filter(survey=survey).order_by("id")
    ]  # fmt: skip
    committee = {world.committee.pk: "c1", world.committee2.pk: "c2", 0: "none"}
    tallies = sorted(
        (position.get(t.question_id, -1), committee[t.committee_id], t.channel, t.bucket, t.n, t.total, t.lo, t.hi)
        for t in Tally.objects.filter(survey=survey)
    )
    return outcomes, rows, tallies


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(one_answer=st.sampled_from(["person", "household"]), steps=st.lists(step, min_size=1, max_size=6))
def test_fast_and_step_by_step_answers_write_the_same(one_answer: str, steps: list[Any]) -> None:
    now = timezone.now()
    fast_run = _run(True, one_answer=one_answer, steps=steps, now=now)
    reference = _run(False, one_answer=one_answer, steps=steps, now=now)
    assert fast_run == reference
    assert any(o[0] == "ok" for o in fast_run[0]) == bool(fast_run[1])  # a response was written when one was taken


def test_the_fast_path_takes_answers_and_refuses_a_second_one() -> None:
    """The sequence a resident meets, named: the first answer is taken with its rows and counters, the same
    device's replay returns it, a second answer of the same person is refused and writes nothing."""
    world = build_voice_world()
    survey = make_survey(world, questions=QS)
    ids = [q.pk for q in survey.questions.all()]
    answers = {str(ids[0]): 0, str(ids[2]): 4}
    first = surveys.response_submit(survey=survey, answers=answers, user=world.resident, client_id=uuid.uuid4())
    assert not first.duplicate
    assert Answer.objects.filter(response=first.response).count() == 2
    assert Tally.objects.filter(survey=survey, question_id=ids[2], bucket=4).get().n == 1
    again = surveys.response_submit(survey=survey, answers=answers, user=world.resident,
                                    client_id=first.response.client_id)  # fmt: skip
    assert again.duplicate and again.response.pk == first.response.pk
    with pytest.raises(Problem) as refused:
        surveys.response_submit(survey=survey, answers=answers, user=world.resident)
    assert refused.value.code == "already_answered"
    assert Response.objects.filter(survey=survey).count() == 1
    assert Answer.objects.filter(response__survey=survey).count() == 2


def test_questions_read_gives_the_questions_in_their_order() -> None:
    world = build_voice_world()
    survey = make_survey(world, questions=QS)
    reference = list(survey.questions.all())
    read = fast.questions_read(survey)
    assert [q.pk for q in read] == [q.pk for q in reference]
    for mine, theirs in zip(read, reference, strict=True):
        assert {f.attname: getattr(mine, f.attname) for f in mine._meta.concrete_fields} == {
            f.attname: getattr(theirs, f.attname) for f in theirs._meta.concrete_fields
        }
