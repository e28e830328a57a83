"""The PostgreSQL order path writes in one statement (`fast.order_write`): it decides on the wallet and
menu-item rows it has locked, which may be newer than the statement's snapshot. These races change those rows
between an order's snapshot and its lock (top-ups, cancellations, the kitchen raising a limit) and check that no
order fails a CHECK constraint or writes half an order. Skipped on SQLite (see test_orders_race_pg.py).

The first two are deterministic: another transaction holds the row changed but not committed while the order
starts (so the order's snapshot has the old version), then commits while the order waits on the row's lock."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from linli.core.errors import Problem
from linli.core.testing import race, require_postgres
from linli.meals.models import MenuItem, Order, OrderEvent, OrderLine, Wallet, WalletEntry
from linli.meals.services import orders as order_services
from linli.meals.services.wallet import wallet_get_or_create, wallet_topup
from linli.meals.tests.factories_orders import build_world, charges_match_orders, portions_in_live_orders

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _need_postgres(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    require_postgres("one-statement order race tests")


def every_order_is_whole() -> None:
    for order in Order.objects.all():
        assert OrderLine.objects.filter(order=order).count() >= 1
        assert OrderEvent.objects.filter(order=order, to_status="placed").count() == 1
        lines = OrderLine.objects.filter(order=order).aggregate(s=Sum("line_fen"))["s"]
        assert lines == order.list_fen


def order_while_row_is_held(change, place) -> str:
    """Run `change()` in a transaction that stays open for a second; meanwhile `place()` starts an order."""
    changed = threading.Event()
    outcome: dict[str, str] = {}

    def hold() -> None:
        try:
            with transaction.atomic():
                change()
                changed.set()
                threading.Event().wait(1.0)  # the order starts (and waits on the row) before this commits
        finally:
            changed.set()
            connection.close()

    def order() -> None:
        changed.wait(10)
        try:
            outcome["status"] = place()
        except Problem as problem:
            outcome["status"] = problem.code
        except Exception as exc:  # noqa: BLE001 - reported by the assertion
            outcome["status"] = f"error:{exc.__class__.__name__}:{exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=hold), threading.Thread(target=order)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcome["status"]


def test_an_order_waiting_on_a_top_up_pays_with_the_new_balance():
    """The counter tops up an empty wallet; the resident's order arrives before that commits. The order waits for
    the wallet row and is paid from the new balance (it decides on the row it locked, not on its snapshot)."""
    world = build_world(code="topupwait")
    user = world.resident(balance_fen=0)
    wallet_get_or_create(user=user, street=world.street)  # an empty wallet row: the top-up changes it
    status = order_while_row_is_held(
        lambda: wallet_topup(user=user, amount_fen=1000, actor=None, street=world.street),
        lambda: order_services.order_create(user=user, **world.body((world.soup, 1))).status,
    )
    assert status == "placed", status
    assert Wallet.objects.get(user=user).balance_fen == 500
    charges_match_orders()
    every_order_is_whole()


def test_an_order_waiting_on_a_raised_limit_takes_the_new_portion():
    """The fish is sold out (limit 1, sold 1); the kitchen raises the limit to 2 and an order arrives before that
    commits: the order waits for the row and takes the new portion."""
    world = build_world(code="limitwait", fish_limit=1)
    first = world.resident(balance_fen=10_000)
    order_services.order_create(user=first, **world.body((world.fish, 1)))
    user = world.resident(balance_fen=10_000)
    status = order_while_row_is_held(
        lambda: MenuItem.objects.filter(pk=world.fish.pk).update(daily_limit=2),
        lambda: order_services.order_create(user=user, **world.body((world.fish, 1))).status,
    )
    assert status == "placed", status
    fish = MenuItem.objects.get(pk=world.fish.pk)
    assert fish.sold == fish.daily_limit == 2 == portions_in_live_orders(fish)
    charges_match_orders()
    every_order_is_whole()


def test_top_ups_racing_the_orders_they_pay_for():
    """A resident with an empty wallet orders on one phone while the counter tops the wallet up: every order is
    placed or refused with `insufficient_balance`, never an error, and the ledger adds up."""
    world = build_world(code="topuprace")
    user = world.resident(balance_fen=0)

    def work(i: int) -> str:
        if i % 2:
            wallet_topup(user=user, amount_fen=500, actor=None, street=world.street)
            return "topped_up"
        return order_services.order_create(user=user, **world.body((world.soup, 1))).status

    outcomes: Counter[str] = Counter()
    for _round in range(3):
        outcomes.update(race(16, work))
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert set(outcomes) <= {"placed", "insufficient_balance", "topped_up"}, outcomes
    assert outcomes["topped_up"] == 24
    wallet = Wallet.objects.get(user=user)
    assert wallet.balance_fen == 24 * 500 - 500 * outcomes["placed"]
    assert MenuItem.objects.get(pk=world.soup.pk).sold == outcomes["placed"] == Order.objects.count()
    charges_match_orders()
    every_order_is_whole()


def test_limit_raised_while_baskets_race_for_the_last_portions():
    """The kitchen raises a dish's limit while thirty baskets race for it: never more sold than the limit of the
    moment, never an error, and `sold` equals the live orders' portions."""
    world = build_world(code="limitrace", fish_limit=5)
    users = [world.resident(balance_fen=10_000) for _ in range(30)]

    def work(i: int) -> str:
        if i == 10:
            MenuItem.objects.filter(pk=world.fish.pk).update(daily_limit=20)
            return "raised"
        return order_services.order_create(user=users[i], **world.body((world.fish, 1), (world.rice, 1))).status

    outcomes = Counter(race(30, work))
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert set(outcomes) <= {"placed", "sold_out", "raised"}, outcomes
    fish = MenuItem.objects.get(pk=world.fish.pk)
    rice = MenuItem.objects.get(pk=world.rice.pk)
    assert fish.daily_limit is not None
    assert fish.sold == portions_in_live_orders(fish) == outcomes["placed"] <= fish.daily_limit
    assert rice.sold == portions_in_live_orders(rice) == outcomes["placed"]
    assert WalletEntry.objects.filter(kind="charge").count() == outcomes["placed"]
    charges_match_orders()
    every_order_is_whole()
