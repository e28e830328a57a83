"""Issue 3's "done when" in a real browser (Debian Chromium via Playwright, against the live server).

A resident finds an activity on the map page, books it and sees it in "my bookings" with a QR code; a second
resident is waitlisted; the first cancels and the second is promoted; staff check the second in by short code.
With LINLI_SCREENSHOTS=1 the phone-size pages (normal and elder mode) are saved into docs/screenshots/.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli.activities.models import Booking, BookingStatus
from linli.activities.services.activities import activity_create
from linli.core.models import RoleAssignment, User
from linli.core.testing.browser import shoot, shoot_elder_too, signed_in_phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def this_month_start() -> dt.datetime:
    now = timezone.localtime()
    start = now + dt.timedelta(hours=1)
    if start.month != now.month:
        start = now + dt.timedelta(minutes=10)
    return start.replace(second=0, microsecond=0)


def test_find_book_waitlist_promote_and_check_in(live_server, live_map_data, browser_context_factory):
    street = live_map_data.street
    venue = live_map_data.places["meal"]
    staff = User.objects.create_user(phone="+8613800000009", display_name="站点小王")
    RoleAssignment.objects.create(user=staff, street=street, role="station_staff")
    start = this_month_start()
    activity = activity_create(
        street=street,
        place=venue,
        title="万家书房读书会",
        description="一起读《繁花》，读完在助餐点吃午饭。",
        category="culture",
        organiser="测试居委会",
        start=start,
        end=start + dt.timedelta(hours=2),
        capacity=1,
        waitlist_capacity=5,
        status="published",
        actor=staff,
    )
    resident_a = User.objects.create_user(phone="+8613800000001", display_name="张阿姨")
    resident_b = User.objects.create_user(phone="+8613800000002", display_name="李伯伯")

    # A: the map page → 本月活动 → the activity → 一键预约.
    a = signed_in_phone(browser_context_factory, live_server, resident_a)
    a.goto(f"{live_server.url}/s/{street.code}/")
    a.wait_for_selector(".leaflet-marker-icon.marker")
    # the badge is activities' fragment, swapped into the places list by htmx once the list is shown
    a.wait_for_selector(f".place-item[data-place-id='{venue.id}'] .place-item__activities")
    assert "本月1场活动" in a.inner_text(f".place-item[data-place-id='{venue.id}']")
    a.click("#activities-link")
    a.wait_for_url(f"**/s/{street.code}/activities/")
    shoot_elder_too(a, live_server, "activities-list-phone")
    item = a.locator(f".activity-item[data-activity-id='{activity.id}']")
    assert "余 1 位" in item.inner_text() and venue.name in item.inner_text()
    item.locator("a").click()
    a.wait_for_url(f"**/activities/{activity.id}/")
    assert a.inner_text("h1") == "万家书房读书会"
    shoot_elder_too(a, live_server, "activity-phone")
    a.click("#book")
    a.wait_for_selector("#booking-status")
    assert "已预约" in a.inner_text("#booking-status")

    # A's bookings: the QR code and the short code.
    a.click("#to-my-bookings")
    a.wait_for_url("**/me/bookings/")
    booking_a = Booking.objects.get(user=resident_a)
    card = a.locator(f".booking-card[data-booking-id='{booking_a.id}']")
    assert card.locator(".ticket__qr svg").is_visible()
    assert card.locator(".code").inner_text() == booking_a.code
    assert "已预约" in card.inner_text()
    box = card.locator(".ticket__qr svg").bounding_box()
    assert box["width"] >= 180
    shoot_elder_too(a, live_server, "my-bookings-phone")

    # B: waitlisted, first in line.
    b = signed_in_phone(browser_context_factory, live_server, resident_b)
    b.goto(f"{live_server.url}/activities/{activity.id}/")
    assert "可候补" in b.inner_text("#booking-box")
    b.click("#book")
    b.wait_for_selector("#booking-status")
    assert "候补 第1位" in b.inner_text("#booking-status")

    # A cancels (with a confirmation step); B is promoted.
    a.goto(f"{live_server.url}/me/bookings/")
    a.click(f"#cancel-{booking_a.id}")
    a.wait_for_url(f"**/me/bookings/{booking_a.id}/cancel/")
    a.click("#confirm-cancel")
    a.wait_for_selector("#cancelled-notice")
    assert "万家书房读书会" in a.inner_text("#past")
    b.goto(f"{live_server.url}/me/bookings/")
    booking_b = Booking.objects.get(user=resident_b)
    assert booking_b.status == BookingStatus.CONFIRMED
    card_b = b.locator(f".booking-card[data-booking-id='{booking_b.id}']")
    assert "已预约" in card_b.inner_text()
    assert card_b.locator(".ticket__qr svg").is_visible()

    # Staff: the check-in page, B's short code typed in (the fallback to the camera).
    s = signed_in_phone(browser_context_factory, live_server, staff)
    s.goto(f"{live_server.url}/staff/activities/{activity.id}/checkin/")
    s.fill("input[name=code]", booking_b.code.lower())
    s.click("#checkin-submit")
    s.wait_for_selector("#checkin-outcome[data-outcome=checked_in]")
    outcome = s.inner_text("#checkin-outcome")
    assert "李伯伯" in outcome and "已签到" in outcome
    assert s.evaluate("getComputedStyle(document.querySelector('.checkin-result--ok')).color") == "rgb(22, 101, 52)"
    assert s.input_value("input[name=code]") == ""  # ready for the next person
    assert "已签到 1 人" in s.inner_text("#checkin-count")
    shoot(s, "checkin-phone")
    # A wrong code: shown in red, nothing changes.
    s.fill("input[name=code]", "WRONG1")
    s.click("#checkin-submit")
    s.wait_for_selector("#checkin-outcome[data-outcome=problem]")
    assert "签到码无效" in s.inner_text("#checkin-outcome")
    s.context.add_cookies([{"name": "linli_elder", "value": "1", "url": live_server.url}])
    s.reload()
    s.wait_for_selector("html.elder")
    shoot(s, "checkin-phone-elder")

    # The bookings page lists B as checked in.
    s.context.add_cookies([{"name": "linli_elder", "value": "0", "url": live_server.url}])
    s.goto(f"{live_server.url}/staff/activities/{activity.id}/bookings/")
    shoot(s, "staff-bookings-phone")
    checked = s.inner_text("#group-checked_in")
    assert "李伯伯" in checked and "已签到" in checked
    assert resident_b.phone[3:] not in s.content()  # masked
    assert Booking.objects.get(pk=booking_b.pk).status == BookingStatus.CHECKED_IN

    s.goto(f"{live_server.url}/staff/activities/")
    shoot(s, "staff-activities-phone")
    a.goto(f"{live_server.url}/places/{venue.id}/")
    a.wait_for_selector("#venue-activities")
    assert "万家书房读书会" in a.inner_text("#venue-activities")
    shoot(a, "place-activities-phone")

    for page in (a, b, s):
        assert page.errors == []  # no CSP violations or script errors


def test_activity_pages_pass_axe(live_server, live_map_data, browser_context_factory, axe_audit):
    street = live_map_data.street
    staff = User.objects.create_user(phone="+8613800000019", display_name="站点小李")
    RoleAssignment.objects.create(user=staff, street=street, role="station_staff")
    start = this_month_start()
    activity = activity_create(
        street=street,
        place=live_map_data.places["meal"],
        title="健康讲座",
        start=start,
        end=start + dt.timedelta(hours=1),
        capacity=10,
        status="published",
        actor=staff,
    )
    resident = User.objects.create_user(phone="+8613800000011", display_name="王阿姨")
    page = signed_in_phone(browser_context_factory, live_server, resident)
    for elder in ("0", "1"):
        page.context.add_cookies([{"name": "linli_elder", "value": elder, "url": live_server.url}])
        for url in (f"/s/{street.code}/activities/", f"/activities/{activity.id}/"):
            page.goto(live_server.url + url)
            assert axe_audit(page) == [], url
    page.context.add_cookies([{"name": "linli_elder", "value": "0", "url": live_server.url}])
    # The list's filters swap the results in place (htmx) and keep a shareable URL.
    page.goto(f"{live_server.url}/s/{street.code}/activities/")
    page.wait_for_selector(f".activity-item[data-activity-id='{activity.id}']")
    page.click("label[for=cat-health]")
    page.wait_for_url("**category=health**")
    page.wait_for_selector("#results-count[data-count='0']")
    page.click("label[for=cat-all]")
    page.wait_for_selector(f".activity-item[data-activity-id='{activity.id}']")
    page.click("label[for=when-today]")
    page.wait_for_url("**when=today**")
    page.goto(f"{live_server.url}/activities/{activity.id}/")
    page.click("#book")
    page.wait_for_selector("#booking-status")
    page.goto(f"{live_server.url}/me/bookings/")
    assert axe_audit(page) == []
    s = signed_in_phone(browser_context_factory, live_server, staff)
    for url in (
        f"/staff/activities/{activity.id}/checkin/",
        f"/staff/activities/{activity.id}/bookings/",
        "/staff/activities/",
        "/staff/activities/new/",
    ):
        s.goto(live_server.url + url)
        assert axe_audit(s) == [], url
