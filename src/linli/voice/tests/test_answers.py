"""Every question type's validation, the conditions, required answers: through the service and the API (each
refused answer names its question)."""

from __future__ import annotations

from typing import Any

import pytest

from linli.core.errors import Problem
from linli.voice.models import Answer, Question
from linli.voice.services.surveys import response_submit
from linli.voice.tests.factories import PIXEL_PNG, build_voice_world, make_survey

pytestmark = pytest.mark.django_db


def _q(survey: Any) -> list[Question]:
    return list(survey.questions.all())


def _refused(survey: Any, user: Any, answers: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(Problem) as exc:
        response_submit(survey=survey, answers=answers, user=user)
    assert exc.value.code == "validation_error"
    return exc.value.errors


def test_a_full_valid_response_stores_one_row_per_value() -> None:
    w = build_voice_world()
    s = make_survey(w)
    q = _q(s)
    answers = {str(q[0].pk): 0, str(q[1].pk): "增加食堂和书屋", str(q[2].pk): [0, 2], str(q[3].pk): 5,
               str(q[4].pk): [2, 0, 1], str(q[5].pk): "王阿姨", str(q[6].pk): 3, str(q[7].pk): "2026-12-20",
               str(q[8].pk): f"data:image/png;base64,{PIXEL_PNG}", str(q[9].pk): {"lat": 31.25, "lng": 121.39},
               str(q[10].pk): 1}  # fmt: skip
    done = response_submit(survey=s, answers=answers, user=w.resident)
    assert not done.duplicate
    rows = Answer.objects.filter(response=done.response)
    assert rows.filter(question=q[2]).count() == 2
    assert list(rows.filter(question=q[4]).order_by("number").values_list("option", flat=True)) == [2, 0, 1]
    assert rows.get(question=q[9]).text == "31.250000,121.390000"
    assert rows.get(question=q[8]).photo.name.endswith(".jpg")


@pytest.mark.parametrize(
    ("index", "value"),
    [
        (0, 2), (0, "0"), (0, True), (2, [0, 0]), (2, [0, 1, 2, 3]), (2, [9]), (3, 0), (3, 6), (3, 4.5),
        (4, [0, 0]), (4, "0,1"), (5, "x" * 201), (5, 5), (6, 0), (6, 21), (6, "三"), (6, float("inf")),
        (7, "2026-13-01"), (7, "20.12.2026"), (7, 20261201), (8, "not base64!"), (8, "aGVsbG8="),
        (9, {"lat": 91, "lng": 0}), (9, {"lat": 1}), (9, "31.2,121.4"),
    ],
)  # fmt: skip
def test_each_type_refuses_a_wrong_value_naming_the_question(index: int, value: Any) -> None:
    w = build_voice_world()
    s = make_survey(w)
    q = _q(s)
    errors = _refused(s, w.resident, {str(q[0].pk): 1, str(q[index].pk): value} if index else {str(q[0].pk): value})
    assert [e["question_id"] for e in errors] == [q[index].pk]


def test_a_long_text_over_2000_characters_is_refused() -> None:
    w = build_voice_world()
    s = make_survey(w)
    q = _q(s)
    errors = _refused(s, w.resident, {str(q[0].pk): 0, str(q[1].pk): "长" * 2001})
    assert errors[0]["question_id"] == q[1].pk


def test_conditions_show_and_hide_follow_up_questions() -> None:
    w = build_voice_world()
    s = make_survey(w)
    q = _q(s)
    # equals: answering 希望 shows the required follow-up; without it the answer is incomplete
    errors = _refused(s, w.resident, {str(q[0].pk): 0})
    assert [e["question_id"] for e in errors] == [q[1].pk]
    # not equals: 不希望 hides the follow-up (an answer to it is refused) and shows "why not"
    errors = _refused(s, w.resident, {str(q[0].pk): 1, str(q[1].pk): "食堂"})
    assert [e["question_id"] for e in errors] == [q[1].pk]
    # includes: the charging question only when 健身 (option 2) is among the services
    errors = _refused(s, w.resident, {str(q[0].pk): 1, str(q[2].pk): [0], str(q[10].pk): 0})
    assert [e["question_id"] for e in errors] == [q[10].pk]
    ok = response_submit(survey=s, answers={str(q[0].pk): 1, str(q[11].pk): "怕吵", str(q[2].pk): [2],
                                            str(q[10].pk): 0}, user=w.resident)  # fmt: skip
    assert ok.response.answers.count() == 4


def test_an_answer_to_an_unknown_question_is_refused() -> None:
    w = build_voice_world()
    s = make_survey(w)
    q = _q(s)
    errors = _refused(s, w.resident, {str(q[0].pk): 1, "999999": 1, "abc": 2})
    assert {e["field"] for e in errors} == {"answers.999999", "answers.abc"}


def test_the_api_answers_validation_error_with_question_ids(client: Any) -> None:
    w = build_voice_world()
    s = make_survey(w)
    q = _q(s)
    client.force_login(w.resident)
    resp = client.post(f"/api/v1/surveys/{s.pk}/responses", {"answers": {str(q[0].pk): 0, str(q[3].pk): 9}},
                       content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "validation_error"
    assert sorted(e["question_id"] for e in body["errors"]) == sorted([q[1].pk, q[3].pk])
    assert all(e["message_en"] for e in body["errors"])


def test_the_api_gives_questions_with_conditions(client: Any) -> None:
    w = build_voice_world()
    s = make_survey(w)
    q = _q(s)
    body = client.get(f"/api/v1/surveys/{s.pk}").json()
    assert len(body["questions"]) == 12
    assert body["questions"][1]["condition"] == {"question": q[0].pk, "op": "equals", "value": 0}
    assert body["questions"][0]["section"] == "基本情况"
    listed = client.get(f"/api/v1/surveys?street={w.street.code}").json()
    assert [x["id"] for x in listed] == [s.pk]
    assert client.get("/api/v1/surveys?street=nowhere").json()["code"] == "unknown_street"
    assert client.get("/api/v1/surveys/999999").json()["code"] == "not_found"
