"""Meals pages: kitchen. The production list (printable, with CSV/Excel downloads), the box labels with the
pickup code, delivery runs (plan, assign riders, a map of each run) and the meal point's collection desk.

Thin views: parse, call selectors/services, render. A `Problem` is shown on the page with its HTTP status.
Kitchen pages: kitchen operators and admins of the kitchen's street; the collection desk: station staff and
admins of the meal point's street.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from linli.core import selectors as core_selectors
from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.models import Role, RoleAssignment
from linli.core.pages import problem_message
from linli.meals.hooks import riders_held
from linli.meals.models import DeliveryRun, Kitchen, Order, OrderStatus, Slot
from linli.meals.selectors import kitchen as ks
from linli.meals.services import delivery
from linli.meals.services import kitchen as kitchen_services
from linli.places.models import Place

SLOTS = [(s.value, s.label) for s in Slot]
COLLECT_ROLES = list(delivery.COLLECT_ROLES)


def login_redirect(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/login/?next={quote(request.get_full_path())}")


def forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(request, "meals/kitchen/forbidden.html", {"message": message}, status=403)


def _parse_date(value: str | None) -> dt.date:
    if value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return timezone.localdate()


def _parse_slot(value: str | None) -> str:
    return value if value in Slot.values else Slot.LUNCH


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def kitchen_choice(request: HttpRequest) -> tuple[dict[str, Any] | None, HttpResponse | None]:
    """The chosen kitchen, date and slot for a kitchen page, or the response to send (sign-in or 403)."""
    if not request.user.is_authenticated:
        return None, login_redirect(request)
    data = request.POST if request.method == "POST" else request.GET
    kitchens = list(ks.kitchens_for_staff(user=request.user))
    if not kitchens:
        return None, forbidden(request, _("这个页面只对厨房操作员和街道管理员开放。"))
    wanted = _int(data.get("kitchen"))
    chosen = next((k for k in kitchens if k.pk == wanted), None)
    if wanted is not None and chosen is None:
        return None, forbidden(request)
    kitchen = chosen or kitchens[0]
    on = _parse_date(data.get("date"))
    slot = _parse_slot(data.get("slot"))
    query = urlencode({"kitchen": kitchen.pk, "date": on.isoformat(), "slot": slot})
    return {
        "kitchen": kitchen,
        "kitchens": kitchens,
        "on": on,
        "slot": slot,
        "slot_label": Slot(slot).label,
        "slots": SLOTS,
        "query": query,
    }, None


@require_http_methods(["GET", "POST"])
def production(request: HttpRequest) -> HttpResponse:
    """Portions per dish and destination; lock the menu early or start production (POST `action`)."""
    ctx, denied = kitchen_choice(request)
    if denied:
        return denied
    assert ctx is not None
    kitchen: Kitchen = ctx["kitchen"]
    status = 200
    ctx["problem"] = ctx["done"] = None
    menu = ks.menu_get_for_slot(kitchen=kitchen, on=ctx["on"], slot=ctx["slot"])
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if menu is None:
                raise Problem("menu_not_available")
            if action == "lock" and request.POST.get("confirm") != "1":
                # Locking early cannot be undone and tells every resident who ordered: ask first.
                ctx["confirm_lock"] = {"residents": len(kitchen_services.early_lock_orderers(menu))}
            elif action == "lock":
                kitchen_services.menu_lock(menu=menu, actor=request_user(request))
                ctx["done"] = _("已截单，生产单已确定，已短信通知下单的居民。")
            elif action == "start":
                moved = kitchen_services.production_start(menu=menu, actor=request_user(request))
                ctx["done"] = _("已开始制作：%(n)s 份订单。") % {"n": moved}
            elif action == "serve":
                moved = kitchen_services.dine_in_serve(menu=menu, actor=request_user(request))
                ctx["done"] = _("堂食已出餐：%(n)s 份订单，居民凭取餐码取餐。") % {"n": moved}
        except Problem as exc:
            ctx["problem"] = problem_message(exc)
            status = exc.http_status
        menu = ks.menu_get_for_slot(kitchen=kitchen, on=ctx["on"], slot=ctx["slot"])
    ctx["menu"] = menu
    ctx["data"] = ks.production_list(kitchen=kitchen, on=ctx["on"], slot=ctx["slot"], actor=request_user(request))
    ctx["csv_url"] = f"/api/v1/meals/production.csv?{ctx['query']}"
    ctx["xlsx_url"] = f"/api/v1/meals/production.xlsx?{ctx['query']}"
    ctx["now"] = timezone.now()
    return render(request, "meals/kitchen/production.html", ctx, status=status)


@require_GET
def labels(request: HttpRequest) -> HttpResponse:
    """One printable label per box: destination, pickup code (big, with QR), dishes, masked name and phone."""
    ctx, denied = kitchen_choice(request)
    if denied:
        return denied
    assert ctx is not None
    ctx["labels"] = ks.labels_list(kitchen=ctx["kitchen"], on=ctx["on"], slot=ctx["slot"], actor=request_user(request))
    return render(request, "meals/kitchen/labels.html", ctx)


def _riders(kitchen: Kitchen) -> list[Any]:
    """The street's riders who may get a run (a suspended or expired rider is never offered)."""
    assignments = RoleAssignment.objects.filter(street=kitchen.street, role=Role.RIDER).select_related("user")
    people = {a.user for a in assignments}
    held = riders_held(street=kitchen.street, user_ids=[u.pk for u in people])
    return sorted((u for u in people if u.pk not in held), key=lambda u: (u.display_name or "", u.pk))


@require_http_methods(["GET", "POST"])
def runs(request: HttpRequest) -> HttpResponse:
    """Plan the day's runs (riders, stops per run), assign riders, see each run's stops on a map."""
    ctx, denied = kitchen_choice(request)
    if denied:
        return denied
    assert ctx is not None
    kitchen: Kitchen = ctx["kitchen"]
    status = 200
    ctx["problem"] = ctx["report"] = ctx["done"] = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "plan":
                report = delivery.runs_plan(
                    kitchen=kitchen,
                    date=ctx["on"],
                    slot=ctx["slot"],
                    actor=request.user,
                    riders_count=_int(request.POST.get("riders_count")) or 1,
                    max_stops_per_run=_int(request.POST.get("max_stops_per_run")) or None,
                )
                ctx["report"] = report
                ctx["done"] = _("已规划 %(n)s 个配送批次。") % {"n": len(report.runs)}
            elif action == "assign":
                run = DeliveryRun.objects.filter(pk=_int(request.POST.get("run")) or 0, kitchen=kitchen).first()
                rider = next((u for u in _riders(kitchen) if u.pk == _int(request.POST.get("rider"))), None)
                if run is None:
                    raise Problem("not_found")
                delivery.run_assign(run=run, rider=rider, actor=request.user)
                ctx["done"] = _("已指定骑手。")
        except Problem as exc:
            ctx["problem"] = problem_message(exc)
            status = exc.http_status
    run_list = delivery.run_list_for_user(user=request.user, on=ctx["on"], slot=ctx["slot"], kitchen=kitchen)
    ctx["runs"] = [delivery.run_to_dict(r, with_orders=True) for r in run_list]
    ctx["riders"] = [{"id": u.pk, "name": str(u)} for u in _riders(kitchen)]
    ctx["map_config"] = {
        "tileUrl": settings.LINLI_MAP_TILE_URL,
        "attribution": settings.LINLI_MAP_TILE_ATTRIBUTION,
        "kitchen": {"name": kitchen.place.name, "lat": kitchen.place.lat, "lng": kitchen.place.lng},
        "runs": [
            {
                "id": r["id"],
                "name": r["name"],
                "stops": [[s["lat"], s["lng"], s["seq"], s["label"]] for s in r["stops"]],
            }
            for r in ctx["runs"]
        ],
    }
    return render(request, "meals/kitchen/runs.html", ctx, status=status)


# ------------------------------------------------------------------------------------------ collect


def _collect_places(user: Any) -> list[Place]:
    ids = core_selectors.user_street_ids(user, roles=COLLECT_ROLES)
    return list(
        Place.objects.filter(Q(served_by__isnull=False) | Q(kitchen__isnull=False), street_id__in=ids, is_active=True)
        .distinct()
        .select_related("street")
        .order_by("street", "name")
    )


@require_http_methods(["GET", "POST"])
def collect(request: HttpRequest) -> HttpResponse:
    """The meal-point desk: choose the point once, then type each resident's pickup code. When the code matches
    more than one order here today, every one is listed (masked name, dishes, kitchen and meal) and the volunteer
    picks the right one (POST `order`); nothing is collected until they do."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    places = _collect_places(request.user)
    if not core_selectors.user_street_ids(request.user, roles=COLLECT_ROLES):
        return forbidden(request, _("这个页面只对站点工作人员和街道管理员开放。"))
    data = request.POST if request.method == "POST" else request.GET
    wanted = _int(data.get("place"))
    place = next((p for p in places if p.pk == wanted), None)
    if wanted is not None and place is None:
        return forbidden(request)
    place = place or (places[0] if places else None)
    ctx: dict[str, Any] = {"places": places, "place": place, "problem": None, "result": None, "choices": None}
    status = 200
    if request.method == "POST" and place is not None:
        code = request.POST.get("pickup_code", "")
        chosen_id = _int(request.POST.get("order"))
        try:
            chosen = None
            if chosen_id is not None:
                chosen = Order.objects.filter(pk=chosen_id, destination_place=place).first()
                if chosen is None:
                    raise Problem("pickup_code_invalid")
            order = delivery.order_collect(place=place, order=chosen, pickup_code=code, actor=request.user)
            ctx["result"] = {
                "pickup_code": order.pickup_code,
                "lines": [{"dish": li.dish_name, "quantity": li.quantity, "half": li.half} for li in order.lines.all()],
                "name": ks.mask_name(order.user.display_name),
            }
        except Problem as exc:
            if "order_ids" in exc.extra:  # one code, several orders here: the volunteer chooses (a question)
                ctx["choices"] = ks.desk_candidates(list(Order.objects.filter(pk__in=exc.extra["order_ids"])))
                ctx["choice_code"] = exc.extra.get("pickup_code") or code.strip()
            else:
                ctx["problem"] = problem_message(exc)
                status = exc.http_status
    if place is not None:
        ctx["waiting"] = Order.objects.filter(
            destination_place=place, date=timezone.localdate(), status=OrderStatus.DELIVERED
        ).count()
    if request.headers.get("HX-Request"):
        return render(request, "meals/kitchen/_collect_result.html", ctx, status=200 if status < 500 else status)
    return render(request, "meals/kitchen/collect.html", ctx, status=status)


urlpatterns = [
    path("kitchen/production/", production, name="kitchen_production"),
    path("kitchen/labels/", labels, name="kitchen_labels"),
    path("kitchen/runs/", runs, name="kitchen_runs"),
    path("kitchen/collect/", collect, name="kitchen_collect"),
]
