"""Ordering a meal: the basket check, the bill, and the one-transaction create path; cancellation with refund.

Concurrency lives in the database. The checks and the bill come from one read (`_menu_items`: the menu items
with their menu, kitchen, dishes, the resident's meal profile and, on PostgreSQL, the street's pricing tiers).
The writes then take the portions with conditional updates (`sold + n <= daily_limit`) in menu-item id order,
so two baskets holding the same dishes queue on the rows in the same order (no deadlocks) and no dish is ever
oversold (the CHECK constraint `menu_item_not_oversold` backs it); the wallet is charged the same way.
On PostgreSQL all the writes are ONE statement that writes everything or nothing (`_ORDER_ONE_STATEMENT`); on
SQLite (the embedded mode, writers serialised) they are a few statements in the transaction
(`_order_write_steps`).

Lock order: an order shares a lock on its menu row (so the cut-off lock waits for it, see `_menu_items`), then
locks the wallet row, then the menu-item rows; a cancellation takes the order row, the wallet row, then the
menu-item rows. Any refusal raises a `Problem` and leaves nothing written.

Baskets: each item is `{menu_item_id, quantity, half}`; lines naming the same dish and the same portion size
are merged (their quantities added; the merged quantity must still be 1..10). A half portion counts one
portion of the daily limit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from linli.activities.models import ACTIVE_BOOKING_STATUSES, Activity, ActivityStatus, Booking, BookingStatus
from linli.activities.services.notify import notify_user
from linli.core import rawsql
from linli.core.errors import Problem, field_error
from linli.core.models import Role, Street
from linli.core.selectors import user_has_role
from linli.meals.models import (
    DestinationType,
    Dish,
    EntryKind,
    Kitchen,
    MealProfile,
    Menu,
    MenuItem,
    MenuStatus,
    Order,
    OrderDiscount,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PricingTier,
    Slot,
    Wallet,
    WalletEntry,
)
from linli.meals.services import pricing, wallet
from linli.meals.services.order_states import order_transition
from linli.places.models import Place

STAFF_ROLES = (Role.ADMIN, Role.STATION_STAFF)
ELDER_MIN_AGE = 60
MAX_QUANTITY = 10
MAX_LINES = 20
PICKUP_CODE_ATTEMPTS = 8
# A lunch may go to an activity the resident holds a seat for: confirmed or checked in. A waitlisted person
# has no seat (and so no place at the table); no-show and cancelled bookings are not live.
SEATED_BOOKING_STATUSES = tuple(s for s in ACTIVE_BOOKING_STATUSES if s != BookingStatus.WAITLISTED)
# Statuses staff may still refund: before the meal is delivered.
STAFF_REFUNDABLE = (OrderStatus.LOCKED, OrderStatus.IN_PRODUCTION, OrderStatus.OUT_FOR_DELIVERY)


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


# ------------------------------------------------------------------------------------------ parsing


def _invalid(field_name: str, zh: str, en: str, **more: Any) -> Problem:
    return Problem("validation_error", errors=[field_error(field_name, zh, en, **more)])


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise _invalid("date", "日期格式应为 YYYY-MM-DD", "Use YYYY-MM-DD")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _invalid("date", "日期格式应为 YYYY-MM-DD", "Use YYYY-MM-DD")


def _parse_slot(value: Any) -> str:
    if value not in Slot.values:
        raise _invalid("slot", "餐次应为 breakfast、lunch 或 dinner", "slot must be breakfast, lunch or dinner")
    return str(value)


def _parse_items(items: Any) -> list[tuple[int, int, bool]]:
    """[(menu_item_id, quantity, half)] with duplicates (same dish, same portion size) merged, in basket order."""
    if not isinstance(items, list) or not items:
        raise _invalid("items", "请至少选择一道菜", "Choose at least one dish")
    if len(items) > MAX_LINES:
        raise _invalid("items", f"一次最多点 {MAX_LINES} 项", f"At most {MAX_LINES} lines per order")
    merged: dict[tuple[int, bool], int] = {}
    errors = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(field_error(f"items.{i}", "格式不正确", "Each item must be an object"))
            continue
        menu_item_id: Any = item.get("menu_item_id")
        quantity: Any = item.get("quantity", 1)
        half: Any = item.get("half", False)
        if not _is_int(menu_item_id) or menu_item_id <= 0:
            errors.append(field_error(f"items.{i}.menu_item_id", "菜品编号应为正整数", "menu_item_id must be an id"))
            continue
        if not _is_int(quantity) or not 1 <= quantity <= MAX_QUANTITY:
            errors.append(
                field_error(
                    f"items.{i}.quantity", f"数量应为 1 到 {MAX_QUANTITY}", f"quantity must be 1 to {MAX_QUANTITY}"
                )
            )
            continue
        if not isinstance(half, bool):
            errors.append(field_error(f"items.{i}.half", "应为是或否（true/false）", "half must be true or false"))
            continue
        merged[(menu_item_id, half)] = merged.get((menu_item_id, half), 0) + quantity
    if errors:
        raise Problem("validation_error", errors=errors)
    out = []
    for (menu_item_id, half), quantity in merged.items():
        if quantity > MAX_QUANTITY:
            raise _invalid(
                "items",
                f"同一道菜最多点 {MAX_QUANTITY} 份",
                f"At most {MAX_QUANTITY} of one dish",
                menu_item_id=menu_item_id,
            )
        out.append((menu_item_id, quantity, half))
    return out


def _parse_destination(value: Any) -> tuple[str, int | None]:
    if isinstance(value, dict) and len(value) == 1:
        ((key, raw),) = value.items()
        if key == "place_id" and _is_int(raw) and raw > 0:
            return DestinationType.PLACE, raw
        if key == "activity_id" and _is_int(raw) and raw > 0:
            return DestinationType.ACTIVITY, raw
        if key == "home" and raw is True:
            return DestinationType.HOME, None
    raise _invalid(
        "destination",
        "送餐地点应为 {place_id}、{activity_id} 或 {home: true} 之一",
        'destination must be one of {"place_id": ID}, {"activity_id": ID}, {"home": true}',
    )


# ------------------------------------------------------------------------------------------- checks


def _not_available(zh: str, en: str, **extra: Any) -> Problem:
    return Problem("menu_not_available", detail_zh=zh, detail_en=en, extra=extra)


def _check_open(menu: Menu, now: dt.datetime) -> None:
    if menu.status == MenuStatus.LOCKED or now >= menu.cutoff_at:
        local = timezone.localtime(menu.cutoff_at)
        raise Problem(
            "after_cutoff",
            detail_zh=f"本餐已于 {local:%m-%d %H:%M} 截单",
            detail_en=f"Orders for this meal closed at {local:%Y-%m-%d %H:%M}",
            extra={"cutoff_at": menu.cutoff_at.isoformat()},
        )


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


def _not_served(kitchen: Kitchen, zh_what: str, en_what: str) -> Problem:
    return Problem(
        "destination_not_served",
        detail_zh=f"{kitchen.place.name}不向{zh_what}送餐",
        detail_en=f"{kitchen.place.name} does not deliver to {en_what}",
        extra={"kitchen_id": kitchen.pk},
    )


def _resolve_destination(
    *,
    kind: str,
    ref: int | None,
    kitchen: Kitchen,
    user: Any,
    on: dt.date,
    profile: MealProfile | None,
    place_listed: bool | None = None,
) -> Destination:
    if kind == DestinationType.PLACE:
        assert ref is not None
        if not _serves(kitchen, ref, place_listed):
            raise _not_served(kitchen, "该地点", "that place")
        return Destination(type=kind, place_id=ref)
    if kind == DestinationType.ACTIVITY:
        assert ref is not None
        activity = Activity.objects.select_related("place").filter(pk=ref).first()
        if activity is None or activity.status != ActivityStatus.PUBLISHED:
            raise _invalid("destination.activity_id", "没有这个活动", "No such activity")
        if timezone.localtime(activity.start).date() != on:
            raise _invalid(
                "destination.activity_id",
                "该活动不在这一天",
                "The activity is not on that date",
                activity_date=timezone.localtime(activity.start).date().isoformat(),
            )
        booked = Booking.objects.filter(activity_id=activity.pk, user_id=user.pk, status__in=SEATED_BOOKING_STATUSES)
        if not booked.exists():
            raise Problem(
                "not_eligible",
                detail_zh="只有已预约（已确认）该活动的居民才能把餐送到活动场地",
                detail_en="Only people with a confirmed booking for the activity may have a meal sent there",
            )
        if not _serves(kitchen, activity.place_id):
            raise _not_served(kitchen, f"活动场地「{activity.place.name}」", f"the venue {activity.place.name}")
        return Destination(type=kind, place_id=activity.place_id, activity=activity)
    # home delivery
    if profile is None or not profile.home_delivery:
        raise Problem(
            "not_eligible",
            detail_zh="送餐上门需经街道工作人员核实登记，请联系服务点",
            detail_en="Home delivery is for residents registered for it by the street's staff",
        )
    if not kitchen.home_delivery or profile.street_id != kitchen.street_id:
        raise _not_served(kitchen, "您的住址", "your home")
    compound = profile.compound
    address = profile.home_address or (compound.address if compound else "") or (compound.name if compound else "")
    if not address:
        raise Problem(
            "not_eligible",
            detail_zh="您的助餐档案没有送餐地址，请联系服务点",
            detail_en="Your meal profile has no delivery address; ask the service point",
        )
    return Destination(
        type=kind,
        home_address=address[:200],
        home_lat=compound.lat if compound else None,
        home_lng=compound.lng if compound else None,
    )


def basket_check(
    *, user: Any, date: Any, slot: Any, destination: Any, items: Any, now: dt.datetime | None = None
) -> Basket:
    """Everything an order checks before it writes (no locks): input, menu, cut-off, destination, eligibility,
    and the bill. Raises a Problem on the first refusal. Used by `order_create` and by the quote endpoint."""
    now = now or timezone.now()
    on = _parse_date(date)
    slot = _parse_slot(slot)
    kind, ref = _parse_destination(destination)
    wanted = _parse_items(items)

    found, profile, place_listed, tiers = _menu_items(
        [menu_item_id for menu_item_id, _q, _h in wanted],
        user_id=user.pk,
        place_id=ref if kind == DestinationType.PLACE else None,
    )
    missing = [menu_item_id for menu_item_id, _q, _h in wanted if menu_item_id not in found]
    if missing:
        raise _not_available("菜单上没有这道菜", "That dish is not on the menu", menu_item_ids=missing)
    menus = {item.menu_id for item in found.values()}
    if len(menus) != 1:
        raise _invalid("items", "一张订单只能点同一份菜单（同一厨房、同一餐次）的菜", "One order, one menu")
    menu = next(iter(found.values())).menu
    if menu.date != on or menu.slot != slot:
        raise _not_available(
            "这道菜不在所选日期和餐次的菜单上", "The dish is not on the menu for that date and meal", menu_id=menu.pk
        )
    if menu.status == MenuStatus.DRAFT:
        raise _not_available("菜单尚未发布", "The menu is not published yet", menu_id=menu.pk)
    _check_open(menu, now)
    kitchen = menu.kitchen

    dest = _resolve_destination(
        kind=kind, ref=ref, kitchen=kitchen, user=user, on=on, profile=profile, place_listed=place_listed
    )

    lines = [(found[menu_item_id], quantity, half) for menu_item_id, quantity, half in wanted]
    age = pricing.resident_age(user, on)
    for item, _q, _h in lines:
        if item.is_elder_discount_set and (age is None or age < ELDER_MIN_AGE):
            raise Problem(
                "not_eligible",
                detail_zh=f"「{item.dish.name}」是长者优惠套餐，限60岁以上居民（请先在「我的」页面填写出生年份）",
                detail_en=f"{item.dish.name} is the discounted elder set meal, for residents aged 60 and over "
                "(set your birth year on /me/)",
                extra={"menu_item_id": item.pk},
            )
    bill = pricing.bill_compute(
        street=kitchen.street,
        user=user,
        slot=slot,
        on=on,
        lines=lines,
        tiers=_street_tiers(kitchen.street_id) if tiers is None else tiers,
        hardships=list(profile.hardships or []) if profile else [],
    )
    portions: dict[int, int] = defaultdict(int)
    for item, quantity, _half in lines:
        portions[item.pk] += quantity
    return Basket(menu=menu, kitchen=kitchen, lines=lines, destination=dest, bill=bill, portions=dict(portions))


def _sold_out(item: MenuItem, wanted: int, stock: tuple[int | None, int] | None = None) -> Problem:
    """`sold_out` for `item`; `stock`: its (daily_limit, sold) as just read under lock, else read now."""
    if stock is None:
        row = MenuItem.objects.filter(pk=item.pk).values_list("daily_limit", "sold").first()
        stock = row if row else (item.daily_limit, item.sold)
    limit, sold = stock
    remaining = max(0, (limit or 0) - sold)
    return Problem(
        "sold_out",
        detail_zh=f"「{item.dish.name}」" + (f"只剩 {remaining} 份" if remaining else "已售完"),
        detail_en=f"{item.dish.name}: " + (f"only {remaining} left" if remaining else "sold out"),
        extra={"menu_item_id": item.pk, "dish": item.dish.name, "remaining": remaining, "requested": wanted},
    )


def basket_quote(
    *, user: Any, date: Any, slot: Any, destination: Any, items: Any, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The bill of a basket without ordering (the basket page). Same refusals as an order, except the wallet:
    the answer says whether the balance covers it. Portions are checked against what is left now (a hint: the
    order itself decides under concurrency)."""
    basket = basket_check(user=user, date=date, slot=slot, destination=destination, items=items, now=now)
    items_by_id = {item.pk: item for item, _q, _h in basket.lines}
    for item_id, wanted in sorted(basket.portions.items()):
        item = items_by_id[item_id]
        if item.daily_limit is not None and item.sold + wanted > item.daily_limit:
            raise _sold_out(item, wanted)
    balance = wallet.wallet_balance(user=user)
    return {
        **basket.bill.as_dict(),
        "menu_id": basket.menu.pk,
        "kitchen": {"id": basket.kitchen.pk, "name": basket.kitchen.place.name},
        "cutoff_at": basket.menu.cutoff_at.isoformat(),
        "balance_fen": balance,
        "balance_ok": balance >= basket.bill.total_fen,
    }


# ------------------------------------------------------------------------------------------- create


def new_pickup_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


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
    nothing written: on PostgreSQL the writes are one all-or-nothing statement (`_order_write_pg`), elsewhere
    the transaction is rolled back (`_order_write_steps`).

    `savepoint=False` when the caller's own atomic block is the unit to roll back (the API's idempotency
    wrapper already opens one): saves a SAVEPOINT/RELEASE round trip pair on the hot path. On PostgreSQL, inside
    the caller's transaction, it then opens no atomic block at all: a refusal has written nothing there, so the
    caller's transaction stays usable (the idempotency wrapper stores the refusal in it, see `idempotent`'s
    `savepoint`)."""
    if not savepoint and connection.vendor == "postgresql" and connection.in_atomic_block:
        return _order_create(user=user, date=date, slot=slot, destination=destination, items=items, now=now)
    with transaction.atomic(savepoint=savepoint):
        return _order_create(user=user, date=date, slot=slot, destination=destination, items=items, now=now)


def _order_create(*, user: Any, date: Any, slot: Any, destination: Any, items: Any, now: dt.datetime | None) -> Order:
    now = now or timezone.now()
    basket = basket_check(user=user, date=date, slot=slot, destination=destination, items=items, now=now)
    if connection.vendor == "postgresql":
        return _order_write_pg(user=user, basket=basket, now=now)
    return _order_write_steps(user=user, basket=basket, now=now)


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
    """The Order just written, as an instance (no read back), carrying its bill for the API's answer."""
    kitchen, dest = basket.kitchen, basket.destination
    order = Order(
        pk=order_id,
        street=kitchen.street,
        user=user,
        menu=basket.menu,
        kitchen=kitchen,
        date=values["date"],
        slot=values["slot"],
        destination_type=dest.type,
        destination_place_id=dest.place_id,
        activity=dest.activity,
        home_address=dest.home_address,
        home_lat=dest.home_lat,
        home_lng=dest.home_lng,
        status=OrderStatus.PLACED,
        list_fen=values["list_fen"],
        discount_fen=values["discount_fen"],
        total_fen=values["total_fen"],
        pickup_code=values["pickup_code"],
        created_at=values["created_at"],
    )
    order._state.adding = False
    order.bill = basket.bill  # type: ignore[attr-defined]  # the bill as computed, for the API's answer
    return order


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
    SELECT id, balance_fen FROM {wallet} WHERE {wallet_user} = %(user)s FOR NO KEY UPDATE
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


_TAKE_PORTIONS = "UPDATE {t} SET sold = sold + %s WHERE id = %s AND (daily_limit IS NULL OR sold + %s <= daily_limit)"
_GIVE_BACK_PORTIONS = "UPDATE {t} SET sold = sold - %s WHERE id = %s AND sold >= %s"


def _portions_update(template: str, item_id: int, n: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(template.format(t=connection.ops.quote_name(MenuItem._meta.db_table)), [n, item_id, n])
        return cursor.rowcount == 1


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


def order_discounts(*, order: Order) -> list[pricing.BillDiscount] | list[OrderDiscount]:
    """The discounts of an order: from the bill just computed by `order_create`, else from the database."""
    bill = getattr(order, "bill", None)
    if bill is not None:
        return list(bill.discounts)
    return list(OrderDiscount.objects.filter(order_id=order.pk).order_by("id"))


# ------------------------------------------------------------------------------------------- cancel


def is_street_staff(user: Any, street: Any) -> bool:
    return user_has_role(user, street=street, roles=STAFF_ROLES)


def _give_back_portions(order: Order) -> None:
    portions: dict[int, int] = defaultdict(int)
    for menu_item_id, quantity in OrderLine.objects.filter(order_id=order.pk).values_list("menu_item_id", "quantity"):
        portions[menu_item_id] += quantity
    for item_id, n in sorted(portions.items()):
        if not _portions_update(_GIVE_BACK_PORTIONS, item_id, n):
            # `sold` would go below zero: the counter was out of step; never let it go negative.
            MenuItem.objects.filter(pk=item_id).update(sold=0)


@transaction.atomic
def order_cancel(*, order: Order, actor: Any, reason: str = "", now: dt.datetime | None = None) -> Order:
    """Cancel an order and refund it in full. The resident may cancel their own placed order before the cut-off
    (after it: `after_cutoff`); the street's staff (admin, station staff) may cancel or refund it at any time
    before delivery (placed → cancelled; locked, in production, out for delivery → refunded; the resident is told
    by SMS). The portions go back to the menu. A concurrent change of the order makes this raise
    `order_invalid_transition` and write nothing."""
    now = now or timezone.now()
    is_owner = actor is not None and getattr(actor, "pk", None) == order.user_id
    is_staff = actor is not None and is_street_staff(actor, order.street)
    if not (is_owner or is_staff):
        raise Problem("permission_denied", detail_zh="不能取消他人的订单", detail_en="This is not your order")
    status = order.status
    if status == OrderStatus.PLACED:
        to_status = OrderStatus.CANCELLED
        if not is_staff:
            menu = Menu.objects.only("status", "cutoff_at").get(pk=order.menu_id)
            _check_open(menu, now)
    elif status in STAFF_REFUNDABLE:
        to_status = OrderStatus.REFUNDED
        if not is_staff:
            raise Problem(
                "after_cutoff",
                detail_zh="已过截单时间，厨房已按单备餐；如需退款请联系服务点工作人员",
                detail_en="The order is past its cut-off; ask the service point's staff for a refund",
            )
    else:
        from linli.meals.services.order_states import invalid_transition

        raise invalid_transition(order, status, OrderStatus.CANCELLED)
    order_transition(order=order, to_status=to_status, actor=actor, note=reason, now=now)
    wallet.wallet_refund(
        user=order.user, amount_fen=int(order.total_fen), order=order, actor=actor, note=f"订单 #{order.pk} 退款"
    )
    _give_back_portions(order)
    if is_staff and not is_owner:
        yuan = pricing.fen_to_yuan(order.total_fen)
        notify_user(
            user=order.user,
            message_zh=f"您 {order.date.month}月{order.date.day}日的订餐（#{order.pk}）已由工作人员取消，"
            f"{yuan} 元已退回助餐钱包。{reason}".strip(),
            message_en=f"Your meal order #{order.pk} for {order.date:%d %b} was cancelled by the staff; "
            f"¥{yuan} is back in your meal wallet. {reason}".strip(),
        )
    return order
