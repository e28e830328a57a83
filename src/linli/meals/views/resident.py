"""Meals pages for residents: choose a meal point, the menu of a place for a day with a basket and the bill,
order (to the meal point, to the venue of an activity booked that day, or home when eligible), "where is my
lunch" (my orders with their status steps and pickup codes, cancel before the cut-off) and the meal wallet.

Thin views: they parse the form, read through small queries and call the meals services (`pricing.bill_compute`,
`orders.order_create`, `orders.order_cancel`). The menu page is one form that works without JavaScript (the
quantities are posted; "加入" posts too and the server adds the dish); `static/meals/basket.js` enhances it:
the basket lives in sessionStorage and the bill is refreshed from the server without reloading the page.
Every `Problem` a service raises is shown on the page in plain words with its HTTP status, never a 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.activities.models import ACTIVE_BOOKING_STATUSES, Activity, ActivityStatus, Booking, BookingStatus
from linli.core import selectors as core_selectors
from linli.core.errors import Problem
from linli.core.geo import haversine_m, walk_minutes
from linli.core.views import problem_message
from linli.meals.models import (
    Allergen,
    DestinationType,
    DishTag,
    Kitchen,
    MealProfile,
    Menu,
    MenuItem,
    MenuStatus,
    Order,
    OrderStatus,
    Slot,
)
from linli.meals.services import orders as order_services
from linli.meals.services import pricing
from linli.meals.services.order_states import STATUS_EN, STATUS_ZH
from linli.meals.services.wallet import wallet_balance, wallet_entries
from linli.meals.templatetags.linli_meals import yuan
from linli.places import selectors as place_selectors
from linli.places.models import Place
from linli.places.views import SESSION_STREET, parse_origin

DAYS_SHOWN = 8  # today and the next 7 days
MEAL_POINT_KINDS = ("meal_point", "community_canteen", "elder_canteen")
MAX_QUANTITY = 20
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


# ---------------------------------------------------------------------------------- choose a meal point


@require_GET
def meals_home(request: HttpRequest) -> HttpResponse:
    """The street's meal points (and canteens) with the kitchens that serve them; nearest first with ?from=,
    the resident's usual meal point on top."""
    street = _street_for(request)
    if street is None:
        raise Http404("no street")
    origin = parse_origin(request.GET.get("from"))
    kitchens = list(Kitchen.objects.filter(street=street).select_related("place").prefetch_related("serves"))
    serving: dict[int, list[Kitchen]] = {}
    for kitchen in kitchens:
        serving.setdefault(kitchen.place_id, []).append(kitchen)
        for place in kitchen.serves.all():
            serving.setdefault(place.pk, []).append(kitchen)
    places = Place.objects.filter(street=street, kind__in=MEAL_POINT_KINDS, pk__in=list(serving))
    usual_id = None
    if request.user.is_authenticated:
        usual_id = (
            Order.objects.filter(user=request.user, destination_type=DestinationType.PLACE, street=street)
            .order_by("-created_at")
            .values_list("destination_place_id", flat=True)
            .first()
        )
    rows = []
    for place in places:
        row: dict[str, Any] = {
            "id": place.pk,
            "name": place.name,
            "kind": place.kind,
            "address": place.address,
            "url": reverse("meals:resident_menu", args=[place.pk]),
            "kitchens": sorted({k.place.name for k in serving.get(place.pk, [])}),
            "is_kitchen": any(k.place_id == place.pk for k in kitchens),
            "usual": place.pk == usual_id,
            "distance_m": None,
        }
        if origin is not None:
            metres = haversine_m(origin[0], origin[1], place.lat, place.lng)
            row["distance_m"] = round(metres)
            row["walk_minutes"] = walk_minutes(metres)
        rows.append(row)
    rows.sort(key=lambda r: (not r["usual"], r["distance_m"] if r["distance_m"] is not None else 0, r["name"]))
    ctx = {
        "street": street,
        "rows": rows,
        "origin": origin,
        "usual": next((r for r in rows if r["usual"]), None),
        "home_url": reverse("meals:resident_home"),
    }
    return render(request, "meals/resident/home.html", ctx)


# ------------------------------------------------------------------------------------ the menu of a place


def _parse_basket(data: Any, items: dict[int, MenuItem]) -> dict[tuple[int, bool], int]:
    """Quantities from the form: `qty_<item id>` full portions, `half_<item id>` half portions; "加入" buttons
    (`add` / `add_half` = item id) add one. Unknown items and nonsense numbers are ignored."""
    basket: dict[tuple[int, bool], int] = {}
    for key, value in data.items():
        for prefix, half in (("qty_", False), ("half_", True)):
            if key.startswith(prefix):
                item_id = _int(key[len(prefix) :])
                quantity = _int(value, 0) or 0
                if item_id in items and 0 < quantity <= MAX_QUANTITY:
                    basket[(item_id, half)] = quantity
    for name, half in (("add", False), ("add_half", True)):
        item_id = _int(data.get(name))
        if item_id in items:
            basket[(item_id, half)] = min(MAX_QUANTITY, basket.get((item_id, half), 0) + 1)
    return basket


def _bill(menu: Menu, user: Any, basket: dict[tuple[int, bool], int], items: dict[int, MenuItem]) -> dict[str, Any]:
    lines = [(items[item_id], quantity, half) for (item_id, half), quantity in basket.items()]
    lines.sort(key=lambda line: (line[0].sort_order, line[0].pk, line[2]))
    bill = pricing.bill_compute(
        street=menu.kitchen.street,
        user=user if getattr(user, "is_authenticated", False) else None,
        slot=menu.slot,
        on=menu.date,
        lines=[line for line in lines if not (line[2] and line[0].half_price_fen is None)],
    )
    data = bill.as_dict()
    for line in data["lines"]:
        line["unit"] = yuan(line["unit_price_fen"])
        line["amount"] = yuan(line["line_fen"])
    for discount in data["discounts"]:
        discount["amount"] = yuan(discount["amount_fen"])
    data.update(list=yuan(bill.list_fen), discount=yuan(bill.discount_fen), total=yuan(bill.total_fen))
    data["empty"] = not bill.lines
    return data


def _destinations(
    *, place: Place, kitchen: Kitchen | None, user: Any, day: dt.date, slot: str
) -> tuple[list[dict[str, Any]], str]:
    """The places this order may go: this meal point, the venue of an activity booked that day (when this kitchen
    serves it), home (when the resident may have meals delivered and the kitchen delivers home)."""
    if kitchen is None:
        return [], ""
    served = _served_place_ids(kitchen)
    options: list[dict[str, Any]] = []
    if place.pk in served:
        options.append({"value": f"place:{place.pk}", "kind": "place", "label": place.name, "note": place.address})
    for booking in _live_bookings_on(user, day):
        activity = booking.activity
        if activity.place_id not in served:
            continue
        local_start = timezone.localtime(activity.start)
        local_end = timezone.localtime(activity.end)
        options.append(
            {
                "value": f"activity:{activity.pk}",
                "kind": "activity",
                "label": activity.title,
                "note": f"{activity.place.name} · {local_start:%H:%M}–{local_end:%H:%M}",
                "activity_id": activity.pk,
            }
        )
    profile = _profile(user)
    if (
        profile is not None
        and profile.home_delivery
        and kitchen.home_delivery
        and profile.street_id == kitchen.street_id
    ):
        options.append({"value": "home", "kind": "home", "label": "送餐上门", "note": profile.home_address})
    default = options[0]["value"] if options else ""
    return options, default


def _destination_payload(value: str) -> dict[str, Any] | None:
    kind, _, ident = (value or "").partition(":")
    if kind == "home":
        return {"home": True}
    number = _int(ident)
    if number is None:
        return None
    if kind == "place":
        return {"place_id": number}
    if kind == "activity":
        return {"activity_id": number}
    return None


def _menu_context(request: HttpRequest, place: Place) -> dict[str, Any]:
    now = timezone.now()
    today = _today()
    source = request.POST if request.method == "POST" else request.GET
    day = _parse_date(source.get("date"), today)
    kitchens = sorted(kitchens_serving(place), key=lambda k: _kitchen_sort_key(k, place))
    menus = list(
        Menu.objects.filter(
            kitchen__in=kitchens, date=day, status__in=[MenuStatus.PUBLISHED, MenuStatus.LOCKED]
        ).select_related("kitchen", "kitchen__place", "kitchen__street")
    )
    slots = sorted({m.slot for m in menus}, key=lambda s: SLOT_ORDER.get(s, 9))
    slot: str = (
        str(source.get("slot"))
        if source.get("slot") in slots
        else (Slot.LUNCH if Slot.LUNCH in slots else (slots[0] if slots else ""))
    )
    slot_menus = [m for m in menus if m.slot == slot]
    wanted_kitchen = _int(source.get("kitchen"))
    ranked = {k.pk: n for n, k in enumerate(kitchens)}
    slot_menus.sort(key=lambda m: ranked.get(m.kitchen_id, 99))
    menu = next((m for m in slot_menus if m.kitchen_id == wanted_kitchen), slot_menus[0] if slot_menus else None)
    item_rows: list[MenuItem] = []
    if menu is not None:
        item_rows = list(menu.items.select_related("dish").order_by("sort_order", "id"))
    items = {i.pk: i for i in item_rows}
    basket = _parse_basket(request.POST, items) if request.method == "POST" else {}
    dishes = []
    for item in item_rows:
        row = _item_dict(item)
        row["qty"] = basket.get((item.pk, False), 0)
        row["half_qty"] = basket.get((item.pk, True), 0)
        dishes.append(row)
    bill = _bill(menu, request.user, basket, items) if menu is not None else None
    destinations, default_destination = _destinations(
        place=place, kitchen=menu.kitchen if menu else None, user=request.user, day=day, slot=slot
    )
    chosen = source.get("destination") or ""
    wanted_activity = _int(source.get("activity"))
    if not chosen and wanted_activity is not None:
        chosen = f"activity:{wanted_activity}"
    if chosen not in {d["value"] for d in destinations}:
        chosen = default_destination
    days = []
    for n in range(DAYS_SHOWN):
        d = today + dt.timedelta(days=n)
        query = {"date": d.isoformat()}
        if wanted_activity is not None:
            query["activity"] = str(wanted_activity)
        days.append({"date": d, "iso": d.isoformat(), "offset": n, "url": f"?{urlencode(query)}", "current": d == day})
    slot_links = []
    for s in slots:
        query = {"date": day.isoformat(), "slot": s}
        if wanted_activity is not None:
            query["activity"] = str(wanted_activity)
        slot_links.append({"code": s, "label": _label(Slot, s), "url": f"?{urlencode(query)}", "current": s == slot})
    kitchen_links = []
    for m in slot_menus:
        query = {"date": day.isoformat(), "slot": slot, "kitchen": str(m.kitchen_id)}
        kitchen_links.append({"name": m.kitchen.place.name, "url": f"?{urlencode(query)}", "current": m is menu})
    signed_in = request.user.is_authenticated
    balance_fen = wallet_balance(user=request.user) if signed_in else None
    return {
        "street": place.street,
        "place": place,
        "day": day,
        "today": today,
        "days": days,
        "slot": slot,
        "slot_label": _label(Slot, slot) if slot else "",
        "slot_links": slot_links,
        "kitchen_links": kitchen_links if len(kitchen_links) > 1 else [],
        "kitchens": kitchens,
        "menu": menu,
        "orderable": bool(menu and _orderable(menu, now)),
        "cutoff": timezone.localtime(menu.cutoff_at) if menu else None,
        "dishes": dishes,
        "bill": bill,
        "destinations": destinations,
        "destination": chosen,
        "activity_param": wanted_activity if wanted_activity is not None else "",
        "balance": yuan(balance_fen) if balance_fen is not None else None,
        "balance_fen": balance_fen,
        "elder_min_age": order_services.ELDER_MIN_AGE,
        "login_url": "/login/?next=" + quote(request.get_full_path()),
        "problem": None,
        "basket_key": f"linli-basket-{place.pk}-{day.isoformat()}-{slot}-{menu.pk if menu else 0}",
        "now": now,
    }


def _order_items(basket: dict[tuple[int, bool], int]) -> list[dict[str, Any]]:
    return [
        {"menu_item_id": item_id, "quantity": quantity, "half": half}
        for (item_id, half), quantity in sorted(basket.items())
    ]


@require_http_methods(["GET", "POST"])
def place_menu(request: HttpRequest, place_id: int) -> HttpResponse:
    """GET: the menu of a place for a day and slot. POST `action=quote` (or a "加入" button): the same page with
    the basket and bill; htmx/fetch requests get only the bill. POST `action=order`: place the order."""
    try:
        place = place_selectors.place_get(place_id=place_id)
    except Problem as exc:
        raise Http404(str(place_id)) from exc
    ctx = _menu_context(request, place)
    partial = (
        request.method == "POST" and bool(request.headers.get("HX-Request")) and request.POST.get("action") != "order"
    )
    if request.method == "POST" and request.POST.get("action") == "order":
        if not request.user.is_authenticated:
            return HttpResponseRedirect(ctx["login_url"])
        return _place_order(request, ctx)
    if partial:
        return render(request, "meals/resident/_bill.html", ctx)
    return render(request, "meals/resident/menu.html", ctx)


def _place_order(request: HttpRequest, ctx: dict[str, Any]) -> HttpResponse:
    menu = ctx["menu"]
    items = _order_items(_parse_basket(request.POST, {d["id"]: d for d in ctx["dishes"]}))
    problem: Problem | None = None
    destination = _destination_payload(request.POST.get("destination", ""))
    if menu is None:
        problem = Problem("menu_not_available")
    elif not items:
        problem = Problem("validation_error", detail_zh="请先选择菜品", detail_en="Choose at least one dish first")
    elif destination is None:
        problem = Problem("validation_error", detail_zh="请选择取餐地点", detail_en="Choose where the meal goes")
    if problem is None:
        try:
            order = order_services.order_create(
                user=request.user, date=menu.date, slot=menu.slot, destination=destination, items=items
            )
        except Problem as exc:
            problem = exc
        else:
            return HttpResponseRedirect(reverse("meals:resident_orders") + f"?placed={order.pk}#order-{order.pk}")
    assert problem is not None
    ctx["problem"] = _problem_for_resident(problem)
    ctx["menu_refreshed"] = True
    if menu is not None:  # the remaining portions may have changed under us
        fresh = {i.pk: i.remaining for i in MenuItem.objects.filter(menu=menu)}
        for dish in ctx["dishes"]:
            dish["remaining"] = fresh.get(dish["id"], dish["remaining"])
            dish["sold_out"] = dish["remaining"] == 0
        ctx["balance_fen"] = wallet_balance(user=request.user)
        ctx["balance"] = yuan(ctx["balance_fen"])
    return render(request, "meals/resident/menu.html", ctx, status=problem.http_status)


# Plain words for the problems a resident meets when ordering (the service's own detail is kept when it has one).
RESIDENT_HINTS = {
    "sold_out": (
        "这道菜刚刚卖完了，请换一道菜或减少份数。",
        "This dish has just sold out; choose another or fewer portions.",
    ),
    "after_cutoff": (
        "这一餐已经截单，不能再订了，请选择其他日期或餐次。",
        "Orders for this meal have closed; choose another day or meal.",
    ),
    "insufficient_balance": (
        "钱包余额不够，请到助餐点或党群服务站充值后再订。",
        "Your wallet is short; top it up at a meal point or service station.",
    ),
    "not_eligible": (
        "您暂不符合这项服务的条件（如送餐上门需先由工作人员登记）。",
        "You are not eligible for this (home delivery needs staff registration).",
    ),
    "destination_not_served": (
        "这家厨房不送到您选的地点，请换个取餐地点。",
        "This kitchen does not deliver there; choose another place.",
    ),
    "menu_not_available": ("这一餐没有可订的菜单。", "There is no menu to order from for this meal."),
}


def _problem_for_resident(problem: Problem) -> dict[str, Any]:
    message = problem_message(problem)
    hint = RESIDENT_HINTS.get(problem.code)
    if hint:
        message["hint"] = hint[1] if (get_language() or "").startswith("en") else hint[0]
    return message


# -------------------------------------------------------------------------------- my orders and wallet


def _steps(order: Order, events: Iterable[Any]) -> list[dict[str, Any]]:
    reached = {e.to_status: e.at for e in events}
    reached.setdefault(OrderStatus.PLACED, order.created_at)
    current_index = STEPS.index(order.status) if order.status in STEPS else -1
    steps = []
    for n, status in enumerate(STEPS):
        at = reached.get(status)
        state = "done" if at is not None or n <= current_index else "todo"
        if at is None and n < current_index:
            state = "skipped"  # a canteen's own dining room has no delivery step
        steps.append(
            {
                "status": status,
                "label": STATUS_ZH[status],
                "label_en": STATUS_EN[status],
                "at": timezone.localtime(at) if at else None,
                "state": state,
                "current": n == current_index,
            }
        )
    return steps


def _collect_available() -> bool:
    try:
        from linli.meals.services import delivery
    except ImportError:
        return False
    return hasattr(delivery, "order_collect_self")


def _destination_label(order: Order) -> str:
    if order.destination_type == DestinationType.HOME:
        return f"送餐上门 · {order.home_address}" if order.home_address else "送餐上门"
    venue = order.destination_place
    if order.destination_type == DestinationType.ACTIVITY and order.activity is not None:
        place = venue.name if venue is not None else ""
        return f"{order.activity.title} · {place}" if place else order.activity.title
    return venue.name if venue is not None else ""


def _order_card(order: Order, now: dt.datetime, collect: bool) -> dict[str, Any]:
    events = list(order.events.all())
    cancellable = order.status == OrderStatus.PLACED and order.menu.cutoff_at > now
    has_rating = hasattr(order, "rating") and _has_rating(order)
    return {
        "id": order.pk,
        "obj": order,
        "date": order.date,
        "slot_label": _label(Slot, order.slot),
        "kitchen": order.kitchen.place.name,
        "destination": _destination_label(order),
        "destination_type": order.destination_type,
        "status": order.status,
        "status_label": STATUS_ZH.get(order.status, order.status),
        "pickup_code": order.pickup_code,
        "lines": [
            {"name": line.dish_name, "quantity": line.quantity, "half": line.half, "amount": yuan(line.line_fen)}
            for line in order.lines.all()
        ],
        "discounts": [{"label": d.label, "amount": yuan(d.amount_fen)} for d in order.discounts.all()],
        "list": yuan(order.list_fen),
        "discount": yuan(order.discount_fen),
        "total": yuan(order.total_fen),
        "steps": _steps(order, events),
        "events": events,
        "cutoff": timezone.localtime(order.menu.cutoff_at),
        "cancellable": cancellable,
        "cancel_url": reverse("meals:resident_order_cancel", args=[order.pk]),
        "collect_url": reverse("meals:resident_order_collect", args=[order.pk])
        if collect and order.status == OrderStatus.DELIVERED
        else "",
        "rate_url": f"/me/meals/orders/{order.pk}/rate/"
        if order.status == OrderStatus.COLLECTED and not has_rating
        else "",
        "rated": has_rating,
        "url": reverse("meals:resident_order", args=[order.pk]),
        "live": order.status not in (OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.COLLECTED),
    }


def _has_rating(order: Order) -> bool:
    try:
        return order.rating is not None
    except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist
        return False


def _my_orders(user: Any) -> QuerySet[Order]:
    return (
        Order.objects.filter(user=user)
        .select_related("menu", "kitchen__place", "destination_place", "activity")
        .prefetch_related("lines", "discounts", "events")
    )


@login_required
@require_GET
def my_orders(request: HttpRequest) -> HttpResponse:
    """Where is my lunch: today's and upcoming orders with their steps and pickup codes; past ones; the wallet."""
    now = timezone.now()
    today = _today()
    collect = _collect_available()
    upcoming, past = [], []
    for order in _my_orders(request.user)[:100]:
        card = _order_card(order, now, collect)
        ended = order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
        if (order.date >= today and not ended) or order.status == OrderStatus.DELIVERED:
            upcoming.append(card)
        else:
            past.append(card)
    upcoming.sort(key=lambda c: (c["date"], SLOT_ORDER.get(c["obj"].slot, 9), c["id"]))
    entries = [
        {
            "at": timezone.localtime(e.at),
            "kind": e.get_kind_display(),
            "kind_code": e.kind,
            "amount": yuan(e.amount_fen),
            "balance_after": yuan(e.balance_after_fen),
            "note": e.note,
        }
        for e in wallet_entries(user=request.user, limit=30)
    ]
    ctx = {
        "street": request.user.home_street,  # type: ignore[union-attr]
        "upcoming": upcoming,
        "past": past[:30],
        "balance": yuan(wallet_balance(user=request.user)),
        "entries": entries,
        "placed": _int(request.GET.get("placed")),
        "cancelled": request.GET.get("cancelled") == "1",
        "collected": request.GET.get("collected") == "1",
        "problem": None,
        "meals_url": reverse("meals:resident_home"),
    }
    return render(request, "meals/resident/my_orders.html", ctx)


def _own_order(request: HttpRequest, order_id: int) -> Order:
    order = _my_orders(request.user).filter(pk=order_id).first()
    if order is None:  # someone else's order looks exactly like a missing one
        raise Http404(str(order_id))
    return order


@login_required
@require_GET
def my_order(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    ctx = {
        "street": order.street,
        "o": _order_card(order, timezone.now(), _collect_available()),
        "problem": None,
        "back_url": reverse("meals:resident_orders"),
    }
    return render(request, "meals/resident/order.html", ctx)


@login_required
@require_POST
def my_order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    try:
        order_services.order_cancel(order=order, actor=request.user, reason="resident")
    except Problem as problem:
        order = _own_order(request, order_id)
        ctx = {
            "street": order.street,
            "o": _order_card(order, timezone.now(), _collect_available()),
            "problem": _problem_for_resident(problem),
            "back_url": reverse("meals:resident_orders"),
        }
        return render(request, "meals/resident/order.html", ctx, status=problem.http_status)
    return HttpResponseRedirect(reverse("meals:resident_orders") + "?cancelled=1")


@login_required
@require_POST
def my_order_collect(request: HttpRequest, order_id: int) -> HttpResponse:
    """Mark "已取餐": the resident confirms they have their delivered meal (when the delivery service offers it)."""
    order = _own_order(request, order_id)
    if not _collect_available():
        raise Http404("collect")
    from linli.meals.services import delivery

    try:
        delivery.order_collect_self(order=order, user=request.user)
    except Problem as problem:
        order = _own_order(request, order_id)
        ctx = {
            "street": order.street,
            "o": _order_card(order, timezone.now(), True),
            "problem": _problem_for_resident(problem),
            "back_url": reverse("meals:resident_orders"),
        }
        return render(request, "meals/resident/order.html", ctx, status=problem.http_status)
    return HttpResponseRedirect(reverse("meals:resident_orders") + "?collected=1")


# ------------------------------------------------------------------- the activity page's lunch offer


def activity_lunch_offer(*, activity: Activity, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """The offer "顺便订午餐，送到活动地点": for an activity that ends between 11:00 and 13:30 (Shanghai), when a kitchen
    serves its venue and has an orderable lunch menu that day. Returns the link, or None."""
    now = now or timezone.now()
    end = timezone.localtime(activity.end)
    if not (LUNCH_OFFER_FROM <= end.time() <= LUNCH_OFFER_TO):
        return None
    day = end.date()
    kitchens = kitchens_serving(activity.place)
    menu = (
        Menu.objects.filter(
            kitchen__in=kitchens, date=day, slot=Slot.LUNCH, status=MenuStatus.PUBLISHED, cutoff_at__gt=now
        )
        .order_by("cutoff_at")
        .first()
    )
    if menu is None:
        return None
    query = urlencode({"date": day.isoformat(), "slot": Slot.LUNCH, "activity": activity.pk})
    return {
        "url": f"{reverse('meals:resident_menu', args=[activity.place_id])}?{query}",
        "cutoff": timezone.localtime(menu.cutoff_at),
        "venue": activity.place.name,
    }


def booking_lunch_offer(*, booking: Booking | None, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """The offer for a live, confirmed booking (not for waitlisted or cancelled ones)."""
    if booking is None or booking.status not in ACTIVE_BOOKING_STATUSES:
        return None
    if booking.status == BookingStatus.WAITLISTED:
        return None
    if booking.activity.status != ActivityStatus.PUBLISHED:
        return None
    return activity_lunch_offer(activity=booking.activity, now=now)


urlpatterns: list[URLPattern] = [
    path("meals/", meals_home, name="resident_home"),
    path("meals/p/<int:place_id>/", place_menu, name="resident_menu"),
    path("me/meals/", my_orders, name="resident_orders"),
    path("me/meals/orders/<int:order_id>/", my_order, name="resident_order"),
    path("me/meals/orders/<int:order_id>/cancel/", my_order_cancel, name="resident_order_cancel"),
    path("me/meals/orders/<int:order_id>/collect/", my_order_collect, name="resident_order_collect"),
]
