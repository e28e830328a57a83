"""Writes for kitchens, dishes and menus: cut-offs, items, the elder-canteen rules, publishing and the CSV import.

Every function is one transaction and raises `Problem` on bad input, writing nothing. Who may write: a
`kitchen_operator` or `admin` of the kitchen's street (`actor=None` is the system: CLI imports, tasks).

Menu status moves only along `MENU_TRANSITIONS`; each transition is recorded as an append-only `AuditLog` row
(`menu.publish`, `menu.unpublish`). A menu whose cut-off has passed (or that is locked) is frozen: its items'
prices and limits cannot change and no item can be added or removed.

The package: `common` (roles, cut-offs, frozen menus), `values` (one item's input), `kitchens` (a kitchen and its
settings), `editing` (dishes, menus, items, publishing) and `rules` (the elder-canteen rules). Import from the
package.
"""

from __future__ import annotations

from typing import Any

from linli.core.imports import ImportResult
from linli.core.models import Street
from linli.meals.services.menus.common import (
    KITCHEN_KINDS,
    MAX_DAILY_LIMIT,
    MAX_DAYS_AHEAD,
    MAX_PRICE_FEN,
    MENU_EDITOR_ROLES,
    MENU_TRANSITIONS,
    SHANGHAI,
    SLOT_ALIASES,
    SLOT_ORDER,
    check_kitchen_editor,
    menu_cutoff_default,
    menu_is_frozen,
)
from linli.meals.services.menus.editing import (
    _date_in_range,
    _dish_upsert,
    dish_upsert,
    menu_create,
    menu_item_add,
    menu_item_remove,
    menu_item_update,
    menu_publish,
    menu_unpublish,
    menu_update,
)
from linli.meals.services.menus.kitchens import kitchen_for_place, kitchen_update
from linli.meals.services.menus.rules import menu_rules_check
from linli.meals.services.menus.values import ItemValues, split_tags, validate_item

__all__ = [
    "KITCHEN_KINDS",
    "MAX_DAILY_LIMIT",
    "MAX_DAYS_AHEAD",
    "MAX_PRICE_FEN",
    "MENU_EDITOR_ROLES",
    "MENU_TRANSITIONS",
    "SHANGHAI",
    "SLOT_ALIASES",
    "SLOT_ORDER",
    "ItemValues",
    "_date_in_range",
    "_dish_upsert",
    "check_kitchen_editor",
    "dish_upsert",
    "kitchen_for_place",
    "kitchen_update",
    "menu_create",
    "menu_cutoff_default",
    "menu_is_frozen",
    "menu_item_add",
    "menu_item_remove",
    "menu_item_update",
    "menu_publish",
    "menu_rules_check",
    "menu_unpublish",
    "menu_update",
    "menus_import",
    "split_tags",
    "validate_item",
]


def menus_import(*, street: Street, text: str, actor: Any = None) -> ImportResult:
    """Import a canteen's menu plan from CSV; all or nothing (see `linli.meals.services.menus_import`)."""
    from linli.meals.services.menus_import import menus_import as run

    return run(street=street, text=text, actor=actor)
