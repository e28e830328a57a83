"""Placing an order: check the basket, then write it in one transaction (`order_write` step by step, or its
one-statement twin `fast.order_write` on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from linli.core.hooks import change_announce
from linli.meals.models import Order, OrderDiscount, OrderEvent, OrderLine, OrderStatus
from linli.meals.services import fast, pricing, wallet
from linli.meals.services.order_records import (
    _TAKE_PORTIONS,
    PICKUP_CODE_ATTEMPTS,
    Basket,
    _discount_values,
    _insert_rows,
    _line_values,
    _order_instance,
    _order_values,
    _portions_update,
    new_pickup_code,
    sold_out,
)
from linli.meals.services.orders.basket import basket_check

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
    nothing written: on PostgreSQL the writes are one all-or-nothing statement (`fast.order_write`), elsewhere
    the transaction is rolled back (`order_write`).

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
    write = fast.order_write if connection.vendor == "postgresql" else order_write
    order = write(user=user, basket=basket, now=now)
    change_announce(domain="meals", kind="order.placed", street_id=order.street_id, place_id=order.destination_place_id)
    return order


def order_discounts(*, order: Order) -> list[pricing.BillDiscount] | list[OrderDiscount]:
    """The discounts of an order: from the bill just computed by `order_create`, else from the database."""
    bill = getattr(order, "bill", None)
    if bill is not None:
        return list(bill.discounts)
    return list(OrderDiscount.objects.filter(order_id=order.pk).order_by("id"))


# -------------------------------------------------------------- the writes step by step (SQLite, the reference)


def _insert_order(values: dict[str, Any]) -> int | None:
    """INSERT the order unless its pickup code is taken on the menu (then None: draw another). ON CONFLICT DO
    NOTHING keeps the transaction usable without a savepoint (PostgreSQL and SQLite >= 3.35)."""
    qn = connection.ops.quote_name
    fields = [Order._meta.get_field(name) for name in values]
    cols = ", ".join(qn(str(f.column)) for f in fields)  # type: ignore[union-attr]
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields]  # type: ignore[union-attr]
    marks = ", ".join(["%s"] * len(params))
    sql = (
        f"INSERT INTO {qn(Order._meta.db_table)} ({cols}) VALUES ({marks}) "  # noqa: S608 - identifiers only
        f"ON CONFLICT DO NOTHING RETURNING {qn(Order._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return int(row[0]) if row else None


def order_write(*, user: Any, basket: Basket, now: dt.datetime) -> Order:
    """Write the checked basket statement by statement, inside order_create's transaction: the order (drawing
    another pickup code while one is taken), its lines, discounts and first event, the wallet charge
    (conditional UPDATE), and the portions last (conditional UPDATEs in menu-item id order, so two baskets
    holding the same dishes queue on the rows in the same order). A refusal raises and the transaction rolls
    back. (SQLite serialises writers; PostgreSQL uses `fast.order_write`.)"""
    bill = basket.bill
    order_id = None
    for _attempt in range(PICKUP_CODE_ATTEMPTS):
        values = _order_values(user=user, basket=basket, now=now, pickup_code=new_pickup_code())
        order_id = _insert_order(values)
        if order_id is not None:
            break
    if order_id is None:
        raise RuntimeError("could not draw a unique pickup code")
    order = _order_instance(order_id=order_id, user=user, basket=basket, values=values)
    _insert_rows(
        (OrderLine, [{"order": order_id, **_line_values(line)} for line in bill.lines]),
        (OrderDiscount, [{"order": order_id, **_discount_values(d)} for d in bill.discounts]),
        (
            OrderEvent,
            [
                {
                    "order": order_id,
                    "at": now,
                    "actor": user.pk,
                    "from_status": "",
                    "to_status": OrderStatus.PLACED,
                    "note": "",
                }
            ],
        ),
    )
    wallet.wallet_charge(user=user, amount_fen=bill.total_fen, order=order, street=basket.kitchen.street)

    items_by_id = {item.pk: item for item, _q, _h in basket.lines}
    for item_id, n in sorted(basket.portions.items()):
        if not _portions_update(_TAKE_PORTIONS, item_id, n):
            raise sold_out(items_by_id[item_id], n)
    return order
