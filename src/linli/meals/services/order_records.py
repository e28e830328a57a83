"""An order's records: the checked basket (`Basket`, `Destination`) and the rows both write paths write from it
(`orders.create.order_write` step by step, `fast.order_write` in one statement on PostgreSQL), by field name; the
multi-row INSERT helper; the conditional portion updates (taken for an order, given back on cancellation); the
`sold_out` refusal.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.activities.models import Activity
from linli.core import rawsql
from linli.core.errors import Problem
from linli.meals.models import Kitchen, Menu, MenuItem, Order, OrderStatus
from linli.meals.services import pricing

PICKUP_CODE_ATTEMPTS = 8


@dataclass
class Destination:
    type: str
    place_id: int | None = None
    activity: Activity | None = None
    home_address: str = ""
    home_lat: float | None = None
    home_lng: float | None = None


@dataclass
class Basket:
    """A checked basket: the menu, its items and what the order will be, before anything is written."""

    menu: Menu
    kitchen: Kitchen
    lines: list[tuple[MenuItem, int, bool]]
    destination: Destination
    bill: pricing.Bill
    portions: dict[int, int] = field(default_factory=dict)  # menu item id -> portions taken


def _insert_sql(model: Any, rows: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    """A multi-row INSERT (values by field name, prepared by the fields themselves) and its parameters."""
    qn = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in rows[0]]
    cols = ", ".join(qn(str(f.column)) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [f.get_db_prep_save(row[f.name], connection) for row in rows for f in fields]
    return f"INSERT INTO {rawsql.table(model)} ({cols}) VALUES {', '.join([one] * len(rows))}", params  # noqa: S608


def _insert_rows(*batches: tuple[Any, list[dict[str, Any]]]) -> None:
    """Insert rows into several tables (no ids returned): on PostgreSQL in one statement (data-modifying CTEs, one
    round trip), elsewhere one INSERT per table."""
    statements = [_insert_sql(model, rows) for model, rows in batches if rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(statements) > 1:
            ctes = ", ".join(f"w{i} AS ({sql})" for i, (sql, _p) in enumerate(statements[:-1]))
            params = [p for _sql, ps in statements for p in ps]
            cursor.execute(f"WITH {ctes} {statements[-1][0]}", params)
            return
        for sql, params in statements:
            cursor.execute(sql, params)


def new_pickup_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


# The Order row's fields as written by both write paths, in this order.
_ORDER_FIELDS = (
    "street",
    "user",
    "menu",
    "kitchen",
    "date",
    "slot",
    "destination_type",
    "destination_place",
    "activity",
    "home_address",
    "home_lat",
    "home_lng",
    "status",
    "list_fen",
    "discount_fen",
    "total_fen",
    "pickup_code",
    "created_at",
    "delivered_at",
    "collected_at",
    "cancelled_at",
    "run_stop",
)
_LINE_FIELDS = ("menu_item", "dish_name", "quantity", "half", "unit_price_fen", "line_fen")
_DISCOUNT_FIELDS = ("tier", "label", "amount_fen")


def _order_values(*, user: Any, basket: Basket, now: dt.datetime, pickup_code: str) -> dict[str, Any]:
    """The new order row by field name (`_ORDER_FIELDS`): foreign keys as ids, plain Python values."""
    menu, kitchen, bill, dest = basket.menu, basket.kitchen, basket.bill, basket.destination
    return {
        "street": kitchen.street_id,
        "user": user.pk,
        "menu": menu.pk,
        "kitchen": kitchen.pk,
        "date": menu.date,
        "slot": str(menu.slot),
        "destination_type": str(dest.type),
        "destination_place": dest.place_id,
        "activity": dest.activity.pk if dest.activity else None,
        "home_address": dest.home_address,
        "home_lat": dest.home_lat,
        "home_lng": dest.home_lng,
        "status": str(OrderStatus.PLACED),
        "list_fen": bill.list_fen,
        "discount_fen": bill.discount_fen,
        "total_fen": bill.total_fen,
        "pickup_code": pickup_code,
        "created_at": now,
        "delivered_at": None,
        "collected_at": None,
        "cancelled_at": None,
        "run_stop": None,
    }


def _line_values(line: pricing.BillLine) -> dict[str, Any]:
    return {
        "menu_item": line.menu_item_id,
        "dish_name": line.dish[:100],
        "quantity": line.quantity,
        "half": line.half,
        "unit_price_fen": line.unit_price_fen,
        "line_fen": line.line_fen,
    }


def _discount_values(discount: pricing.BillDiscount) -> dict[str, Any]:
    return {"tier": discount.tier_id, "label": discount.label[:60], "amount_fen": discount.amount_fen}


def _order_instance(*, order_id: int, user: Any, basket: Basket, values: dict[str, Any]) -> Order:
    """The Order just written, as an instance (no read back), carrying its bill for the API's answer.

    Built as the ORM builds a fetched row (`from_db`, values by position: several times cheaper than keyword
    arguments); the insert writes every column. Foreign keys by id, with the user and the activity
    cached on it (the menu and kitchen may be the shared instances of the menu cache, see `fast.menu_items_read`:
    an order must not hold them)."""
    by_attname = {_ORDER_ATTNAMES[name]: value for name, value in values.items()}
    by_attname["id"] = order_id
    row = [by_attname.get(attname) for attname in _order_concrete_attnames()]
    order = Order.from_db(DEFAULT_DB_ALIAS, _order_concrete_attnames(), row)
    order._state.fields_cache["user"] = user
    activity = basket.destination.activity
    if activity is not None:
        order._state.fields_cache["activity"] = activity
    order.bill = basket.bill  # type: ignore[attr-defined]  # the bill as computed, for the API's answer
    return order


@cache
def _order_concrete_attnames() -> list[str]:
    return [f.attname for f in Order._meta.concrete_fields]


# `_ORDER_FIELDS` name -> attribute name (`street` -> `street_id`).
_ORDER_ATTNAMES = {name: str(Order._meta.get_field(name).attname) for name in _ORDER_FIELDS}  # type: ignore[union-attr]


_TAKE_PORTIONS = "UPDATE {t} SET sold = sold + %s WHERE id = %s AND (daily_limit IS NULL OR sold + %s <= daily_limit)"
_GIVE_BACK_PORTIONS = "UPDATE {t} SET sold = sold - %s WHERE id = %s AND sold >= %s"


def _portions_update(template: str, item_id: int, n: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(template.format(t=connection.ops.quote_name(MenuItem._meta.db_table)), [n, item_id, n])
        return cursor.rowcount == 1


def sold_out(item: MenuItem, wanted: int, stock: tuple[int | None, int] | None = None) -> Problem:
    """`sold_out` for `item`; `stock`: its (daily_limit, sold) as just read under lock, else read now."""
    if stock is None:
        row = MenuItem.objects.filter(pk=item.pk).values_list("daily_limit", "sold").first()
        stock = row if row else (item.daily_limit, item.sold)
    limit, sold = stock
    remaining = max(0, (limit or 0) - sold)
    return Problem(
        "sold_out",
        detail=(
            format_lazy(_("「{dish}」只剩 {remaining} 份"), dish=item.dish.name, remaining=remaining)
            if remaining
            else format_lazy(_("「{dish}」已售完"), dish=item.dish.name)
        ),
        extra={"menu_item_id": item.pk, "dish": item.dish.name, "remaining": remaining, "requested": wanted},
    )
