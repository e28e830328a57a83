"""The rider's stop list: each stop with its address and a phone to call, numbered once."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from linli.meals.services.delivery import run_assign
from linli.meals.tests.factories import UserFactory
from linli.meals.tests.test_delivery import _order, _plan, dlv

pytestmark = pytest.mark.django_db
__all__ = ["dlv"]  # the fixture, shared with the delivery tests


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
