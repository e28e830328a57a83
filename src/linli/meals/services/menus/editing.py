"""Dishes, menus and their items: create, update, publish, unpublish; frozen after the cut-off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.errors import Problem, field_error
from linli.core.i18n import Text, join_lazy
from linli.core.models import User
from linli.meals.models import (
    Dish,
    Kitchen,
    Menu,
    MenuItem,
    MenuStatus,
    Order,
    Slot,
)
from linli.meals.services.menus.cutoffs import (
    MAX_DAYS_AHEAD,
    MENU_MACHINE,
    SHANGHAI,
    _audit,
    _lock_menu,
    _refuse_if_frozen,
    check_kitchen_editor,
    menu_cutoff_default,
)
from linli.meals.services.menus.item_input import ItemValues, _raise_validation, validate_item
from linli.meals.services.menus.rules import menu_rules_check

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
    actor: User | None = None,
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


def _check_cutoff(cutoff_at: dt.datetime, date: dt.date) -> list[tuple[str, Text]]:
    problems: list[tuple[str, Text]] = []
    if timezone.is_naive(cutoff_at):
        problems.append(("cutoff_at", _("截单时间必须带时区")))
        return problems
    if cutoff_at <= timezone.now():
        problems.append(("cutoff_at", _("截单时间已过，不能再发布这一餐")))
    end_of_day = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0, 0), tzinfo=SHANGHAI)
    if cutoff_at >= end_of_day:
        problems.append(("cutoff_at", _("截单时间不能晚于用餐当天")))
    return problems


def _item_create(*, menu: Menu, values: ItemValues, sort_order: int | None = None) -> MenuItem:
    # A dish already known keeps its tags unless this item says something about them (clear them with
    # `menu_item_update(tags=[])`): adding "红烧肉" to Tuesday must not wipe the allergens declared on Monday.
    says_tags = bool(values.tags or values.allergens or values.is_set_meal)
    dish = _dish_upsert(kitchen=menu.kitchen, values=values, update_tags=says_tags)
    if MenuItem.objects.filter(menu=menu, dish=dish).exists():
        raise Problem(
            "validation_error",
            errors=[field_error("dish", format_lazy(_("菜单上已有 {name}"), name=dish.name))],
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
    actor: User | None = None,
    cutoff_at: dt.datetime | None = None,
    note: str = "",
    items: Sequence[Mapping[str, Any]] = (),
    publish: bool = False,
) -> Menu:
    """A draft menu for one kitchen, date and slot, with its items. The cut-off defaults from the kitchen's
    cut-off times (breakfast: the day before). `publish`: publish it at once, in the same transaction, so a
    refused publish (`menu_invalid`, `after_cutoff`) leaves no draft behind."""
    check_kitchen_editor(actor, kitchen)
    problems: list[tuple[str, Text]] = []
    if slot not in Slot.values:
        problems.append(("slot", format_lazy(_("未知的餐次 {slot}（breakfast、lunch、dinner）"), slot=repr(slot))))
    if not isinstance(date, dt.date):
        problems.append(("date", _("日期无效")))
    elif not _date_in_range(date):
        problems.append(("date", _("日期须在今天到一年之内")))
    if len(note or "") > 300:
        problems.append(("note", _("备注超过 300 字")))
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
                problems.append((f"items.{n}.dish", format_lazy(_("菜品 {dish} 重复"), dish=values.dish)))
            names.add(values.dish)
            validated.append(values)
    _raise_validation(problems)
    duplicate = Problem(
        "validation_error",
        errors=[field_error("slot", _("这一天的这个餐次已有菜单"))],
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
            if publish:
                menu_publish(menu=menu, actor=actor)
    except IntegrityError:  # a concurrent create of the same kitchen/date/slot won
        raise duplicate from None
    return menu


def menu_update(
    *, menu: Menu, actor: User | None = None, cutoff_at: dt.datetime | None = None, note: str | None = None
) -> Menu:
    """Change the note or the cut-off of a menu that has not closed yet."""
    check_kitchen_editor(actor, menu.kitchen)
    with transaction.atomic():
        menu = _lock_menu(menu)
        _refuse_if_frozen(menu)
        problems: list[tuple[str, Text]] = []
        if cutoff_at is not None:
            problems += _check_cutoff(cutoff_at, menu.date)
        if note is not None and len(note) > 300:
            problems.append(("note", _("备注超过 300 字")))
        _raise_validation(problems)
        if cutoff_at is not None:
            menu.cutoff_at = cutoff_at
        if note is not None:
            menu.note = note
        menu.save()
        _audit(actor=actor, street=menu.kitchen.street, action="menu.update", object_type="menu", object_id=menu.pk)
    return menu


def menu_publish(*, menu: Menu, actor: User | None = None) -> Menu:
    """Publish a draft menu so residents can order. Refused (`menu_invalid`, listing the failures) when it has no
    items or, for an elder canteen, when the day fails Shanghai's elder-canteen rules."""
    check_kitchen_editor(actor, menu.kitchen)
    with transaction.atomic():
        menu = _lock_menu(menu)
        MENU_MACHINE.check(menu, MenuStatus.PUBLISHED)
        _refuse_if_frozen(menu)
        failures = menu_rules_check(menu=menu)
        if failures:
            raise Problem(
                "menu_invalid",
                detail=join_lazy([f["message"] for f in failures], pgettext_lazy("list separator", "；")),
                errors=failures,
            )
        MENU_MACHINE.move(menu, MenuStatus.PUBLISHED, actor=actor)
    return menu


def menu_unpublish(*, menu: Menu, actor: User | None = None) -> Menu:
    """Take a published menu back to draft: only while nobody has ordered from it."""
    check_kitchen_editor(actor, menu.kitchen)
    with transaction.atomic():
        menu = _lock_menu(menu)
        MENU_MACHINE.check(menu, MenuStatus.DRAFT)
        if Order.objects.filter(menu=menu).exists():
            raise Problem(
                "validation_error",
                detail=_("已有居民订了这一餐，不能撤回发布"),
                errors=[field_error("status", _("已有订单"))],
            )
        MENU_MACHINE.move(menu, MenuStatus.DRAFT, actor=actor, fields={"published_at": None})
    return menu


def menu_item_add(*, menu: Menu, actor: User | None = None, **data: Any) -> MenuItem:
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
    actor: User | None = None,
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
                        format_lazy(_("已售出 {sold} 份，限量不能低于 {sold}"), sold=sold),
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


def menu_item_remove(*, item: MenuItem, actor: User | None = None) -> None:
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
                detail=format_lazy(_("已有居民订了 {name}，不能删除；可以把限量改为已售份数"), name=item.dish.name),
                errors=[field_error("item", _("已有订单"))],
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
