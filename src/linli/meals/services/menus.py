"""Writes for kitchens, dishes and menus: cut-offs, items, the elder-canteen rules, publishing and the CSV import.

Every function is one transaction and raises `Problem` on bad input, writing nothing. Who may write: a
`kitchen_operator` or `admin` of the kitchen's street (`actor=None` is the system: CLI imports, tasks).

Menu status moves only along `MENU_TRANSITIONS`; each transition is recorded as an append-only `AuditLog` row
(`menu.publish`, `menu.unpublish`). A menu whose cut-off has passed (or that is locked) is frozen: its items'
prices and limits cannot change and no item can be added or removed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from linli.core.errors import Problem, field_error
from linli.core.imports import ImportResult
from linli.core.models import AuditLog, Role, Street
from linli.core.selectors import require_role
from linli.meals.models import (
    Allergen,
    Dish,
    DishTag,
    Kitchen,
    Menu,
    MenuItem,
    MenuStatus,
    Order,
    Slot,
)
from linli.places.models import Place

SHANGHAI = ZoneInfo("Asia/Shanghai")
KITCHEN_KINDS = ("central_kitchen", "community_canteen", "elder_canteen")
MENU_EDITOR_ROLES = (Role.KITCHEN_OPERATOR, Role.ADMIN)
MAX_PRICE_FEN = 100_000  # 1,000 yuan: anything above is a typo (yuan typed into a fen column ×100)
MAX_DAILY_LIMIT = 100_000
MAX_DAYS_AHEAD = 366  # menus are planned at most a year ahead

# Menu status transitions (locking at the cut-off is done by the kitchen tasks, not here).
MENU_TRANSITIONS: dict[str, frozenset[str]] = {
    MenuStatus.DRAFT: frozenset({MenuStatus.PUBLISHED}),
    MenuStatus.PUBLISHED: frozenset({MenuStatus.DRAFT, MenuStatus.LOCKED}),
    MenuStatus.LOCKED: frozenset(),
}

SLOT_ALIASES = {
    "breakfast": Slot.BREAKFAST,
    "早餐": Slot.BREAKFAST,
    "早": Slot.BREAKFAST,
    "lunch": Slot.LUNCH,
    "午餐": Slot.LUNCH,
    "中餐": Slot.LUNCH,
    "午": Slot.LUNCH,
    "dinner": Slot.DINNER,
    "晚餐": Slot.DINNER,
    "晚": Slot.DINNER,
}
SLOT_ORDER: dict[str, int] = {"breakfast": 0, "lunch": 1, "dinner": 2}


# ---------------------------------------------------------------------------------------- helpers


def _audit(
    *, actor: Any, street: Street, action: str, object_type: str, object_id: Any, data: dict | None = None
) -> None:
    AuditLog.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        street=street,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=data or {},
    )


def check_kitchen_editor(actor: Any, kitchen: Kitchen) -> None:
    """Kitchen operators and admins of the kitchen's street; `None` is the system (CLI, tasks)."""
    if actor is not None:
        require_role(actor, street=kitchen.street, roles=MENU_EDITOR_ROLES)


def _as_time(value: Any) -> dt.time:
    """A TimeField value: a `time`, or the "HH:MM" string a freshly created row still holds as its default."""
    if isinstance(value, dt.time):
        return value
    return dt.time.fromisoformat(str(value))


def menu_cutoff_default(*, kitchen: Kitchen, date: dt.date, slot: str) -> dt.datetime:
    """The order cut-off of a kitchen's menu (Asia/Shanghai): breakfast closes at `breakfast_cutoff` on the day
    BEFORE, lunch and dinner at `lunch_cutoff` / `dinner_cutoff` on the day itself."""
    if slot == Slot.BREAKFAST:
        day, at = date - dt.timedelta(days=1), _as_time(kitchen.breakfast_cutoff)
    elif slot == Slot.LUNCH:
        day, at = date, _as_time(kitchen.lunch_cutoff)
    elif slot == Slot.DINNER:
        day, at = date, _as_time(kitchen.dinner_cutoff)
    else:
        raise Problem(
            "validation_error", errors=[field_error("slot", f"未知的餐次 {slot!r}", f"Unknown slot {slot!r}")]
        )
    return dt.datetime.combine(day, at, tzinfo=SHANGHAI)


def menu_is_frozen(menu: Menu, now: dt.datetime | None = None) -> bool:
    """True once the cut-off has passed or the menu is locked: nothing on it may change any more."""
    return menu.status == MenuStatus.LOCKED or menu.cutoff_at <= (now or timezone.now())


def _refuse_if_frozen(menu: Menu) -> None:
    if menu_is_frozen(menu):
        cutoff = timezone.localtime(menu.cutoff_at, SHANGHAI).strftime("%Y-%m-%d %H:%M")
        raise Problem(
            "after_cutoff",
            detail_zh=f"该菜单已于 {cutoff} 截单，不能再修改",
            detail_en=f"This menu closed for orders at {cutoff} and can no longer be changed",
        )


def _lock_menu(menu: Menu) -> Menu:
    """Re-read the menu row FOR UPDATE (inside the caller's transaction) so checks see the committed state."""
    return Menu.objects.select_for_update().select_related("kitchen__street", "kitchen__place").get(pk=menu.pk)


def split_tags(values: Iterable[str]) -> tuple[list[str], list[str], bool, bool, list[str]]:
    """Split tag codes into (dish tags, allergens, is_set_meal, is_elder_discount_set, unknown codes).

    Accepted: the `DishTag` codes, `allergen:<Allergen code>`, `set` (a set meal 套餐) and `elder_set` (the
    discounted elder set meal 长者优惠套餐, which is a set meal too)."""
    tags: list[str] = []
    allergens: list[str] = []
    is_set = is_elder_set = False
    unknown: list[str] = []
    for raw in values:
        code = str(raw).strip()
        if not code:
            continue
        low = code.lower()
        if low.startswith("allergen:"):
            a = low.split(":", 1)[1].strip()
            if a in Allergen.values:
                if a not in allergens:
                    allergens.append(a)
            else:
                unknown.append(code)
        elif low == "set":
            is_set = True
        elif low == "elder_set":
            is_set = is_elder_set = True
        elif low in DishTag.values:
            if low not in tags:
                tags.append(low)
        else:
            unknown.append(code)
    return tags, allergens, is_set, is_elder_set, unknown


def _unknown_tag_message(unknown: Sequence[str]) -> tuple[str, str]:
    allowed = ", ".join([*DishTag.values, "set", "elder_set", "allergen:<" + "/".join(Allergen.values) + ">"])
    joined = ", ".join(unknown)
    return f"未知的标签 {joined}（可用：{allowed}）", f"Unknown tag(s) {joined} (allowed: {allowed})"


@dataclass
class ItemValues:
    """Validated values of one menu item (prices in fen)."""

    dish: str
    price_fen: int
    half_price_fen: int | None = None
    daily_limit: int | None = None
    tags: list[str] = field(default_factory=list)
    allergens: list[str] = field(default_factory=list)
    is_set_meal: bool = False
    is_elder_discount_set: bool = False
    components: str = ""
    description: str = ""


def _int_or_none(value: Any) -> tuple[int | None, bool]:
    """(value, ok): None/'' → (None, True); an int or an integral string → (int, True); else (None, False)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, int):
        return value, True
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        return int(value.strip()), True
    return None, False


def validate_item(data: Mapping[str, Any], prefix: str = "") -> tuple[ItemValues | None, list[tuple[str, str, str]]]:
    """Check one item's input (dish name, prices in fen, limit, tags); return the values or (field, zh, en) errors.

    `tags` may hold DishTag codes, `allergen:<code>`, `set` and `elder_set`; `allergens` plain allergen codes;
    `is_set_meal` / `is_elder_discount_set` booleans (either way of saying it is accepted)."""
    problems: list[tuple[str, str, str]] = []
    name = data.get("dish")
    if not isinstance(name, str) or not name.strip():
        problems.append((f"{prefix}dish", "缺少菜名", "The dish name is missing"))
        name = ""
    elif len(name.strip()) > 100:
        problems.append((f"{prefix}dish", "菜名超过 100 个字", "The dish name is longer than 100 characters"))
    price, ok = _int_or_none(data.get("price_fen"))
    if not ok or price is None:
        problems.append((f"{prefix}price_fen", "价格必须是整数（单位：分）", "price_fen must be a whole number of fen"))
        price = None
    elif not 1 <= price <= MAX_PRICE_FEN:
        problems.append(
            (
                f"{prefix}price_fen",
                f"价格应在 1 到 {MAX_PRICE_FEN} 分之间（单位是分，12 元写 1200）",
                f"price_fen must be between 1 and {MAX_PRICE_FEN} fen (12 yuan is 1200)",
            )
        )
        price = None
    half, ok = _int_or_none(data.get("half_price_fen"))
    if not ok:
        problems.append(
            (
                f"{prefix}half_price_fen",
                "半份价格必须是整数（单位：分）",
                "half_price_fen must be a whole number of fen",
            )
        )
        half = None
    elif half is not None and half < 1:
        problems.append((f"{prefix}half_price_fen", "半份价格必须大于 0", "half_price_fen must be above 0"))
        half = None
    elif half is not None and price is not None and half >= price:
        problems.append(
            (
                f"{prefix}half_price_fen",
                f"半份价格 {half} 分应低于整份价格 {price} 分",
                f"The half-portion price {half} must be below the full price {price}",
            )
        )
    limit, ok = _int_or_none(data.get("daily_limit"))
    if not ok or (limit is not None and not 1 <= limit <= MAX_DAILY_LIMIT):
        problems.append(
            (
                f"{prefix}daily_limit",
                "每日限量必须是正整数（不限量请留空）",
                "daily_limit must be a positive whole number (empty: no limit)",
            )
        )
        limit = None
    raw_tags = data.get("tags") or []
    if isinstance(raw_tags, str):
        raw_tags = raw_tags.split("|")
    raw_allergens = data.get("allergens") or []
    if not isinstance(raw_tags, list | tuple) or not isinstance(raw_allergens, list | tuple):
        problems.append((f"{prefix}tags", "标签必须是列表", "tags must be a list"))
        raw_tags, raw_allergens = [], []
    tags, allergens, is_set, is_elder_set, unknown = split_tags(
        [*map(str, raw_tags), *(f"allergen:{a}" for a in raw_allergens)]
    )
    if unknown:
        zh, en = _unknown_tag_message(unknown)
        problems.append((f"{prefix}tags", zh, en))
    is_elder_set = is_elder_set or bool(data.get("is_elder_discount_set"))
    is_set = is_set or is_elder_set or bool(data.get("is_set_meal"))
    for key, limit_len in (("components", 300), ("description", 300)):
        v = data.get(key) or ""
        if not isinstance(v, str) or len(v) > limit_len:
            problems.append(
                (f"{prefix}{key}", f"{key} 必须是不超过 {limit_len} 字的文字", f"{key}: text ≤ {limit_len}")
            )
    if problems:
        return None, problems
    return (
        ItemValues(
            dish=name.strip(),
            price_fen=price,  # type: ignore[arg-type]
            half_price_fen=half,
            daily_limit=limit,
            tags=tags,
            allergens=allergens,
            is_set_meal=is_set,
            is_elder_discount_set=is_elder_set,
            components=(data.get("components") or "").strip(),
            description=(data.get("description") or "").strip(),
        ),
        [],
    )


def _raise_validation(problems: list[tuple[str, str, str]]) -> None:
    if problems:
        raise Problem("validation_error", errors=[field_error(f, zh, en) for f, zh, en in problems])


# ---------------------------------------------------------------------------------------- kitchens


def kitchen_for_place(*, place: Place) -> Kitchen:
    """The place's kitchen, created if the place is a kitchen or canteen that has none yet (not locked)."""
    kitchen = Kitchen.objects.filter(place=place).first()
    if kitchen is not None:
        return kitchen
    if place.kind not in KITCHEN_KINDS:
        raise Problem(
            "validation_error",
            errors=[
                field_error("kitchen", f"{place.name} 不是厨房或食堂", f"{place.name} is not a kitchen or canteen")
            ],
        )
    kitchen, _ = Kitchen.objects.get_or_create(
        place=place, defaults={"street": place.street, "is_elder_canteen": place.kind == "elder_canteen"}
    )
    return kitchen


def kitchen_update(
    *,
    kitchen: Kitchen,
    actor: Any = None,
    serves: Iterable[Place] | None = None,
    breakfast_cutoff: dt.time | None = None,
    lunch_cutoff: dt.time | None = None,
    dinner_cutoff: dt.time | None = None,
    home_delivery: bool | None = None,
) -> Kitchen:
    """Change the places a kitchen serves (same street only) and its cut-off times. Existing menus keep their
    cut-off; new menus take the new times."""
    check_kitchen_editor(actor, kitchen)
    problems: list[tuple[str, str, str]] = []
    places: list[Place] | None = None
    if serves is not None:
        places = list(serves)
        for p in places:
            if p.street_id != kitchen.street_id:
                problems.append(
                    ("serves", f"{p.name} 不在本街道，不能配送", f"{p.name} is in another street and cannot be served")
                )
    times = {"breakfast_cutoff": breakfast_cutoff, "lunch_cutoff": lunch_cutoff, "dinner_cutoff": dinner_cutoff}
    for key, value in times.items():
        if value is not None and not isinstance(value, dt.time):
            problems.append((key, "截单时间格式应为 时:分", "The cut-off must be a time HH:MM"))
    _raise_validation(problems)
    with transaction.atomic():
        kitchen = Kitchen.objects.select_for_update().select_related("street", "place").get(pk=kitchen.pk)
        changed = []
        for key, value in times.items():
            if value is not None:
                setattr(kitchen, key, value)
                changed.append(key)
        if home_delivery is not None:
            kitchen.home_delivery = bool(home_delivery)
            changed.append("home_delivery")
        kitchen.save()
        if places is not None:
            kitchen.serves.set([p for p in places if p.pk != kitchen.place_id])
            changed.append("serves")
        _audit(
            actor=actor,
            street=kitchen.street,
            action="kitchen.update",
            object_type="kitchen",
            object_id=kitchen.pk,
            data={"fields": changed},
        )
    return kitchen


# ------------------------------------------------------------------------------------------ dishes


def _dish_upsert(*, kitchen: Kitchen, values: ItemValues, update_tags: bool = True) -> Dish:
    dish = Dish.objects.select_for_update().filter(kitchen=kitchen, name=values.dish).first()
    if dish is None:
        try:
            with transaction.atomic():
                return Dish.objects.create(
                    kitchen=kitchen,
                    name=values.dish,
                    tags=values.tags,
                    allergens=values.allergens,
                    is_set_meal=values.is_set_meal,
                    components=values.components,
                    description=values.description,
                )
        except IntegrityError:  # created concurrently: use that one
            dish = Dish.objects.select_for_update().get(kitchen=kitchen, name=values.dish)
    if update_tags:
        new = {"tags": values.tags, "allergens": values.allergens, "is_set_meal": values.is_set_meal}
        if values.components:
            new["components"] = values.components
        if values.description:
            new["description"] = values.description
        if any(getattr(dish, k) != v for k, v in new.items()):
            for k, v in new.items():
                setattr(dish, k, v)
            dish.save()
    return dish


def dish_upsert(
    *,
    kitchen: Kitchen,
    name: str,
    tags: Sequence[str] = (),
    allergens: Sequence[str] = (),
    is_set_meal: bool = False,
    components: str = "",
    description: str = "",
    actor: Any = None,
) -> Dish:
    """Create the kitchen's dish by name, or update its tags, allergens and set-meal flag."""
    check_kitchen_editor(actor, kitchen)
    values, problems = validate_item(
        {
            "dish": name,
            "price_fen": 1,
            "tags": list(tags),
            "allergens": list(allergens),
            "is_set_meal": is_set_meal,
            "components": components,
            "description": description,
        }
    )
    _raise_validation(problems)
    assert values is not None
    with transaction.atomic():
        return _dish_upsert(kitchen=kitchen, values=values)


# ------------------------------------------------------------------------------------------- menus


def _date_in_range(date: dt.date) -> bool:
    today = timezone.localdate()
    return today - dt.timedelta(days=1) <= date <= today + dt.timedelta(days=MAX_DAYS_AHEAD)


def _check_cutoff(cutoff_at: dt.datetime, date: dt.date) -> list[tuple[str, str, str]]:
    problems = []
    if timezone.is_naive(cutoff_at):
        problems.append(("cutoff_at", "截单时间必须带时区", "cutoff_at must carry a time zone"))
        return problems
    if cutoff_at <= timezone.now():
        problems.append(("cutoff_at", "截单时间已过，不能再发布这一餐", "The cut-off has passed for this meal"))
    end_of_day = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0, 0), tzinfo=SHANGHAI)
    if cutoff_at >= end_of_day:
        problems.append(("cutoff_at", "截单时间不能晚于用餐当天", "The cut-off cannot be after the meal's day"))
    return problems


def _item_create(*, menu: Menu, values: ItemValues, sort_order: int | None = None) -> MenuItem:
    # A dish already known keeps its tags unless this item says something about them (clear them with
    # `menu_item_update(tags=[])`): adding "红烧肉" to Tuesday must not wipe the allergens declared on Monday.
    says_tags = bool(values.tags or values.allergens or values.is_set_meal)
    dish = _dish_upsert(kitchen=menu.kitchen, values=values, update_tags=says_tags)
    if MenuItem.objects.filter(menu=menu, dish=dish).exists():
        raise Problem(
            "validation_error",
            errors=[field_error("dish", f"菜单上已有 {dish.name}", f"{dish.name} is already on this menu")],
        )
    if sort_order is None:
        sort_order = (MenuItem.objects.filter(menu=menu).count() + 1) * 10
    return MenuItem.objects.create(
        menu=menu,
        dish=dish,
        price_fen=values.price_fen,
        half_price_fen=values.half_price_fen,
        daily_limit=values.daily_limit,
        is_elder_discount_set=values.is_elder_discount_set,
        sort_order=sort_order,
    )


def menu_create(
    *,
    kitchen: Kitchen,
    date: dt.date,
    slot: str,
    actor: Any = None,
    cutoff_at: dt.datetime | None = None,
    note: str = "",
    items: Sequence[Mapping[str, Any]] = (),
) -> Menu:
    """A draft menu for one kitchen, date and slot, with its items. The cut-off defaults from the kitchen's
    cut-off times (breakfast: the day before)."""
    check_kitchen_editor(actor, kitchen)
    problems: list[tuple[str, str, str]] = []
    if slot not in Slot.values:
        problems.append(("slot", f"未知的餐次 {slot!r}（breakfast、lunch、dinner）", f"Unknown slot {slot!r}"))
    if not isinstance(date, dt.date):
        problems.append(("date", "日期无效", "Invalid date"))
    elif not _date_in_range(date):
        problems.append(("date", "日期须在今天到一年之内", "The date must be between today and a year ahead"))
    if len(note or "") > 300:
        problems.append(("note", "备注超过 300 字", "The note is longer than 300 characters"))
    _raise_validation(problems)
    if cutoff_at is None:
        cutoff_at = menu_cutoff_default(kitchen=kitchen, date=date, slot=slot)
    problems += _check_cutoff(cutoff_at, date)
    validated: list[ItemValues] = []
    names: set[str] = set()
    for n, data in enumerate(items):
        values, item_problems = validate_item(data, prefix=f"items.{n}.")
        problems += item_problems
        if values is not None:
            if values.dish in names:
                problems.append((f"items.{n}.dish", f"菜品 {values.dish} 重复", f"The dish {values.dish} is repeated"))
            names.add(values.dish)
            validated.append(values)
    _raise_validation(problems)
    duplicate = Problem(
        "validation_error",
        errors=[field_error("slot", "这一天的这个餐次已有菜单", "There is already a menu for this day and slot")],
    )
    try:
        with transaction.atomic():
            if Menu.objects.filter(kitchen=kitchen, date=date, slot=slot).exists():
                raise duplicate
            menu = Menu.objects.create(kitchen=kitchen, date=date, slot=slot, cutoff_at=cutoff_at, note=note or "")
            for n, values in enumerate(validated):
                _item_create(menu=menu, values=values, sort_order=(n + 1) * 10)
            _audit(
                actor=actor,
                street=kitchen.street,
                action="menu.create",
                object_type="menu",
                object_id=menu.pk,
                data={"date": date.isoformat(), "slot": slot, "items": len(validated)},
            )
    except IntegrityError:  # a concurrent create of the same kitchen/date/slot won
        raise duplicate from None
    return menu


def menu_update(
    *, menu: Menu, actor: Any = None, cutoff_at: dt.datetime | None = None, note: str | None = None
) -> Menu:
    """Change the note or the cut-off of a menu that has not closed yet."""
    check_kitchen_editor(actor, menu.kitchen)
    with transaction.atomic():
        menu = _lock_menu(menu)
        _refuse_if_frozen(menu)
        problems: list[tuple[str, str, str]] = []
        if cutoff_at is not None:
            problems += _check_cutoff(cutoff_at, menu.date)
        if note is not None and len(note) > 300:
            problems.append(("note", "备注超过 300 字", "The note is longer than 300 characters"))
        _raise_validation(problems)
        if cutoff_at is not None:
            menu.cutoff_at = cutoff_at
        if note is not None:
            menu.note = note
        menu.save()
        _audit(actor=actor, street=menu.kitchen.street, action="menu.update", object_type="menu", object_id=menu.pk)
    return menu


def _transition(menu: Menu, to_status: str) -> None:
    if to_status not in MENU_TRANSITIONS.get(menu.status, frozenset()):
        raise Problem(
            "validation_error",
            detail_zh=f"菜单当前状态（{MenuStatus(menu.status).label}）不能进行此操作",
            detail_en=f"A {menu.status} menu cannot become {to_status}",
            errors=[field_error("status", f"状态 {menu.status} 不能变为 {to_status}", f"{menu.status} → {to_status}")],
        )


def menu_publish(*, menu: Menu, actor: Any = None) -> Menu:
    """Publish a draft menu so residents can order. Refused (`menu_invalid`, listing the failures) when it has no
    items or, for an elder canteen, when the day fails Shanghai's elder-canteen rules."""
    check_kitchen_editor(actor, menu.kitchen)
    with transaction.atomic():
        menu = _lock_menu(menu)
        _transition(menu, MenuStatus.PUBLISHED)
        _refuse_if_frozen(menu)
        failures = menu_rules_check(menu=menu)
        if failures:
            raise Problem(
                "menu_invalid",
                detail_zh="；".join(f["message"] for f in failures),
                detail_en="; ".join(f["message_en"] for f in failures),
                errors=failures,
            )
        now = timezone.now()
        Menu.objects.filter(pk=menu.pk).update(status=MenuStatus.PUBLISHED, published_at=now)
        menu.status, menu.published_at = MenuStatus.PUBLISHED, now
        _audit(
            actor=actor,
            street=menu.kitchen.street,
            action="menu.publish",
            object_type="menu",
            object_id=menu.pk,
            data={"from": MenuStatus.DRAFT, "to": MenuStatus.PUBLISHED},
        )
    return menu


def menu_unpublish(*, menu: Menu, actor: Any = None) -> Menu:
    """Take a published menu back to draft: only while nobody has ordered from it."""
    check_kitchen_editor(actor, menu.kitchen)
    with transaction.atomic():
        menu = _lock_menu(menu)
        _transition(menu, MenuStatus.DRAFT)
        if Order.objects.filter(menu=menu).exists():
            raise Problem(
                "validation_error",
                detail_zh="已有居民订了这一餐，不能撤回发布",
                detail_en="Residents have already ordered from this menu; it cannot be unpublished",
                errors=[field_error("status", "已有订单", "The menu has orders")],
            )
        Menu.objects.filter(pk=menu.pk).update(status=MenuStatus.DRAFT, published_at=None)
        menu.status, menu.published_at = MenuStatus.DRAFT, None
        _audit(
            actor=actor,
            street=menu.kitchen.street,
            action="menu.unpublish",
            object_type="menu",
            object_id=menu.pk,
            data={"from": MenuStatus.PUBLISHED, "to": MenuStatus.DRAFT},
        )
    return menu


def menu_item_add(*, menu: Menu, actor: Any = None, **data: Any) -> MenuItem:
    """Add a dish (created by name if new) to a menu before its cut-off. Keys as `validate_item`."""
    check_kitchen_editor(actor, menu.kitchen)
    values, problems = validate_item(data)
    _raise_validation(problems)
    assert values is not None
    with transaction.atomic():
        menu = _lock_menu(menu)
        _refuse_if_frozen(menu)
        item = _item_create(menu=menu, values=values)
        _audit(
            actor=actor,
            street=menu.kitchen.street,
            action="menu.item_add",
            object_type="menu",
            object_id=menu.pk,
            data={"item": item.pk, "dish": values.dish},
        )
    return item


_UNSET: Any = object()


def menu_item_update(
    *,
    item: MenuItem,
    actor: Any = None,
    price_fen: Any = _UNSET,
    half_price_fen: Any = _UNSET,
    daily_limit: Any = _UNSET,
    is_elder_discount_set: Any = _UNSET,
    tags: Any = _UNSET,
    allergens: Any = _UNSET,
    is_set_meal: Any = _UNSET,
) -> MenuItem:
    """Change an item's prices, limit or flags (and its dish's tags) before the cut-off. The limit can never go
    below the portions already sold (checked by a conditional UPDATE, so a concurrent order cannot slip in)."""
    menu = item.menu
    check_kitchen_editor(actor, menu.kitchen)
    with transaction.atomic():
        menu = _lock_menu(menu)
        _refuse_if_frozen(menu)
        item = MenuItem.objects.select_related("dish").get(pk=item.pk)
        dish = item.dish
        merged = {
            "dish": dish.name,
            "price_fen": item.price_fen if price_fen is _UNSET else price_fen,
            "half_price_fen": item.half_price_fen if half_price_fen is _UNSET else half_price_fen,
            "daily_limit": item.daily_limit if daily_limit is _UNSET else daily_limit,
            "tags": dish.tags if tags is _UNSET else tags,
            "allergens": dish.allergens if allergens is _UNSET else allergens,
            "is_set_meal": dish.is_set_meal if is_set_meal is _UNSET else is_set_meal,
            "is_elder_discount_set": item.is_elder_discount_set
            if is_elder_discount_set is _UNSET
            else is_elder_discount_set,
        }
        values, problems = validate_item(merged)
        _raise_validation(problems)
        assert values is not None
        if is_set_meal is not _UNSET and not is_set_meal and is_elder_discount_set is _UNSET:
            values.is_elder_discount_set = False  # no longer a set meal: no longer the elder set meal
            values.is_set_meal = False
        limit_q = Q() if values.daily_limit is None else Q(sold__lte=values.daily_limit)
        updated = MenuItem.objects.filter(limit_q, pk=item.pk).update(
            price_fen=values.price_fen,
            half_price_fen=values.half_price_fen,
            daily_limit=values.daily_limit,
            is_elder_discount_set=values.is_elder_discount_set,
        )
        if not updated:
            sold = MenuItem.objects.values_list("sold", flat=True).get(pk=item.pk)
            raise Problem(
                "validation_error",
                errors=[
                    field_error(
                        "daily_limit",
                        f"已售出 {sold} 份，限量不能低于 {sold}",
                        f"{sold} portions are sold; the limit cannot go below {sold}",
                    )
                ],
            )
        if (values.tags, values.allergens, values.is_set_meal) != (dish.tags, dish.allergens, dish.is_set_meal):
            _dish_upsert(kitchen=menu.kitchen, values=values)
        _audit(
            actor=actor,
            street=menu.kitchen.street,
            action="menu.item_update",
            object_type="menu",
            object_id=menu.pk,
            data={"item": item.pk},
        )
    return MenuItem.objects.select_related("dish", "menu").get(pk=item.pk)


def menu_item_remove(*, item: MenuItem, actor: Any = None) -> None:
    """Take a dish off a menu before the cut-off; refused once anyone has ordered it."""
    menu = item.menu
    check_kitchen_editor(actor, menu.kitchen)
    with transaction.atomic():
        menu = _lock_menu(menu)
        _refuse_if_frozen(menu)
        item = MenuItem.objects.select_for_update().select_related("dish").get(pk=item.pk)
        if item.sold or item.order_lines.exists():
            raise Problem(
                "validation_error",
                detail_zh=f"已有居民订了 {item.dish.name}，不能删除；可以把限量改为已售份数",
                detail_en=f"{item.dish.name} has orders and cannot be removed; set its limit to the portions sold",
                errors=[field_error("item", "已有订单", "The item has orders")],
            )
        _audit(
            actor=actor,
            street=menu.kitchen.street,
            action="menu.item_remove",
            object_type="menu",
            object_id=menu.pk,
            data={"item": item.pk, "dish": item.dish.name},
        )
        item.delete()


# ------------------------------------------------------------------------------------------- rules


def _failure(date: dt.date, slot: str | None, rule: str, zh: str, en: str) -> dict[str, Any]:
    return {"field": "items", "date": date.isoformat(), "slot": slot, "rule": rule, "message": zh, "message_en": en}


def _day_failures(kitchen: Kitchen, date: dt.date, menus: Sequence[Menu]) -> list[dict[str, Any]]:
    failures: list[dict[str, Any]] = []
    for m in sorted(menus, key=lambda m: SLOT_ORDER.get(m.slot, 9)):
        items = list(m.items.all())
        label = Slot(m.slot).label
        if not items:
            failures.append(
                _failure(
                    date,
                    m.slot,
                    "no_items",
                    f"{date} {label}：菜单上还没有菜",
                    f"{date} {m.slot}: the menu has no dishes",
                )
            )
            continue
        if kitchen.is_elder_canteen and not any(i.half_price_fen for i in items):
            failures.append(
                _failure(
                    date,
                    m.slot,
                    "small_portions",
                    f"{date} {label}：长者食堂每餐须提供小份（半份）菜",
                    f"{date} {m.slot}: an elder canteen must offer small (half) portions at every meal",
                )
            )
    if kitchen.is_elder_canteen and menus:
        has_set = any(i.is_elder_discount_set and i.dish.is_set_meal for m in menus for i in m.items.all())
        if not has_set:
            failures.append(
                _failure(
                    date,
                    None,
                    "elder_set_meal",
                    f"{date}：长者食堂每天至少提供一份长者优惠套餐",
                    f"{date}: an elder canteen must offer at least one discounted elder set meal a day",
                )
            )
    return failures


def menu_rules_check(
    *, menu: Menu | None = None, kitchen: Kitchen | None = None, date: dt.date | None = None
) -> list[dict[str, Any]]:
    """The rules a menu (or a kitchen's whole day) fails; empty when it may be published.

    Every menu needs at least one dish. Shanghai's elder-canteen rules (长者食堂): every meal offers small (half)
    portions, and every day offers at least one discounted elder set meal (`is_elder_discount_set` on a set meal).

    With `menu`: that menu together with the day's menus already published (what residents would see after
    publishing). With `kitchen` + `date`: every menu planned for that day, drafts included (the editor's view).
    Each failure is `{field, date, slot (None for a whole-day rule), rule, message, message_en}`."""
    if menu is not None:
        kitchen, date = menu.kitchen, menu.date
        qs = Menu.objects.filter(kitchen=kitchen, date=date).filter(
            Q(pk=menu.pk) | Q(status__in=[MenuStatus.PUBLISHED, MenuStatus.LOCKED])
        )
    elif kitchen is not None and date is not None:
        qs = Menu.objects.filter(kitchen=kitchen, date=date)
    else:
        raise ValueError("menu_rules_check needs a menu, or a kitchen and a date")
    menus = list(qs.prefetch_related("items__dish"))
    return _day_failures(kitchen, date, menus)


# ------------------------------------------------------------------------------------------ CSV import


def menus_import(*, street: Street, text: str, actor: Any = None) -> ImportResult:
    """Import a canteen's menu plan from CSV; all or nothing (see `linli.meals.services.menus_import`)."""
    from linli.meals.services.menus_import import menus_import as run

    return run(street=street, text=text, actor=actor)
