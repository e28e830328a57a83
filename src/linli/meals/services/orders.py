"""Ordering a meal: the basket check, the bill, and the one-transaction create path; cancellation with refund.

Concurrency lives in the database. Portions are taken with one conditional UPDATE per menu item
(`sold = sold + n WHERE daily_limit IS NULL OR sold + n <= daily_limit`) in menu-item id order, so two baskets
holding the same dishes queue on the rows in the same order (no deadlocks) and no dish is ever oversold (the
CHECK constraint `menu_item_not_oversold` backs it). The wallet is charged by its own conditional UPDATE.

Lock order: an order shares a lock on its menu row (so the cut-off lock waits for it, see `_menu_items`), then
writes its own new rows, the wallet row, and the menu-item rows last, just before COMMIT, so the hottest rows stay
locked for the shortest time; a cancellation takes the order row, the wallet row, then the menu-item rows. Any refusal raises a `Problem` and rolls the whole transaction back (nothing half-written).

Baskets: each item is `{menu_item_id, quantity, half}`; lines naming the same dish and the same portion size
are merged (their quantities added; the merged quantity must still be 1..10). A half portion counts one
portion of the daily limit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from linli.activities.models import ACTIVE_BOOKING_STATUSES, Activity, ActivityStatus, Booking, BookingStatus
from linli.activities.services.notify import notify_user
from linli.core import rawsql
from linli.core.errors import Problem, field_error
from linli.core.models import Role
from linli.core.selectors import user_has_role
from linli.meals.models import (
    DestinationType,
    Dish,
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
) -> tuple[dict[int, MenuItem], MealProfile | None, bool]:
    """In one query: the menu items with their menu, kitchen (and its place and street) and dish; the user's meal
    profile (or None); whether the kitchen's `serves` lists `place_id`.

    Inside a transaction (order_create) the menu row is read under a share lock (PostgreSQL). The cut-off lock
    (services.kitchen) changes the menu row before it locks the menu's placed orders, so it waits for every order
    holding this lock to commit (and then locks them too), and an order arriving after it reads the menu as
    locked: no order slips in beside a production list already drawn up. (SQLite serialises writers anyway.)"""
    from linli.core.models import Street

    t = rawsql.table
    marks = ", ".join(["%s"] * len(item_ids))
    # Inside order_create's transaction the menu row is share-locked by this read: see _menu_items's docstring.
    lock = " FOR SHARE OF m" if connection.vendor == "postgresql" and connection.in_atomic_block else ""
    sql = (
        f"SELECT {rawsql.select_list(MenuItem, 'i')}, {rawsql.select_list(Menu, 'm')}, "  # noqa: S608
        f"{rawsql.select_list(Kitchen, 'k')}, {rawsql.select_list(Place, 'p')}, {rawsql.select_list(Street, 's')}, "
        f"{rawsql.select_list(Dish, 'd')}, {rawsql.select_list(MealProfile, 'mp')}, "
        f"EXISTS (SELECT 1 FROM {t(Kitchen.serves.through)} sv WHERE sv.kitchen_id = k.id AND sv.place_id = %s) "
        f"FROM {t(MenuItem)} i JOIN {t(Menu)} m ON m.id = i.{rawsql.column(MenuItem, 'menu')} "
        f"JOIN {t(Kitchen)} k ON k.id = m.{rawsql.column(Menu, 'kitchen')} "
        f"JOIN {t(Place)} p ON p.id = k.{rawsql.column(Kitchen, 'place')} "
        f"JOIN {t(Street)} s ON s.id = k.{rawsql.column(Kitchen, 'street')} "
        f"JOIN {t(Dish)} d ON d.id = i.{rawsql.column(MenuItem, 'dish')} "
        f"LEFT JOIN {t(MealProfile)} mp ON mp.{rawsql.column(MealProfile, 'user')} = %s "
        f"WHERE i.id IN ({marks}){lock}"
    )
    out: dict[int, MenuItem] = {}
    menus: dict[int, Menu] = {}
    profile: MealProfile | None = None
    served = False
    with connection.cursor() as cursor:
        cursor.execute(sql, [place_id or 0, user_id, *item_ids])
        rows = cursor.fetchall()
    for row in rows:
        item, menu, kitchen, place, street, dish, mp = rawsql.instances(
            row[:-1], MenuItem, Menu, Kitchen, Place, Street, Dish, MealProfile
        )
        served = bool(row[-1])
        if mp.pk is not None:
            profile = mp  # type: ignore[assignment]
        assert isinstance(item, MenuItem) and isinstance(menu, Menu) and isinstance(kitchen, Kitchen)
        menu = menus.setdefault(menu.pk, menu)
        kitchen.place, kitchen.street = place, street  # type: ignore[assignment]
        menu.kitchen = kitchen
        item.menu, item.dish = menu, dish  # type: ignore[assignment]
        out[item.pk] = item
    return out, profile, served


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

    found, profile, place_listed = _menu_items(
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
        tiers=_street_tiers(kitchen.street_id),
        hardships=list(profile.hardships or []) if profile else [],
    )
    portions: dict[int, int] = defaultdict(int)
    for item, quantity, _half in lines:
        portions[item.pk] += quantity
    return Basket(menu=menu, kitchen=kitchen, lines=lines, destination=dest, bill=bill, portions=dict(portions))


def _sold_out(item: MenuItem, wanted: int) -> Problem:
    row = MenuItem.objects.filter(pk=item.pk).values_list("daily_limit", "sold").first()
    limit, sold = row if row else (item.daily_limit, item.sold)
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
    first event, charge the wallet, and take the portions (conditional UPDATEs, menu-item id order, last).
    Problems: validation_error, menu_not_available, after_cutoff, destination_not_served, not_eligible,
    insufficient_balance, sold_out. Any refusal rolls everything back.

    `savepoint=False` when the caller's own atomic block is the unit to roll back (the API's idempotency
    wrapper already opens one): saves a SAVEPOINT/RELEASE round trip pair on the hot path."""
    with transaction.atomic(savepoint=savepoint):
        return _order_create(user=user, date=date, slot=slot, destination=destination, items=items, now=now)


def _order_create(*, user: Any, date: Any, slot: Any, destination: Any, items: Any, now: dt.datetime | None) -> Order:
    now = now or timezone.now()
    basket = basket_check(user=user, date=date, slot=slot, destination=destination, items=items, now=now)
    menu, kitchen, bill, dest = basket.menu, basket.kitchen, basket.bill, basket.destination
    values: dict[str, Any] = {
        "street": kitchen.street_id,
        "user": user.pk,
        "menu": menu.pk,
        "kitchen": kitchen.pk,
        "date": menu.date,
        "slot": menu.slot,
        "destination_type": dest.type,
        "destination_place": dest.place_id,
        "activity": dest.activity.pk if dest.activity else None,
        "home_address": dest.home_address,
        "home_lat": dest.home_lat,
        "home_lng": dest.home_lng,
        "status": OrderStatus.PLACED,
        "list_fen": bill.list_fen,
        "discount_fen": bill.discount_fen,
        "total_fen": bill.total_fen,
        "created_at": now,
    }
    order_id = None
    for _attempt in range(PICKUP_CODE_ATTEMPTS):
        values["pickup_code"] = new_pickup_code()
        order_id = _insert_order(values)
        if order_id is not None:
            break
    if order_id is None:
        raise RuntimeError("could not draw a unique pickup code")
    order = Order(
        pk=order_id,
        street=kitchen.street,
        user=user,
        menu=menu,
        kitchen=kitchen,
        date=menu.date,
        slot=menu.slot,
        destination_type=dest.type,
        destination_place_id=dest.place_id,
        activity=dest.activity,
        home_address=dest.home_address,
        home_lat=dest.home_lat,
        home_lng=dest.home_lng,
        status=OrderStatus.PLACED,
        list_fen=bill.list_fen,
        discount_fen=bill.discount_fen,
        total_fen=bill.total_fen,
        pickup_code=values["pickup_code"],
        created_at=now,
    )
    order._state.adding = False
    order.bill = bill  # type: ignore[attr-defined]  # the bill as computed, for the API's answer
    _insert_rows(
        (
            OrderLine,
            [
                {
                    "order": order_id,
                    "menu_item": line.menu_item_id,
                    "dish_name": line.dish[:100],
                    "quantity": line.quantity,
                    "half": line.half,
                    "unit_price_fen": line.unit_price_fen,
                    "line_fen": line.line_fen,
                }
                for line in bill.lines
            ],
        ),
        (
            OrderDiscount,
            [
                {"order": order_id, "tier": d.tier_id, "label": d.label[:60], "amount_fen": d.amount_fen}
                for d in bill.discounts
            ],
        ),
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
    wallet.wallet_charge(user=user, amount_fen=bill.total_fen, order=order, street=kitchen.street)

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
