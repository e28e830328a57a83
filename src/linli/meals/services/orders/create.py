"""Placing an order: check the basket, then write it in one transaction (`pg` or `sqlite` path)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from linli.meals.models import (
    Order,
    OrderDiscount,
)
from linli.meals.services import pricing
from linli.meals.services.orders.basket import basket_check
from linli.meals.services.orders.pg import _order_write_pg
from linli.meals.services.orders.sqlite import _order_write_steps

# ------------------------------------------------------------------------------------------- create


def order_create(
    *,
    user: Any,
    date: Any,
    slot: Any,
    destination: Any,
    items: Any,
    now: dt.datetime | None = None,
    savepoint: bool = True,
) -> Order:
    """Place an order: check the basket, then in one transaction insert the order with its lines, discounts and
    first event, charge the wallet, and take the portions. Problems: validation_error, menu_not_available,
    after_cutoff, destination_not_served, not_eligible, insufficient_balance, sold_out. A refusal leaves
    nothing written: on PostgreSQL the writes are one all-or-nothing statement (`_order_write_pg`), elsewhere
    the transaction is rolled back (`_order_write_steps`).

    `savepoint=False` when the caller's own atomic block is the unit to roll back (the API's idempotency
    wrapper already opens one): saves a SAVEPOINT/RELEASE round trip pair on the hot path. On PostgreSQL, inside
    the caller's transaction, it then opens no atomic block at all: a refusal has written nothing there, so the
    caller's transaction stays usable (the idempotency wrapper stores the refusal in it, see `idempotent`'s
    `savepoint`)."""
    if not savepoint and connection.vendor == "postgresql" and connection.in_atomic_block:
        return _order_create(user=user, date=date, slot=slot, destination=destination, items=items, now=now)
    with transaction.atomic(savepoint=savepoint):
        return _order_create(user=user, date=date, slot=slot, destination=destination, items=items, now=now)


def order_create_savepoint_needed() -> bool:
    """For a caller that runs `order_create(savepoint=False)` inside its own transaction and keeps using that
    transaction after a refusal (the API's idempotency wrapper stores the refusal in it): whether the call needs a
    savepoint around it. Not on PostgreSQL, where a refused order has written nothing (one statement); elsewhere
    the savepoint rolls the refused order's writes back."""
    return connection.vendor != "postgresql"


def _order_create(*, user: Any, date: Any, slot: Any, destination: Any, items: Any, now: dt.datetime | None) -> Order:
    now = now or timezone.now()
    basket = basket_check(user=user, date=date, slot=slot, destination=destination, items=items, now=now)
    if connection.vendor == "postgresql":
        return _order_write_pg(user=user, basket=basket, now=now)
    return _order_write_steps(user=user, basket=basket, now=now)


def order_discounts(*, order: Order) -> list[pricing.BillDiscount] | list[OrderDiscount]:
    """The discounts of an order: from the bill just computed by `order_create`, else from the database."""
    bill = getattr(order, "bill", None)
    if bill is not None:
        return list(bill.discounts)
    return list(OrderDiscount.objects.filter(order_id=order.pk).order_by("id"))
