"""The sample street's meals data: kitchens, dishes, pricing tiers and residents (SAMPLE values)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from linli.demo import DemoAccount
from linli.meals.models import Dish

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
# The tiers' English names (shown on English pages), by the Chinese name.
TIER_NAMES_EN = {
    "60岁以上 九折（示例）": "Aged 60+: 10% off (sample)",
    "70岁以上 八折（示例）": "Aged 70+: 20% off (sample)",
    "80岁以上 七折（示例）": "Aged 80+: 30% off (sample)",
    "90岁以上 六折（示例）": "Aged 90+: 40% off (sample)",
    "低保补贴 每单5元（示例）": "Dibao subsidy: ¥5 per order (sample)",
    "独居补贴 每单2元（示例）": "Living-alone subsidy: ¥2 per order (sample)",
}


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


def _dish(kitchen: Any, spec: DemoDish) -> Any:
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
