"""The service map in a real browser (Debian Chromium via Playwright) against the live server.

The issue's "done when": open the map, filter by a need, open a point's navigation link; plus elder mode,
near-me ordering (fixed geolocation), the typed-origin fallback and English.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from linli.core.geo import haversine_m, wgs84_to_gcj02

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ITEMS = "#place-list .place-item"


def item_names(page) -> list[str]:
    return page.locator(f"{ITEMS} .place-item__name").all_inner_texts()


def wait_for_items(page, count: int) -> None:
    # Function form: a string expression would be eval'd in the page, which the CSP forbids.
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length === n", arg=[ITEMS, count])


def marker_count(page) -> int:
    return page.locator(".leaflet-marker-icon.marker:not(.marker--origin)").count()


def px(value: str) -> float:
    return float(value.removesuffix("px"))


def test_map_filter_detail_navigation_and_elder_mode(live_server, live_map_data, browser_page):
    page = browser_page
    data = live_map_data
    page.goto(f"{live_server.url}/s/testjie/")
    page.wait_for_selector(".leaflet-marker-icon.marker")
    wait_for_items(page, 5)
    assert marker_count(page) == 5
    assert page.locator("#near-me").is_visible()  # revealed by map.js

    # Filter by a need: only the two meal places stay, in the list and on the map; the URL can be shared.
    page.click("label[for=need-meal]")
    wait_for_items(page, 2)
    assert set(item_names(page)) == data.names("meal", "canteen")
    page.wait_for_function("() => document.querySelectorAll('.leaflet-marker-icon.marker').length === 2")
    assert re.search(r"/s/testjie/\?need=meal$", page.url)
    assert page.locator("#need-meal").is_checked()

    # Back restores the unfiltered map.
    page.go_back()
    page.wait_for_selector(".leaflet-marker-icon.marker")
    wait_for_items(page, 5)
    page.go_forward()
    wait_for_items(page, 2)

    # Keyboard: the chips are a radio group.
    page.focus("#need-meal")
    page.keyboard.press("ArrowRight")
    wait_for_items(page, 1)
    assert item_names(page) == [data.places["affairs"].name]
    page.click("label[for=need-meal]")
    wait_for_items(page, 2)

    # Open a point's detail page and its navigation links.
    place = data.places["meal"]
    page.click(f"{ITEMS}[data-place-id='{place.id}'] a")
    page.wait_for_url(f"**/places/{place.id}/")
    assert page.locator("h1").inner_text() == place.name
    page.wait_for_selector("#place-map .leaflet-marker-icon")
    amap = page.get_attribute("#nav-amap", "href")
    glat, glng = wgs84_to_gcj02(place.lat, place.lng)
    assert amap.startswith("https://uri.amap.com/navigation?")
    assert f"to={glng:.6f},{glat:.6f}" in amap
    assert (glat, glng) != (place.lat, place.lng)
    assert page.get_attribute("#nav-geo", "href").startswith(f"geo:{place.lat:.6f},{place.lng:.6f}")
    assert page.get_attribute("#nav-baidu", "href").startswith("https://api.map.baidu.com/")
    assert page.get_attribute("#call", "href") == "tel:02160001234"

    # Elder mode: one switch, then larger type and bigger tap targets.
    normal_size = px(page.evaluate("getComputedStyle(document.body).fontSize"))
    assert normal_size < 20
    page.click("#elder-toggle")
    page.wait_for_selector("html.elder")
    assert page.url.endswith(f"/places/{place.id}/")
    assert px(page.evaluate("getComputedStyle(document.body).fontSize")) >= 20
    height = page.evaluate("document.querySelector('#nav-amap').getBoundingClientRect().height")
    assert height >= 48
    assert page.errors == []  # no CSP violations or script errors


def test_elder_mode_on_a_phone(live_server, live_map_data, browser_context_factory):
    context = browser_context_factory(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.add_cookies([{"name": "linli_elder", "value": "1", "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/s/testjie/")
    page.wait_for_selector(".leaflet-marker-icon.marker")
    assert px(page.evaluate("getComputedStyle(document.body).fontSize")) >= 20
    # Need chips are big buttons; the keyword search (a secondary filter) is hidden.
    for box in page.locator(".chip").evaluate_all("els => els.map(e => e.getBoundingClientRect().height)"):
        assert box >= 48
    assert not page.locator("#q").is_visible()
    near = page.locator("#near-me").bounding_box()
    assert near["height"] >= 48 and near["y"] + near["height"] <= 844  # reachable with a thumb
    page.click("label[for=need-meal]")
    wait_for_items(page, 2)


def test_near_me_orders_the_list_by_distance(live_server, live_map_data, browser_context_factory):
    here = (31.2598, 121.3995)  # beside the rider station
    context = browser_context_factory(
        geolocation={"latitude": here[0], "longitude": here[1]}, permissions=["geolocation"]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/s/testjie/")
    wait_for_items(page, 5)
    page.click("#near-me")
    page.wait_for_selector(f"{ITEMS}[data-distance]")
    expected = sorted(live_map_data.places.values(), key=lambda p: haversine_m(*here, p.lat, p.lng))
    assert item_names(page) == [p.name for p in expected]
    distances = [int(d) for d in page.locator(ITEMS).evaluate_all("els => els.map(e => e.dataset.distance)")]
    assert distances == sorted(distances)
    assert "步行约" in page.locator(ITEMS).first.inner_text()
    assert "15分钟生活圈内" in page.locator(ITEMS).first.inner_text()
    assert "from=31.259800,121.399500" in unquote(page.url)
    assert page.locator(".marker--origin").count() == 1
    # Filters keep the origin: the meal places, nearest first.
    page.click("label[for=need-meal]")
    wait_for_items(page, 2)
    meal = [p.name for p in expected if p.kind in ("meal_point", "elder_canteen")]
    assert item_names(page) == meal
    # The detail page opened from here shows the walk.
    page.locator(f"{ITEMS} a").first.click()
    page.wait_for_selector("#walk-info")
    assert "步行约" in page.inner_text("#walk-info")


def test_typed_origin_when_location_is_refused(live_server, live_map_data, browser_context_factory):
    page = browser_context_factory(permissions=[]).new_page()
    page.goto(f"{live_server.url}/s/testjie/")
    wait_for_items(page, 5)
    page.click("#near-me")  # geolocation is denied: the typed-origin box opens
    page.wait_for_function("() => document.getElementById('origin-box').open === true")
    assert "无法获取您的位置" in page.inner_text("#origin-status")
    page.fill("#origin-input", "测试路104号")  # the rider station's address
    page.click("#origin-go")
    page.wait_for_selector(f"{ITEMS}[data-distance]")
    assert item_names(page)[0] == live_map_data.places["rider"].name
    assert page.locator(ITEMS).first.get_attribute("data-distance") == "0"
    page.fill("#origin-input", "不存在的地方")
    page.click("#origin-go")  # not one of the places: the street's gazetteer is asked, and does not know it either
    page.wait_for_function("() => document.getElementById('origin-status').textContent.includes('没有找到')")
    # A compound's address or a road is found too (linli.places.gazetteer): the list starts from there.
    page.fill("#origin-input", "测试路")
    page.click("#origin-go")
    page.wait_for_function("() => document.getElementById('origin-status').textContent.includes('测试路')")
    assert page.locator(ITEMS).first.get_attribute("data-distance") is not None


def test_english_map(live_server, live_map_data, browser_context_factory):
    page = browser_context_factory(locale="en-US").new_page()
    page.goto(f"{live_server.url}/s/testjie/")
    page.wait_for_selector(".leaflet-marker-icon.marker")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("label[for=need-meal]") == "Eat"
    page.click("label[for=need-meal]")
    wait_for_items(page, 2)
    assert "Meal point" in page.inner_text("#place-list")
    # Switch to Chinese with the header button.
    page.click("button[name=language][value=zh-hans]")
    page.wait_for_selector("html[lang=zh-Hans]")
    assert page.inner_text("label[for=need-meal]") == "我要吃饭"
    assert "need=meal" in page.url


@pytest.mark.parametrize("elder", [False, True])
def test_accessibility_axe(live_server, live_map_data, browser_context_factory, axe_audit, elder):
    context = browser_context_factory(viewport={"width": 390, "height": 844})
    if elder:
        context.add_cookies([{"name": "linli_elder", "value": "1", "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/s/testjie/")
    page.wait_for_selector(".leaflet-marker-icon.marker")
    assert axe_audit(page) == []
    page.goto(f"{live_server.url}/places/{live_map_data.places['meal'].id}/?from=31.2510,121.3905")
    page.wait_for_selector("#place-map .leaflet-marker-icon")
    assert axe_audit(page) == []


def test_clearing_the_origin_restores_the_plain_list(live_server, live_map_data, browser_context_factory):
    context = browser_context_factory(
        geolocation={"latitude": 31.2598, "longitude": 121.3995}, permissions=["geolocation"]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/s/testjie/?need=meal")
    wait_for_items(page, 2)
    page.click("#near-me")
    page.wait_for_selector(f"{ITEMS}[data-distance]")
    page.click("#origin-clear")
    page.wait_for_selector("#origin-clear", state="detached")
    assert page.locator(f"{ITEMS}[data-distance]").count() == 0
    # The markers resync after htmx settles the swap, a moment after the list changed: wait for it (a marker that
    # never goes away still fails here, by timeout).
    page.wait_for_selector(".marker--origin", state="detached")
    assert "from=" not in page.url and "need=meal" in page.url
