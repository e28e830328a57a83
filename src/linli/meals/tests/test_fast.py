"""The fast paths agree with their step-by-step twins (docs/architecture.md, "Fast paths").

`fast.order_write` (one statement, PostgreSQL) and `orders.create.order_write` (step by step) write the same
generated sequences of checked baskets, each in a meals world of its own in the same PostgreSQL database: every
answer (the order's status and totals, or the refusal's code and message) and every row written (orders, lines,
events, wallet entries and balances, portions sold) must be the same. The SQLite pass skips it."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from linli.core.errors import Problem
from linli.core.testing import require_postgres
from linli.meals.models import MenuItem, Order, OrderEvent, OrderLine, Wallet, WalletEntry
from linli.meals.services import fast
from linli.meals.services.orders import basket_check
from linli.meals.services.orders.create import order_write
from linli.meals.tests.factories_orders import build_world

pytestmark = pytest.mark.django_db

_worlds = itertools.count()
N_RESIDENTS = 3

line = st.tuples(st.integers(0, 2), st.integers(1, 3), st.booleans())  # dish (rice, fish, soup), quantity, half
order = st.tuples(st.integers(0, N_RESIDENTS - 1), st.lists(line, min_size=1, max_size=3))


@pytest.fixture(autouse=True)
def _need_postgres():
    require_postgres("the one-statement order")


def _run(write: Any, *, fish_limit: int, balances: list[int], orders: list[Any], now: Any) -> Any:
    world = build_world(code=f"fastmeal-{next(_worlds)}", fish_limit=fish_limit)
    residents = [world.resident(balance_fen=b) for b in balances]
    dishes = [world.rice, world.fish, world.soup]
    answers: list[Any] = []
    order_index: dict[int, int] = {}
    for who, lines in orders:
        body = world.body(*[(dishes[d], q, half) for d, q, half in lines])
        try:
            basket = basket_check(user=residents[who], now=now, **body)
            with transaction.atomic():  # order_create's transaction: a refusal rolls the step-by-step writes back
                placed = write(user=residents[who], basket=basket, now=now)
            order_index[placed.pk] = len(order_index)
            answers.append((placed.status, placed.list_fen, placed.discount_fen, placed.total_fen))
        except Problem as problem:
            extra = {k: v for k, v in problem.extra.items() if k != "menu_item_id"}  # ids differ between worlds
            answers.append((problem.code, str(problem.detail), extra))
    who = {u.pk: i for i, u in enumerate(residents)}

    def ids(text: str) -> str:  # "订单 #123" -> "订单 #0": the n-th order of this world
        return re.sub(r"#(\d+)", lambda m: f"#{order_index.get(int(m[1]), m[1])}", text)

    orders_rows = [
        (order_index[o.pk], who[o.user_id], o.status, o.list_fen, o.discount_fen, o.total_fen, o.created_at)
        for o in Order.objects.filter(menu=world.menu).order_by("id")
    ]
    lines_rows = [
        (order_index[li.order_id], li.dish_name, li.quantity, li.half, li.unit_price_fen, li.line_fen)
        for li in OrderLine.objects.filter(order__menu=world.menu).order_by("id")
    ]
    events = [
        (order_index[e.order_id], who.get(e.actor_id), e.from_status, e.to_status, e.note, e.at)
        for e in OrderEvent.objects.filter(order__menu=world.menu).order_by("id")
    ]
    entries = [
        (who[e.wallet.user_id], e.kind, e.amount_fen, e.balance_after_fen, ids(e.note), order_index.get(e.order_id))
        for e in WalletEntry.objects.filter(wallet__user__in=residents).select_related("wallet").order_by("id")
    ]
    balances_after = [Wallet.objects.filter(user=u).values_list("balance_fen", flat=True).first() for u in residents]
    sold = [MenuItem.objects.get(pk=d.pk).sold for d in dishes]
    return answers, orders_rows, lines_rows, events, entries, balances_after, sold


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fish_limit=st.integers(0, 4),
    balances=st.lists(st.sampled_from([0, 1500, 3000, 10_000]), min_size=N_RESIDENTS, max_size=N_RESIDENTS),
    orders=st.lists(order, min_size=1, max_size=6),
)
def test_order_write_fast_and_step_by_step_agree(fish_limit, balances, orders):
    now = timezone.now()
    fast_result = _run(fast.order_write, fish_limit=fish_limit, balances=balances, orders=orders, now=now)
    steps_result = _run(order_write, fish_limit=fish_limit, balances=balances, orders=orders, now=now)
    assert fast_result == steps_result
