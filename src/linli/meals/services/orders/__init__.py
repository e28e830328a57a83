"""Ordering a meal: the basket check, the bill, and the one-transaction create path; cancellation with refund.

Concurrency lives in the database. The checks and the bill come from one read (`fast.menu_items_read`: the menu items
with their menu, kitchen, dishes, the resident's meal profile and, on PostgreSQL, the street's pricing tiers).
The writes then take the portions with conditional updates (`sold + n <= daily_limit`) in menu-item id order,
so two baskets holding the same dishes queue on the rows in the same order (no deadlocks) and no dish is ever
oversold (the CHECK constraint `menu_item_not_oversold` backs it); the wallet is charged the same way.
On PostgreSQL all the writes are ONE statement that writes everything or nothing (`fast.order_write`); on
SQLite (the embedded mode, writers serialised) they are a few statements in the transaction
(`order_write`).

Lock order: an order shares a lock on its menu row (so the cut-off lock waits for it, see `fast.menu_items_read`), then
locks the wallet row, then the menu-item rows; a cancellation takes the order row, the wallet row, then the
menu-item rows. Any refusal raises a `Problem` and leaves nothing written.

Baskets: each item is `{menu_item_id, quantity, half}`; lines naming the same dish and the same portion size
are merged (their quantities added; the merged quantity must still be 1..10). A half portion counts one
portion of the daily limit.

The package: `basket` (parsing, checks and the bill: `basket_check`, `basket_quote`), `create` (`order_create`,
and `order_write`, the writes step by step) and `cancel` (`order_cancel`). Import from the package. Beside it:
`services.order_records` (the basket and the rows an order writes, portions) and `services.fast` (the hot reads in
plain SQL, and `order_write` in one statement on PostgreSQL).
"""

from __future__ import annotations

from linli.core.errors import Problem
from linli.meals.services.order_records import PICKUP_CODE_ATTEMPTS, new_pickup_code
from linli.meals.services.orders.basket import (
    ELDER_MIN_AGE,
    MAX_LINES,
    MAX_QUANTITY,
    SEATED_BOOKING_STATUSES,
    STAFF_REFUNDABLE,
    STAFF_ROLES,
    Basket,
    Destination,
    basket_check,
    basket_quote,
)
from linli.meals.services.orders.cancel import is_street_staff, order_cancel
from linli.meals.services.orders.create import order_create, order_create_savepoint_needed, order_discounts

__all__ = [
    "ELDER_MIN_AGE",
    "MAX_LINES",
    "MAX_QUANTITY",
    "PICKUP_CODE_ATTEMPTS",
    "SEATED_BOOKING_STATUSES",
    "STAFF_REFUNDABLE",
    "STAFF_ROLES",
    "Basket",
    "Destination",
    "Problem",
    "basket_check",
    "basket_quote",
    "is_street_staff",
    "new_pickup_code",
    "order_cancel",
    "order_create_savepoint_needed",
    "order_create",
    "order_discounts",
]
