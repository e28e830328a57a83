"""The sample street's meals world: kitchens, a week of menus, tiers and residents; the reset."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from linli.core.models import RoleAssignment, Street, User
from linli.core.services import user_get_or_create, user_update
from linli.demo import PLACES_FILE, DemoAccount, load_collection
from linli.demo.meals.data import (
    DAYS_AHEAD,
    KITCHENS,
    MEAL_RESIDENTS,
    SH,
    TIER_NAMES_EN,
    TIERS,
    MealsResult,
    _as_time,
    _dish,
    _menu_dishes,
    menu_cutoff,
)
from linli.demo.meals.history import _history
from linli.demo.meals.history_rows import (
    _history_exists,
)
from linli.demo.meals.samples import (
    EXTRA_NAME_SUFFIX,
    EXTRA_PHONE_PREFIX,
)
from linli.demo.meals.week import demo_week_load
from linli.meals.models import (
    DeliveryRun,
    Dish,
    Kitchen,
    MealProfile,
    Menu,
    MenuItem,
    MenuStatus,
    Order,
    PricingTier,
    Wallet,
    WalletEntry,
)
from linli.meals.services.wallet import wallet_topup
from linli.places.models import Place


def _kitchens(street: Street) -> list[Any]:
    places = {p.external_id: p for p in Place.objects.filter(street=street)}
    serves = {
        f["properties"]["id"]: list(f["properties"].get("serves") or [])
        for f in load_collection(PLACES_FILE)["features"]
    }
    out = []
    for ext_id, elder, slots, home in KITCHENS:
        place = places.get(ext_id)
        if place is None:
            continue
        kitchen, created = Kitchen.objects.get_or_create(
            place=place,
            defaults={"street": street, "is_elder_canteen": elder, "home_delivery": home, "slots": list(slots)},
        )
        if not created and kitchen.home_delivery != home:  # the places import made it with the defaults
            Kitchen.objects.filter(pk=kitchen.pk).update(home_delivery=home)
            kitchen.home_delivery = home
        if kitchen.slots != list(slots):  # the meals it cooks: its menus are due a week ahead
            Kitchen.objects.filter(pk=kitchen.pk).update(slots=list(slots))
            kitchen.slots = list(slots)
        for name in ("breakfast_cutoff", "lunch_cutoff", "dinner_cutoff"):
            setattr(kitchen, name, _as_time(getattr(kitchen, name)))
        wanted = [places[i] for i in serves.get(ext_id, []) if i in places]
        have = set(kitchen.serves.values_list("id", flat=True))
        missing = [p for p in wanted if p.pk not in have]
        if missing:
            kitchen.serves.add(*missing)
        out.append(kitchen)
    return out


def _menus(kitchens: list[Any], today: dt.date) -> tuple[int, int]:
    menus = items = 0
    slots_of = {ext: slots for ext, _e, slots, _h in KITCHENS}
    for k_index, kitchen in enumerate(kitchens):
        for d in range(DAYS_AHEAD + 1):
            day = today + dt.timedelta(days=d)
            for slot in slots_of.get(kitchen.place.external_id, ("lunch",)):
                menu, created = Menu.objects.get_or_create(
                    kitchen=kitchen,
                    date=day,
                    slot=slot,
                    defaults={
                        "status": MenuStatus.PUBLISHED,
                        "cutoff_at": menu_cutoff(kitchen, day, slot),
                        "published_at": timezone.now(),
                        "note": "示例菜单 sample menu",
                    },
                )
                menus += created
                for sort, spec in enumerate(_menu_dishes(slot, d, k_index)):
                    price = spec.price_fen
                    if spec.set_meal and kitchen.is_elder_canteen:
                        price = 1200  # the elder canteens' own set meal is cheaper (sample value)
                    _item, made = MenuItem.objects.get_or_create(
                        menu=menu,
                        dish=_dish(kitchen, spec),
                        defaults={
                            "price_fen": price,
                            "half_price_fen": spec.half_fen,
                            "daily_limit": spec.limit,
                            "is_elder_discount_set": spec.set_meal,
                            "sort_order": (sort + 1) * 10,
                        },
                    )
                    items += made
    return menus, items


def _tiers(street: Street) -> int:
    created = 0
    for kind, name, min_age, hardship, dtype, value in TIERS:
        lookup: dict[str, Any] = {"street": street, "kind": kind}
        if kind == "age":
            lookup["min_age"] = min_age
        else:
            lookup["hardship"] = hardship
        name_en = TIER_NAMES_EN.get(name, "")
        tier, made = PricingTier.objects.get_or_create(
            **lookup, defaults={"name": name, "name_en": name_en, "discount_type": dtype, "value": value}
        )
        if not made and not tier.name_en and tier.name == name and name_en:  # loaded before tiers had English
            PricingTier.objects.filter(pk=tier.pk).update(name_en=name_en)
        created += made
    return created


def _residents(street: Street, today: dt.date) -> list[tuple[DemoAccount, Any]]:
    out = []
    for r in MEAL_RESIDENTS:
        user = user_get_or_create(phone=r.phone, display_name=r.display_name)
        changes: dict[str, Any] = {}
        if user.display_name != r.display_name:
            changes["display_name"] = r.display_name
        if r.elder and not user.elder_mode:
            changes["elder_mode"] = True
        if changes:
            user_update(user=user, **changes)
        birth_year = today.year - r.age
        fields = []
        if user.birth_year != birth_year:
            user.birth_year = birth_year
            fields.append("birth_year")
        if user.home_street_id is None:
            user.home_street = street
            fields.append("home_street")
        if fields:
            user.save(update_fields=fields)
        if r.hardships or r.home_address:
            MealProfile.objects.get_or_create(
                user=user,
                defaults={
                    "street": street,
                    "hardships": list(r.hardships),
                    "home_delivery": bool(r.home_address),
                    "home_address": r.home_address,
                },
            )
        # Top up once per sample street (the entry carries the street, so `--reset` removes it).
        if not WalletEntry.objects.filter(wallet__user=user, kind="topup", street=street).exists():
            wallet_topup(user=user, amount_fen=r.topup_fen, actor=None, street=street, note="示例充值 sample top-up")
        account = DemoAccount(
            r.key, r.phone, r.display_name, r.label_zh, r.label_en, elder=r.elder, first_page="/me/meals/"
        )
        out.append((account, user))
    return out


def demo_meals_load(*, street: Street, today: dt.date | None = None) -> MealsResult:
    """Kitchens, menus (today .. today + 7), pricing tiers and residents with wallets for the sample street."""
    today = today or dt.datetime.now(SH).date()
    result = MealsResult()
    with transaction.atomic():
        kitchens = _kitchens(street)
        menus, items = _menus(kitchens, today)
        result.counts = {"kitchens": len(kitchens), "menus new": menus, "menu items new": items}
        result.counts["pricing tiers new"] = _tiers(street)
        result.accounts = _residents(street, today)
        if kitchens and not _history_exists(street, today):
            result.counts.update(_history(street, kitchens, today))
        result.counts.update(demo_week_load(street, kitchens, today))
    return result


def meals_reset(street: Street) -> None:
    """Delete the meals rows of `street` (orders, runs, menus, dishes, kitchens, tiers, profiles, the street's
    wallets and every wallet entry tied to it). Any other wallet that lost an entry is set back to the sum of its
    remaining entries, so the ledger still adds up. Call inside the reset's transaction, before activities and
    places go."""

    entries = WalletEntry.objects.filter(Q(wallet__street=street) | Q(street=street) | Q(order__street=street))
    wallet_ids = set(entries.values_list("wallet_id", flat=True))
    entries.delete()
    Wallet.objects.filter(street=street).delete()
    for wallet_id in wallet_ids:
        rest = WalletEntry.objects.filter(wallet_id=wallet_id).aggregate(s=Sum("amount_fen"))["s"] or 0
        Wallet.objects.filter(pk=wallet_id).update(balance_fen=max(0, rest))
    Order.objects.filter(Q(street=street) | Q(kitchen__street=street)).delete()
    DeliveryRun.objects.filter(kitchen__street=street).delete()
    Menu.objects.filter(kitchen__street=street).delete()
    Dish.objects.filter(kitchen__street=street).delete()
    Kitchen.objects.filter(street=street).delete()
    PricingTier.objects.filter(street=street).delete()
    MealProfile.objects.filter(street=street).delete()
    _extra_residents_delete()


def _extra_residents_delete() -> int:
    """Delete the history's sample residents (居民N（示例）, +8613900...) that hold nothing else: never logged in,
    no roles, no orders or ledger entries left. Their (now empty) wallets go with them."""

    pattern = re.compile(r"^居民\d+" + re.escape(EXTRA_NAME_SUFFIX) + "$")
    candidates = User.objects.filter(
        phone__startswith=EXTRA_PHONE_PREFIX, last_login__isnull=True, is_staff=False, is_superuser=False
    ).exclude(pk__in=RoleAssignment.objects.values("user_id"))
    candidates = candidates.exclude(pk__in=Order.objects.values("user_id")).exclude(
        pk__in=WalletEntry.objects.values("wallet__user_id")
    )
    ids = [pk for pk, name in candidates.values_list("pk", "display_name") if pattern.match(name)]
    Wallet.objects.filter(user_id__in=ids).delete()
    deleted = 0
    for start in range(0, len(ids), 500):
        deleted += User.objects.filter(pk__in=ids[start : start + 500]).delete()[1].get(User._meta.label, 0)
    return deleted
