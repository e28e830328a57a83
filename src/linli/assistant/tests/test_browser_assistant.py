"""Issue 7's "done when" in a real browser (Debian Chromium via Playwright, against the live server), phone-sized.

A resident asks three kinds of question on the 问一问 page (activities, the nearest place, opening hours), follows a
"navigate" action (Amap's link, answered here by a stand-in page: the machine has no internet) and a "book" action
to the activity's page and books; marks an answer unhelpful; the street's staff see it in the review queue and write
the right answer; the resident asking again gets it. The map's panel answers too, and the page passes axe.
"""

from __future__ import annotations

from typing import Any

import pytest

from linli.activities.models import Booking
from linli.assistant.models import AskLog, Backend
from linli.assistant.tests.factories import World, build_world
from linli.core.testing.browser import PHONE, session_cookie, shoot, watch_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_world(transactional_db: None) -> World:
    from django.core.cache import cache

    cache.clear()
    return build_world()


def phone_page(browser_context_factory: Any, live_server: Any, user: Any = None) -> Any:
    context = browser_context_factory(**PHONE)
    if user is not None:
        context.add_cookies([session_cookie(live_server, user)])
    # Navigation links open Amap's site; offline, a stand-in page answers for it.
    context.route(
        "https://uri.amap.com/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<title>amap</title><h1>amap</h1>"),
    )
    return watch_errors(context.new_page())


def ask(page: Any, question: str) -> Any:
    """Type and send a question; return the new answer's locator once it is shown."""
    before = page.locator("#assistant-log .assistant-msg").count()
    page.fill("#assistant-question", question)
    page.click("#assistant-send")
    page.wait_for_function("n => document.querySelectorAll('#assistant-log .assistant-msg').length > n", arg=before)
    return page.locator("#assistant-log .assistant-msg").last


def test_ask_three_kinds_follow_actions_feedback_and_curated_answer(live_server, live_world, browser_context_factory):
    world = live_world
    meal, affairs = world.place("meal"), world.place("affairs")
    page = phone_page(browser_context_factory, live_server, world.resident)
    page.goto(f"{live_server.url}/s/{world.street.code}/ask/?from={meal.lat:.6f},{meal.lng + 0.001:.6f}")
    assert page.locator(".assistant__suggestion").count() >= 5

    # 1. Activities.
    first = ask(page, "这个月有什么活动")
    assert first.get_attribute("data-intent") == "activities"
    card = first.locator(f".assistant-card[data-card-type=activity][data-card-id='{world.activity.pk}']")
    assert "书法课" in card.inner_text()

    # 2. The nearest place, by a suggested question (the page's location is sent along).
    before = page.locator("#assistant-log .assistant-msg").count()
    page.click(".assistant__suggestion >> text=附近哪里可以吃午饭？")
    page.wait_for_function("n => document.querySelectorAll('#assistant-log .assistant-msg').length > n", arg=before)
    second = page.locator("#assistant-log .assistant-msg").last
    assert second.get_attribute("data-intent") == "nearest_place"
    nearest = second.locator(".assistant-card").first
    assert nearest.get_attribute("data-card-id") == str(meal.pk)

    # 3. Opening hours.
    third = ask(page, f"{affairs.name}周六开门吗")
    assert third.get_attribute("data-intent") == "opening_hours"
    assert third.locator(f".assistant-card[data-card-id='{affairs.pk}']").count() == 1
    shoot(page, "assistant-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone

    # "Navigate": Amap's walking route to the nearest place.
    nearest.locator("[data-action=navigate]").click()
    page.wait_for_url("https://uri.amap.com/navigation**")
    assert "mode=walk" in page.url
    page.go_back()
    page.wait_for_url(f"**/s/{world.street.code}/ask/**")

    # "Book": the activity's page, then one tap books it.
    first = ask(page, "这个月有什么活动")
    first.locator(f".assistant-card[data-card-id='{world.activity.pk}'] [data-action=book]").click()
    page.wait_for_url(f"**/activities/{world.activity.pk}/")
    assert page.inner_text("h1") == "书法课"
    page.click("#book")
    page.wait_for_selector("#booking-status")
    assert "已预约" in page.inner_text("#booking-status")
    assert Booking.objects.filter(user=world.resident, activity=world.activity).exists()

    # An answer that misses: marked unhelpful with a comment.
    page.goto(f"{live_server.url}/s/{world.street.code}/ask/")
    missed = ask(page, "老年饭桌在哪里")
    missed.locator(".assistant-feedback__more summary").click()
    missed.locator("textarea[name=comment]").fill("老年饭桌就是助餐点")
    missed.locator(".assistant-feedback__no").click()
    missed.locator(".assistant-feedback__done").wait_for(state="visible")
    entry = AskLog.objects.get(public_id=missed.get_attribute("data-answer-id"))
    assert entry.helpful is False and entry.feedback_comment == "老年饭桌就是助餐点"

    # Staff see it in the review queue and write the right answer, with the meal point's card.
    staff = phone_page(browser_context_factory, live_server, world.station_staff)
    staff.goto(f"{live_server.url}/me/")
    staff.click("a[href^='/staff/assistant/']")
    item = staff.locator(f".review-item[data-question-id='{entry.pk}']")
    assert "老年饭桌就是助餐点" in item.inner_text()
    item.locator("a.button").click()
    staff.wait_for_url(f"**/staff/assistant/questions/{entry.pk}/")
    staff.fill("#curated-answer", "老年饭桌就是测试助餐点，每天11点开饭。")
    staff.select_option("#curated-intent", "nearest_place")
    staff.check(f"input[name=place][value='{meal.pk}']")
    staff.click("#curated-save")
    staff.wait_for_selector("#review-done")
    assert staff.locator(f".review-item[data-question-id='{entry.pk}']").count() == 0
    shoot(staff, "assistant-review-phone")

    # The next resident asking the same gets it.
    again = ask(page, "老年饭桌在哪里？")
    assert again.get_attribute("data-backend") == Backend.CURATED
    assert "每天11点开饭" in again.locator(".assistant-msg__text").inner_text()
    assert again.locator(f".assistant-card[data-card-id='{meal.pk}']").count() == 1
    again.locator(".assistant-feedback__yes").click()
    again.locator(".assistant-feedback__done").wait_for(state="visible")

    for p in (page, staff):
        assert p.errors == []  # no CSP violations or script errors


def test_map_panel_elder_mode_and_axe(live_server, live_world, browser_context_factory, axe_audit):
    world = live_world
    page = phone_page(browser_context_factory, live_server)
    page.goto(f"{live_server.url}/s/{world.street.code}/")
    page.wait_for_selector(".leaflet-marker-icon.marker")
    assert page.is_hidden("#assistant-panel")
    shoot(page, "assistant-map-entry-phone")
    page.wait_for_selector("#assistant-open[data-ready='1']", state="attached")
    page.click("#assistant-open")
    assert page.is_visible("#assistant-panel")
    answer = ask(page, "这个月有什么活动")
    assert answer.get_attribute("data-intent") == "activities"
    assert page.url.rstrip("/").endswith(f"/s/{world.street.code}")  # still on the map
    # The map's chosen origin goes with the question (from the street's centre the canteen would be nearest).
    meal = world.place("meal")
    page.goto(f"{live_server.url}/s/{world.street.code}/?from={meal.lat - 0.001:.6f},{meal.lng:.6f}")
    page.wait_for_selector(".leaflet-marker-icon.marker")
    page.wait_for_selector("#assistant-open[data-ready='1']", state="attached")
    page.click("#assistant-open")
    near = ask(page, "附近哪里可以吃饭")
    assert near.get_attribute("data-intent") == "nearest_place"
    assert near.locator(".assistant-card").first.get_attribute("data-card-id") == str(meal.pk)
    shoot(page, "assistant-map-panel-phone")
    page.click("#assistant-close")
    assert page.is_hidden("#assistant-panel")

    page.context.add_cookies([{"name": "linli_elder", "value": "1", "url": live_server.url}])
    page.goto(f"{live_server.url}/s/{world.street.code}/ask/")
    page.wait_for_selector("html.elder")
    assert float(page.evaluate("getComputedStyle(document.body).fontSize").removesuffix("px")) >= 20
    elder_answer = ask(page, "这个月有什么活动")
    book = elder_answer.locator("[data-action=book]").first
    assert book.bounding_box()["height"] >= 52
    shoot(page, "assistant-phone-elder")
    assert axe_audit(page) == []
    assert page.errors == []
