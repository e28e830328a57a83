"""Issue 15: a session that expires in the middle of an order brings the person back to it after signing in, with
what they had chosen kept (linli.core.resume), in a real browser: the dishes and the meal point are still chosen,
and one more tap places the order."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from linli.core.models import User
from linli.core.sms import OutboxSmsBackend
from linli.core.testing.browser import signed_in_phone
from linli.meals.models import Order
from linli.meals.services.wallet import wallet_topup
from linli.meals.tests.factories import KitchenFactory, MenuFactory, MenuItemFactory, PlaceFactory, StreetFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_order_sent_after_the_session_expired_is_finished_after_signing_in(
    live_server, browser_context_factory, settings
):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    OutboxSmsBackend.clear()
    now = timezone.localtime()
    street = StreetFactory(code="expjie")
    point = PlaceFactory(street=street, kind="meal_point", name="真金路助餐点", lat=31.255, lng=121.395)
    kitchen = KitchenFactory(street=street, serves=[point])
    day = (now + dt.timedelta(days=1)).date()
    menu = MenuFactory(kitchen=kitchen, date=day, cutoff_at=now + dt.timedelta(days=1))
    dish = MenuItemFactory(menu=menu, dish__name="红烧狮子头", price_fen=1200, sort_order=1)
    resident = User.objects.create_user(phone="+8613800000031", display_name="胡阿姨")
    wallet_topup(user=resident, amount_fen=5000, actor=None)

    page = signed_in_phone(browser_context_factory, live_server, resident, elder=True)
    menu_url = f"{live_server.url}/meals/p/{point.pk}/?date={day.isoformat()}&slot={menu.slot}"
    page.goto(menu_url)
    page.click(f"#add-{dish.pk}")
    page.wait_for_function(f"() => document.querySelector('input[name=qty_{dish.pk}]').value === '1'")
    destination = page.locator("input[name=destination]").first
    destination.check()
    chosen = destination.get_attribute("value")

    # The phone lay in a drawer: the session is gone (a new browser session also loses the CSRF cookie).
    page.context.clear_cookies()
    page.click("#place-order")
    page.wait_for_url(re.compile(r"/login/"))
    assert page.locator("#expired-notice").count() == 1
    page.fill("input[name=phone]", "13800000031")
    page.click("form button[type=submit].btn-primary")
    code = re.search(r"\d{6}", OutboxSmsBackend.outbox[-1].message).group(0)
    page.fill("input[name=code]", code)
    page.click("form button[type=submit].btn-primary")

    # Back on the menu, the dish and the meal point still chosen; one more tap orders.
    page.wait_for_url(re.compile(rf"/meals/p/{point.pk}/"))
    page.wait_for_selector("#resume-notice")
    assert page.input_value(f"input[name=qty_{dish.pk}]") == "1"
    assert page.is_checked(f"input[name=destination][value='{chosen}']")
    assert not Order.objects.filter(user=resident).exists(), "nothing is sent on the person's behalf"
    page.click("#place-order")
    page.wait_for_url(re.compile(r"/me/meals/"))
    order = Order.objects.get(user=resident)
    assert order.lines.get().menu_item_id == dish.pk
    assert page.errors == []
