"""The rules a kitchen's menus are checked against before publishing (elder-canteen rules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.i18n import Text
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


def _failure(date: dt.date, slot: str | None, rule: str, message: Text) -> dict[str, Any]:
    return {"field": "items", "date": date.isoformat(), "slot": slot, "rule": rule, "message": message}


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
                    format_lazy(_("{date} {slot}：菜单上还没有菜"), date=date, slot=label),
                )
            )
            continue
        if kitchen.is_elder_canteen and not any(i.half_price_fen for i in items):
            failures.append(
                _failure(
                    date,
                    m.slot,
                    "small_portions",
                    format_lazy(_("{date} {slot}：长者食堂每餐须提供小份（半份）菜"), date=date, slot=label),
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
                    format_lazy(_("{date}：长者食堂每天至少提供一份长者优惠套餐"), date=date),
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
    Each failure is `{field, date, slot (None for a whole-day rule), rule, message}` (a lazy message)."""
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
