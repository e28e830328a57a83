"""Results: counts per question by the database, filters by committee and channel, response rate per committee,
word frequency of text answers for staff; public results only after close, choices and ratings only, no text;
the de-identified exports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from linli.voice.selectors_results import Filters, results
from linli.voice.services.surveys import response_submit
from linli.voice.tests.factories import build_voice_world, make_survey

pytestmark = pytest.mark.django_db
QS = [
    {"kind": "single", "text": "开放吗？", "options": ["是", "否"], "required": True},
    {"kind": "rating", "text": "满意度"},
    {"kind": "long_text", "text": "建议"},
    {"kind": "multiple", "text": "服务", "options": ["食堂", "图书", "健身"]},
    {"kind": "number", "text": "人数"},
]


def _fill(w: Any) -> Any:
    s = make_survey(w, questions=QS)
    q = list(s.questions.all())
    response_submit(survey=s, user=w.resident, compound=w.compound, answers={
        str(q[0].pk): 0, str(q[1].pk): 5, str(q[2].pk): "希望增加食堂，食堂要便宜", str(q[3].pk): [0, 1], str(q[4].pk): 2})  # fmt: skip
    response_submit(survey=s, user=w.head, channel="door", consent=True, compound=w.compound2, flat="2-301",
                    answers={str(q[0].pk): 1, str(q[1].pk): 3, str(q[2].pk): "电话13812345678找我，食堂太远",
                             str(q[3].pk): [0], str(q[4].pk): 4})  # fmt: skip
    return s


def test_counts_filters_and_coverage() -> None:
    w = build_voice_world()
    s = _fill(w)
    r = results(s).as_dict()
    assert r["total"] == 2 and r["by_channel"] == {"online": 1, "door": 1}
    single, rating, text, multiple, number = r["questions"]
    assert [o["count"] for o in single["options"]] == [1, 1]
    assert rating["stars"] == [0, 0, 1, 0, 1] and rating["average"] == 4
    assert [o["count"] for o in multiple["options"]] == [2, 1, 0]
    assert (number["average"], number["min"], number["max"]) == (3, 2, 4)
    assert {x["word"]: x["count"] for x in text["words"]}["食堂"] == 3
    assert {c["committee"]: (c["responses"], c["households"], c["rate"]) for c in r["coverage"]} == {
        "建新居委": (1, 40, 0.025), "平福居委": (1, 20, 0.05)}  # fmt: skip
    door = results(s, filters=Filters(channel="door")).as_dict()
    assert door["total"] == 1 and [o["count"] for o in door["questions"][0]["options"]] == [0, 1]
    c2 = results(s, filters=Filters(committee_id=w.committee.pk)).as_dict()
    assert c2["total"] == 1 and c2["questions"][1]["stars"] == [0, 0, 0, 0, 1]


def test_public_results_after_close_without_text(client: Any) -> None:
    w = build_voice_world()
    s = _fill(w)
    url = f"/api/v1/surveys/{s.pk}/results"
    assert client.get(url).json()["code"] == "results_not_public"
    client.force_login(w.resident)
    assert client.get(url).json()["code"] == "results_not_public"
    client.force_login(w.staff)
    staff = client.get(url).json()
    assert any(q["kind"] == "long_text" for q in staff["questions"])
    assert "13812345678" not in str(staff)  # text shown to staff, phone numbers masked
    s.closes_at = timezone.now() - timedelta(minutes=1)
    s.save()
    client.logout()
    public = client.get(url).json()
    kinds = [q["kind"] for q in public["questions"]]
    assert kinds == ["single", "rating", "multiple"]
    assert "食堂太远" not in str(public) and "希望增加" not in str(public)
    s.results_public = False
    s.save()
    assert client.get(url).json()["code"] == "results_not_public"


def test_exports_are_de_identified_and_formula_safe(client: Any) -> None:
    w = build_voice_world()
    s = _fill(w)
    client.force_login(w.staff)
    body = client.get(f"/voice/staff/surveys/{s.pk}/export.csv").content.decode("utf-8-sig")
    assert "13812345678" not in body and "138****5678" in body
    assert str(w.resident.phone) not in body and "王阿姨" not in body
    assert "建新居委" in body and "入户走访" in body
    xlsx = client.get(f"/voice/staff/surveys/{s.pk}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    client.force_login(w.resident)
    assert client.get(f"/voice/staff/surveys/{s.pk}/export.csv").status_code == 403
