"""The cut-off lock and the run steps under real concurrency (PostgreSQL only; the SQLite pass skips these)."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.core.testing import race, require_postgres
from linli.meals.models import DeliveryRun, Menu, MenuStatus, OrderEvent, OrderStatus, RunStatus
from linli.meals.services.delivery import run_assign, run_pick_up, runs_plan
from linli.meals.services.kitchen import menus_lock_due
from linli.meals.tests.factories import (
    KitchenFactory,
    MenuFactory,
    OrderFactory,
    PlaceFactory,
    RoleAssignmentFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _need_postgres(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    require_postgres("kitchen race tests")


def test_six_workers_lock_each_menu_once():
    kitchen = KitchenFactory()
    menus = [MenuFactory(kitchen=kitchen, slot=slot) for slot in ("breakfast", "lunch", "dinner")]
    orders = [OrderFactory(menu=m) for m in menus for _ in range(5)]
    now = max(m.cutoff_at for m in menus) + dt.timedelta(minutes=1)
    results = race(6, lambda i: menus_lock_due(now=now))
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 3
    assert set(Menu.objects.values_list("status", flat=True)) == {MenuStatus.LOCKED}
    for order in orders:
        assert list(OrderEvent.objects.filter(order=order).values_list("to_status", flat=True)) == ["locked"]


def test_two_pick_ups_of_one_run_one_wins():
    kitchen = KitchenFactory()
    menu = MenuFactory(kitchen=kitchen, status=MenuStatus.LOCKED)
    operator = RoleAssignmentFactory(street=kitchen.street, role="kitchen_operator").user
    rider = RoleAssignmentFactory(street=kitchen.street, role="rider").user
    point = PlaceFactory(street=kitchen.street, lat=31.26, lng=121.40)
    order = OrderFactory(menu=menu, destination_place=point, status=OrderStatus.LOCKED)
    (run,) = runs_plan(kitchen=kitchen, date=menu.date, slot=menu.slot, actor=operator).runs
    run_assign(run=run, rider=rider, actor=operator)

    def work(i: int) -> str:
        fresh = DeliveryRun.objects.select_related("kitchen__street").get(pk=run.pk)
        return run_pick_up(run=fresh, actor=rider).status

    results = sorted(race(4, work))
    assert results == ["picked_up", "run_invalid_transition", "run_invalid_transition", "run_invalid_transition"]
    assert DeliveryRun.objects.get(pk=run.pk).status == RunStatus.PICKED_UP
    assert list(OrderEvent.objects.filter(order=order).values_list("to_status", flat=True)) == [
        "in_production",
        "out_for_delivery",
    ]
