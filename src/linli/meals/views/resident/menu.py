"""Residents: choose a meal point; the menu of a place for a day with the basket, the bill and the order."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.geo import haversine_m, walk_minutes
from linli.core.origins import parse_origin
from linli.meals.models import (
    DestinationType,
    Kitchen,
    Menu,
    MenuItem,
    MenuStatus,
    Order,
    Slot,
)
from linli.meals.services import orders as order_services
from linli.meals.services import pricing
from linli.meals.services.wallet import wallet_balance
from linli.meals.templatetags.linli_meals import yuan
from linli.meals.views.resident.context import (
    DAYS_SHOWN,
    SLOT_ORDER,
    _int,
    _item_dict,
    _kitchen_sort_key,
    _label,
    _live_bookings_on,
    _orderable,
    _parse_date,
    _problem_for_resident,
    _profile,
    _served_place_ids,
    _street_for,
    _today,
    kitchens_serving,
)
from linli.places import selectors as place_selectors
from linli.places.models import EATING_KINDS, Place

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
    places = Place.objects.filter(street=street, kind__in=EATING_KINDS, pk__in=list(serving))
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
                if item_id in items and 0 < quantity <= order_services.MAX_QUANTITY:
                    basket[(item_id, half)] = quantity
    for name, half in (("add", False), ("add_half", True)):
        item_id = _int(data.get(name))
        if item_id in items:
            basket[(item_id, half)] = min(order_services.MAX_QUANTITY, basket.get((item_id, half), 0) + 1)
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
        options.append({"value": "home", "kind": "home", "label": _("送餐上门"), "note": profile.home_address})
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
    balance_fen = wallet_balance(user=request_user(request), street=place.street) if signed_in else None
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
            # Signed out meanwhile (the session expired): back to this day's menu after signing in, where the
            # basket (kept in the browser) is waiting.
            kept = {k: request.POST[k] for k in ("date", "slot", "activity") if request.POST.get(k)}
            back = request.path + "?" + urlencode({**kept, "resume": "1"})
            return HttpResponseRedirect("/login/?next=" + quote(back))
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
        problem = Problem("validation_error", detail=_("请先选择菜品"))
    elif destination is None:
        problem = Problem("validation_error", detail=_("请选择取餐地点"))
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
        ctx["balance_fen"] = wallet_balance(user=request_user(request), street=menu.kitchen.street)
        ctx["balance"] = yuan(ctx["balance_fen"])
    return render(request, "meals/resident/menu.html", ctx, status=problem.http_status)
