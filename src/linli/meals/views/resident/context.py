"""What the residents' meals pages share in their context: dates, the street, kitchens serving a place, problems in
plain words.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.activities.models import ActivityStatus, Booking, BookingStatus
from linli.core import selectors as core_selectors
from linli.core.errors import Problem
from linli.core.geo import haversine_m
from linli.core.i18n import Text
from linli.core.pages import SESSION_STREET, problem_message
from linli.meals.models import (
    Allergen,
    DishTag,
    Kitchen,
    MealProfile,
    Menu,
    MenuItem,
    MenuStatus,
    OrderStatus,
    Slot,
)
from linli.meals.templatetags.linli_meals import yuan
from linli.places.models import Place

DAYS_SHOWN = 8  # today and the next 7 days
SLOT_ORDER: dict[str, int] = {Slot.BREAKFAST: 0, Slot.LUNCH: 1, Slot.DINNER: 2}
# The steps of "where is my lunch", in order.
STEPS = (
    OrderStatus.PLACED,
    OrderStatus.LOCKED,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.OUT_FOR_DELIVERY,
    OrderStatus.DELIVERED,
    OrderStatus.COLLECTED,
)
# Activities that end in this window (Shanghai time) get the "lunch delivered to the venue" offer.
LUNCH_OFFER_FROM = dt.time(11, 0)
LUNCH_OFFER_TO = dt.time(13, 30)


# ------------------------------------------------------------------------------------------- helpers


def _today() -> dt.date:
    return timezone.localdate()


def _parse_date(value: str | None, today: dt.date) -> dt.date:
    """The requested day when it is one of the days shown (today .. today + 7), else today."""
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return today
    return day if 0 <= (day - today).days < DAYS_SHOWN else today


def _int(value: Any, default: int | None = None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _street_for(request: HttpRequest) -> Any:
    """?street=CODE, else the user's home street, else the one remembered by the map, else the first."""
    streets = core_selectors.street_list()
    code = request.GET.get("street")
    if not code and request.user.is_authenticated and request.user.home_street_id:  # type: ignore[union-attr]
        return request.user.home_street  # type: ignore[union-attr]
    code = code or request.session.get(SESSION_STREET)
    street = streets.filter(code=code).first() if code else None
    return street or streets.first()


def kitchens_serving(place: Place) -> QuerySet[Kitchen]:
    """Kitchens that deliver to `place` (listed in `serves`) or that are `place` (a canteen's own dining room)."""
    return (
        Kitchen.objects.filter(Q(serves=place) | Q(place=place), street_id=place.street_id)
        .select_related("place")
        .distinct()
    )


def _kitchen_sort_key(kitchen: Kitchen, place: Place) -> tuple[int, float, str]:
    own = 0 if kitchen.place_id == place.pk else 1
    distance = haversine_m(place.lat, place.lng, kitchen.place.lat, kitchen.place.lng)
    return (own, distance, kitchen.place.name)


def _orderable(menu: Menu, now: dt.datetime) -> bool:
    return menu.status == MenuStatus.PUBLISHED and menu.cutoff_at > now


def _label(choices: Any, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def _item_dict(item: MenuItem) -> dict[str, Any]:
    dish = item.dish
    return {
        "id": item.pk,
        "name": dish.name,
        "description": dish.description,
        "components": dish.components,
        "is_set_meal": dish.is_set_meal,
        "elder_set": item.is_elder_discount_set,
        "price_fen": item.price_fen,
        "price": yuan(item.price_fen),
        "half_price_fen": item.half_price_fen,
        "half_price": yuan(item.half_price_fen),
        "remaining": item.remaining,
        "sold_out": item.remaining == 0,
        "tags": [{"code": t, "label": _label(DishTag, t)} for t in dish.tags or []],
        "allergens": [_label(Allergen, a) for a in dish.allergens or []],
    }


def _live_bookings_on(user: Any, day: dt.date) -> list[Booking]:
    """The user's confirmed (or checked-in) bookings of activities that day, with their venues."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Booking.objects.filter(
            user=user,
            status__in=[BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN],
            activity__status=ActivityStatus.PUBLISHED,
        )
        .select_related("activity", "activity__place")
        .filter(activity__start__date=day)
        .order_by("activity__start")
    )


def _served_place_ids(kitchen: Kitchen) -> set[int]:
    return {*kitchen.serves.values_list("id", flat=True), kitchen.place_id}


def _profile(user: Any) -> MealProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return MealProfile.objects.filter(user=user).first()


# Plain words for the problems a resident meets when ordering (the service's own detail is kept when it has one).
RESIDENT_HINTS: dict[str, Text] = {
    "sold_out": _("这道菜刚刚卖完了，请换一道菜或减少份数。"),
    "after_cutoff": _("这一餐已经截单，不能再订了，请选择其他日期或餐次。"),
    "insufficient_balance": _("钱包余额不够，请到助餐点或党群服务站充值后再订。"),
    "not_eligible": _("您暂不符合这项服务的条件（如送餐上门需先由工作人员登记）。"),
    "destination_not_served": _("这家厨房不送到您选的地点，请换个取餐地点。"),
    "menu_not_available": _("这一餐没有可订的菜单。"),
}


def _problem_for_resident(problem: Problem) -> dict[str, Any]:
    message = problem_message(problem)
    hint = RESIDENT_HINTS.get(problem.code)
    if hint:
        message["hint"] = str(hint)
    return message
