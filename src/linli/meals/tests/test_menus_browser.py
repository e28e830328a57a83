"""The kitchen menu editor in a real phone-size browser: plan a day, see the elder-canteen rule fail, fix it,
publish; no serious accessibility violations; elder mode works. LINLI_SCREENSHOTS=1 saves the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from linli.core.models import RoleAssignment
from linli.core.testing.browser import PHONE, shoot
from linli.meals.models import Menu, MenuItem
from linli.meals.tests.factories import KitchenFactory, PlaceFactory, StreetFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_plans_and_publishes_an_elder_canteen_day(browser_context_factory, live_server, axe_audit):
    street = StreetFactory(code="browsermeals")
    place = PlaceFactory(street=street, external_id="EC", kind="elder_canteen", name="万里长者食堂")
    kitchen = KitchenFactory(street=street, place=place, is_elder_canteen=True)
    op = UserFactory()
    RoleAssignment.objects.create(user=op, street=street, role="kitchen_operator")
    client = Client()
    client.force_login(op)
    context = browser_context_factory(**PHONE)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    day = timezone.localdate() + dt.timedelta(days=2)
    page.goto(f"{live_server.url}/kitchen/menus/?kitchen={kitchen.pk}")
    assert page.locator(".week-day").count() == 7
    assert axe_audit(page) == []
    shoot(page, "meals-menus-week")
    page.locator(f'.week-day[data-date="{day.isoformat()}"] a[data-slot="lunch"]').click()
    page.wait_for_selector("#add-item")

    page.fill("input[name=dish]", "清蒸鲈鱼")
    page.fill("#add-item input[name=price_yuan]", "16.8")
    page.fill("#add-item input[name=half_price_yuan]", "9")
    page.check("#add-item input[name=tags][value=soft]")
    page.click("#add-item button[type=submit]")
    page.wait_for_selector(".item")
    assert MenuItem.objects.get(dish__name="清蒸鲈鱼").price_fen == 1680

    page.click("#publish")
    page.wait_for_selector('#problem[data-code="menu_invalid"]')
    assert "长者优惠套餐" in page.inner_text("#problem")
    assert Menu.objects.get().status == "draft"

    page.fill("input[name=dish]", "长者午餐套餐")
    page.fill("#add-item input[name=price_yuan]", "10")
    page.select_option("#add-item select[name=kind]", "elder_set")
    page.click("#add-item button[type=submit]")
    page.wait_for_selector("text=长者午餐套餐")
    page.click("#publish")
    page.wait_for_selector('#menu-status[data-status="published"]')
    assert Menu.objects.get().status == "published"
    assert axe_audit(page) == []
    shoot(page, "meals-menu-editor")

    page.context.add_cookies([{"name": "linli_elder", "value": "1", "url": live_server.url}])
    page.reload()
    page.wait_for_selector("html.elder")
    assert float(page.evaluate("getComputedStyle(document.body).fontSize").removesuffix("px")) >= 20
    shoot(page, "meals-menu-editor-elder")
    assert errors == []
