"""No dish is ever oversold under real concurrency: many threads race on PostgreSQL (SQLite serialises writers,
so the race it would show is not the one production faces). The SQLite pass skips them; `make test-pg` (CI's
second pass, which fails when PostgreSQL is absent) runs them, and there a non-PostgreSQL connection is an
error."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from linli.core.errors import Problem
from linli.core.testing import race, require_postgres
from linli.meals.models import MenuItem, Order, Wallet
from linli.meals.services import orders as order_services
from linli.meals.tests.factories_orders import build_world, charges_match_orders, portions_in_live_orders

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _need_postgres(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    require_postgres("overselling race test")


def test_forty_residents_race_for_the_last_twelve_fish():
    """Each wants 1 or 2 fish (limit 12) plus an unlimited soup: exactly 12 portions are sold, never more; the
    losers are charged nothing and their soup is not taken either."""
    world = build_world(code="racejie", fish_limit=12)
    users = [world.resident(balance_fen=50_000) for _ in range(40)]

    def work(i: int) -> str:
        order = order_services.order_create(user=users[i], **world.body((world.soup, 1), (world.fish, 1 + i % 2)))
        return order.status

    outcomes = Counter(race(40, work))
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert set(outcomes) <= {"placed", "sold_out"}, outcomes
    fish = MenuItem.objects.get(pk=world.fish.pk)
    soup = MenuItem.objects.get(pk=world.soup.pk)
    assert fish.sold == portions_in_live_orders(fish) <= 12
    assert fish.sold >= 11  # at most one portion can be left when every basket wants 1 or 2
    assert soup.sold == outcomes["placed"] == Order.objects.count()
    charges_match_orders()


def test_one_resident_racing_two_baskets_with_money_for_one():
    """The same person taps "order" on two phones with money for one meal: one order, one charge."""
    world = build_world(code="walletrace")
    user = world.resident(balance_fen=1500)

    def work(i: int) -> str:
        return order_services.order_create(user=user, **world.body((world.rice, 1))).status

    outcomes = Counter(race(8, work))
    assert outcomes == {"placed": 1, "insufficient_balance": 7}, outcomes
    assert MenuItem.objects.get(pk=world.rice.pk).sold == 1
    assert Wallet.objects.get(user=user).balance_fen == 0
    charges_match_orders()


def test_cancellations_racing_with_orders_never_oversell():
    """Ten holders cancel while thirty others order the same dish (limit 10, sold out before the race): every
    freed portion can be taken, never more than the limit, and `sold` equals the live orders' portions."""
    world = build_world(code="cancelrace", fish_limit=10)
    holders = [world.resident(balance_fen=10_000) for _ in range(10)]
    held = [order_services.order_create(user=u, **world.body((world.fish, 1))) for u in holders]
    newcomers = [world.resident(balance_fen=10_000) for _ in range(30)]

    def work(i: int) -> str:
        if i < 10:
            order = Order.objects.select_related("street", "user").get(pk=held[i].pk)
            return order_services.order_cancel(order=order, actor=holders[i]).status
        return order_services.order_create(
            user=newcomers[i - 10], **world.body((world.fish, 1), (world.rice, 1))
        ).status

    outcomes = Counter(race(40, work))
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes["cancelled"] == 10
    fish = MenuItem.objects.get(pk=world.fish.pk)
    rice = MenuItem.objects.get(pk=world.rice.pk)
    assert fish.sold == portions_in_live_orders(fish) <= 10
    assert rice.sold == portions_in_live_orders(rice) == outcomes["placed"]
    charges_match_orders()


def test_an_order_racing_the_cutoff_lock_never_slips_past_it():
    """The cut-off lock changes the menu row, then locks the menu's orders. An order that checked the menu before
    the lock committed must not be placed beside it: it waits on the menu row and is refused with
    `after_cutoff` once the lock commits."""
    from django.db import transaction

    from linli.meals.models import Menu

    world = build_world(code="cutoffrace")
    user = world.resident(balance_fen=10_000)
    locked = threading.Event()
    outcome: dict[str, str] = {}

    def lock_menu() -> None:
        try:
            with transaction.atomic():
                Menu.objects.filter(pk=world.menu.pk).update(status="locked")
                locked.set()
                threading.Event().wait(1.0)  # the order arrives while the lock is not yet committed
        finally:
            connection.close()

    def place_order() -> None:
        locked.wait(10)
        try:
            outcome["status"] = order_services.order_create(user=user, **world.body((world.rice, 1))).status
        except Problem as problem:
            outcome["status"] = problem.code
        finally:
            connection.close()

    threads = [threading.Thread(target=lock_menu), threading.Thread(target=place_order)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert outcome["status"] == "after_cutoff", outcome
    assert Order.objects.count() == 0 and MenuItem.objects.get(pk=world.rice.pk).sold == 0
    assert Wallet.objects.get(user=user).balance_fen == 10_000
