"""Meals API (api_kitchen): the production list and its exports, the manual lock, delivery runs, hand-over and
collection with the pickup code. Thin: parse, check permission, call a selector or service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema

from linli.core.auth import request_user, require_user
from linli.core.downloads import CSV_TYPE, XLSX_TYPE, attachment_response
from linli.core.errors import Problem, field_error
from linli.core.idempotency import idempotent
from linli.core.models import User
from linli.core.phones import mask_phone
from linli.meals import exports
from linli.meals.models import DeliveryRun, DeliveryStop, Menu, Order, Slot
from linli.meals.selectors import kitchen as kitchen_selectors
from linli.meals.services import delivery, kitchen
from linli.places.models import Place

router = Router(tags=["meals 助餐"])


def _slot(slot: str) -> str:
    return kitchen_selectors.validate_slot(slot)


def _run(run_id: int) -> DeliveryRun:
    run = DeliveryRun.objects.select_related("kitchen__street", "kitchen__place", "rider").filter(pk=run_id).first()
    if run is None:
        raise Problem("not_found", detail=format_lazy(_("没有编号为 {run_id} 的配送批次"), run_id=run_id))
    return run


def _visible_run(run_id: int, user: Any) -> DeliveryRun:
    """The run when the user is its rider or kitchen staff of its street; 404 otherwise (no probing)."""
    run = _run(run_id)
    if run.rider_id != user.pk and not delivery._is_kitchen_staff(user, run.kitchen):
        raise Problem("not_found", detail=format_lazy(_("没有编号为 {run_id} 的配送批次"), run_id=run_id))
    return run


class PlanIn(Schema):
    kitchen_id: int
    date: dt.date
    slot: str = Slot.LUNCH
    riders_count: int = 1
    max_stops_per_run: int | None = None


class AssignIn(Schema):
    rider_id: int


class HandOverIn(Schema):
    to_name: str = ""


class CollectIn(Schema):
    place_id: int
    pickup_code: str
    order_id: int | None = None  # which order, when the code matches several here (see the problem's candidates)


# ----------------------------------------------------------------------------------------- production


@router.get("/meals/production", auth=require_user, summary="生产单 Production list (kitchen staff)")
def production(
    request: HttpRequest,
    kitchen: int,
    date: dt.date | None = None,
    slot: str = Query(Slot.LUNCH),
) -> dict[str, Any]:
    """Portions per dish (half portions apart) in total and per destination; live orders only."""
    k = kitchen_selectors.kitchen_get(kitchen_id=kitchen)
    return kitchen_selectors.production_list(
        kitchen=k, on=date or timezone.localdate(), slot=_slot(slot), actor=request_user(request)
    )


@router.get("/meals/production.csv", auth=require_user, summary="生产单 CSV")
def production_csv(
    request: HttpRequest, kitchen: int, date: dt.date | None = None, slot: str = Query(Slot.LUNCH)
) -> HttpResponse:
    k = kitchen_selectors.kitchen_get(kitchen_id=kitchen)
    on = date or timezone.localdate()
    body = exports.production_csv(kitchen=k, on=on, slot=_slot(slot), actor=request_user(request))
    name = f"production-{k.pk}-{on.isoformat()}-{slot}"
    return attachment_response(
        body, content_type=CSV_TYPE, ascii_name=f"{name}.csv", name=f"生产单-{k.place.name}-{on}-{slot}.csv"
    )


@router.get("/meals/production.xlsx", auth=require_user, summary="生产单 Excel")
def production_xlsx(
    request: HttpRequest, kitchen: int, date: dt.date | None = None, slot: str = Query(Slot.LUNCH)
) -> HttpResponse:
    k = kitchen_selectors.kitchen_get(kitchen_id=kitchen)
    on = date or timezone.localdate()
    body = exports.production_xlsx(kitchen=k, on=on, slot=_slot(slot), actor=request_user(request))
    name = f"production-{k.pk}-{on.isoformat()}-{slot}"
    return attachment_response(
        body, content_type=XLSX_TYPE, ascii_name=f"{name}.xlsx", name=f"生产单-{k.place.name}-{on}-{slot}.xlsx"
    )


@router.post("/meals/menus/{int:menu_id}/lock", auth=require_user, summary="提前截单 Lock a menu now")
def lock_menu(request: HttpRequest, menu_id: int) -> dict[str, Any]:
    menu = Menu.objects.select_related("kitchen__street").filter(pk=menu_id).first()
    if menu is None:
        raise Problem("not_found", detail=format_lazy(_("没有编号为 {menu_id} 的菜单"), menu_id=menu_id))
    menu = kitchen.menu_lock(menu=menu, actor=request_user(request))
    return {
        "id": menu.pk,
        "status": menu.status,
        "locked_at": menu.locked_at.isoformat() if menu.locked_at else None,
        "orders_locked": menu.orders.filter(status="locked").count(),
    }


# --------------------------------------------------------------------------------------------- runs


@router.post("/meals/runs/plan", auth=require_user, summary="规划配送 Plan delivery runs")
def plan_runs(request: HttpRequest, payload: PlanIn) -> dict[str, Any]:
    """Replace the planned runs of a kitchen's meal; refused once a run has been picked up."""
    k = kitchen_selectors.kitchen_get(kitchen_id=payload.kitchen_id)
    report = delivery.runs_plan(
        kitchen=k,
        date=payload.date,
        slot=_slot(payload.slot),
        actor=request_user(request),
        riders_count=payload.riders_count,
        max_stops_per_run=payload.max_stops_per_run,
    )
    out = report.as_dict()
    out["runs"] = [delivery.run_to_dict(r) for r in report.runs]
    return out


@router.get("/meals/runs", auth=require_user, summary="配送批次 Delivery runs (rider: own; kitchen staff: kitchen's)")
def list_runs(
    request: HttpRequest, date: dt.date | None = None, slot: str | None = None, kitchen: int | None = None
) -> list[dict[str, Any]]:
    k = kitchen_selectors.kitchen_get(kitchen_id=kitchen) if kitchen else None
    runs = delivery.run_list_for_user(
        user=request_user(request), on=date or timezone.localdate(), slot=_slot(slot) if slot else None, kitchen=k
    )
    return [delivery.run_to_dict(r, with_orders=True) for r in runs]


@router.post("/meals/runs/{int:run_id}/assign", auth=require_user, summary="指定骑手 Assign a rider")
def assign_run(request: HttpRequest, run_id: int, payload: AssignIn) -> dict[str, Any]:
    run = _run(run_id)
    rider = User.objects.filter(pk=payload.rider_id, is_active=True).first()
    if rider is None:
        raise Problem("validation_error", errors=[field_error("rider_id", _("没有这个骑手"))])
    delivery.run_assign(run=run, rider=rider, actor=request_user(request))
    return delivery.run_to_dict(_run(run_id))


@router.post("/meals/runs/{int:run_id}/pick-up", auth=require_user, summary="骑手取餐 Rider picks the run up")
def pick_up_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """Send an `Idempotency-Key` header so a retry on a weak signal replays the answer instead of a 409."""
    run = _visible_run(run_id, request_user(request))

    def act() -> tuple[int, dict[str, Any]]:
        delivery.run_pick_up(run=run, actor=request_user(request))
        return 200, delivery.run_to_dict(_run(run_id), with_orders=True)

    return idempotent(request, scope=f"meals_pick_up:{run_id}", run=act)


@router.post("/meals/stops/{int:stop_id}/hand-over", auth=require_user, summary="送达 Hand a stop over")
def hand_over_stop(request: HttpRequest, stop_id: int, payload: HandOverIn | None = None) -> HttpResponse:
    stop = DeliveryStop.objects.select_related("run__kitchen__street", "run__kitchen__place").filter(pk=stop_id).first()
    if stop is None:
        raise Problem("not_found", detail=format_lazy(_("没有编号为 {stop_id} 的站点"), stop_id=stop_id))
    _visible_run(stop.run_id, request_user(request))

    def act() -> tuple[int, dict[str, Any]]:
        delivery.stop_hand_over(stop=stop, actor=request_user(request), to_name=payload.to_name if payload else "")
        return 200, delivery.run_to_dict(_run(stop.run_id), with_orders=True)

    return idempotent(request, scope=f"meals_hand_over:{stop_id}", run=act)


@router.post("/meals/collect", auth=require_user, summary="凭取餐码取餐 Collect with the pickup code (meal point)")
def collect(request: HttpRequest, payload: CollectIn) -> HttpResponse:
    """Station staff or admin of the meal point's street type the code the resident tells them. Problems:
    `pickup_code_invalid` (no such code today here), `order_invalid_transition` (not delivered yet, or already
    collected), `validation_error` on `order_id` when the code matches several orders here today: the problem
    lists them in `candidates` (masked name and phone, dishes, kitchen, meal, status); send the chosen one's id
    as `order_id`."""
    place = Place.objects.select_related("street").filter(pk=payload.place_id).first()
    if place is None:
        raise Problem("validation_error", errors=[field_error("place_id", _("没有这个取餐点"))])

    def act() -> tuple[int, dict[str, Any]]:
        chosen = None
        if payload.order_id is not None:
            chosen = Order.objects.select_related("street").filter(pk=payload.order_id).first()
            if chosen is None:
                raise Problem("pickup_code_invalid")
        try:
            order = delivery.order_collect(
                place=place, order=chosen, pickup_code=payload.pickup_code, actor=request_user(request)
            )
        except Problem as problem:
            if "order_ids" in problem.extra:
                orders = list(Order.objects.filter(pk__in=problem.extra["order_ids"]))
                problem.extra["candidates"] = kitchen_selectors.desk_candidates(orders)
            raise
        return 200, _order_brief(order)

    return idempotent(request, scope=f"meals_collect:{place.pk}", run=act)


def _order_brief(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "status": order.status,
        "pickup_code": order.pickup_code,
        "phone": mask_phone(order.user.phone or ""),
        "lines": [{"dish": li.dish_name, "quantity": li.quantity, "half": li.half} for li in order.lines.all()],
    }
