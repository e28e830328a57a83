"""Locking a menu early: the kitchen is asked first (how many residents it affects), and those residents are told
by SMS; the scheduled lock at the cut-off tells nobody."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from linli.core.sms import OutboxSmsBackend
from linli.meals.models import Menu, MenuStatus, OrderStatus
from linli.meals.services.kitchen import menus_lock_due
from linli.meals.tests.factories import (
    DishFactory,
    KitchenFactory,
    MenuFactory,
    MenuItemFactory,
    OrderFactory,
    PlaceFactory,
    RoleAssignmentFactory,
    StreetFactory,
    UserFactory,
)
from linli.meals.tests.factories_kitchen import order_with_lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    street = StreetFactory(code="lockstreet")
    kitchen = KitchenFactory(street=street, place__name="长寿路中央厨房")
    menu = MenuFactory(kitchen=kitchen, date=timezone.localdate())
    item = MenuItemFactory(menu=menu, dish=DishFactory(kitchen=kitchen, name="番茄炒蛋"))
    point = PlaceFactory(street=street, name="乙助餐点", kind="meal_point")
    kitchen.serves.add(point)
    resident = UserFactory(display_name="王奶奶", phone="+8613700001234")
    order = order_with_lines(
        menu=menu, destination_place=point, user=resident, pickup_code="135790", lines=[(item, 1, False)]
    )
    operator = RoleAssignmentFactory(street=street, role="kitchen_operator").user
    return {"kitchen": kitchen, "menu": menu, "order": order, "operator": operator}


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    OutboxSmsBackend.clear()
    yield
    OutboxSmsBackend.clear()


def _before_cutoff(menu: Menu) -> None:
    Menu.objects.filter(pk=menu.pk).update(cutoff_at=timezone.now() + dt.timedelta(hours=2))
    menu.refresh_from_db()


def test_early_lock_asks_then_tells_every_resident_who_ordered(site, django_capture_on_commit_callbacks):
    menu = site["menu"]
    _before_cutoff(menu)
    second = OrderFactory(menu=menu, user=UserFactory(phone="+8613900005555"), pickup_code="246810")
    OrderFactory(menu=menu, user=UserFactory(phone="+8613900006666"), pickup_code="975310", status="cancelled")
    c = _client(site["operator"])
    base = {"kitchen": site["kitchen"].pk, "date": menu.date.isoformat(), "slot": "lunch"}

    asked = c.post("/kitchen/production/", {**base, "action": "lock"}).content.decode()
    assert 'id="confirm-lock"' in asked and "已下单的 2 位居民会收到短信通知" in asked
    menu.refresh_from_db()
    assert menu.status == MenuStatus.PUBLISHED and OutboxSmsBackend.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        done = c.post("/kitchen/production/", {**base, "action": "lock", "confirm": "1"})
    assert done.status_code == 200 and "已短信通知" in done.content.decode()
    menu.refresh_from_db()
    assert menu.status == MenuStatus.LOCKED
    told = {m.phone for m in OutboxSmsBackend.outbox}
    assert told == {site["order"].user.phone, second.user.phone}
    assert all("提前截单" in m.message for m in OutboxSmsBackend.outbox)
    second.refresh_from_db()
    assert second.status == OrderStatus.LOCKED


def test_the_scheduled_lock_at_the_cutoff_tells_nobody(site, django_capture_on_commit_callbacks):
    menu = site["menu"]
    Menu.objects.filter(pk=menu.pk).update(cutoff_at=timezone.now() - dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert menus_lock_due() >= 1
    assert OutboxSmsBackend.outbox == []
