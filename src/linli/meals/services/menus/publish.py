"""Publishing many menus at once (`linli import menus ... --publish`): every day is checked as residents would
see it, and one failing day refuses them all."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.models import User
from linli.meals.models import Menu, MenuStatus
from linli.meals.services.menus.cutoffs import MENU_MACHINE, check_kitchen_editor
from linli.meals.services.menus.rules import _day_failures


def menus_publish_all(*, menus: Iterable[Menu], actor: User | None = None) -> int:
    """Publish the given draft menus (already published or locked ones are left as they are), all or nothing.

    Each (kitchen, day) is checked with the rules of `menu_publish` on what residents would then see: these menus
    plus the day's menus already published. Any failure refuses every menu (`menu_invalid`, every failure listed
    with its date and slot). Returns how many menus were published."""
    wanted = {m.pk: m for m in menus}
    with transaction.atomic():
        locked = list(
            Menu.objects.select_for_update().filter(pk__in=list(wanted)).select_related("kitchen", "kitchen__street")
        )
        drafts = [m for m in locked if m.status == MenuStatus.DRAFT]
        for kitchen in {m.kitchen_id: m.kitchen for m in drafts}.values():
            check_kitchen_editor(actor, kitchen)
        failures: list[dict[str, Any]] = []
        for kitchen_id, date in sorted({(m.kitchen_id, m.date) for m in drafts}):
            kitchen = next(m.kitchen for m in drafts if m.kitchen_id == kitchen_id)
            day = Menu.objects.filter(kitchen_id=kitchen_id, date=date).filter(
                Q(pk__in=[m.pk for m in drafts]) | Q(status__in=[MenuStatus.PUBLISHED, MenuStatus.LOCKED])
            )
            failures += _day_failures(kitchen, date, list(day.prefetch_related("items__dish")))
        if failures:
            raise Problem(
                "menu_invalid",
                detail=format_lazy(_("{count} 处不符合发布规则，没有发布任何菜单"), count=len(failures)),
                errors=failures,
            )
        MENU_MACHINE.move_bulk(
            drafts, from_status=MenuStatus.DRAFT, to_status=MenuStatus.PUBLISHED, actor=actor, data={"bulk": True}
        )
    return len(drafts)
