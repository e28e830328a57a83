"""The rules a kitchen's menus are checked against before publishing (elder-canteen rules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Q

from linli.meals.models import (
    Kitchen,
    Menu,
    MenuStatus,
    Slot,
)
from linli.meals.services.menus.cutoffs import (
    SLOT_ORDER,
)

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
