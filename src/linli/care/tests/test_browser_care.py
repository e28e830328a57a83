"""Issue 17's "done when" in a real browser (Debian Chromium via Playwright), on the ASGI live server (pages, API
and /ws/): an elderly resident presses "呼叫居委"; two responders' consoles (two browser contexts) show the call
within a second with the address; one acknowledges, records arrival and "family told"; a follow-up appears in the
social worker's day for tomorrow; the care lead's page shows the call acknowledged within 60 s."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.care.models import Call, CallStatus, FollowUp
from linli.care.tests.factories import build_care_world
from linli.core.testing.browser import shoot, signed_in_page, signed_in_phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_elder_calls_two_consoles_see_it_one_responds_followup_and_lead_rate(asgi_live_server, browser_context_factory):
    server = asgi_live_server
    w = build_care_world()

    consoles = []
    outside: list[str] = []
    for responder in w.responders:
        page = signed_in_page(browser_context_factory, server, responder)
        page.on("request", lambda r: None if r.url.startswith((server.url, "ws", "data:")) else outside.append(r.url))
        page.goto(f"{server.url}/staff/care/?street=carejie")
        page.wait_for_selector("body[data-live='1']")
        assert page.locator("#care-calls li[data-call-id]").count() == 0
        # The map without a tile server: the street's compound outlines drawn from the page itself.
        page.wait_for_selector("#care-map[data-ready='1']")
        assert page.locator("#care-map").is_visible() and page.locator("#care-map .care-outline--compound").count() == 1
        assert page.locator("#care-map .leaflet-tile").count() == 0
        consoles.append(page)

    phone = signed_in_phone(browser_context_factory, server, w.resident, elder=True)
    phone.goto(f"{server.url}/care/")
    assert phone.locator("html.elder").count() == 1
    assert phone.locator("#care-call").bounding_box()["height"] >= 150  # one big button
    shoot(phone, "care-call-button")
    phone.click("#care-call")
    phone.wait_for_selector("#call-sent")
    call = Call.objects.get()
    row = f"#call-{call.pk}"

    for page in consoles:  # both responders on duty see it within a second, with the address
        page.wait_for_selector(row, timeout=1000)
        assert "建新小区 3号楼 502室" in page.inner_text(row)
        assert "王小明" in page.inner_text(row)  # the person's card: the family contact
        page.wait_for_selector("#care-map .care-call-pin--emergency", timeout=1000)  # the call's position, offline
    shoot(consoles[0], "care-console")

    first = consoles[0]
    first.click(f"{row} button[data-move='acknowledge']")
    first.wait_for_function(f"() => document.querySelector('{row}').dataset.status === 'acknowledged'")
    first.click(f"{row} button[data-move='arrive']")
    first.wait_for_function(f"() => document.querySelector('{row}').dataset.status === 'on_site'")
    first.click(f"{row} button[data-move='actions'][data-action='family_told']")
    first.wait_for_function(
        f"() => document.querySelector('{row} [data-f=actions]').textContent.includes('已通知家属')"
    )
    consoles[1].wait_for_function(f"() => document.querySelector('{row}').dataset.status === 'on_site'")  # live too

    call.refresh_from_db()
    assert call.status == CallStatus.ON_SITE and call.actions == ["family_told"]
    assert call.acknowledged_by == w.responders[0]
    assert (call.acknowledged_at - call.created_at).total_seconds() <= 60

    tomorrow = (timezone.localtime() + timedelta(hours=24)).date().isoformat()
    assert FollowUp.objects.filter(call=call, label="24h").exists()
    first.goto(f"{server.url}/staff/care/day/?street=carejie")
    assert first.locator(f"#day-followups li[data-due='{tomorrow}']").count() == 1

    lead = signed_in_page(browser_context_factory, server, w.lead)
    lead.goto(f"{server.url}/staff/care/lead/?street=carejie")
    ack = lead.inner_text(f"#lead-calls tr[data-call-id='{call.pk}'] .ack-time")
    assert "✓" in ack
    assert "1 / 1" in lead.inner_text("#rate-ack")
    shoot(lead, "care-lead")
    for page in [*consoles, phone, lead]:
        assert not page.errors, page.errors
    assert not outside, outside  # no tile server or any other outside address was asked
