"""Issue 19's "done when" in a real browser (Chromium via Playwright): a resident answers a survey on her phone in
elder mode, one question per screen, and her answer to the first question shows the follow-up; the building-group
head enters two neighbours' answers on a tablet with the network off, goes online and they arrive once (a replay
of the same answer is not counted again); the staff results show both channels and the response rate; a need
becomes a 日日清 consultation, the invited company accepts through its link, an action is closed with its evidence
and the public "what we did" page shows it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from linli.core.testing.browser import shoot, signed_in_page, signed_in_phone, watch_errors
from linli.voice.models import Answer, Consultation, Invitation, Need, Response
from linli.voice.services.needs import need_create
from linli.voice.services.surveys import survey_create
from linli.voice.tests.factories import build_voice_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_elder_answers_door_visits_offline_results_and_consultation_to_public_page(
    live_server, browser_context_factory
):
    server = live_server
    w = build_voice_world()
    survey = survey_create(
        street=w.street, title="服务中心打开围墙，您怎么看？", closes_at=timezone.now() + timedelta(days=7),
        questions=[
            {"kind": "single", "text": "您希望服务中心开放围墙吗？", "options": ["希望", "不希望"], "required": True},
            {"kind": "long_text", "text": "开放后您想增加什么？", "condition": {"question": 0, "op": "equals", "value": 0}},
            {"kind": "rating", "text": "您对现在的服务满意吗？"},
        ],
    )  # fmt: skip
    q0, q1, q2 = survey.questions.order_by("position")

    # The resident, on her phone in elder mode: one question per screen; "希望" brings the follow-up.
    phone = signed_in_phone(browser_context_factory, server, w.resident, elder=True)
    phone.goto(f"{server.url}/voice/s/{survey.pk}/")
    assert phone.locator("html.elder").count() == 1
    assert phone.locator(f"#q-{q0.pk}").is_visible() and not phone.locator(f"#q-{q1.pk}").is_visible()
    assert phone.inner_text("#voice-progress") == "1 / 2"  # the follow-up is hidden until asked for
    choice = phone.locator(f"#q-{q0.pk} label.voice-choice").first
    assert choice.bounding_box()["height"] >= 48
    choice.click()
    assert phone.inner_text("#voice-progress") == "1 / 3"
    phone.click("#voice-next")
    assert phone.locator(f"#q-{q1.pk}").is_visible() and not phone.locator(f"#q-{q0.pk}").is_visible()
    phone.fill(f"#q{q1.pk}-input", "晚上开放自习室")
    phone.click("#voice-next")
    phone.locator(f"#q-{q2.pk} label.voice-star").nth(3).click()
    assert phone.locator("#voice-submit").is_visible()
    shoot(phone, "voice-answer-elder")
    phone.click("#voice-submit")
    phone.wait_for_selector("#thanks")
    online = Response.objects.get(survey=survey, user=w.resident)
    assert online.channel == "online"
    assert Answer.objects.get(response=online, question=q1).text == "晚上开放自习室"
    assert Answer.objects.get(response=online, question=q2).number == 4

    # The building-group head at the door, on a tablet with no network: two households kept on the tablet.
    tablet = signed_in_page(browser_context_factory, server, w.head, viewport={"width": 1024, "height": 768})
    tablet.goto(f"{server.url}/voice/door/{survey.pk}/")
    tablet.context.set_offline(True)
    tablet.wait_for_selector("#door-net.voice-offline")
    for flat, wants in (("3号楼201室", 0), ("3号楼202室", 1)):
        tablet.select_option("#door-compound", str(w.compound.pk))
        tablet.fill("#door-flat", flat)
        tablet.check("#door-consent")
        tablet.locator(f"#q-{q0.pk} label.voice-choice").nth(wants).click()
        if wants == 0:
            tablet.fill(f"#q{q1.pk}-input", "想要骑手驿站")
        tablet.locator(f"#q-{q2.pk} label.voice-star").nth(2).click()
        tablet.click("#door-save")
    assert tablet.inner_text("#door-pending") == "2"
    assert tablet.get_attribute("#door-net", "class") == "voice-offline"
    assert Response.objects.filter(survey=survey, channel="door").count() == 0
    kept = json.loads(tablet.evaluate(f"localStorage.getItem('linli.voice.door.{survey.pk}')"))
    shoot(tablet, "voice-door-offline")

    tablet.context.set_offline(False)  # back online: the page sends what it kept
    expect(tablet.locator("#door-pending")).to_have_text("0")
    expect(tablet.locator("#door-sent")).to_have_text("2")
    door = Response.objects.filter(survey=survey, channel="door")
    assert door.count() == 2 and all(r.consent and r.entered_by_id == w.head.pk for r in door)
    assert {str(r.client_id) for r in door} == {k["client_id"] for k in kept}
    # A lost answer sent again (the tablet never heard back): the server knows its id and counts it once.
    tablet.evaluate(f"localStorage.setItem('linli.voice.door.{survey.pk}', JSON.stringify([{json.dumps(kept[0])}]))")
    tablet.click("#door-sync")
    expect(tablet.locator("#door-pending")).to_have_text("0")
    assert tablet.inner_text("#door-sent") == "2"
    assert Response.objects.filter(survey=survey, channel="door").count() == 2

    # Staff results: both channels, and the response rate of the committee: its two households of 40 (the online
    # answer named no compound: the street-wide survey does not ask where one lives).
    staff = signed_in_page(browser_context_factory, server, w.staff)
    staff.goto(f"{server.url}/voice/staff/surveys/{survey.pk}/")
    assert "1" in staff.inner_text("#by-online") and "2" in staff.inner_text("#by-door")
    assert "5.0%" in staff.inner_text("#coverage")
    staff.select_option("#f-channel", "door")
    staff.click("#results-filter button[type=submit]")
    staff.wait_for_url("**channel=door**")
    assert "2" in staff.inner_text("#results-total")

    # A need becomes a consultation; the company accepts through its own link; an action is closed.
    need = need_create(
        street=w.street, committee=w.committee, text="电瓶车在楼道充电，想建充电车棚", raised_by=w.resident
    )
    staff.goto(f"{server.url}/voice/staff/needs/?street={w.street.code}")
    staff.click(f"#need-{need.pk} .consult-button")
    staff.wait_for_selector("#c-title")
    c = Consultation.objects.get(source="need", source_ref=str(need.pk))
    staff.fill("#party", "万里物业公司")
    staff.click("#invite")
    link = staff.get_attribute("#invite-link", "href")
    company = watch_errors(browser_context_factory().new_page())
    company.goto(link)
    company.fill("#attendee-names", "项目经理 赵先生")
    company.click("#inv-accept")
    company.wait_for_selector("#inv-done")
    assert Invitation.objects.get(consultation=c).status == "accepted"
    company.goto(link)  # the link works once
    assert company.get_attribute("#voice-message", "data-code") == "invitation_used"

    staff.reload()
    assert "项目经理 赵先生" in staff.inner_text(".invitation")
    staff.fill("#meeting-at", (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT10:00"))
    staff.fill("#venue", "居委会议室")
    staff.click("#schedule")
    staff.wait_for_selector("#record-meeting")
    due = (timezone.localdate() + timedelta(days=14)).isoformat()
    staff.fill("#attendees", "居民代表 3 人，物业赵经理")
    staff.fill("#decisions", "在 5 号楼东侧建充电车棚")
    staff.fill("#actions-text", f"建成充电车棚 | 万里物业公司 | {due}")
    staff.click("#record-meeting")
    action = c.actions.get()
    staff.fill(f"#evidence-{action.pk}", "车棚建成，40 个充电位已启用")
    staff.click(f"#action-{action.pk} .action-done")
    staff.wait_for_selector("#outcome")
    staff.fill("#outcome", "充电车棚已建成启用")
    staff.click("#close")
    staff.wait_for_selector("#c-status.voice-status--closed")
    assert Need.objects.get(pk=need.pk).status == "answered"

    visitor = watch_errors(browser_context_factory(viewport={"width": 390, "height": 844}).new_page())
    visitor.goto(f"{server.url}/voice/what-we-did/{w.street.code}/")
    card = visitor.locator(f"#consultation-{c.pk}")
    assert "100%" in card.inner_text()
    card.locator("summary").click()
    assert "车棚建成，40 个充电位已启用" in card.inner_text()
    assert "充电车棚已建成启用" in card.inner_text()
    shoot(visitor, "voice-what-we-did")
    assert all("409" in e for e in company.errors), company.errors  # the used link's page answers 409, nothing else
    for page in (phone, tablet, staff, visitor):
        assert not [e for e in page.errors if "net::ERR_INTERNET_DISCONNECTED" not in e], page.errors
