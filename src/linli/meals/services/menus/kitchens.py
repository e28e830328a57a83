"""Kitchens: the kitchen of a place, and its settings (served places, cut-off times, the meals it cooks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.i18n import Text
from linli.core.models import User
from linli.meals.models import Kitchen, Slot
from linli.meals.services.menus.cutoffs import (
    _audit,
    check_kitchen_editor,
)
from linli.meals.services.menus.item_input import _raise_validation
from linli.places.models import KITCHEN_KINDS, Place

# ---------------------------------------------------------------------------------------- kitchens


def kitchen_for_place(*, place: Place) -> Kitchen:
    """The place's kitchen, created if the place is a kitchen or canteen that has none yet (not locked)."""
    kitchen = Kitchen.objects.filter(place=place).first()
    if kitchen is not None:
        return kitchen
    if place.kind not in KITCHEN_KINDS:
        raise Problem(
            "validation_error",
            errors=[field_error("kitchen", format_lazy(_("{name} 不是厨房或食堂"), name=place.name))],
        )
    kitchen, _created = Kitchen.objects.get_or_create(
        place=place, defaults={"street": place.street, "is_elder_canteen": place.kind == "elder_canteen"}
    )
    return kitchen


def _hhmm(value: Any) -> str:
    return value.strftime("%H:%M") if isinstance(value, dt.time) else str(value)[:5]


def _settings(kitchen: Kitchen) -> dict[str, Any]:
    """A kitchen's settings as the audit log records them (before and after a change)."""
    return {
        "serves": sorted(kitchen.serves.values_list("pk", flat=True)),
        "breakfast_cutoff": _hhmm(kitchen.breakfast_cutoff),
        "lunch_cutoff": _hhmm(kitchen.lunch_cutoff),
        "dinner_cutoff": _hhmm(kitchen.dinner_cutoff),
        "home_delivery": kitchen.home_delivery,
        "slots": list(kitchen.slots or []),
    }


def kitchen_update(
    *,
    kitchen: Kitchen,
    actor: User | None = None,
    serves: Iterable[Place] | None = None,
    breakfast_cutoff: dt.time | None = None,
    lunch_cutoff: dt.time | None = None,
    dinner_cutoff: dt.time | None = None,
    home_delivery: bool | None = None,
    slots: Iterable[str] | None = None,
) -> Kitchen:
    """Change the places a kitchen serves (active places of its own street), its cut-off times, home delivery and
    the meals it cooks (`slots`, at least one). Kitchen operators and admins of the kitchen's street. Existing
    menus keep their cut-off; new menus take the new times. Audit-logged (`kitchen.update`) with the fields
    changed and their values before and after."""
    check_kitchen_editor(actor, kitchen)
    problems: list[tuple[str, Text]] = []
    places: list[Place] | None = None
    if serves is not None:
        places = list(serves)
        served = set(kitchen.serves.values_list("pk", flat=True))
        for p in places:
            if p.street_id != kitchen.street_id:
                problems.append(("serves", format_lazy(_("{name} 不在本街道，不能配送"), name=p.name)))
            elif not p.is_active and p.pk not in served:  # one served before it closed may stay listed
                problems.append(("serves", format_lazy(_("{name} 已停用"), name=p.name)))
    times = {"breakfast_cutoff": breakfast_cutoff, "lunch_cutoff": lunch_cutoff, "dinner_cutoff": dinner_cutoff}
    for key, value in times.items():
        if value is not None and not isinstance(value, dt.time):
            problems.append((key, _("截单时间格式应为 时:分")))
    slot_list: list[str] | None = None
    if slots is not None:
        wanted = set(slots)
        slot_list = [s for s in Slot.values if s in wanted]
        if wanted - set(Slot.values):
            problems.append(("slots", _("餐次应为早餐、午餐或晚餐")))
        elif not slot_list:
            problems.append(("slots", _("请至少选择一个供应的餐次")))
    _raise_validation(problems)
    with transaction.atomic():
        kitchen = Kitchen.objects.select_for_update().select_related("street", "place").get(pk=kitchen.pk)
        before = _settings(kitchen)
        changed = []
        for key, value in times.items():
            if value is not None:
                setattr(kitchen, key, value)
                changed.append(key)
        if home_delivery is not None:
            kitchen.home_delivery = bool(home_delivery)
            changed.append("home_delivery")
        if slot_list is not None:
            kitchen.slots = slot_list
            changed.append("slots")
        kitchen.save()
        if places is not None:
            kitchen.serves.set([p for p in places if p.pk != kitchen.place_id])
            changed.append("serves")
        after = _settings(kitchen)
        _audit(
            actor=actor,
            street=kitchen.street,
            action="kitchen.update",
            object_type="kitchen",
            object_id=kitchen.pk,
            data={
                "fields": changed,
                "before": {k: v for k, v in before.items() if v != after[k]},
                "after": {k: v for k, v in after.items() if v != before[k]},
            },
        )
    return kitchen
