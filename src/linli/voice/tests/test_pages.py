"""The voice pages: answering on the phone (conditions, household), door page for building-group heads only,
staff results with both channels and coverage, needs board to consultation, the invitation page, the public
pages; nothing inline (CSP)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from linli.voice.models import Consultation, Need, Response
from linli.voice.services import needs
from linli.voice.services.consultations import consultation_create
from linli.voice.services.surveys import response_submit
from linli.voice.tests.factories import build_voice_world, make_survey

pytestmark = pytest.mark.django_db
QS = [
    {"kind": "single", "text": "开放围墙吗？", "options": ["开放", "不开放"], "required": True},
    {"kind": "long_text", "text": "开放后想要什么？", "condition": {"question": 0, "op": "equals", "value": 0},
     "required": True},
    {"kind": "rating", "text": "满意度"},
]  # fmt: skip


def _no_inline(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html.replace('type="application/json"', "")), "inline script"
    assert " style=" not in html and "<style" not in html


def test_resident_answers_on_the_phone(client: Any) -> None:
    w = build_voice_world()
    s = make_survey(w, questions=QS)
    q = list(s.questions.all())
    assert client.get(f"/voice/s/{s.pk}/").status_code == 302  # sign in first
    client.force_login(w.resident)
    page = client.get(f"/voice/s/{s.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-one-per-screen="1"' in html and f'data-cond-q="{q[0].pk}"' in html
    _no_inline(html)
    bad = client.post(f"/voice/s/{s.pk}/", {f"q{q[0].pk}": "0"})
    assert bad.status_code == 422 and "这道题必须回答" in bad.content.decode()
    # an answer to the hidden follow-up from a page without script is ignored
    ok = client.post(f"/voice/s/{s.pk}/", {f"q{q[0].pk}": "1", f"q{q[1].pk}": "x", f"q{q[2].pk}": "4"})
    assert ok.status_code == 302
    assert Response.objects.get(survey=s).answers.count() == 2
    assert "已经填写过" in client.get(f"/voice/s/{s.pk}/").content.decode()
    home = client.get(f"/voice/?street={w.street.code}").content.decode()
    assert s.title in home


def test_door_page_for_building_heads_only(client: Any) -> None:
    w = build_voice_world()
    s = make_survey(w, questions=QS)
    client.force_login(w.resident)
    assert client.get(f"/voice/door/{s.pk}/").status_code == 403
    client.force_login(w.head)
    page = client.get(f"/voice/door/{s.pk}/")
    assert page.status_code == 200 and "door.js" in page.content.decode()
    _no_inline(page.content.decode())
    assert client.get(f"/voice/staff/?street={w.street.code}").status_code == 200
    assert client.get(f"/voice/staff/surveys/{s.pk}/").status_code == 403  # results are for staff


def test_staff_results_show_both_channels_and_response_rate(client: Any) -> None:
    w = build_voice_world()
    s = make_survey(w, questions=QS)
    q = list(s.questions.all())
    response_submit(survey=s, user=w.resident, answers={str(q[0].pk): 1})
    response_submit(survey=s, user=w.head, channel="door", consent=True, compound=w.compound, flat="1-101",
                    answers={str(q[0].pk): 0, str(q[1].pk): "想要食堂"})  # fmt: skip
    client.force_login(w.staff)
    html = client.get(f"/voice/staff/surveys/{s.pk}/").content.decode()
    assert 'id="by-online">网上填写 1' in html and 'id="by-door">入户走访 1' in html
    assert "<svg" in html and "想要食堂" in html
    assert re.search(r"建新居委</td><td>1</td><td>40</td><td>2.5%", html)
    filtered = client.get(f"/voice/staff/surveys/{s.pk}/?channel=door").content.decode()
    assert 'id="by-online">网上填写 0' in filtered


def test_need_to_consultation_invitation_and_public_page(client: Any) -> None:
    w = build_voice_world()
    client.force_login(w.resident)
    client.post(
        "/voice/needs/new/", {"street": w.street.code, "committee": w.committee.pk, "text": "楼道电瓶车充电危险"}
    )
    need = Need.objects.get()
    client.force_login(w.staff)
    board = client.get(f"/voice/staff/needs/?street={w.street.code}")
    assert "楼道电瓶车充电危险" in board.content.decode()
    resp = client.post("/voice/staff/needs/", {"street": w.street.code, "need": need.pk, "action": "consult",
                                               "title": "建电瓶车棚"})  # fmt: skip
    c = Consultation.objects.get()
    assert resp["Location"] == f"/voice/staff/consultations/{c.pk}/"
    resp = client.post(f"/voice/staff/consultations/{c.pk}/", {"action": "invite", "party": "物业公司"})
    token = resp["Location"].split("link=")[1]
    client.logout()
    page = client.get(f"/voice/invite/{token}/")
    assert page.status_code == 200 and "建电瓶车棚" in page.content.decode()
    done = client.post(f"/voice/invite/{token}/", {"answer": "accept", "attendee_names": "张经理"})
    assert "已确认参会" in done.content.decode()
    assert client.get(f"/voice/invite/{token}/").status_code == 409
    assert client.get("/voice/invite/forged/").status_code == 404
    public = client.get(f"/voice/what-we-did/{w.street.code}/?committee={w.committee.pk}")
    assert "建电瓶车棚" in public.content.decode()
    _no_inline(public.content.decode())


def test_public_results_only_after_close(client: Any) -> None:
    w = build_voice_world()
    s = make_survey(w, questions=QS)
    q = list(s.questions.all())
    response_submit(survey=s, user=w.resident, answers={str(q[0].pk): 0, str(q[1].pk): "秘密的建议"})
    assert client.get(f"/voice/results/{s.pk}/").status_code == 403
    s.closes_at = timezone.now() - timedelta(minutes=1)
    s.save()
    html = client.get(f"/voice/results/{s.pk}/").content.decode()
    assert "开放围墙吗" in html and "秘密的建议" not in html and "开放后想要什么" not in html


def test_staff_consultation_flow_on_pages(client: Any) -> None:
    w = build_voice_world()
    need = needs.need_create(street=w.street, committee=w.committee, text="换物业")
    c = consultation_create(committee=w.committee, title="更换物业", problem="物业不作为", need=need, actor=w.staff)
    client.force_login(w.staff)
    url = f"/voice/staff/consultations/{c.pk}/"
    client.post(url, {"action": "schedule", "meeting_at": "2026-12-20T14:00", "venue": "居委会议室"})
    client.post(url, {"action": "meeting", "attendees": "房管所", "decisions": "启动选聘",
                      "actions": "公告选聘 | 业委会 | 2026-12-30\n签约 | 街道房办 | 2027-01-30"})  # fmt: skip
    c.refresh_from_db()
    assert c.status == "met" and c.actions.count() == 2
    for a in c.actions.all():
        client.post(url, {"action": "done", "item": a.pk, "evidence": "已完成"})
    client.post(url, {"action": "close", "outcome": "新物业已进驻"})
    c.refresh_from_db()
    assert c.status == "closed"
    html = client.get(url).content.decode()
    assert "新物业已进驻" in html
    assert client.get(f"/voice/staff/consultations/?street={w.street.code}").status_code == 200
    client.force_login(w.resident)
    assert client.get(url).status_code == 403
