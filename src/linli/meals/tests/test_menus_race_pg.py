"""Lowering a daily limit while orders take portions, under real concurrency on PostgreSQL: the limit never goes
below what is sold and no request fails with a database error. Skips on SQLite (it serialises writers)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.db.models import F

from linli.core.errors import Problem
from linli.core.testing import require_postgres
from linli.meals.models import MenuItem
from linli.meals.services.menus import menu_item_update
from linli.meals.tests.factories import MenuItemFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _need_postgres():
    require_postgres("menu limit race test")


def test_lowering_the_limit_races_orders_safely():
    item = MenuItemFactory(daily_limit=100, menu__status="draft")
    item.menu.cutoff_at = item.menu.cutoff_at.replace(year=item.menu.cutoff_at.year + 1)
    item.menu.save(update_fields=["cutoff_at"])
    errors: list[BaseException] = []
    refused: list[int] = []
    taken: list[int] = []
    start = threading.Barrier(9)

    def take() -> None:
        try:
            start.wait()
            for _ in range(15):  # what an order does to the counter: a conditional UPDATE
                taken.append(MenuItem.objects.filter(pk=item.pk, sold__lt=F("daily_limit")).update(sold=F("sold") + 1))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
        finally:
            connection.close()

    def lower() -> None:
        try:
            start.wait()
            for limit in range(60, 20, -2):
                try:
                    menu_item_update(item=MenuItem.objects.get(pk=item.pk), daily_limit=limit)
                except Problem:
                    refused.append(limit)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)] + [threading.Thread(target=lower)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    item.refresh_from_db()
    assert item.sold == sum(taken) and item.sold <= item.daily_limit
    # the last attempt (22) was either applied, or refused because more than 22 portions were sold by then
    if 22 in refused:
        assert item.sold > 22
    else:
        assert item.daily_limit == 22
