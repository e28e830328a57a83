"""The engine's selectors as tools for an LLM backend (OpenAI "function" tool schemas) and `call_tool` to run them.

Each result item carries `{"card": <Card as dict>, ...facts}`; the backend may cite only cards returned here.
Arguments are validated loosely (a bad value gives `{"error": ...}`, never an exception the model cannot read).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from linli.activities.selectors import activity_list
from linli.assistant.engine import dates
from linli.assistant.engine.cards import activity_card, menu_item_card, place_card
from linli.assistant.engine.intents import NEEDS
from linli.core.errors import Problem
from linli.core.holidays import calendar
from linli.core.models import Street
from linli.meals.selectors.menus import menus_for_place
from linli.places.hours import day_intervals, day_type
from linli.places.models import Place
from linli.places.selectors import place_list, places_nearest

MAX_ITEMS = 10


def _fn(name: str, description: str, properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required or []},
        },
    }


_DATE = {"type": "string", "description": "a date YYYY-MM-DD or a Chinese expression (今天, 下周六, 国庆)"}
TOOLS: list[dict[str, Any]] = [
    _fn(
        "search_places",
        "Search the street's service points by name, address or kind.",
        {
            "q": {"type": "string", "description": "words of the name or address"},
            "kind": {"type": "string", "description": "a place kind code, e.g. meal_point, affairs_center"},
        },
    ),
    _fn(
        "nearest_place",
        "The service points nearest to the resident (or the street centre) for a need.",
        {
            "need": {"type": "string", "description": "a need in Chinese, e.g. 电瓶车充电, 助餐点, 厕所"},
            "service": {"type": "string", "description": "a service code, e.g. meal, toilet"},
            "kind": {"type": "string", "description": "a place kind code"},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_ITEMS},
        },
    ),
    _fn(
        "list_activities",
        "Published activities in a date range, optionally at a place, of a category or matching words.",
        {
            "date_from": _DATE,
            "date_to": _DATE,
            "place_id": {"type": "integer"},
            "category": {"type": "string", "description": "lecture, culture, health, party_affairs, ..."},
            "q": {"type": "string", "description": "words of the title"},
        },
    ),
    _fn(
        "opening_hours",
        "Opening hours of a place on a date (China's holidays and adjusted working days applied).",
        {"place_id": {"type": "integer"}, "date": _DATE},
        ["place_id"],
    ),
    _fn(
        "menu",
        "The published menu of a canteen or meal point on a date, with prices in fen.",
        {
            "place_id": {"type": "integer"},
            "date": _DATE,
            "slot": {"type": "string", "enum": ["breakfast", "lunch", "dinner"]},
        },
        ["place_id"],
    ),
]


def _date(value: Any, now: dt.datetime) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        when = dates.resolve(str(value), now)
        return when.start if when else None


def _place(street: Street, place_id: Any) -> Any:
    try:
        return Place.objects.get(pk=int(place_id), street=street, is_active=True)
    except (Place.DoesNotExist, TypeError, ValueError):
        return None


def call_tool(
    name: str,
    arguments: dict[str, Any],
    *,
    street: Street,
    lat: float | None = None,
    lng: float | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    at = dates.now_shanghai(now)
    args = arguments or {}
    try:
        handler = _HANDLERS[name]
    except KeyError:
        return {"error": f"unknown tool {name}"}
    try:
        return handler(args, street=street, lat=lat, lng=lng, now=at)
    except Problem as exc:
        return {"error": exc.code}


def _search_places(args: dict[str, Any], *, street: Street, lat: Any, lng: Any, now: dt.datetime) -> dict[str, Any]:
    qs = place_list(street=street, kind=args.get("kind") or None, q=args.get("q") or None)[:MAX_ITEMS]
    # Hours as today's spans, not the opening_hours syntax (a model would quote it to the resident).
    return {"items": [{"card": place_card(p).as_dict(), "kind": p.kind, "address": p.address, "phone": p.phone,
                       "hours_known": bool(p.opening_hours), "open_today": _spans(p, now)} for p in qs]}  # fmt: skip


def _spans(place: Any, now: dt.datetime) -> list[list[str]]:
    spans = day_intervals(place.opening_hours or "", now.date(), place.street_id)
    return [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in spans]


def _nearest(args: dict[str, Any], *, street: Street, lat: Any, lng: Any, now: dt.datetime) -> dict[str, Any]:
    if lat is None or lng is None:
        lat, lng = street.center_lat, street.center_lng
    if lat is None or lng is None:
        return {"error": "no location"}
    limit = max(1, min(int(args.get("limit") or 3), MAX_ITEMS))
    need_text = str(args.get("need") or "")
    need = next((n for words, n in NEEDS if any(w in need_text for w in words)), None)
    rows = places_nearest(
        lat=lat, lng=lng, street=street, service=args.get("service") or None, kind=args.get("kind") or None,
        limit=200, at=now,
    )  # fmt: skip
    if need is not None:
        rows = [r for r in rows if need.matches(r)]
    return {
        "items": [
            {"card": place_card(r).as_dict(), "distance_m": r["distance_m"], "walk_minutes": r["walk_minutes"],
             "open_now": r["open_now"], "address": r["address"], "phone": r["phone"]}
            for r in rows[:limit]
        ]
    }  # fmt: skip


def _activities(args: dict[str, Any], *, street: Street, lat: Any, lng: Any, now: dt.datetime) -> dict[str, Any]:
    start = _date(args.get("date_from"), now) or now.date()
    end = _date(args.get("date_to"), now) or start + dt.timedelta(days=30)
    qs = activity_list(
        street=street, place=args.get("place_id") or None, category=args.get("category") or None,
        q=args.get("q") or None, date_from=start, date_to=end,
    )[:MAX_ITEMS]  # fmt: skip
    return {
        "items": [
            {"card": activity_card(a).as_dict(), "start": timezone.localtime(a.start).isoformat(),
             "end": timezone.localtime(a.end).isoformat(), "place": a.place.name, "category": a.category,
             "seats_left": None if a.capacity is None else max(0, a.capacity - a.booked)}
            for a in qs
        ]
    }  # fmt: skip


def _hours(args: dict[str, Any], *, street: Street, lat: Any, lng: Any, now: dt.datetime) -> dict[str, Any]:
    place = _place(street, args.get("place_id"))
    if place is None:
        return {"error": "no such place"}
    day = _date(args.get("date"), now) or now.date()
    spans = day_intervals(place.opening_hours or "", day, place.street_id)
    return {
        "items": [
            {"card": place_card(place).as_dict(), "date": day.isoformat(), "day_type": day_type(day, place.street_id),
             "official_holiday_data": calendar.has_official_data(day.year),
             "hours_known": bool(place.opening_hours),
             "open": [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in spans]}
        ]
    }  # fmt: skip


def _menu(args: dict[str, Any], *, street: Street, lat: Any, lng: Any, now: dt.datetime) -> dict[str, Any]:
    place = _place(street, args.get("place_id"))
    if place is None:
        return {"error": "no such place"}
    day = _date(args.get("date"), now) or now.date()
    slot = args.get("slot")
    items = []
    for menu in menus_for_place(place=place, date=day):
        if slot and menu.slot != slot:
            continue
        for item in menu.items.all():
            items.append(
                {"card": menu_item_card(item, menu, place).as_dict(), "dish": item.dish.name, "slot": menu.slot,
                 "price_fen": item.price_fen, "half_price_fen": item.half_price_fen,
                 "elder_set": item.is_elder_discount_set, "kitchen": menu.kitchen.place.name}
            )  # fmt: skip
    return {"items": items[: MAX_ITEMS * 3], "date": day.isoformat()}


_HANDLERS = {
    "search_places": _search_places,
    "nearest_place": _nearest,
    "list_activities": _activities,
    "opening_hours": _hours,
    "menu": _menu,
}
