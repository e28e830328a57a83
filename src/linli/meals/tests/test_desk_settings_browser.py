"""In a real browser (Chromium via Playwright against the live server): the meal-point desk asks which order when
one pickup code matches two deliveries there, and collects only the one the volunteer picks; a kitchen operator
changes the kitchen's served places and cut-off on its settings page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli.core.models import AuditLog
from linli.core.testing.browser import signed_in_phone
from linli.meals.models import Kitchen, OrderStatus
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


def test_desk_shows_both_orders_of_one_code_and_collects_the_chosen_one(
    browser_context_factory, live_server, axe_audit
):
    street = StreetFactory(code="brdesk")
    point = PlaceFactory(street=street, name="南助餐点", kind="meal_point")
    orders = []
    for kitchen_name, dish, resident in (("东中央厨房", "糖醋排骨", "周文华"), ("西社区食堂", "番茄牛腩", "吴桂英")):
        kitchen = KitchenFactory(street=street, place__name=kitchen_name)
        kitchen.serves.add(point)
        menu = MenuFactory(kitchen=kitchen, date=timezone.localdate(), status="locked")
        item = MenuItemFactory(menu=menu, dish=DishFactory(kitchen=kitchen, name=dish))
        orders.append(
            order_with_lines(
                menu=menu,
                destination_place=point,
                status=OrderStatus.DELIVERED,
                pickup_code="271828",
                user=UserFactory(display_name=resident),
                lines=[(item, 1, False)],
            )
        )
    staff = RoleAssignmentFactory(street=street, role="station_staff").user

    desk = signed_in_phone(browser_context_factory, live_server, staff)
    desk.goto(f"{live_server.url}/kitchen/collect/?place={point.pk}")
    desk.fill("#pickup_code", "271828")
    desk.click("#collect-submit")
    desk.wait_for_selector("#collect-choices")
    text = desk.locator("#collect-choices").inner_text()
    assert "周**" in text and "吴**" in text and "糖醋排骨" in text and "番茄牛腩" in text
    assert "周文华" not in text
    assert axe_audit(desk) == []
    for o in orders:
        o.refresh_from_db()
        assert o.status == OrderStatus.DELIVERED
    desk.click(f"#choose-{orders[1].pk}")
    desk.wait_for_selector("#collect-ok")
    assert "吴**" in desk.locator("#collect-ok").inner_text()
    statuses = []
    for o in orders:
        o.refresh_from_db()
        statuses.append(o.status)
    assert statuses == [OrderStatus.DELIVERED, OrderStatus.COLLECTED]
    assert not desk.errors, desk.errors


def test_operator_changes_served_places_and_cutoff(browser_context_factory, live_server, axe_audit):
    street = StreetFactory(code="brset")
    kitchen = KitchenFactory(street=street, place__name="北中央厨房")
    old = PlaceFactory(street=street, name="老助餐点", kind="meal_point")
    new = PlaceFactory(street=street, name="新活动室", kind="party_service_station")
    kitchen.serves.add(old)
    operator = RoleAssignmentFactory(street=street, role="kitchen_operator").user

    page = signed_in_phone(browser_context_factory, live_server, operator)
    page.goto(f"{live_server.url}/kitchen/menus/?kitchen={kitchen.pk}")
    page.click("#kitchen-settings")
    page.wait_for_selector("#settings-form")
    assert axe_audit(page) == []
    page.uncheck(f"#serve-{old.pk}")
    page.check(f"#serve-{new.pk}")
    page.fill("#lunch_cutoff", "10:00")
    page.check("input[name=slots][value=dinner]")
    page.click("#save-settings")
    page.wait_for_selector("#saved")
    assert "午餐截单" in page.locator("#changes").inner_text()
    kitchen = Kitchen.objects.get(pk=kitchen.pk)
    assert list(kitchen.serves.all()) == [new]
    assert kitchen.lunch_cutoff == dt.time(10, 0) and kitchen.slots == ["lunch", "dinner"]
    assert AuditLog.objects.filter(action="kitchen.update", actor=operator).count() == 1
    assert not page.errors, page.errors
