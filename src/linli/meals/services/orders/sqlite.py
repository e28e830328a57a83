"""SQLite (and any other backend): an order's writes statement by statement inside order_create's transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from linli.meals.models import (
    Order,
    OrderDiscount,
    OrderEvent,
    OrderLine,
    OrderStatus,
)
from linli.meals.services import wallet
from linli.meals.services.orders.basket import PICKUP_CODE_ATTEMPTS, Basket, _sold_out
from linli.meals.services.orders.rows import (
    _TAKE_PORTIONS,
    _discount_values,
    _insert_rows,
    _line_values,
    _order_instance,
    _order_values,
    _portions_update,
    new_pickup_code,
)

# -------------------------------------------------------------------- the writes step by step (SQLite, ...)


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


def _order_write_steps(*, user: Any, basket: Basket, now: dt.datetime) -> Order:
    """Write the checked basket statement by statement, inside order_create's transaction: the order (drawing
    another pickup code while one is taken), its lines, discounts and first event, the wallet charge
    (conditional UPDATE), and the portions last (conditional UPDATEs in menu-item id order, so two baskets
    holding the same dishes queue on the rows in the same order). A refusal raises and the transaction rolls
    back. (SQLite serialises writers; PostgreSQL uses `_order_write_pg`.)"""
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
            raise _sold_out(items_by_id[item_id], n)
    return order
