"""The staff survey editor (page and API): questions of every type with sections, a condition and the audience
and dates; bad input refused with the question named and nothing written; once answered, the questions stay;
only the street's staff may write; the staff list names a survey's status in words; the word counts' cache key
is the same in every process."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from linli.voice.models import Question, Survey
from linli.voice.services.surveys import response_submit
from linli.voice.tests.factories import build_voice_world, every_kind, make_survey

pytestmark = pytest.mark.django_db
KINDS = ["single", "multiple", "rating", "ranking", "short_text", "long_text", "number", "date", "photo", "place"]


def _form(street_rows: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    now = timezone.localtime()
    data: dict[str, Any] = {"title": "新问卷", "intro": "", "audience": "street", "one_answer": "person",
                            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
                            "closes_at": (now + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
                            "results_public": "1", "rows": str(len(street_rows))}  # fmt: skip
    for i, row in enumerate(street_rows):
        for k, v in row.items():
            data[f"q{i}-{k}"] = v
    data.update(fields)
    return data


def test_staff_write_a_survey_of_every_type_with_sections_and_a_condition_on_the_page(client: Any) -> None:
    w = build_voice_world()
    client.force_login(w.staff)
    page = client.get(f"/voice/staff/surveys/new/?street={w.street.code}")
    assert page.status_code == 200 and 'id="survey-form"' in page.content.decode()
    rows = [{"kind": k, "text": f"题目 {k}", "section": "基本情况" if n < 5 else "意见"} for n, k in enumerate(KINDS)]
    rows[0] |= {"options": "希望\n不希望", "required": "1"}
    rows[1] |= {
        "options": "食堂\n图书\n健身",
        "max_choices": "2",
        "cond_q": "1",
        "cond_op": "equals",
        "cond_value": "1",
    }
    rows[3] |= {"options": "停车\n充电"}
    rows[6] |= {"min": "1", "max": "12"}
    rows.append({"kind": "single", "text": ""})  # a blank row is left out
    resp = client.post(f"/voice/staff/surveys/new/?street={w.street.code}",
                       _form(rows, audience="committees", committee_ids=[str(w.committee.pk)]))  # fmt: skip
    assert resp.status_code == 302, resp.content.decode()[:2000]
    survey = Survey.objects.get(title="新问卷")
    assert survey.audience == "committees" and survey.committee_ids == [w.committee.pk]
    qs = list(survey.questions.select_related("section"))
    assert [q.kind for q in qs] == KINDS
    assert qs[0].required and qs[0].options == ["希望", "不希望"] and qs[0].section.title == "基本情况"
    assert qs[9].section.title == "意见" and survey.sections.count() == 2
    assert qs[1].condition == {"question": qs[0].pk, "op": "equals", "value": 0}  # option 1 on the page = index 0
    assert qs[1].max_choices == 2 and (qs[6].min_value, qs[6].max_value) == (1, 12)

    # Edit: the page shows the condition as it was written; a question is changed and one added.
    page = client.get(resp["Location"]).content.decode()
    assert 'id="survey-saved"' in page and 'name="q1-cond_q" inputmode="numeric" value="1"' in page
    rows[9] = {"kind": "short_text", "text": "您的称呼"}
    resp = client.post(f"/voice/staff/surveys/{survey.pk}/edit/", _form(rows, title="改过的问卷"))
    assert resp.status_code == 302
    survey.refresh_from_db()
    assert survey.title == "改过的问卷" and survey.questions.last().text == "您的称呼"

    # Bad input: the page says which question, nothing changes.
    bad = [*rows[:1], {"kind": "single", "text": "没有选项的单选"}, {"kind": "rating", "text": "条件指向后面",
                                                                  "cond_q": "5", "cond_op": "equals"}]  # fmt: skip
    resp = client.post(f"/voice/staff/surveys/{survey.pk}/edit/", _form(bad, closes_at="2000-01-01T00:00"))
    assert resp.status_code == 422
    text = resp.content.decode()
    assert "选择题需要 2 至 30 个选项" in text and "条件只能引用前面的题目" in text and "截止时间应晚于开始时间" in text
    assert survey.questions.count() == 10 and Survey.objects.get(pk=survey.pk).title == "改过的问卷"

    # Answered: the questions stay, the rest may still change.
    first = survey.questions.first()
    response_submit(survey=survey, answers={str(first.pk): 0}, user=w.resident, compound=w.compound)
    page = client.get(f"/voice/staff/surveys/{survey.pk}/edit/").content.decode()
    assert 'id="questions-locked"' in page
    resp = client.post(f"/voice/staff/surveys/{survey.pk}/edit/", _form(rows[:2], title="又改了标题"))
    assert resp.status_code == 302
    assert survey.questions.count() == 10 and Survey.objects.get(pk=survey.pk).title == "又改了标题"


def test_editor_is_for_the_streets_staff_only(client: Any) -> None:
    w = build_voice_world()
    survey = make_survey(w)
    for user in (w.head, w.resident):
        client.force_login(user)
        assert client.get(f"/voice/staff/surveys/{survey.pk}/edit/").status_code == 403
        assert client.get(f"/voice/staff/surveys/new/?street={w.street.code}").status_code == 403
        resp = client.patch(f"/api/v1/surveys/{survey.pk}", json.dumps({"title": "x"}), content_type="application/json")
        assert resp.status_code == 403


def test_api_creates_and_changes_a_survey(client: Any) -> None:
    w = build_voice_world()
    client.force_login(w.staff)
    closes = (timezone.now() + timedelta(days=5)).isoformat()
    body = {"street": w.street.code, "title": "API 问卷", "closes_at": closes, "audience": "role", "role": "rider",
            "questions": every_kind()}  # fmt: skip
    resp = client.post("/api/v1/surveys", json.dumps(body), content_type="application/json")
    assert resp.status_code == 201, resp.content
    out = resp.json()
    assert len(out["questions"]) == 12 and out["audience"] == "role"
    follow = out["questions"][1]
    assert follow["condition"] == {"question": out["questions"][0]["id"], "op": "equals", "value": 0}
    assert out["questions"][0]["section"] == "基本情况"

    bad = {**body, "questions": [{"kind": "single", "text": "x", "options": ["only"]},
                                 {"kind": "rating", "text": "y", "condition": {"question": 3, "op": "equals"}}]}  # fmt: skip
    resp = client.post("/api/v1/surveys", json.dumps(bad), content_type="application/json")
    assert resp.status_code == 422 and resp.json()["code"] == "validation_error"
    assert {e["field"] for e in resp.json()["errors"]} == {"questions[0].options", "questions[1].condition"}
    assert Survey.objects.filter(title="API 问卷").count() == 1  # nothing half-written

    sid = out["id"]
    resp = client.patch(f"/api/v1/surveys/{sid}", json.dumps({"title": "改名", "questions": every_kind()[:3]}),
                        content_type="application/json")  # fmt: skip
    assert resp.status_code == 200 and resp.json()["title"] == "改名" and len(resp.json()["questions"]) == 3
    assert Question.objects.filter(survey_id=sid).count() == 3


def test_staff_list_names_the_status_and_word_cache_key_is_stable(client: Any) -> None:
    from linli.voice import selectors_results

    w = build_voice_world()
    make_survey(w)
    client.force_login(w.staff)
    page = client.get(f"/voice/staff/?street={w.street.code}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "进行中" in page and ">open<" not in page
    # The word counts are cached under a digest of the texts that is the same in every worker (not hash()).
    survey = make_survey(w)
    text_q = survey.questions.get(kind="long_text")
    response_submit(survey=survey, answers={str(survey.questions.first().pk): 0, str(text_q.pk): "晚上开放自习室"},
                    user=w.resident2, compound=w.compound)  # fmt: skip
    selectors_results.results(survey)
    digest = hashlib.sha256("晚上开放自习室".encode()).hexdigest()[:16]
    assert cache.get(f"voice:words:{text_q.pk}:None::1:{digest}") is not None
