"""The meals' fast paths: plain-SQL twins of step-by-step services, with the same name and signature, and the order
path's plain-SQL reads.

    order_write       PostgreSQL: `orders.create.order_write` in ONE statement, all or nothing
    menu_items_read   the basket's menu items with everything the checks and the bill need, in one query (and
                      on PostgreSQL a per-process cache of the instances, checked by row digests)
    street_tiers, place_served   the street's pricing tiers; whether a kitchen serves a place

The convention (docs/architecture.md, "Fast paths"): a domain's fast paths live in `services/fast.py`; each
shadows a step-by-step function with the same name and signature, which stays the reference (and the path on
the other backends); every INSERT names every column of its table (checked at import); `tests/test_fast.py`
runs both on the same PostgreSQL database with generated inputs and asserts the same answers and rows.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from django.db import connection
from django.utils import timezone

from linli.core import rawsql
from linli.core.errors import Problem
from linli.core.models import Street
from linli.meals.models import (
    Dish,
    EntryKind,
    Kitchen,
    MealProfile,
    Menu,
    MenuItem,
    Order,
    OrderDiscount,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PricingTier,
    Wallet,
    WalletEntry,
)
from linli.meals.services import wallet
from linli.meals.services.order_records import (
    _DISCOUNT_FIELDS,
    _LINE_FIELDS,
    _ORDER_FIELDS,
    PICKUP_CODE_ATTEMPTS,
    Basket,
    _discount_values,
    _line_values,
    _order_instance,
    _order_values,
    new_pickup_code,
    sold_out,
)
from linli.places.models import Place

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


def order_write(*, user: Any, basket: Basket, now: dt.datetime) -> Order:
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
            return sold_out(items_by_id[item_id], n, current)
    raise RuntimeError("the order statement found a dish short but none is")


# The hot reads and writes of the order path in plain SQL: through the ORM, building these statements cost more
# CPU than the database took to run them (bench/bench_lunch_rush.py). Columns come from the models' metadata
# (linli.core.rawsql); only identifiers are interpolated, values go as parameters.


def menu_items_read(
    item_ids: list[int], *, user_id: int, place_id: int | None, fresh: bool = False
) -> tuple[dict[int, MenuItem], MealProfile | None, bool, list[PricingTier] | None]:
    """In one query: the menu items with their menu, kitchen (and its place and street) and dish; the user's meal
    profile (or None); whether the kitchen's `serves` lists `place_id`; on PostgreSQL also the street's active
    pricing tiers (else None: read them with `_street_tiers`).

    On PostgreSQL the menus, items, dishes and tiers come from this process's cache (`_cachedmenu_items_read`) while
    their rows are unchanged: the query then returns a digest of those rows instead of the rows. `fresh`: read
    the rows (the quote wants the current `sold`, which the cache does not follow).

    Inside a transaction (order_create) the menu row is read under a share lock (PostgreSQL). The cut-off lock
    (services.kitchen) changes the menu row before it locks the menu's placed orders, so it waits for every order
    holding this lock to commit (and then locks them too), and an order arriving after it reads the menu as
    locked: no order slips in beside a production list already drawn up. (SQLite serialises writers anyway.)"""
    vendor = connection.vendor
    lock = vendor == "postgresql" and connection.in_atomic_block
    if vendor == "postgresql" and not fresh:
        cached = _cachedmenu_items_read(item_ids, user_id=user_id, place_id=place_id, lock=lock)
        if cached is not None:
            return cached
    with connection.cursor() as cursor:
        cursor.execute(_menu_items_sql(vendor, len(item_ids), lock), [place_id or 0, user_id, *item_ids])
        rows = cursor.fetchall()
    if not rows:
        return {}, None, False, None
    n_item = rawsql.column_count(MenuItem)
    n_menu = rawsql.column_count(Menu, Kitchen, Place, Street)
    n_dish = rawsql.column_count(Dish)
    n_profile = rawsql.column_count(MealProfile)
    # The profile, `serves` and the tiers are the same on every row; build a menu (with its kitchen) once.
    first = rows[0]
    at = n_item + n_menu + n_dish
    profile = _profile(first[at : at + n_profile])
    served = bool(first[at + n_profile])
    tiers = None
    if vendor == "postgresql":
        tiers = rawsql.from_json_rows(PricingTier, first[at + n_profile + 1])
    caching = vendor == "postgresql" and not fresh
    at_digest = at + n_profile + 2  # PostgreSQL: the digests of `_digests_sql`, after the tiers
    out: dict[int, MenuItem] = {}
    menus: dict[int, Menu] = {}
    for row in rows:
        item, dish = rawsql.instances(row[:n_item] + row[n_item + n_menu : n_item + n_menu + n_dish], MenuItem, Dish)
        assert isinstance(item, MenuItem)
        if item.menu_id not in menus:
            cached_menu = _menu_cache.get(item.menu_id) if caching else None
            if cached_menu is not None and cached_menu[0] == row[at_digest + 1]:
                menus[item.menu_id] = cached_menu[1]  # one instance per menu, shared by its cached items
            else:
                menu, kitchen, place, street = rawsql.instances(
                    row[n_item : n_item + n_menu], Menu, Kitchen, Place, Street
                )
                assert isinstance(menu, Menu) and isinstance(kitchen, Kitchen)
                kitchen.place, kitchen.street = place, street  # type: ignore[assignment]
                menu.kitchen = kitchen
                menus[menu.pk] = menu
                if caching:
                    _menu_cache[menu.pk] = (row[at_digest + 1], menu)
        item.menu, item.dish = menus[item.menu_id], dish  # type: ignore[assignment]
        out[item.pk] = item
        if caching:
            _item_cache[item.pk] = (row[at_digest], row[at_digest + 1], item)
    if caching:
        _tier_cache[first[at_digest + 2]] = (first[at_digest + 3], tiers)  # type: ignore[assignment]
        _trim_caches()
    return out, profile, served, tiers  # type: ignore[return-value]


def _profile(values: tuple[Any, ...]) -> MealProfile | None:
    """The meal profile from its columns (its id first); None when the LEFT JOIN found none (most residents)."""
    if values[0] is None:
        return None
    profile = rawsql.instances(values, MealProfile)[0]
    assert isinstance(profile, MealProfile)
    return profile


# ------------------------------------------------------- the per-process cache of menus, items and tiers (PostgreSQL)
#
# Building the menu, kitchen, place, street, item, dish and tier instances of every order from their rows was a
# fifth of the order path's CPU in the API process (cProfile), yet these rows change a few times a day. So each
# process keeps the instances it built, each with a digest of the row versions it was built from, read from
# PostgreSQL. Every order still runs its one read, but it asks for the digests of the current rows (and the
# per-person profile, which is not cached) instead of the rows: when every digest matches, the cached instances
# are exactly what the rows would give; any change to one of those rows (a price, the menu's status or cut-off,
# a dish's name, a tier) changes its digest, and the order reads the rows again (and refreshes the cache). No
# expiry and no cross-process signal is needed. The cached instances are shared by the threads of the process
# and never changed after they are built.
#
# The digests: a row version's `xmin` (the transaction that wrote it) with its `ctid` (where it lies) for the
# menu, kitchen, place, street, dish and tier rows. Every UPDATE writes a new version (a new `ctid`, and the
# writer's `xmin`); locking a row (the orders' FOR SHARE on the menu) does not. Two versions of a row never have
# both the same `xmin` and `ctid`: within one transaction the old version keeps its place until the transaction
# ends, and a place freed later is reused by another transaction. (VACUUM FULL moves rows: the cache then misses
# once.) Menu items change with every order (`sold`), so theirs is an md5 of the item's columns but `sold`: a
# cached item's `sold` is stale, and nothing on the order path reads it (the quote reads fresh rows).

_CACHE_MAX = 20_000
# menu item id -> (digest of the item and dish rows, digest of the menu, kitchen, place and street rows, item)
_item_cache: dict[int, tuple[str, str, MenuItem]] = {}
# menu id -> (digest of the menu, kitchen, place and street rows, the menu with its kitchen, place and street)
_menu_cache: dict[int, tuple[str, Menu]] = {}
# street id -> (digest of the street's active tiers, the tiers)
_tier_cache: dict[int, tuple[str, list[PricingTier]]] = {}


def menu_cache_clear() -> None:
    _item_cache.clear()
    _menu_cache.clear()
    _tier_cache.clear()


def _trim_caches() -> None:
    if len(_item_cache) > _CACHE_MAX or len(_menu_cache) > _CACHE_MAX:
        _item_cache.clear()
        _menu_cache.clear()
    if len(_tier_cache) > _CACHE_MAX:
        _tier_cache.clear()


def _cachedmenu_items_read(
    item_ids: list[int], *, user_id: int, place_id: int | None, lock: bool
) -> tuple[dict[int, MenuItem], MealProfile | None, bool, list[PricingTier] | None] | None:
    """`menu_items_read` from the cache when every digest matches (else None: read the rows). No rows found: no items,
    as `menu_items_read` answers."""
    with connection.cursor() as cursor:
        cursor.execute(_digests_sql(connection.vendor, len(item_ids), lock), [place_id or 0, user_id, *item_ids])
        rows = cursor.fetchall()
    if not rows:
        return {}, None, False, None
    n_profile = rawsql.column_count(MealProfile)
    first = rows[0]
    cached_tiers = _tier_cache.get(first[3])
    if cached_tiers is None or cached_tiers[0] != first[4]:
        return None
    out: dict[int, MenuItem] = {}
    for item_id, item_digest, menu_digest, *_rest in rows:
        cached = _item_cache.get(item_id)
        if cached is None or cached[0] != item_digest or cached[1] != menu_digest:
            return None
        out[item_id] = cached[2]
    menus = {id(item.menu) for item in out.values()}
    if len(menus) != len({item.menu_id for item in out.values()}):
        return None  # items of one menu cached with different menu instances (built by different reads)
    return out, _profile(first[5 : 5 + n_profile]), bool(first[5 + n_profile]), cached_tiers[1]


def _digest_columns() -> str:
    """The digest columns: of each item's row (but `sold`) with its dish; of its menu with the kitchen, place and
    street; the kitchen's street id; of that street's active pricing tiers (as `_menu_items_sql` reads them)."""
    qc = rawsql.column
    item_cols = ", ".join(f"i.{qc(MenuItem, f.name)}" for f in MenuItem._meta.concrete_fields if f.name != "sold")
    tiers = (
        "(SELECT COALESCE(string_agg(t.xmin::text || ':' || t.ctid::text, ',' ORDER BY t.id), '') "  # noqa: S608
        f"FROM {rawsql.table(PricingTier)} t "
        f"WHERE t.{qc(PricingTier, 'street')} = k.{qc(Kitchen, 'street')} AND t.{qc(PricingTier, 'is_active')})"
    )
    menu = " || ',' || ".join(f"{a}.xmin::text || ':' || {a}.ctid::text" for a in ("m", "k", "p", "s"))
    return (
        f"md5(ROW({item_cols})::text) || ',' || d.xmin::text || ':' || d.ctid::text, {menu}, "
        f"k.{qc(Kitchen, 'street')}, {tiers}"
    )


def _joins(n_items: int, lock: bool) -> str:
    t, qc = rawsql.table, rawsql.column
    return (
        f"FROM {t(MenuItem)} i JOIN {t(Menu)} m ON m.id = i.{qc(MenuItem, 'menu')} "
        f"JOIN {t(Kitchen)} k ON k.id = m.{qc(Menu, 'kitchen')} "
        f"JOIN {t(Place)} p ON p.id = k.{qc(Kitchen, 'place')} "
        f"JOIN {t(Street)} s ON s.id = k.{qc(Kitchen, 'street')} "
        f"JOIN {t(Dish)} d ON d.id = i.{qc(MenuItem, 'dish')} "
        f"LEFT JOIN {t(MealProfile)} mp ON mp.{qc(MealProfile, 'user')} = %s "
        f"WHERE i.id IN ({', '.join(['%s'] * n_items)})" + (" FOR SHARE OF m" if lock else "")
        # Inside order_create's transaction the menu row is share-locked by this read: see menu_items_read's docstring.
    )


def _serves_column() -> str:
    """Whether the kitchen's `serves` lists the place (the first parameter)."""
    through = rawsql.table(Kitchen.serves.through)
    return f"EXISTS (SELECT 1 FROM {through} sv WHERE sv.kitchen_id = k.id AND sv.place_id = %s)"  # noqa: S608


@cache
def _digests_sql(vendor: str, n_items: int, lock: bool) -> str:
    """The SQL of `_cachedmenu_items_read`: per item its id, the digests, the street and its tiers' digest, the
    profile and whether the kitchen serves the place (the same joins, lock and parameters as `_menu_items_sql`)."""
    return (
        f"SELECT i.id, {_digest_columns()}, {rawsql.select_list(MealProfile, 'mp')}, {_serves_column()} "  # noqa: S608
        + _joins(n_items, lock)
    )


@cache
def _menu_items_sql(vendor: str, n_items: int, lock: bool) -> str:
    """The SQL of `menu_items_read` (built once per backend, basket size and lock). On PostgreSQL a column holds
    the kitchen street's active pricing tiers as a JSON array of rows (`rawsql.json_row`): one round trip less;
    the last ones are the digests of `_digests_sql` (to cache what was read)."""
    t = rawsql.table
    tiers = ""
    if vendor == "postgresql":
        tiers = (
            f", (SELECT json_agg({rawsql.json_row(PricingTier, 't')} ORDER BY t.id) FROM {t(PricingTier)} t "  # noqa: S608
            f"WHERE t.{rawsql.column(PricingTier, 'street')} = k.{rawsql.column(Kitchen, 'street')} "
            f"AND t.{rawsql.column(PricingTier, 'is_active')})"
            f", {_digest_columns()}"
        )
    return (
        f"SELECT {rawsql.select_list(MenuItem, 'i')}, {rawsql.select_list(Menu, 'm')}, "  # noqa: S608
        f"{rawsql.select_list(Kitchen, 'k')}, {rawsql.select_list(Place, 'p')}, {rawsql.select_list(Street, 's')}, "
        f"{rawsql.select_list(Dish, 'd')}, {rawsql.select_list(MealProfile, 'mp')}, {_serves_column()}"
        f"{tiers} " + _joins(n_items, lock)
    )


def street_tiers(street_id: int) -> list[PricingTier]:
    sql = (
        f"SELECT {rawsql.select_list(PricingTier, 't')} FROM {rawsql.table(PricingTier)} t "  # noqa: S608
        f"WHERE t.{rawsql.column(PricingTier, 'street')} = %s AND t.{rawsql.column(PricingTier, 'is_active')} "
        "ORDER BY t.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [street_id])
        rows = cursor.fetchall()
    return [rawsql.instances(row, PricingTier)[0] for row in rows]  # type: ignore[misc]


def place_served(kitchen: Kitchen, place_id: int, listed: bool | None = None) -> bool:
    """Whether the kitchen delivers to the place; `listed`: already read with the menu items (see menu_items_read)."""
    if kitchen.place_id == place_id:
        return True  # a canteen serves its own dining room
    if listed is not None:
        return listed
    through = Kitchen.serves.through
    row = rawsql.fetch_one(
        f"SELECT 1 FROM {rawsql.table(through)} WHERE kitchen_id = %s AND place_id = %s",  # noqa: S608
        [kitchen.pk, place_id],
    )
    return row is not None


rawsql.insert_sql_check(_order_statement_sql(connection.vendor, 1, 1, 1), where="meals.services.fast")
