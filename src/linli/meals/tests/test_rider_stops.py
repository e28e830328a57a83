"""The rider's stop list: each stop with its address and a phone to call, numbered once."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from linli.meals.models import OrderStatus
from linli.meals.services.delivery import run_assign, runs_plan
from linli.meals.tests.factories import (
    KitchenFactory,
    MenuFactory,
    OrderFactory,
    PlaceFactory,
    RoleAssignmentFactory,
    StreetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def dlv():
    street = StreetFactory(code="stopstreet")
    kitchen = KitchenFactory(street=street, place__lat=31.25, place__lng=121.39, place__name="中央厨房")
    menu = MenuFactory(kitchen=kitchen, date=timezone.localdate(), status="locked")
    point = PlaceFactory(street=street, name="P0", kind="meal_point", lat=31.252, lng=121.392)
    return {
        "kitchen": kitchen,
        "menu": menu,
        "points": [point],
        "operator": RoleAssignmentFactory(street=street, role="kitchen_operator").user,
        "rider": RoleAssignmentFactory(street=street, role="rider").user,
    }


def _order(dlv, place_index=0, **kw):
    kw.setdefault("status", OrderStatus.LOCKED)
    if "destination_place" not in kw and kw.get("destination_type") != "home":
        kw["destination_place"] = dlv["points"][place_index]
    return OrderFactory(menu=dlv["menu"], **kw)


def _plan(dlv):
    return runs_plan(kitchen=dlv["kitchen"], date=dlv["menu"].date, slot="lunch", actor=dlv["operator"])


def test_each_stop_has_address_and_phone_and_one_number(dlv):
    point = dlv["points"][0]
    type(point).objects.filter(pk=point.pk).update(address="真金路100号", phone="021-60001234")
    _order(dlv, 0)
    _order(
        dlv,
        destination_type="home",
        destination_place=None,
        home_address="大渡河路1号3室",
        home_lat=point.lat + 0.001,
        home_lng=point.lng,
        user=UserFactory(phone="+8613911112222"),
    )
    (run,) = _plan(dlv).runs
    run_assign(run=run, rider=dlv["rider"], actor=dlv["operator"])
    client = Client()
    client.force_login(dlv["rider"])
    html = client.get("/rider/runs/").content.decode()
    assert "真金路100号" in html and 'href="tel:021-60001234"' in html
    assert "大渡河路1号3室" in html and 'href="tel:+8613911112222"' in html
    labels = re.findall(r'<p class="stop__label"><strong>([^<]*)</strong>', html)
    assert len(labels) == 2 and not any(re.match(r"\s*\d+\.", label) for label in labels)  # the <ol> numbers them
    assert '<ol class="stop-list">' in html
