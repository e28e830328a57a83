"""The sample street's community meals: kitchens, whom they serve, a week of menus, pricing tiers and residents
with wallets. Whom each kitchen serves comes from `serves` in wanli_places.geojson (the central kitchen also
delivers to the party service stations and the other venues of the sample activities).

SAMPLE data: dishes, prices, limits and discounts are illustrative, not any canteen's real offer.

Pricing tiers follow the shape of Shanghai's elder-meal subsidies (a larger discount the older the resident, a
fixed subsidy for 低保 and 独居 residents); the numbers here are sample values chosen for the demo, not policy.

Menus run from today to today + 7 (the day the demo is loaded), like the activities calendar; re-running the
demo the same day changes nothing (rows are looked up by their natural keys; `sold` is never touched here).
The last HISTORY_DAYS days get a seeded history (orders with bills, discounts, timelines and wallet charges,
ratings, waste, inspections, tasting scores) from extra sample residents; it is made only when the street has no
past orders or waste records. `meals_reset` removes every meals row of the sample street and the extra sample
residents who hold nothing else (called by `linli demo --reset`).
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
        if kind == "age":
            lookup["min_age"] = min_age
        else:
            lookup["hardship"] = hardship
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
        if kitchens and not _history_exists(street, today):
            result.counts.update(_history(street, kitchens, today))
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
    _extra_residents_delete()


def _extra_residents_delete() -> int:
    """Delete the history's sample residents (居民N（示例）, +8613900...) that hold nothing else: never logged in,
    no roles, no orders or ledger entries left. Their (now empty) wallets go with them."""
    import re

    from linli.core.models import RoleAssignment, User
    from linli.meals.models import Order, Wallet, WalletEntry

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


# ----------------------------------------------------------------------------------------------- history
# Three weeks of past lunches, so the street report and the kitchen quality pages have something to chart.
# Deterministic: a seeded random generator, the days counted back from `today`. Skipped when the street already
# has past orders or waste records (a second run the same day or later creates nothing).

HISTORY_DAYS = 21
HISTORY_SEED = 20261130
EXTRA_PHONE_PREFIX = "+8613900"
EXTRA_NAME_SUFFIX = "（示例）"
# Extra sample residents per kitchen (their "usual" kitchen): enough for ~20-60 lunches a day each.
EXTRA_RESIDENTS = {"wl-ck-001": 70, "wl-cc-001": 38, "wl-cc-002": 36, "wl-ec-001": 50, "wl-ec-002": 42}
NEW_DISHES = ("油面筋塞肉", "糖醋小排")  # flagged new (tasting panels) in the central kitchen and one canteen
NEW_DISH_KITCHENS = ("wl-ck-001", "wl-cc-001")
GOOD_COMMENTS = [
    "味道不错，很下饭。",
    "菜烧得很软，老人吃正好。",
    "分量足，价格实惠。",
    "清淡不油腻，蛮好。",
    "狮子头好吃，明天还订。",
    "鱼很新鲜，刺也挑干净了。",
    "送得准时，饭还是热的。",
    "阿姨态度好，谢谢。",
    "少盐的做法很好，适合我们。",
    "",
    "",
    "",
]
SO_SO_COMMENTS = ["还可以，就是有点淡。", "青菜炒得有点老。", "米饭稍微硬了点。", "汤有点凉了。", ""]
BAD_COMMENTS = ["今天的菜太咸了。", "送晚了半个多小时，饭都凉了。", "分量比上次少。", "茄子太油了。"]
INSPECTION_AREAS = ["washing", "sample_retention", "pastry", "wok", "hygiene", "storage"]
ISSUE_NOTES = {
    "washing": "消毒柜温度记录缺两天，已当场提醒补记。",
    "sample_retention": "留样标签时间未写全，要求整改。",
    "storage": "生熟食品未完全分架存放，需整改。",
    "hygiene": "一名帮厨未戴帽子，已当场纠正。",
}
TASTING_COMMENTS = ["口味适中，老人接受度高。", "偏甜，建议少放糖。", "软硬合适，可以上架。", "分量可以再足一点。", ""]


def _history_exists(street: Street, today: dt.date) -> bool:
    from linli.meals.models import Order, WasteRecord

    return (
        Order.objects.filter(street=street, date__lt=today).exists()
        or WasteRecord.objects.filter(kitchen__street=street, date__lt=today).exists()
    )


def _extra_residents(street: Street, kitchens: list[Any], today: dt.date, rng: Any) -> dict[int, list[Any]]:
    """Sample residents 居民N（示例） (phones +8613900000001...), grouped by their usual kitchen; a few hold
    hardship profiles with home delivery. Created in bulk; existing ones (same phone) are reused."""
    from linli.core.models import User
    from linli.meals.models import MealProfile

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
    from linli.meals.models import Menu, MenuItem, MenuStatus

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
    from linli.meals.models import WalletEntry

    changed = []
    running: dict[int, int] = {}
    for entry in WalletEntry.objects.filter(wallet_id__in=wallet_ids).order_by("wallet_id", "at", "id"):
        running[entry.wallet_id] = running.get(entry.wallet_id, 0) + entry.amount_fen
        if entry.balance_after_fen != running[entry.wallet_id]:
            entry.balance_after_fen = running[entry.wallet_id]
            changed.append(entry)
    WalletEntry.objects.bulk_update(changed, ["balance_after_fen"], batch_size=500)


def _history(street: Street, kitchens: list[Any], today: dt.date) -> dict[str, int]:
    """Orders, wallet entries, ratings, waste, inspections and tasting scores for the last HISTORY_DAYS days."""
    import random

    from linli.core.models import User
    from linli.meals.models import (
        Dish,
        Inspection,
        InspectionItem,
        MealProfile,
        Order,
        OrderDiscount,
        OrderEvent,
        OrderLine,
        OrderStatus,
        Rating,
        TastingScore,
        WasteRecord,
    )
    from linli.meals.services.pricing import bill_compute, street_tiers
    from linli.places.models import Place

    S = OrderStatus
    rng = random.Random(HISTORY_SEED)
    staff = {u.phone: u for u in User.objects.filter(phone__startswith="+86138000000")}
    operator = staff.get("+8613800000005")
    supervisor = staff.get("+8613800000007")
    rider = staff.get("+8613800000008")
    tiers = street_tiers(street)
    by_kitchen = _extra_residents(street, kitchens, today, rng)
    # The loader's residents eat too (the elders at the elder canteen, the young resident at the community one).
    regulars = {r.phone: r for r in MEAL_RESIDENTS}
    for user in User.objects.filter(phone__in=[f"+86{p}" for p in regulars]).order_by("phone"):
        ext = "wl-ec-001" if user.birth_year and user.birth_year < today.year - 60 else "wl-cc-001"
        kitchen = next((k for k in kitchens if k.place.external_id == ext), kitchens[0])
        by_kitchen.setdefault(kitchen.pk, []).append(user)
    residents = [u for users in by_kitchen.values() for u in users]
    profiles = {p.user_id: p for p in MealProfile.objects.filter(user__in=residents)}
    points = {
        p.external_id: p for p in Place.objects.filter(street=street, external_id__startswith="wl-meal-").order_by("id")
    }
    menus = _past_menus(kitchens, today)

    # Plan every order first (bill computed with the street's tiers), so each resident's top-up covers them.
    plans: list[dict[str, Any]] = []
    for kitchen in kitchens:
        served_points = [p for p in kitchen.serves.all() if p.external_id in points]
        canteen = kitchen.place.external_id != "wl-ck-001"
        for back in range(HISTORY_DAYS, 0, -1):
            day = today - dt.timedelta(days=back)
            menu, items = menus[(kitchen.pk, day)]
            room = {i.pk: i.daily_limit - i.sold for i in items if i.daily_limit is not None}
            eaters = by_kitchen.get(kitchen.pk, [])
            share = 0.55 if day.weekday() >= 5 else 0.78  # fewer lunches at the weekend
            wanted = round(rng.gauss(share * len(eaters), 3))
            wanted = max(min(22, len(eaters)), min(wanted, 58, len(eaters)))
            taken = set(Order.objects.filter(menu=menu).values_list("pickup_code", flat=True))
            codes = iter(c for c in rng.sample(range(100000, 1000000), wanted + len(taken)) if f"{c:06d}" not in taken)
            chosen = set(rng.sample(range(len(eaters)), wanted))
            for n_user, user in enumerate(eaters):
                if n_user not in chosen:
                    continue
                age = day.year - user.birth_year if user.birth_year else 40
                lines = _basket(rng, items, room, age >= 70)
                if not lines:
                    continue
                profile = profiles.get(user.pk)
                hardships = list(profile.hardships) if profile else []
                bill = bill_compute(
                    street=street, user=user, slot="lunch", on=day, lines=lines, tiers=tiers, hardships=hardships
                )
                if profile is not None and profile.home_delivery and profile.home_address:
                    dest = ("home", None, profile.home_address)
                elif canteen and (not served_points or rng.random() < 0.6):
                    dest = ("place", kitchen.place, "")
                else:
                    dest = (
                        "place",
                        served_points[user.pk % len(served_points)] if served_points else kitchen.place,
                        "",
                    )
                cutoff = menu.cutoff_at
                placed = cutoff - dt.timedelta(minutes=rng.randint(20, 14 * 60))
                plans.append(
                    {
                        "user": user,
                        "kitchen": kitchen,
                        "menu": menu,
                        "day": day,
                        "lines": lines,
                        "bill": bill,
                        "dest": dest,
                        "placed": placed,
                        "code": f"{next(codes):06d}",
                    }
                )

    # The orders, collected long ago: each one's timeline first, so the rows are written once, in bulk.
    orders, timelines = [], []
    for plan in plans:
        kind, place, address = plan["dest"]
        day = plan["day"]
        produce = _local(day, dt.time(10, rng.randint(0, 20)))
        steps = [
            ("", S.PLACED, plan["placed"], plan["user"], ""),
            (S.PLACED, S.LOCKED, plan["menu"].cutoff_at, None, "截单 cut-off"),
            (S.LOCKED, S.IN_PRODUCTION, produce, operator, ""),
        ]
        if place is not None and place.pk == plan["kitchen"].place_id:  # eaten in the canteen's dining room
            delivered = _local(day, dt.time(11, rng.randint(0, 15)))
            steps.append((S.IN_PRODUCTION, S.DELIVERED, delivered, operator, "堂食 dining room"))
        else:
            out = _local(day, dt.time(10, rng.randint(40, 59)))
            delivered = out + dt.timedelta(minutes=rng.randint(15, 45))
            steps.append((S.IN_PRODUCTION, S.OUT_FOR_DELIVERY, out, rider, ""))
            steps.append((S.OUT_FOR_DELIVERY, S.DELIVERED, delivered, rider, ""))
        collected = delivered + dt.timedelta(minutes=rng.randint(1, 50))
        steps.append((S.DELIVERED, S.COLLECTED, collected, None, ""))
        timelines.append(steps)
        orders.append(
            Order(
                street=street,
                user=plan["user"],
                menu=plan["menu"],
                kitchen=plan["kitchen"],
                date=day,
                slot="lunch",
                destination_type=kind,
                destination_place=place,
                home_address=address,
                status=S.COLLECTED,
                list_fen=plan["bill"].list_fen,
                discount_fen=plan["bill"].discount_fen,
                total_fen=plan["bill"].total_fen,
                pickup_code=plan["code"],
                created_at=plan["placed"],
                delivered_at=delivered,
                collected_at=collected,
            )
        )
    Order.objects.bulk_create(orders, batch_size=500)

    line_rows: list[OrderLine] = []
    discounts: list[OrderDiscount] = []
    events: list[tuple[Any, ...]] = []
    ratings: list[Rating] = []
    sold: dict[int, int] = {}
    for plan, order, steps in zip(plans, orders, timelines, strict=True):
        for item, quantity, half in plan["lines"]:
            unit = item.half_price_fen if half else item.price_fen
            line_rows.append(
                OrderLine(
                    order=order,
                    menu_item=item,
                    dish_name=item.dish.name,
                    quantity=quantity,
                    half=half,
                    unit_price_fen=unit,
                    line_fen=unit * quantity,
                )
            )
            sold[item.pk] = sold.get(item.pk, 0) + quantity
        for d in plan["bill"].discounts:
            discounts.append(OrderDiscount(order=order, tier_id=d.tier_id, label=d.label, amount_fen=d.amount_fen))
        events += [(order.pk, at, getattr(a, "pk", None), str(f), str(t), n) for f, t, at, a, n in steps]
        if rng.random() < 0.4:
            taste, portion, price, comment = _scores(rng)
            ratings.append(
                Rating(
                    order=order,
                    kitchen=plan["kitchen"],
                    taste=taste,
                    portion=portion,
                    price=price,
                    comment=comment,
                    created_at=(order.collected_at or order.created_at) + dt.timedelta(minutes=rng.randint(20, 8 * 60)),
                )
            )
    OrderLine.objects.bulk_create(line_rows, batch_size=1000)
    OrderDiscount.objects.bulk_create(discounts, batch_size=1000)
    _insert_rows(OrderEvent, ("order", "at", "actor", "from_status", "to_status", "note"), events)
    Rating.objects.bulk_create(ratings, batch_size=1000)
    _bump_sold(sold)
    _history_wallets(street, plans, orders, today)
    # Food waste: a record per kitchen per day, trending down as the kitchens learn to cook to the orders.
    per_day: dict[tuple[int, dt.date], int] = {}
    for order in orders:
        per_day[(order.kitchen_id, order.date)] = per_day.get((order.kitchen_id, order.date), 0) + 1
    waste = []
    for kitchen in kitchens:
        for back in range(HISTORY_DAYS, 0, -1):
            day = today - dt.timedelta(days=back)
            meals = per_day.get((kitchen.pk, day), 0)
            per_meal = 95 - 2.2 * (HISTORY_DAYS - back) + rng.uniform(-12, 12)
            waste.append(
                WasteRecord(
                    kitchen=kitchen,
                    date=day,
                    grams=max(200, round(600 + meals * per_meal)),
                    note="剩饭剩菜 + 备餐边角料（示例）" if back % 7 == 0 else "",
                    recorded_by=operator,
                )
            )
    WasteRecord.objects.bulk_create(waste)

    # Inspections: the food supervisor's visits (one with issues to follow up), no photos.
    inspections = 0
    visits = [(0, 17, ()), (3, 11, ("sample_retention",)), (1, 4, ("washing", "storage"))]
    if supervisor is not None:
        for k_index, back, issues in visits:
            kitchen = kitchens[k_index % len(kitchens)]
            summary = "检查合格（示例）" if not issues else f"发现{len(issues)}处问题，已要求限期整改（示例）"
            insp = Inspection.objects.create(
                kitchen=kitchen,
                inspector=supervisor,
                at=_local(today - dt.timedelta(days=back), dt.time(14, 30)),
                summary=summary,
            )
            InspectionItem.objects.bulk_create(
                InspectionItem(
                    inspection=insp,
                    area=area,
                    result="issue" if area in issues else "pass",
                    note=ISSUE_NOTES.get(area, "") if area in issues else "",
                )
                for area in INSPECTION_AREAS
            )
            inspections += 1

    # Tasting panels for the dishes flagged new: staff and two elder residents score them.
    new_dishes = list(
        Dish.objects.filter(
            kitchen__in=kitchens, kitchen__place__external_id__in=NEW_DISH_KITCHENS, name__in=NEW_DISHES
        )
    )
    Dish.objects.filter(pk__in=[d.pk for d in new_dishes]).update(is_new=True)
    scorers = list(
        User.objects.filter(
            phone__in=["+8613800000007", "+8613800000001", "+8613800000002", "+8613800000010", "+8613800000011"]
        ).order_by("phone")
    )
    scores = []
    for n, dish in enumerate(new_dishes):
        panel = today - dt.timedelta(days=9 - 3 * (n % 3))
        for scorer in scorers:
            scores.append(
                TastingScore(
                    dish=dish,
                    scorer=scorer,
                    panel_date=panel,
                    score=rng.choice([3, 4, 4, 5, 5]),
                    comment=rng.choice(TASTING_COMMENTS),
                    created_at=_local(panel, dt.time(15, 0)),
                )
            )
    TastingScore.objects.bulk_create(scores)
    return {
        "history orders": len(orders),
        "history residents": len(residents),
        "ratings": len(ratings),
        "waste records": len(waste),
        "inspections": inspections,
        "tasting scores": len(scores),
    }


def _history_wallets(street: Street, plans: list[dict[str, Any]], orders: list[Any], today: dt.date) -> None:
    """Each resident is topped up through the wallet service three weeks ago (enough for their lunches, in round
    100 yuan), then each order is charged at the time it was placed. The charges are the ledger lines
    `wallet_charge` writes (kind, signed amount, balance after, order, street, the resident as actor, note),
    appended in bulk with one conditional UPDATE of the balance per wallet: thousands of single charges would
    take most of the demo's time. Then every balance-after is the running sum in (at, id) order."""
    from django.db.models import F

    from linli.meals.models import EntryKind, Wallet, WalletEntry
    from linli.meals.services.wallet import wallet_topup

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
    from django.db import connection

    from linli.core import rawsql

    fields = [model._meta.get_field(n) for n in names]
    marks = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {rawsql.table(model)} ({rawsql.columns(model, names)}) VALUES ({marks})"  # noqa: S608
    prepared = [tuple(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)) for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def _bump_sold(sold: dict[int, int]) -> None:
    from django.db.models import F

    from linli.meals.models import MenuItem

    by_amount: dict[int, list[int]] = {}
    for pk, n in sold.items():
        by_amount.setdefault(n, []).append(pk)
    for n, pks in by_amount.items():
        MenuItem.objects.filter(pk__in=pks).update(sold=F("sold") + n)
