"""Helpers of the history: extra residents, past menus, baskets, scores, bulk inserts and ledger fixes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import F

from linli.core import rawsql
from linli.core.models import Street, User
from linli.demo.meals.data import _dish, _local, _menu_dishes, menu_cutoff
from linli.demo.meals.samples import (
    BAD_COMMENTS,
    EXTRA_NAME_SUFFIX,
    EXTRA_PHONE_PREFIX,
    EXTRA_RESIDENTS,
    GOOD_COMMENTS,
    HISTORY_DAYS,
    SO_SO_COMMENTS,
)
from linli.meals.models import (
    EntryKind,
    MealProfile,
    Menu,
    MenuItem,
    MenuStatus,
    Order,
    Wallet,
    WalletEntry,
    WasteRecord,
)
from linli.meals.services.wallet import wallet_topup


def _history_exists(street: Street, today: dt.date) -> bool:
    return (
        Order.objects.filter(street=street, date__lt=today).exists()
        or WasteRecord.objects.filter(kitchen__street=street, date__lt=today).exists()
    )


def _extra_residents(street: Street, kitchens: list[Any], today: dt.date, rng: Any) -> dict[int, list[Any]]:
    """Sample residents 居民N（示例） (phones +8613900000001...), grouped by their usual kitchen; a few hold
    hardship profiles with home delivery. Created in bulk; existing ones (same phone) are reused."""

    wanted: list[tuple[str, str, int, Any]] = []
    n = 0
    for kitchen in kitchens:
        for _i in range(EXTRA_RESIDENTS.get(kitchen.place.external_id, 30)):
            n += 1
            # Ages mostly over 60 (those who use the canteens), some younger: birth years 1935-1990.
            birth = rng.choice([rng.randint(1935, 1949), rng.randint(1940, 1965), rng.randint(1950, 1990)])
            wanted.append((f"{EXTRA_PHONE_PREFIX}{n:06d}", f"居民{n}{EXTRA_NAME_SUFFIX}", birth, kitchen))
    have = {u.phone: u for u in User.objects.filter(phone__in=[w[0] for w in wanted])}
    new = []
    for phone, name, birth, _kitchen in wanted:
        if phone not in have:
            user = User(phone=phone, display_name=name, birth_year=birth, home_street=street, elder_mode=birth < 1950)
            user.set_unusable_password()
            new.append(user)
    User.objects.bulk_create(new, batch_size=500)
    users = {u.phone: u for u in User.objects.filter(phone__in=[w[0] for w in wanted])}
    by_kitchen: dict[int, list[Any]] = {}
    profiles = []
    with_profile = set(MealProfile.objects.filter(user__in=users.values()).values_list("user_id", flat=True))
    for index, (phone, _name, _birth, kitchen) in enumerate(wanted):
        user = users[phone]
        by_kitchen.setdefault(kitchen.pk, []).append(user)
        if index % 12 == 5 and user.pk not in with_profile:  # about one in twelve: a hardship subsidy
            hardships = ["dibao"] if index % 24 == 5 else ["living_alone"]
            home = kitchen.home_delivery and index % 36 != 5
            profiles.append(
                MealProfile(
                    user=user,
                    street=street,
                    hardships=hardships,
                    home_delivery=home,
                    home_address=f"上海市普陀区万镇路{300 + index}弄{index % 30 + 1}号（示例地址）" if home else "",
                )
            )
    MealProfile.objects.bulk_create(profiles)
    return by_kitchen


def _past_menus(kitchens: list[Any], today: dt.date) -> dict[tuple[int, dt.date], tuple[Any, list[Any]]]:
    """A locked lunch menu per kitchen and past day (existing menus of those days are locked and reused)."""
    days = [today - dt.timedelta(days=d) for d in range(HISTORY_DAYS, 0, -1)]
    existing = {
        (m.kitchen_id, m.date): m for m in Menu.objects.filter(kitchen__in=kitchens, slot="lunch", date__in=days)
    }
    new_menus = []
    for kitchen in kitchens:
        for day in days:
            if (kitchen.pk, day) not in existing:
                cutoff = menu_cutoff(kitchen, day, "lunch")
                new_menus.append(
                    Menu(
                        kitchen=kitchen,
                        date=day,
                        slot="lunch",
                        status=MenuStatus.LOCKED,
                        cutoff_at=cutoff,
                        published_at=cutoff - dt.timedelta(days=3),
                        locked_at=cutoff,
                        note="示例菜单 sample menu",
                    )
                )
    Menu.objects.bulk_create(new_menus)
    Menu.objects.filter(kitchen__in=kitchens, slot="lunch", date__in=days).exclude(status=MenuStatus.LOCKED).update(
        status=MenuStatus.LOCKED
    )
    menus = {(m.kitchen_id, m.date): m for m in Menu.objects.filter(kitchen__in=kitchens, slot="lunch", date__in=days)}
    have_items = set(MenuItem.objects.filter(menu__in=menus.values()).values_list("menu_id", "dish_id"))
    new_items = []
    dishes: dict[tuple[int, str], Any] = {}
    for k_index, kitchen in enumerate(kitchens):
        for day in days:
            menu = menus[(kitchen.pk, day)]
            for sort, spec in enumerate(_menu_dishes("lunch", (day - today).days, k_index)):
                dish = dishes.get((kitchen.pk, spec.name))
                if dish is None:
                    dish = dishes[(kitchen.pk, spec.name)] = _dish(kitchen, spec)
                if (menu.pk, dish.pk) in have_items:
                    continue
                price = 1200 if spec.set_meal and kitchen.is_elder_canteen else spec.price_fen
                new_items.append(
                    MenuItem(
                        menu=menu,
                        dish=dish,
                        price_fen=price,
                        half_price_fen=spec.half_fen,
                        daily_limit=spec.limit,
                        is_elder_discount_set=spec.set_meal,
                        sort_order=(sort + 1) * 10,
                    )
                )
    MenuItem.objects.bulk_create(new_items, batch_size=500)
    items: dict[int, list[Any]] = {}
    for item in MenuItem.objects.filter(menu__in=menus.values()).select_related("dish").order_by("sort_order", "id"):
        items.setdefault(item.menu_id, []).append(item)
    return {key: (menu, items.get(menu.pk, [])) for key, menu in menus.items()}


def _basket(rng: Any, items: list[Any], room: dict[int, int], elder: bool) -> list[tuple[Any, int, bool]]:
    """One to three dishes (elders often take the set meal); never more than the item's remaining portions."""
    available = [i for i in items if room.get(i.pk, 1) > 0]
    if not available:
        return []
    set_meal = next((i for i in available if i.is_elder_discount_set), None)
    if set_meal is not None and elder and rng.random() < 0.45:
        picks = [set_meal]
    else:
        pool = [i for i in available if not i.is_elder_discount_set] or available
        picks = rng.sample(pool, min(len(pool), rng.choice([1, 2, 2, 3])))
    lines = []
    for item in picks:
        quantity = 2 if rng.random() < 0.06 else 1
        if item.daily_limit is not None:
            quantity = min(quantity, room[item.pk])
        half = item.half_price_fen is not None and rng.random() < 0.25
        if item.daily_limit is not None:
            room[item.pk] -= quantity
        lines.append((item, quantity, half))
    return lines


def _scores(rng: Any) -> tuple[int, int, int, str]:
    roll = rng.random()
    if roll < 0.07:  # a bad day
        return rng.randint(1, 2), rng.randint(2, 3), rng.randint(2, 4), rng.choice(BAD_COMMENTS)
    if roll < 0.25:
        return 3, rng.randint(3, 4), rng.randint(3, 4), rng.choice(SO_SO_COMMENTS)
    return rng.randint(4, 5), rng.randint(4, 5), rng.choice([4, 5, 5]), rng.choice(GOOD_COMMENTS)


def _ledger_fix(wallet_ids: set[int]) -> None:
    """Make each entry's `balance_after_fen` the running sum in (at, id) order after the history entries were
    dated in the past (the balance itself already equals the sum: every entry went through the wallet services)."""

    changed = []
    running: dict[int, int] = {}
    for entry in WalletEntry.objects.filter(wallet_id__in=wallet_ids).order_by("wallet_id", "at", "id"):
        running[entry.wallet_id] = running.get(entry.wallet_id, 0) + entry.amount_fen
        if entry.balance_after_fen != running[entry.wallet_id]:
            entry.balance_after_fen = running[entry.wallet_id]
            changed.append(entry)
    WalletEntry.objects.bulk_update(changed, ["balance_after_fen"], batch_size=500)


def _history_wallets(street: Street, plans: list[dict[str, Any]], orders: list[Any], today: dt.date) -> None:
    """Each resident is topped up through the wallet service three weeks ago (enough for their lunches, in round
    100 yuan), then each order is charged at the time it was placed. The charges are the ledger lines
    `wallet_charge` writes (kind, signed amount, balance after, order, street, the resident as actor, note),
    appended in bulk with one conditional UPDATE of the balance per wallet: thousands of single charges would
    take most of the demo's time. Then every balance-after is the running sum in (at, id) order."""

    by_user: dict[int, list[tuple[dict[str, Any], Any]]] = {}
    for plan, order in zip(plans, orders, strict=True):
        by_user.setdefault(plan["user"].pk, []).append((plan, order))
    topup_at = _local(today - dt.timedelta(days=HISTORY_DAYS + 1), dt.time(9, 30))
    charges, topup_ids, wallet_ids = [], [], set()
    for user_pk in sorted(by_user):
        owed = sum(order.total_fen for _plan, order in by_user[user_pk])
        amount = (owed // 10000 + 1) * 10000
        user = by_user[user_pk][0][0]["user"]
        entry = wallet_topup(user=user, amount_fen=amount, actor=None, street=street, note="示例充值 sample top-up")
        topup_ids.append(entry.pk)
        wallet_ids.add(entry.wallet_id)
        running = amount
        for plan, order in sorted(by_user[user_pk], key=lambda po: (po[0]["placed"], po[1].pk)):
            if order.total_fen == 0:
                continue
            running -= order.total_fen
            charges.append(
                WalletEntry(
                    wallet_id=entry.wallet_id,
                    kind=EntryKind.CHARGE,
                    amount_fen=-order.total_fen,
                    balance_after_fen=running,
                    order=order,
                    street=street,
                    actor=user,
                    note=f"订单 #{order.pk}",
                    at=plan["placed"],
                )
            )
        charged = amount - running
        if charged:
            updated = Wallet.objects.filter(pk=entry.wallet_id, balance_fen__gte=charged).update(
                balance_fen=F("balance_fen") - charged
            )
            assert updated == 1, "the history top-up covers the history charges"
    WalletEntry.objects.filter(pk__in=topup_ids).update(at=topup_at)
    WalletEntry.objects.bulk_create(charges, batch_size=1000)
    _ledger_fix(wallet_ids)


def _insert_rows(model: Any, names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Plain INSERTs (executemany) for the largest table of the history (about six timeline rows per order):
    `bulk_create` spends most of its time compiling the statement per batch."""

    fields = [model._meta.get_field(n) for n in names]
    marks = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {rawsql.table(model)} ({rawsql.columns(model, names)}) VALUES ({marks})"  # noqa: S608
    prepared = [tuple(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)) for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def _bump_sold(sold: dict[int, int]) -> None:
    by_amount: dict[int, list[int]] = {}
    for pk, n in sold.items():
        by_amount.setdefault(n, []).append(pk)
    for n, pks in by_amount.items():
        MenuItem.objects.filter(pk__in=pks).update(sold=F("sold") + n)
