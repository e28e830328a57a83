"""The order path's hot reads in plain SQL: the basket's menu items with everything the checks and the bill
need, in one query (see `_menu_items`), the street's pricing tiers and whether a kitchen serves a place.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection

from linli.core import rawsql
from linli.core.models import Street
from linli.meals.models import (
    Dish,
    Kitchen,
    MealProfile,
    Menu,
    MenuItem,
    PricingTier,
)
from linli.places.models import Place

# The hot reads and writes of the order path in plain SQL: through the ORM, building these statements cost more
# CPU than the database took to run them (bench/bench_lunch_rush.py). Columns come from the models' metadata
# (linli.core.rawsql); only identifiers are interpolated, values go as parameters.


def _menu_items(
    item_ids: list[int], *, user_id: int, place_id: int | None, fresh: bool = False
) -> tuple[dict[int, MenuItem], MealProfile | None, bool, list[PricingTier] | None]:
    """In one query: the menu items with their menu, kitchen (and its place and street) and dish; the user's meal
    profile (or None); whether the kitchen's `serves` lists `place_id`; on PostgreSQL also the street's active
    pricing tiers (else None: read them with `_street_tiers`).

    On PostgreSQL the menus, items, dishes and tiers come from this process's cache (`_cached_menu_items`) while
    their rows are unchanged: the query then returns a digest of those rows instead of the rows. `fresh`: read
    the rows (the quote wants the current `sold`, which the cache does not follow).

    Inside a transaction (order_create) the menu row is read under a share lock (PostgreSQL). The cut-off lock
    (services.kitchen) changes the menu row before it locks the menu's placed orders, so it waits for every order
    holding this lock to commit (and then locks them too), and an order arriving after it reads the menu as
    locked: no order slips in beside a production list already drawn up. (SQLite serialises writers anyway.)"""
    vendor = connection.vendor
    lock = vendor == "postgresql" and connection.in_atomic_block
    if vendor == "postgresql" and not fresh:
        cached = _cached_menu_items(item_ids, user_id=user_id, place_id=place_id, lock=lock)
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


def _cached_menu_items(
    item_ids: list[int], *, user_id: int, place_id: int | None, lock: bool
) -> tuple[dict[int, MenuItem], MealProfile | None, bool, list[PricingTier] | None] | None:
    """`_menu_items` from the cache when every digest matches (else None: read the rows). No rows found: no items,
    as `_menu_items` answers."""
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
        # Inside order_create's transaction the menu row is share-locked by this read: see _menu_items's docstring.
    )


def _serves_column() -> str:
    """Whether the kitchen's `serves` lists the place (the first parameter)."""
    through = rawsql.table(Kitchen.serves.through)
    return f"EXISTS (SELECT 1 FROM {through} sv WHERE sv.kitchen_id = k.id AND sv.place_id = %s)"  # noqa: S608


@cache
def _digests_sql(vendor: str, n_items: int, lock: bool) -> str:
    """The SQL of `_cached_menu_items`: per item its id, the digests, the street and its tiers' digest, the
    profile and whether the kitchen serves the place (the same joins, lock and parameters as `_menu_items_sql`)."""
    return (
        f"SELECT i.id, {_digest_columns()}, {rawsql.select_list(MealProfile, 'mp')}, {_serves_column()} "  # noqa: S608
        + _joins(n_items, lock)
    )


@cache
def _menu_items_sql(vendor: str, n_items: int, lock: bool) -> str:
    """The SQL of `_menu_items` (built once per backend, basket size and lock). On PostgreSQL a column holds
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


def _street_tiers(street_id: int) -> list[PricingTier]:
    sql = (
        f"SELECT {rawsql.select_list(PricingTier, 't')} FROM {rawsql.table(PricingTier)} t "  # noqa: S608
        f"WHERE t.{rawsql.column(PricingTier, 'street')} = %s AND t.{rawsql.column(PricingTier, 'is_active')} "
        "ORDER BY t.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [street_id])
        rows = cursor.fetchall()
    return [rawsql.instances(row, PricingTier)[0] for row in rows]  # type: ignore[misc]


def _serves(kitchen: Kitchen, place_id: int, listed: bool | None = None) -> bool:
    """Whether the kitchen delivers to the place; `listed`: already read with the menu items (see _menu_items)."""
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
