"""Reads for kitchens and menus shared by the API, the pages and the other meals parts.

Public: the kitchens of a street and the published menus a meal point can order from. Staff: the kitchens a user
may edit (kitchen operators and admins of the kitchen's street; nobody sees another street's drafts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.models import AuditLog, Street, User
from linli.core.selectors import change_mark, user_street_ids
from linli.meals.models import Dish, Kitchen, Menu, MenuItem, MenuStatus, Slot
from linli.places.models import Place

VISIBLE_STATUSES = (MenuStatus.PUBLISHED, MenuStatus.LOCKED)
EDITOR_ROLES = ("kitchen_operator", "admin")
SLOT_ORDER: dict[str, int] = {"breakfast": 0, "lunch": 1, "dinner": 2}


def kitchens_serving(place: Place) -> QuerySet[Kitchen]:
    """The kitchens whose meals go to `place`: those listing it in `serves`, and a canteen's own kitchen."""
    return (
        Kitchen.objects.filter(Q(serves=place) | Q(place=place))
        .select_related("place", "street")
        .distinct()
        .order_by("place__name", "id")
    )


def kitchen_list(*, street: Any | None = None) -> QuerySet[Kitchen]:
    qs = Kitchen.objects.select_related("place", "street").prefetch_related("serves")
    if street is not None:
        qs = qs.filter(street=street)
    return qs.order_by("street__code", "place__name", "id")


def kitchens_for_editor(user: User) -> QuerySet[Kitchen]:
    """The kitchens `user` may edit menus of: kitchens of the streets where they are kitchen operator or admin."""
    return kitchen_list().filter(street_id__in=user_street_ids(user, roles=EDITOR_ROLES))


def kitchen_get_for_editor(*, kitchen_id: int, user: User) -> Kitchen:
    """The kitchen if `user` may edit it; `not_found` if it does not exist, `permission_denied` if another
    street's."""
    kitchen = kitchen_list().filter(pk=kitchen_id).first()
    if kitchen is None:
        raise Problem("not_found", detail=_("没有这个厨房"))
    if not getattr(user, "is_authenticated", False):
        raise Problem("not_authenticated")
    if kitchen.street_id not in user_street_ids(user, roles=EDITOR_ROLES):
        raise Problem("permission_denied", detail=_("这不是您所在街道的厨房"))
    return kitchen


def meal_place_get(*, place_id: int) -> Place:
    """An active place residents order to (a meal point, a venue or a canteen)."""
    place = Place.objects.filter(pk=place_id, is_active=True).first()
    if place is None:
        raise Problem("not_found", detail=_("没有这个地点"))
    return place


def _items_prefetch() -> Prefetch:
    return Prefetch("items", queryset=MenuItem.objects.select_related("dish").order_by("sort_order", "id"))


def menu_get_for_editor(*, menu_id: int, user: User) -> Menu:
    menu = (
        Menu.objects.select_related("kitchen__place", "kitchen__street")
        .prefetch_related(_items_prefetch())
        .filter(pk=menu_id)
        .first()
    )
    if menu is None:
        raise Problem("not_found", detail=_("没有这个菜单"))
    kitchen_get_for_editor(kitchen_id=menu.kitchen_id, user=user)
    return menu


def menu_item_get_for_editor(*, item_id: int, user: User) -> MenuItem:
    item = (
        MenuItem.objects.select_related("menu__kitchen__street", "menu__kitchen__place", "dish")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise Problem("not_found", detail=_("没有这道菜"))
    kitchen_get_for_editor(kitchen_id=item.menu.kitchen_id, user=user)
    return item


def menus_for_place(*, place: Place, date: dt.date) -> list[Menu]:
    """The published (or, after the cut-off, locked) menus of the kitchens serving `place` on `date`, with their
    items and dishes, breakfast → dinner."""
    kitchen_ids = list(kitchens_serving(place).values_list("id", flat=True))
    menus = list(
        Menu.objects.filter(kitchen_id__in=kitchen_ids, date=date, status__in=VISIBLE_STATUSES)
        .select_related("kitchen__place")
        .prefetch_related(_items_prefetch())
    )
    menus.sort(key=lambda m: (SLOT_ORDER.get(m.slot, 9), m.kitchen.place.name, m.pk))
    return menus


def menus_for_kitchen(*, kitchen: Kitchen, start: dt.date, days: int = 7) -> list[Menu]:
    """Every menu (drafts too) of a kitchen from `start` for `days` days, with items (the editor's week)."""
    return list(
        Menu.objects.filter(kitchen=kitchen, date__gte=start, date__lt=start + dt.timedelta(days=days))
        .select_related("kitchen__place")
        .prefetch_related(_items_prefetch())
        .order_by("date", "slot")
    )


def serve_candidates(*, kitchen: Kitchen) -> list[Place]:
    """The places a kitchen may serve, for its settings page: the active service points of its street (meal points
    first, then by kind and name), and those it already serves even if closed since; never its own place."""
    served = set(kitchen.serves.values_list("pk", flat=True))
    places = list(
        Place.objects.filter(street_id=kitchen.street_id)
        .filter(Q(is_active=True) | Q(pk__in=served))
        .exclude(pk=kitchen.place_id)
        .order_by("kind", "name", "pk")
    )
    places.sort(key=lambda p: (p.kind != "meal_point", p.kind))
    return places


def kitchen_changes(*, kitchen: Kitchen, limit: int = 10) -> list[AuditLog]:
    """The latest changes of a kitchen's settings (`kitchen.update` audit rows), newest first."""
    return list(
        AuditLog.objects.filter(action="kitchen.update", object_type="kitchen", object_id=str(kitchen.pk))
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


# ------------------------------------------------------------------------------------ a week ahead

WEEK_AHEAD_DAYS = 7


def week_ahead_horizon(today: dt.date) -> list[dt.date]:
    """The days whose menus must already be published: tomorrow .. today + 7."""
    return [today + dt.timedelta(days=n) for n in range(1, WEEK_AHEAD_DAYS + 1)]


def week_ahead(*, kitchens: list[Kitchen], today: dt.date | None = None) -> dict[int, dict[str, Any]]:
    """Per kitchen (by id): whether menus are published at least a week ahead. For each of the next 7 days and
    each meal the kitchen cooks (`Kitchen.slots`), is there a published (or already locked) menu? One query.

    Each value: `{kitchen, slots, slot_labels, expected, missing: [{date, slot}], missing_days, ok, ahead_until}`; `ahead_until` is the
    last day up to which every meal is published (None: not even tomorrow)."""
    today = today or timezone.localdate()
    horizon = week_ahead_horizon(today)
    have = set(
        Menu.objects.filter(
            kitchen_id__in=[k.pk for k in kitchens], date__in=horizon, status__in=VISIBLE_STATUSES
        ).values_list("kitchen_id", "date", "slot")
    )
    out: dict[int, dict[str, Any]] = {}
    for kitchen in kitchens:
        slots = sorted((s for s in (kitchen.slots or []) if s in SLOT_ORDER), key=SLOT_ORDER.__getitem__)
        missing = [{"date": d, "slot": s} for d in horizon for s in slots if (kitchen.pk, d, s) not in have]
        ahead_until = None
        for d in horizon:
            if any(m["date"] == d for m in missing):
                break
            ahead_until = d
        by_day: dict[dt.date, list[str]] = {}
        for m in missing:
            by_day.setdefault(m["date"], []).append(m["slot"])
        out[kitchen.pk] = {
            "kitchen": kitchen,
            "slots": slots,
            "slot_labels": [Slot(s).label for s in slots],
            "expected": len(horizon) * len(slots),
            "missing": missing,
            # For the pages: the days with something missing, and which meals (labels).
            "missing_days": [{"date": d, "slots": [Slot(s).label for s in ss]} for d, ss in by_day.items()],
            "ok": not missing,
            "ahead_until": ahead_until,
        }
    return out


def kitchens_not_week_ahead(*, street: Any, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The street's kitchens whose menus for the next 7 days are not all published, fewest days ahead first."""
    status = week_ahead(kitchens=list(kitchen_list(street=street)), today=today)
    late = [s for s in status.values() if not s["ok"]]
    late.sort(key=lambda s: (s["ahead_until"] or dt.date.min, s["kitchen"].place.name))
    return late


# ------------------------------------------------------------------------------------------ shapes


def place_ref(place: Place) -> dict[str, Any]:
    return {"id": place.pk, "external_id": place.external_id, "name": place.name}


def kitchen_ref(kitchen: Kitchen) -> dict[str, Any]:
    return {
        "id": kitchen.pk,
        "name": kitchen.place.name,
        "place_id": kitchen.place_id,
        "is_elder_canteen": kitchen.is_elder_canteen,
    }


def _hhmm(value: Any) -> str:
    return value.strftime("%H:%M") if isinstance(value, dt.time) else str(value)[:5]


def kitchen_to_dict(kitchen: Kitchen) -> dict[str, Any]:
    return {
        "id": kitchen.pk,
        "street": kitchen.street.code,
        "place": place_ref(kitchen.place),
        "kind": kitchen.place.kind,
        "is_elder_canteen": kitchen.is_elder_canteen,
        "serves": [place_ref(p) for p in sorted(kitchen.serves.all(), key=lambda p: p.external_id)],
        "breakfast_cutoff": _hhmm(kitchen.breakfast_cutoff),
        "lunch_cutoff": _hhmm(kitchen.lunch_cutoff),
        "dinner_cutoff": _hhmm(kitchen.dinner_cutoff),
        "home_delivery": kitchen.home_delivery,
        "slots": list(kitchen.slots or []),
    }


def week_ahead_to_dict(status: dict[str, Any]) -> dict[str, Any]:
    """A kitchen's `week_ahead` status for the API."""
    until = status["ahead_until"]
    return {
        "ok": status["ok"],
        "ahead_until": until.isoformat() if until else None,
        "expected": status["expected"],
        "missing": [{"date": m["date"].isoformat(), "slot": m["slot"]} for m in status["missing"]],
    }


def menu_item_to_dict(item: MenuItem, menu: Menu | None = None) -> dict[str, Any]:
    """A dish on a menu as residents see it (`id` is the menu item id; `remaining` None when unlimited)."""
    menu = menu or item.menu
    dish = item.dish
    return {
        "id": item.pk,
        "menu_id": menu.pk,
        "slot": menu.slot,
        "dish": dish.name,
        "dish_id": dish.pk,
        "description": dish.description,
        "components": dish.components,
        "price_fen": item.price_fen,
        "half_price_fen": item.half_price_fen,
        "daily_limit": item.daily_limit,
        "sold": item.sold,
        "remaining": item.remaining,
        "tags": list(dish.tags),
        "allergens": list(dish.allergens),
        "is_set_meal": dish.is_set_meal,
        "is_elder_discount_set": item.is_elder_discount_set,
        "kitchen": kitchen_ref(menu.kitchen),
    }


def menu_to_dict(menu: Menu, *, with_items: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": menu.pk,
        "kitchen": kitchen_ref(menu.kitchen),
        "date": menu.date.isoformat(),
        "slot": menu.slot,
        "cutoff_at": timezone.localtime(menu.cutoff_at).isoformat(),
        "status": menu.status,
        "note": menu.note,
    }
    if with_items:
        data["items"] = [menu_item_to_dict(i, menu) for i in menu.items.all()]
    return data


def menus_for_place_to_dict(*, place: Place, date: dt.date) -> dict[str, Any]:
    """The API answer for a meal point's day: the place, every orderable item, and the menus they belong to."""
    menus = menus_for_place(place=place, date=date)
    return {
        "place": place_ref(place),
        "date": date.isoformat(),
        "items": [menu_item_to_dict(i, m) for m in menus for i in m.items.all()],
        "menus": [menu_to_dict(m) for m in menus],
    }


def dish_change_mark(*, street: Street) -> tuple[Subquery, Subquery]:
    """Count and latest change of the street's dish rows (the assistant's vocabulary cache key)."""
    return change_mark(Dish.objects.filter(kitchen__street=street), latest="id")
