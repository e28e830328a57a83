"""Kitchen → rider → meal point in a real browser (Chromium via Playwright against the live server): plan the
runs and see them on the map, the rider's big buttons in elder mode, the volunteer types the pickup code."""

from __future__ import annotations

import pytest
from django.utils import timezone

from linli.core.testing.browser import shoot_elder_too, signed_in_phone
from linli.meals.models import DeliveryRun, OrderStatus, RunStatus
from linli.meals.tests.factories import (
    DishFactory,
    KitchenFactory,
    MenuFactory,
    MenuItemFactory,
    PlaceFactory,
    RoleAssignmentFactory,
    StreetFactory,
    UserFactory,
)
from linli.meals.tests.factories_kitchen import order_with_lines

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plan_map_rider_and_collect(browser_context_factory, live_server):
    street = StreetFactory(code="brstreet")
    kitchen = KitchenFactory(street=street, place__name="浏览器中央厨房", place__lat=31.25, place__lng=121.39)
    menu = MenuFactory(kitchen=kitchen, date=timezone.localdate(), status="locked")
    item = MenuItemFactory(menu=menu, dish=DishFactory(kitchen=kitchen, name="白切鸡"))
    a = PlaceFactory(street=street, name="东助餐点", kind="meal_point", lat=31.252, lng=121.395)
    b = PlaceFactory(street=street, name="西助餐点", kind="meal_point", lat=31.249, lng=121.384)
    kitchen.serves.add(a, b)
    order = order_with_lines(
        menu=menu,
        destination_place=a,
        status=OrderStatus.LOCKED,
        pickup_code="314159",
        user=UserFactory(display_name="陈伯伯"),
        lines=[(item, 1, False)],
    )
    order_with_lines(menu=menu, destination_place=b, status=OrderStatus.LOCKED, lines=[(item, 2, True)])
    operator = RoleAssignmentFactory(street=street, role="kitchen_operator").user
    rider = RoleAssignmentFactory(street=street, role="rider", user__display_name="骑手小刘").user
    staff = RoleAssignmentFactory(street=street, role="station_staff").user

    page = signed_in_phone(browser_context_factory, live_server, operator)
    page.goto(f"{live_server.url}/kitchen/runs/")
    page.click("#plan-button")
    page.wait_for_selector("#runs-map .leaflet-marker-icon")
    assert page.locator("#runs-map .run-marker").count() == 3  # the kitchen and two stops
    page.select_option("select[name=rider]", str(rider.pk))
    page.click(".assign-form button")
    page.wait_for_selector(".run-rider >> text=骑手小刘")
    assert not page.errors, page.errors

    page.goto(f"{live_server.url}/kitchen/production/")
    assert page.locator("#production-totals").inner_text().count("白切鸡") == 1
    assert page.is_visible("#print-button")

    rider_page = signed_in_phone(browser_context_factory, live_server, rider)
    rider_page.goto(f"{live_server.url}/rider/runs/")
    shoot_elder_too(rider_page, live_server, "meals-rider-runs")
    rider_page.click(".rider-button >> text=已取餐")
    rider_page.wait_for_selector("text=配送中")
    for _ in range(2):
        rider_page.locator("button[value=hand_over]").first.click()
        rider_page.wait_for_load_state()
    run = DeliveryRun.objects.get()
    assert run.status == RunStatus.DONE
    assert not rider_page.errors, rider_page.errors

    desk = signed_in_phone(browser_context_factory, live_server, staff)
    desk.goto(f"{live_server.url}/kitchen/collect/?place={a.pk}")
    desk.fill("#pickup_code", "000000")
    desk.click("#collect-submit")
    desk.wait_for_selector("#problem[data-code=pickup_code_invalid]")
    desk.fill("#pickup_code", "314159")
    desk.click("#collect-submit")
    desk.wait_for_selector("#collect-ok")
    order.refresh_from_db()
    assert order.status == OrderStatus.COLLECTED
    assert not desk.errors, desk.errors
