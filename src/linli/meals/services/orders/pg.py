"""PostgreSQL: an order's writes as ONE statement, all or nothing (`_ORDER_ONE_STATEMENT`)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from django.db import connection
from django.utils import timezone

from linli.core import rawsql
from linli.core.errors import Problem
from linli.meals.models import (
    EntryKind,
    MenuItem,
    Order,
    OrderDiscount,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Wallet,
    WalletEntry,
)
from linli.meals.services import wallet
from linli.meals.services.orders.basket import PICKUP_CODE_ATTEMPTS, Basket, _sold_out
from linli.meals.services.orders.rows import (
    _DISCOUNT_FIELDS,
    _LINE_FIELDS,
    _ORDER_FIELDS,
    _discount_values,
    _line_values,
    _order_instance,
    _order_values,
    new_pickup_code,
)

# ------------------------------------------------------------------ the writes in one statement (PostgreSQL)

# Everything an order writes, in ONE statement (one round trip), all or nothing:
# - `wal` locks the resident's wallet row, then `stock` locks the basket's menu-item rows in id order (`wal` is
#   read by `stock` first, so it is locked first): the lock order of every writer (an order, a cancellation:
#   wallet, then menu items). FOR NO KEY UPDATE, the lock an UPDATE of these non-key columns takes: other
#   orders' order-line foreign keys (FOR KEY SHARE) are not held up. Under READ COMMITTED a row changed by a
#   transaction that committed while this one waited is read in its newest version, so `sold` and the balance
#   seen here are the current ones, and they stay so until COMMIT.
# - `gate` decides on those locked values: the balance covers the total (no wallet: a balance of 0), and every
#   dish has the portions left (`daily_limit` NULL: unlimited).
# - `ord` inserts the order only if both hold; every later write hangs on `ord`'s row (FROM ord), so when the
#   gate says no, or the random pickup code is already taken on the menu (ON CONFLICT DO NOTHING), nothing is
#   written at all: a refusal needs no rollback, and a taken code is simply drawn again.
# - `take` adds the portions, `charge` takes the money (and its ledger `entry` records the balance after it),
#   `line`, `discount` and `event` insert the order's lines, discounts and first event.
# - `take` and `charge` compute the new values from the locked ones (`stock`, `wal`), never from their own scan
#   of the table: that scan reads the statement's snapshot, which may hold an older version of the row (one a
#   concurrent cancellation or top-up replaced before the lock), and PostgreSQL checks the CHECK constraints on
#   a new row built from that older version before it moves on to the newest one. (`daily_limit` is set to its
#   locked value, unchanged, for the same reason.)
# Data-modifying CTEs all run to completion whether or not the final SELECT reads them. Menu-item ids come
# sorted, the CHECK constraints (`menu_item_not_oversold`, `wallet_not_negative`) back the gate.
_ORDER_ONE_STATEMENT = """
WITH wal AS MATERIALIZED (
    SELECT id, balance_fen FROM {wallet} WHERE {wallet_user} = %(user)s AND {wallet_street} = %(street)s
    FOR NO KEY UPDATE
), want (id, n) AS (
    VALUES {want}
), stock AS MATERIALIZED (
    SELECT i.id, i.daily_limit, i.sold, want.n FROM {item} i JOIN want ON want.id = i.id
    WHERE (SELECT COUNT(*) FROM wal) >= 0
    ORDER BY i.id FOR NO KEY UPDATE OF i
), gate AS (
    SELECT COALESCE((SELECT balance_fen FROM wal), 0) >= %(total)s AS money_ok,
        (SELECT COUNT(*) FROM stock WHERE daily_limit IS NULL OR sold + n <= daily_limit) = {n_items} AS portions_ok
), ord AS (
    INSERT INTO {order} ({order_columns}) SELECT {order_values} FROM gate WHERE money_ok AND portions_ok
    ON CONFLICT DO NOTHING RETURNING id
), take AS (
    UPDATE {item} i SET sold = stock.sold + stock.n, daily_limit = stock.daily_limit FROM stock, ord
    WHERE i.id = stock.id RETURNING i.id
), charge AS (
    UPDATE {wallet} w SET balance_fen = wal.balance_fen - %(total)s, updated_at = %(wallet_at)s FROM wal, ord
    WHERE w.id = wal.id AND %(total)s > 0
    RETURNING w.id AS wallet_id, w.balance_fen, ord.id AS order_id
), entry AS (
    INSERT INTO {entry} ({entry_columns})
    SELECT wallet_id, %(charge_kind)s, -%(total)s, balance_fen, order_id, %(street)s, %(user)s,
        %(charge_note)s || order_id, %(wallet_at)s FROM charge
    RETURNING id
), line AS (
    INSERT INTO {line} ({line_order}, {line_columns}) SELECT ord.id, v.* FROM ord, (VALUES {lines}) v
    RETURNING id
){discount}, event AS (
    INSERT INTO {event} ({event_columns}) SELECT ord.id, %(now)s, %(user)s, '', %(placed)s, '' FROM ord
    RETURNING id
)
SELECT (SELECT id FROM ord), money_ok, portions_ok, (SELECT balance_fen FROM wal),
    (SELECT COUNT(*) FROM take), (SELECT COUNT(*) FROM charge), (SELECT COUNT(*) FROM line),
    CASE WHEN NOT portions_ok THEN
        (SELECT json_agg(json_build_array(id, daily_limit, sold) ORDER BY id) FROM stock) END
FROM gate
"""
_ORDER_DISCOUNT_CTE = """, discount AS (
    INSERT INTO {discount_table} ({discount_order}, {discount_columns})
    SELECT ord.id, v.* FROM ord, (VALUES {discounts}) v
    RETURNING id
)"""


@cache
def _order_statement_sql(vendor: str, n_items: int, n_lines: int, n_discounts: int) -> str:
    """`_ORDER_ONE_STATEMENT` for a basket's shape: its menu items (`w<i>_id`, `w<i>_n` parameters), bill lines
    (`l<i>_<field>`) and discounts (`d<i>_<field>`); the order's fields are `o_<field>`."""
    t, c = rawsql.table, rawsql.column
    want = ", ".join(f"(%(w{i}_id)s::bigint, %(w{i}_n)s::integer)" for i in range(n_items))
    lines = ", ".join(f"({rawsql.typed_marks(OrderLine, _LINE_FIELDS, f'l{i}_')})" for i in range(n_lines))
    discount = ""
    if n_discounts:
        discount = _ORDER_DISCOUNT_CTE.format(
            discount_table=t(OrderDiscount),
            discount_order=c(OrderDiscount, "order"),
            discount_columns=rawsql.columns(OrderDiscount, _DISCOUNT_FIELDS),
            discounts=", ".join(
                f"({rawsql.typed_marks(OrderDiscount, _DISCOUNT_FIELDS, f'd{i}_')})" for i in range(n_discounts)
            ),
        )
    return _ORDER_ONE_STATEMENT.format(
        wallet=t(Wallet),
        wallet_user=c(Wallet, "user"),
        wallet_street=c(Wallet, "street"),
        item=t(MenuItem),
        want=want,
        n_items=int(n_items),
        order=t(Order),
        order_columns=rawsql.columns(Order, _ORDER_FIELDS),
        order_values=rawsql.typed_marks(Order, _ORDER_FIELDS, "o_"),
        entry=t(WalletEntry),
        entry_columns=rawsql.columns(
            WalletEntry,
            ("wallet", "kind", "amount_fen", "balance_after_fen", "order", "street", "actor", "note", "at"),
        ),
        line=t(OrderLine),
        line_order=c(OrderLine, "order"),
        line_columns=rawsql.columns(OrderLine, _LINE_FIELDS),
        lines=lines,
        discount=discount,
        event=t(OrderEvent),
        event_columns=rawsql.columns(OrderEvent, ("order", "at", "actor", "from_status", "to_status", "note")),
    )


def _order_write_pg(*, user: Any, basket: Basket, now: dt.datetime) -> Order:
    """PostgreSQL: write the checked basket with `_ORDER_ONE_STATEMENT`. The refusals and their order are those
    of `_order_write_steps` (the wallet first: `insufficient_balance`, then the first dish short, by id:
    `sold_out`); either way the statement wrote nothing."""
    bill = basket.bill
    portions = sorted(basket.portions.items())
    params: dict[str, Any] = {
        "user": user.pk,
        "street": basket.kitchen.street_id,
        "total": bill.total_fen,
        "now": now,
        "wallet_at": timezone.now(),  # the ledger's clock, as wallet_charge stamps it (`now` may be a test's)
        "charge_kind": str(EntryKind.CHARGE),
        "charge_note": "订单 #",  # + the order id: wallet_charge's note
        "placed": str(OrderStatus.PLACED),
    }
    for i, (item_id, n) in enumerate(portions):
        params[f"w{i}_id"], params[f"w{i}_n"] = item_id, n
    for i, line in enumerate(bill.lines):
        params.update({f"l{i}_{name}": value for name, value in _line_values(line).items()})
    for i, discount in enumerate(bill.discounts):
        params.update({f"d{i}_{name}": value for name, value in _discount_values(discount).items()})
    sql = _order_statement_sql(connection.vendor, len(portions), len(bill.lines), len(bill.discounts))
    for _attempt in range(PICKUP_CODE_ATTEMPTS):
        values = _order_values(user=user, basket=basket, now=now, pickup_code=new_pickup_code())
        params.update({f"o_{name}": value for name, value in values.items()})
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        assert row is not None  # `gate` always has its one row
        order_id, money_ok, portions_ok, balance, taken, charged, lined, stock = row
        if not money_ok:
            raise wallet.insufficient_balance(needed_fen=bill.total_fen, balance_fen=int(balance or 0))
        if not portions_ok:
            raise _first_short(basket, portions, stock)
        if order_id is not None:
            break
    else:
        raise RuntimeError("could not draw a unique pickup code")
    if (taken, charged, lined) != (len(portions), int(bill.total_fen > 0), len(bill.lines)):
        # Cannot happen with the rows locked by the statement; never let a half-written order commit.
        raise RuntimeError(f"order {order_id} written incompletely: {(taken, charged, lined)}")
    return _order_instance(order_id=order_id, user=user, basket=basket, values=values)


def _first_short(basket: Basket, portions: list[tuple[int, int]], stock: list[list[Any]] | None) -> Problem:
    """`sold_out` for the first menu item (by id) the statement found without the portions wanted (or gone)."""
    items_by_id = {item.pk: item for item, _q, _h in basket.lines}
    locked = {int(item_id): (limit, int(sold)) for item_id, limit, sold in stock or []}
    for item_id, n in portions:
        current = locked.get(item_id)
        if current is None or (current[0] is not None and current[1] + n > current[0]):
            return _sold_out(items_by_id[item_id], n, current)
    raise RuntimeError("the order statement found a dish short but none is")
