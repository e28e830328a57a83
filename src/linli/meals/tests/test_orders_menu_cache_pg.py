"""The order path's per-process cache of menus, items, dishes and pricing tiers (PostgreSQL, `fast.menu_items_read`):
an order after a change to any of those rows sees the change, in this process, at once; an order with nothing
changed reads digests only. Skipped on SQLite (the cache is PostgreSQL's: the digests are computed there)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linli.core.errors import Problem
from linli.core.testing import require_postgres
from linli.meals.models import Dish, Kitchen, Menu, MenuItem, PricingTier
from linli.meals.services import fast
from linli.meals.services import orders as order_services
from linli.meals.tests.factories import PricingTierFactory
from linli.meals.tests.factories_orders import build_world
from linli.places.models import Place

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _need_postgres():
    require_postgres("the menu cache tests")
    fast.menu_cache_clear()
    yield
    fast.menu_cache_clear()


def _order(world, user, *items):
    return order_services.order_create(user=user, **world.body(*items))


def _reads(queries) -> tuple[int, int]:
    """(digest reads, full reads) among captured queries."""
    sql = [q["sql"] for q in queries]
    digests = sum(1 for s in sql if s.startswith("SELECT i.id, md5("))
    full = sum(1 for s in sql if s.startswith("SELECT i.") and 'm."cutoff_at"' in s)
    return digests, full


def test_a_second_order_reads_digests_only_and_gets_the_same_bill():
    world = build_world(code="cachejie")
    PricingTierFactory(street=world.street, min_age=60, value=10)
    user = world.resident(balance_fen=50_000)
    with CaptureQueriesContext(connection) as first_queries:
        first = _order(world, user, (world.rice, 1), (world.soup, 2))
    assert _reads(first_queries.captured_queries) == (1, 1)  # digests, then the rows (cache empty)
    with CaptureQueriesContext(connection) as second_queries:
        second = _order(world, user, (world.rice, 1), (world.soup, 2))
    assert _reads(second_queries.captured_queries) == (1, 0)
    assert (second.list_fen, second.discount_fen, second.total_fen) == (first.list_fen, first.discount_fen, 2250)
    assert [d.label for d in order_services.order_discounts(order=second)] == [
        d.label for d in order_services.order_discounts(order=first)
    ]


def test_a_new_price_or_dish_name_counts_at_once():
    world = build_world(code="cachejie")
    user = world.resident(balance_fen=50_000)
    assert _order(world, user, (world.rice, 1)).list_fen == 1500
    MenuItem.objects.filter(pk=world.rice.pk).update(price_fen=1700)
    assert _order(world, user, (world.rice, 1)).list_fen == 1700
    MenuItem.objects.filter(pk=world.rice.pk).update(half_price_fen=900)
    assert _order(world, user, (world.rice, 1, True)).list_fen == 900
    Dish.objects.filter(pk=world.rice.dish_id).update(name="改名的饭")
    order = _order(world, user, (world.rice, 1))
    assert order.bill.lines[0].dish == "改名的饭"


def test_a_locked_menu_or_an_earlier_cutoff_refuses_at_once():
    world = build_world(code="cachejie")
    user = world.resident(balance_fen=50_000)
    _order(world, user, (world.soup, 1))
    Menu.objects.filter(pk=world.menu.pk).update(cutoff_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(Problem) as refused:
        _order(world, user, (world.soup, 1))
    assert refused.value.code == "after_cutoff"
    Menu.objects.filter(pk=world.menu.pk).update(cutoff_at=timezone.now() + dt.timedelta(hours=1))
    _order(world, user, (world.soup, 1))
    Menu.objects.filter(pk=world.menu.pk).update(status="locked")
    with pytest.raises(Problem) as refused:
        _order(world, user, (world.soup, 1))
    assert refused.value.code == "after_cutoff"


def test_tier_changes_count_at_once():
    world = build_world(code="cachejie")
    user = world.resident(balance_fen=50_000)
    assert _order(world, user, (world.rice, 2)).discount_fen == 0
    tier = PricingTierFactory(street=world.street, min_age=60, value=10)
    assert _order(world, user, (world.rice, 2)).discount_fen == 300
    PricingTier.objects.filter(pk=tier.pk).update(value=20)
    assert _order(world, user, (world.rice, 2)).discount_fen == 600
    PricingTier.objects.filter(pk=tier.pk).update(is_active=False)
    assert _order(world, user, (world.rice, 2)).discount_fen == 0


def test_kitchen_and_place_changes_count_at_once():
    world = build_world(code="cachejie")
    user = world.resident(balance_fen=50_000)
    _order(world, user, (world.soup, 1))
    Place.objects.filter(pk=world.kitchen.place_id).update(name="新名字厨房")
    world.kitchen.serves.remove(world.meal_point)
    with pytest.raises(Problem) as refused:
        _order(world, user, (world.soup, 1))
    assert refused.value.code == "destination_not_served"
    assert "新名字厨房" in refused.value.as_dict("zh-hans")["detail"]
    world.kitchen.serves.add(world.meal_point)
    Kitchen.objects.filter(pk=world.kitchen.pk).update(home_delivery=False)
    assert _order(world, user, (world.soup, 1)).status == "placed"


def test_the_quote_reads_the_current_portions_not_the_cache():
    world = build_world(code="cachejie", fish_limit=2)
    first, second = world.resident(balance_fen=50_000), world.resident(balance_fen=50_000)
    order_services.basket_quote(user=first, **world.body((world.fish, 2)))
    _order(world, second, (world.fish, 2))  # fills the cache: its fish has `sold` 0
    with pytest.raises(Problem) as refused:
        order_services.basket_quote(user=first, **world.body((world.fish, 1)))
    assert refused.value.code == "sold_out"
