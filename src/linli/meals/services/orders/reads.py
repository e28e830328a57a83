"""The order path's hot reads in plain SQL: the basket's menu items with everything the checks and the bill
need, in one query (see `_menu_items`), the street's pricing tiers and whether a kitchen serves a place.
"""

from __future__ import annotations

from functools import cache

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
    item_ids: list[int], *, user_id: int, place_id: int | None
) -> tuple[dict[int, MenuItem], MealProfile | None, bool, list[PricingTier] | None]:
    """In one query: the menu items with their menu, kitchen (and its place and street) and dish; the user's meal
    profile (or None); whether the kitchen's `serves` lists `place_id`; on PostgreSQL also the street's active
    pricing tiers (else None: read them with `_street_tiers`).

    Inside a transaction (order_create) the menu row is read under a share lock (PostgreSQL). The cut-off lock
    (services.kitchen) changes the menu row before it locks the menu's placed orders, so it waits for every order
    holding this lock to commit (and then locks them too), and an order arriving after it reads the menu as
    locked: no order slips in beside a production list already drawn up. (SQLite serialises writers anyway.)"""
    vendor = connection.vendor
    lock = vendor == "postgresql" and connection.in_atomic_block
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
    found_profile = rawsql.instances(first[at : at + n_profile], MealProfile)[0]
    profile = found_profile if found_profile.pk is not None else None  # None: the LEFT JOIN found no profile
    served = bool(first[at + n_profile])
    tiers = None
    if vendor == "postgresql":
        tiers = rawsql.from_json_rows(PricingTier, first[at + n_profile + 1])
    out: dict[int, MenuItem] = {}
    menus: dict[int, Menu] = {}
    for row in rows:
        item, dish = rawsql.instances(row[:n_item] + row[n_item + n_menu : n_item + n_menu + n_dish], MenuItem, Dish)
        assert isinstance(item, MenuItem)
        if item.menu_id not in menus:
            menu, kitchen, place, street = rawsql.instances(row[n_item : n_item + n_menu], Menu, Kitchen, Place, Street)
            assert isinstance(menu, Menu) and isinstance(kitchen, Kitchen)
            kitchen.place, kitchen.street = place, street  # type: ignore[assignment]
            menu.kitchen = kitchen
            menus[menu.pk] = menu
        item.menu, item.dish = menus[item.menu_id], dish  # type: ignore[assignment]
        out[item.pk] = item
    return out, profile, served, tiers  # type: ignore[return-value]


@cache
def _menu_items_sql(vendor: str, n_items: int, lock: bool) -> str:
    """The SQL of `_menu_items` (built once per backend, basket size and lock). On PostgreSQL a last column holds
    the kitchen street's active pricing tiers as a JSON array of rows (`rawsql.json_row`): one round trip less."""
    t = rawsql.table
    tiers = ""
    if vendor == "postgresql":
        tiers = (
            f", (SELECT json_agg({rawsql.json_row(PricingTier, 't')} ORDER BY t.id) FROM {t(PricingTier)} t "  # noqa: S608
            f"WHERE t.{rawsql.column(PricingTier, 'street')} = k.{rawsql.column(Kitchen, 'street')} "
            f"AND t.{rawsql.column(PricingTier, 'is_active')})"
        )
    return (
        f"SELECT {rawsql.select_list(MenuItem, 'i')}, {rawsql.select_list(Menu, 'm')}, "  # noqa: S608
        f"{rawsql.select_list(Kitchen, 'k')}, {rawsql.select_list(Place, 'p')}, {rawsql.select_list(Street, 's')}, "
        f"{rawsql.select_list(Dish, 'd')}, {rawsql.select_list(MealProfile, 'mp')}, "
        f"EXISTS (SELECT 1 FROM {t(Kitchen.serves.through)} sv WHERE sv.kitchen_id = k.id AND sv.place_id = %s)"
        f"{tiers} "
        f"FROM {t(MenuItem)} i JOIN {t(Menu)} m ON m.id = i.{rawsql.column(MenuItem, 'menu')} "
        f"JOIN {t(Kitchen)} k ON k.id = m.{rawsql.column(Menu, 'kitchen')} "
        f"JOIN {t(Place)} p ON p.id = k.{rawsql.column(Kitchen, 'place')} "
        f"JOIN {t(Street)} s ON s.id = k.{rawsql.column(Kitchen, 'street')} "
        f"JOIN {t(Dish)} d ON d.id = i.{rawsql.column(MenuItem, 'dish')} "
        f"LEFT JOIN {t(MealProfile)} mp ON mp.{rawsql.column(MealProfile, 'user')} = %s "
        f"WHERE i.id IN ({', '.join(['%s'] * n_items)})" + (" FOR SHARE OF m" if lock else "")
        # Inside order_create's transaction the menu row is share-locked by this read: see _menu_items's docstring.
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
