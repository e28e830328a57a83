"""Writes for kitchens, dishes and menus: cut-offs, items, the elder-canteen rules, publishing and the CSV import.

Every function is one transaction and raises `Problem` on bad input, writing nothing. Who may write: a
`kitchen_operator` or `admin` of the kitchen's street (`actor=None` is the system: CLI imports, tasks).

Menu status moves only along `MENU_TRANSITIONS`; each transition is recorded as an append-only `AuditLog` row
(`menu.publish`, `menu.unpublish`). A menu whose cut-off has passed (or that is locked) is frozen: its items'
prices and limits cannot change and no item can be added or removed.

The package: `cutoffs` (who may edit, limits, cut-offs, frozen menus), `item_input` (one item's input), `kitchens` (a kitchen and its
settings), `editing` (dishes, menus, items, publishing) and `rules` (the elder-canteen rules) and `csv_import`
(the menu plan from a spreadsheet). Import from the package.
"""

from __future__ import annotations

from linli.meals.services.menus.csv_import import menus_import
from linli.meals.services.menus.cutoffs import (
    MAX_DAILY_LIMIT,
    MAX_DAYS_AHEAD,
    MAX_PRICE_FEN,
    MENU_EDITOR_ROLES,
    MENU_MACHINE,
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
from linli.meals.services.menus.item_input import ItemValues, split_tags, validate_item
from linli.meals.services.menus.kitchens import kitchen_for_place, kitchen_update
from linli.meals.services.menus.rules import menu_rules_check

__all__ = [
    "MAX_DAILY_LIMIT",
    "MAX_DAYS_AHEAD",
    "MAX_PRICE_FEN",
    "MENU_EDITOR_ROLES",
    "MENU_MACHINE",
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
