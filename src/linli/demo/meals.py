"""The sample street's community meals: kitchens, whom they serve, a week of menus, pricing tiers and residents
with wallets. Whom each kitchen serves comes from `serves` in wanli_places.geojson (the central kitchen also
delivers to the party service stations and the other venues of the sample activities).

SAMPLE data: dishes, prices, limits and discounts are illustrative, not any canteen's real offer.

Pricing tiers follow the shape of Shanghai's elder-meal subsidies (a larger discount the older the resident, a
fixed subsidy for 低保 and 独居 residents); the numbers here are sample values chosen for the demo, not policy.

Menus run from today to today + 7 (the day the demo is loaded), like the activities calendar; re-running the
demo the same day changes nothing (rows are looked up by their natural keys; `sold` is never touched here).
`meals_reset` removes every meals row of the sample street (called by `linli demo --reset`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q, Sum

from linli.core.models import Street
from linli.demo import DemoAccount

SH = ZoneInfo("Asia/Shanghai")
DAYS_AHEAD = 7

# (place external id, elder canteen?, slots served, home delivery)
KITCHENS = [
    ("wl-ck-001", False, ("breakfast", "lunch"), True),
    ("wl-cc-001", False, ("lunch", "dinner"), False),
    ("wl-cc-002", False, ("lunch", "dinner"), False),
    ("wl-ec-001", True, ("breakfast", "lunch"), True),
    ("wl-ec-002", True, ("lunch", "dinner"), True),
]


@dataclass(frozen=True)
class DemoDish:
    name: str
    price_fen: int
    half_fen: int | None
    tags: tuple[str, ...] = ()
    allergens: tuple[str, ...] = ()
    description: str = ""
    limit: int | None = None
    set_meal: bool = False
    components: str = ""


LUNCH_DISHES = [
    DemoDish("红烧狮子头", 1200, 700, ("soft",), ("soy", "egg", "gluten"), "猪肉糜加荸荠，小火慢炖，入口即化。", 60),
    DemoDish(
        "清蒸鲈鱼", 1800, 1000, ("soft", "low_salt", "low_oil"), ("fish",), "当日鲜鲈鱼，葱姜清蒸，已去大刺。", 40
    ),
    DemoDish("番茄炒蛋", 800, 450, ("soft", "vegetarian"), ("egg",), "", 80),
    DemoDish("肉末茄子", 900, 500, ("soft",), ("soy",), "茄子烧得软烂，少油版。", 60),
    DemoDish("蒜蓉青菜", 500, 300, ("low_salt", "vegetarian", "low_oil"), (), "时令青菜。", None),
    DemoDish("荠菜馄饨", 1000, None, ("low_salt",), ("gluten", "egg"), "荠菜鲜肉大馄饨，10只一碗。", 50),
    DemoDish("糖醋小排", 1500, 800, (), ("soy", "gluten"), "", 40),
    DemoDish("油面筋塞肉", 1100, 600, ("soft",), ("gluten", "soy"), "", 50),
    DemoDish("冬瓜海带汤", 400, None, ("low_salt", "low_oil"), (), "", None),
]
ELDER_SET = DemoDish(
    "长者套餐",
    1500,
    None,
    ("soft", "low_salt"),
    ("soy", "egg"),
    "一荤一半荤一素，米饭和汤，少盐软烂。",
    80,
    set_meal=True,
    components="一荤 + 一半荤 + 一素 + 米饭 + 例汤",
)
BREAKFAST_DISHES = [
    DemoDish("白粥", 200, None, ("soft", "low_salt", "vegetarian"), (), "", None),
    DemoDish("菜肉包", 150, None, (), ("gluten", "soy"), "", 120),
    DemoDish("茶叶蛋", 150, None, (), ("egg",), "", 100),
    DemoDish("豆浆", 200, None, ("low_sugar", "vegetarian"), ("soy",), "无糖或少糖可选。", None),
    DemoDish("小馄饨", 600, None, ("soft",), ("gluten", "egg"), "", 60),
    DemoDish("葱油饼", 300, None, ("vegetarian",), ("gluten",), "", 60),
]
DINNER_DISHES = [
    DemoDish("红烧带鱼", 1600, 900, (), ("fish", "soy"), "", 40),
    DemoDish("香菇菜心", 600, 350, ("low_salt", "vegetarian", "soft"), ("soy",), "", None),
    DemoDish("咸肉菜饭", 1000, 600, (), ("soy",), "", 60),
    DemoDish("番茄炒蛋", 800, 450, ("soft", "vegetarian"), ("egg",), "", 80),
    DemoDish("肉末茄子", 900, 500, ("soft",), ("soy",), "", 60),
    DemoDish("冬瓜海带汤", 400, None, ("low_salt", "low_oil"), (), "", None),
]

# Sample pricing tiers (not policy): (kind, name, min_age, hardship, discount type, value)
TIERS = [
    ("age", "60岁以上 九折（示例）", 60, "", "percent", 10),
    ("age", "70岁以上 八折（示例）", 70, "", "percent", 20),
    ("age", "80岁以上 七折（示例）", 80, "", "percent", 30),
    ("age", "90岁以上 六折（示例）", 90, "", "percent", 40),
    ("hardship", "低保补贴 每单5元（示例）", None, "dibao", "fixed", 500),
    ("hardship", "独居补贴 每单2元（示例）", None, "living_alone", "fixed", 200),
]


@dataclass(frozen=True)
class MealResident:
    key: str
    phone: str
    display_name: str
    label_zh: str
    label_en: str
    age: int
    topup_fen: int
    hardships: tuple[str, ...] = ()
    home_address: str = ""
    elder: bool = False


# The loader's resident accounts get a birth year and a wallet; two more residents show the subsidies.
MEAL_RESIDENTS = [
    MealResident("resident", "13800000009", "小林（示例居民）", "居民", "resident", 34, 20000),
    MealResident("elder", "13800000010", "胡阿姨（示例，78岁）", "老年居民", "elderly resident", 78, 30000, elder=True),
    MealResident(
        "elder_alone",
        "13800000011",
        "周老伯（示例，91岁，独居）",
        "独居高龄老人",
        "elder living alone, 91",
        91,
        30000,
        ("living_alone",),
        "上海市普陀区万镇路500弄12号302室（示例地址）",
        elder=True,
    ),
    MealResident(
        "elder_dibao",
        "13800000012",
        "钱阿婆（示例，83岁，低保）",
        "低保老人",
        "elder on dibao, 83",
        83,
        20000,
        ("dibao",),
        "上海市普陀区真金路588弄20号101室（示例地址）",
        elder=True,
    ),
]


@dataclass
class MealsResult:
    counts: dict[str, int] = field(default_factory=dict)
    accounts: list[tuple[DemoAccount, Any]] = field(default_factory=list)


def _local(day: dt.date, at: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=SH)


def menu_cutoff(kitchen: Any, day: dt.date, slot: str) -> dt.datetime:
    """Lunch and dinner close at the kitchen's cut-off on the day, breakfast at its cut-off the day before."""
    if slot == "breakfast":
        return _local(day - dt.timedelta(days=1), kitchen.breakfast_cutoff)
    return _local(day, kitchen.lunch_cutoff if slot == "lunch" else kitchen.dinner_cutoff)


def _as_time(value: Any) -> dt.time:
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))


def _kitchens(street: Street) -> list[Any]:
    from linli.demo import PLACES_FILE, load_collection
    from linli.meals.models import Kitchen
    from linli.places.models import Place

    places = {p.external_id: p for p in Place.objects.filter(street=street)}
    serves = {
        f["properties"]["id"]: list(f["properties"].get("serves") or [])
        for f in load_collection(PLACES_FILE)["features"]
    }
    out = []
    for ext_id, elder, _slots, home in KITCHENS:
        place = places.get(ext_id)
        if place is None:
            continue
        kitchen, created = Kitchen.objects.get_or_create(
            place=place, defaults={"street": street, "is_elder_canteen": elder, "home_delivery": home}
        )
        if not created and kitchen.home_delivery != home:  # the places import made it with the defaults
            Kitchen.objects.filter(pk=kitchen.pk).update(home_delivery=home)
            kitchen.home_delivery = home
        for name in ("breakfast_cutoff", "lunch_cutoff", "dinner_cutoff"):
            setattr(kitchen, name, _as_time(getattr(kitchen, name)))
        wanted = [places[i] for i in serves.get(ext_id, []) if i in places]
        have = set(kitchen.serves.values_list("id", flat=True))
        missing = [p for p in wanted if p.pk not in have]
        if missing:
            kitchen.serves.add(*missing)
        out.append(kitchen)
    return out


def _dish(kitchen: Any, spec: DemoDish) -> Any:
    from linli.meals.models import Dish

    dish, _ = Dish.objects.get_or_create(
        kitchen=kitchen,
        name=spec.name,
        defaults={
            "description": spec.description,
            "tags": list(spec.tags),
            "allergens": list(spec.allergens),
            "is_set_meal": spec.set_meal,
            "components": spec.components,
        },
    )
    return dish


def _menu_dishes(slot: str, day_index: int, kitchen_index: int) -> list[DemoDish]:
    """Six dishes per lunch (rotating through the pool day by day), plus the elder set meal."""
    if slot == "breakfast":
        return BREAKFAST_DISHES
    if slot == "dinner":
        return DINNER_DISHES[:5] if day_index % 2 else DINNER_DISHES
    pool = LUNCH_DISHES
    start = (day_index + kitchen_index) % len(pool)
    chosen = [pool[(start + n) % len(pool)] for n in range(6)]
    return [*chosen, ELDER_SET]


def _menus(kitchens: list[Any], today: dt.date) -> tuple[int, int]:
    from django.utils import timezone

    from linli.meals.models import Menu, MenuItem, MenuStatus

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
    from linli.meals.models import PricingTier

    created = 0
    for kind, name, min_age, hardship, dtype, value in TIERS:
        lookup: dict[str, Any] = {"street": street, "kind": kind}
        lookup.update({"min_age": min_age} if kind == "age" else {"hardship": hardship})
        _tier, made = PricingTier.objects.get_or_create(
            **lookup, defaults={"name": name, "discount_type": dtype, "value": value}
        )
        created += made
    return created


def _residents(street: Street, today: dt.date) -> list[tuple[DemoAccount, Any]]:
    from linli.core.services import user_get_or_create, user_update
    from linli.meals.models import MealProfile, WalletEntry
    from linli.meals.services.wallet import wallet_topup

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
        account = DemoAccount(r.key, r.phone, r.display_name, r.label_zh, r.label_en, elder=r.elder)
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
    return result


def meals_reset(street: Street) -> None:
    """Delete the meals rows of `street` (orders, runs, menus, dishes, kitchens, tiers, profiles and the wallet
    entries tied to it). Wallets of the affected residents are set back to the sum of their remaining entries,
    so the ledger still adds up. Call inside the reset's transaction, before activities and places go."""
    from linli.meals.models import (
        DeliveryRun,
        Dish,
        Kitchen,
        MealProfile,
        Menu,
        Order,
        PricingTier,
        Wallet,
        WalletEntry,
    )

    entries = WalletEntry.objects.filter(Q(street=street) | Q(order__street=street))
    wallet_ids = set(entries.values_list("wallet_id", flat=True))
    entries.delete()
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
