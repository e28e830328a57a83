"""Issue 20's "done when" in a real browser (Debian Chromium via Playwright): a retired volunteer in elder mode
signs up for Monday's opening duty, checks in with the station's QR and out, staff verify the hours, the time bank
and the certificate show them; an enterprise claims a haircut-day item on its phone, reports 30 people served, and
the street's page counts it. Beyond the sentence: the report carries a photo, and a resident served confirms and
rates it by the claim's QR code before the station confirms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.core.testing.browser import shoot, signed_in_page, signed_in_phone
from linli.core.tests.factories import UserFactory, jpeg
from linli.volunteers.models import Claim, Shift, Signup
from linli.volunteers.tests.factories import build_world, next_monday, shift_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_retired_volunteer_shift_hours_certificate_and_enterprise_claim(live_server, browser_context_factory):
    server = live_server
    w = build_world()
    monday = shift_make(w.station, places=2, start=next_monday(7, 40), hours=2, title="周一开门值守")

    phone = signed_in_phone(browser_context_factory, server, w.retired, elder=True)
    phone.goto(f"{server.url}/volunteer/")
    assert phone.locator("html.elder").count() == 1
    button = phone.locator(f"li[data-shift='{monday.pk}'] button")
    assert button.bounding_box()["height"] >= 48
    shoot(phone, "volunteer-sign-up-elder")
    button.click()
    phone.wait_for_selector("#vol-done")
    assert "周一开门值守" in phone.inner_text("#vol-mine")
    signup = Signup.objects.get(shift=monday, volunteer=w.volunteer)

    # Monday morning: the shift is on now (its times moved, the server's clock cannot be).
    now = timezone.now()
    Shift.objects.filter(pk=monday.pk).update(start=now - timedelta(minutes=5), end=now + timedelta(minutes=115))

    staff = signed_in_page(browser_context_factory, server, w.staff)
    staff.goto(f"{server.url}/staff/volunteers/stations/{w.station.pk}/screen/")
    url = staff.get_attribute("#vol-qr", "data-url")
    assert staff.locator("#vol-qr svg").count() == 1
    path = url[url.index("/volunteer/checkin/") :]
    phone.goto(f"{server.url}{path}")
    phone.click("#checkin-button")
    phone.wait_for_selector("#checkin-done[data-status='checked_in']")
    phone.goto(f"{server.url}{path}")  # scanned again on leaving: checked out
    phone.click("#checkin-button")
    phone.wait_for_selector("#checkin-done[data-status='checked_out']")
    # a forged code is refused
    phone.goto(f"{server.url}/volunteer/checkin/?t={w.station.pk}.1.AAAAAAAAAAAAAAAA")
    phone.click("#checkin-button")
    phone.wait_for_selector("#checkin-problem[data-code='station_code_invalid']")

    staff.goto(f"{server.url}/staff/volunteers/?street={w.street.code}")
    row = f"#vol-verify tr[data-signup='{signup.pk}']"
    staff.fill(f"{row} input[name=minutes]", "120")
    staff.click(f"{row} button[value=verify]")
    staff.wait_for_selector("#planner-done")
    signup.refresh_from_db()
    assert signup.status == "verified" and signup.minutes == 120

    phone.goto(f"{server.url}/volunteer/")
    assert phone.inner_text("#vol-balance") == "120"
    assert phone.inner_text("#vol-earned") == "2"
    pdf = phone.request.get(f"{server.url}/volunteer/certificate.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    shoot(phone, "volunteer-hours-elder")
    # the time bank shows the 120 minutes credited by the station, the certificate's check page the 2 hours
    phone.click("#vol-timebank")
    phone.wait_for_selector("#tb-balance")
    assert phone.inner_text("#tb-balance") == "120"
    assert "周一开门值守" in phone.inner_text("#tb-entries")
    phone.goto(f"{server.url}/volunteer/")
    phone.click("#vol-cert-check")
    phone.wait_for_selector("#cert-valid")
    assert phone.inner_text("#cert-hours") == "2.0"
    phone.goto(f"{server.url}/volunteer/")
    phone.click("#vol-statement")
    assert phone.inner_text("#st-earned") == "120"

    boss = signed_in_phone(browser_context_factory, server, w.manager)
    boss.goto(f"{server.url}/volunteer/menu/")
    item = f"#vol-items li[data-item='{w.item.pk}']"
    boss.fill(f"{item} input[name=people]", "3")
    boss.click(f"{item} button[type=submit]")
    boss.wait_for_selector("#claims-done")
    claim = Claim.objects.get(item=w.item)
    mine = f"#vol-claims li[data-claim='{claim.pk}']"
    boss.fill(f"{mine} input[name=served]", "30")
    boss.fill(f"{mine} input[name=hours]", "6")
    boss.set_input_files(f"{mine} input[name=photos]", files=[{"name": "haircut.jpg", "mimeType": "image/jpeg",
                                                                "buffer": jpeg((640, 480)).read()}])  # fmt: skip
    boss.click(f"{mine} button[type=submit]")
    boss.wait_for_selector("#report-done")
    assert boss.locator(f"{mine} .vol-photos img").count() == 1
    rate_url = boss.get_attribute(f"{mine} .vol-qr", "data-url")
    shoot(boss, "enterprise-report")
    assert boss.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # a resident who had a haircut scans the claim's QR code and confirms it with five stars
    resident = signed_in_phone(browser_context_factory, server, UserFactory(display_name="理发的居民"), elder=True)
    resident.goto(f"{server.url}{rate_url[rate_url.index('/volunteer/rate/') :]}")
    resident.click("#rate-submit")
    resident.wait_for_selector("#rate-done[data-stars='5']")

    staff.goto(f"{server.url}/staff/volunteers/stats/?street={w.street.code}")
    assert staff.inner_text("#stat-served") == "30"
    assert staff.inner_text("#stat-services") == "1"
    assert staff.locator(".vol-charts svg").count() == 2
    staff.goto(f"{server.url}/staff/volunteers/menu/?street={w.street.code}")
    row = f"#vol-staff-items div[data-claim='{claim.pk}']"
    assert staff.locator(f"{row} .vol-rated[data-rated='1']").count() == 1
    assert staff.locator(f"{row} .vol-photos img").count() == 1
    staff.click(f"{row} button[value=confirm]")
    staff.wait_for_selector("#menu-done")
    claim.refresh_from_db()
    assert claim.status == "confirmed"
    for page in (phone, staff, boss, resident):
        assert not page.errors, page.errors
