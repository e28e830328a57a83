"""Meals API: the kitchen's day. The production list and its exports, the manual lock, delivery runs, hand-over,
and collection with the pickup code at the meal point."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router

from linli.core.auth import request_user, require_user
from linli.core.db import replica_reads
from linli.core.downloads import CSV_TYPE, XLSX_TYPE, attachment_response
from linli.core.errors import Problem
from linli.core.i18n import rendered
from linli.core.idempotency import idempotent
from linli.core.schemas import file_answer, problems
from linli.meals import exports
from linli.meals.schemas.kitchen import (
    CollectedOut,
    CollectIn,
    HandOverIn,
    PlanIn,
    PlanOut,
    ProductionOut,
    RunAssignIn,
    RunOut,
)
from linli.meals.schemas.menus import MenuLockOut, SlotName
from linli.meals.selectors import kitchen as kitchen_selectors
from linli.meals.services import delivery, kitchen

router = Router(tags=["meals 助餐"])

# ----------------------------------------------------------------------------------------- production


@router.get("/meals/production", response=ProductionOut, auth=require_user, summary="生产单 Production list")
@problems("not_found", "permission_denied")
def production(
    request: HttpRequest, kitchen: int, date: dt.date | None = None, slot: SlotName = "lunch"
) -> dict[str, Any]:
    """Portions per dish (half portions apart) in total and per destination; live orders only. Kitchen operators
    and admins of the kitchen's street."""
    k = kitchen_selectors.kitchen_get(kitchen_id=kitchen)
    return kitchen_selectors.production_list(
        kitchen=k,
        on=date or timezone.localdate(),
        slot=slot,
        actor=request_user(request),
    )


@router.get(
    "/meals/production.csv",
    auth=require_user,
    summary="生产单 CSV",
    openapi_extra=file_answer("text/csv", "The production list as CSV (UTF-8 with a BOM, for Excel)"),
)
@problems("not_found", "permission_denied")
def production_csv(
    request: HttpRequest, kitchen: int, date: dt.date | None = None, slot: SlotName = "lunch"
) -> HttpResponse:
    return _production_file(request, kitchen, date, slot, ext="csv")


@router.get(
    "/meals/production.xlsx",
    auth=require_user,
    summary="生产单 Excel",
    openapi_extra=file_answer(XLSX_TYPE, "The production list as an Excel workbook"),
)
@problems("not_found", "permission_denied")
def production_xlsx(
    request: HttpRequest, kitchen: int, date: dt.date | None = None, slot: SlotName = "lunch"
) -> HttpResponse:
    return _production_file(request, kitchen, date, slot, ext="xlsx")


@replica_reads()  # an export/report: may read a replica (linli.core.db)
def _production_file(request: HttpRequest, kitchen: int, date: dt.date | None, slot: str, *, ext: str) -> HttpResponse:
    k = kitchen_selectors.kitchen_get(kitchen_id=kitchen)
    on = date or timezone.localdate()
    write, content_type = (exports.production_csv, CSV_TYPE) if ext == "csv" else (exports.production_xlsx, XLSX_TYPE)
    body = write(kitchen=k, on=on, slot=slot, actor=request_user(request))
    name = f"production-{k.pk}-{on.isoformat()}-{slot}"
    return attachment_response(
        body, content_type=content_type, ascii_name=f"{name}.{ext}", name=f"生产单-{k.place.name}-{on}-{slot}.{ext}"
    )


@router.post(
    "/meals/menus/{int:menu_id}/lock", response=MenuLockOut, auth=require_user, summary="提前截单 Lock a menu now"
)
@problems("not_found", "permission_denied", ("menu_invalid", 409))
def lock_menu(request: HttpRequest, menu_id: int) -> dict[str, Any]:
    """Close a published menu for orders before its cut-off (the production list is final from then on)."""
    menu = kitchen_selectors.menu_get(menu_id=menu_id)
    menu = kitchen.menu_lock(menu=menu, actor=request_user(request))
    return kitchen_selectors.menu_lock_to_dict(menu)


# --------------------------------------------------------------------------------------------- runs


@router.post(
    "/meals/runs/plan", exclude_unset=True, response=PlanOut, auth=require_user, summary="规划配送 Plan delivery runs"
)
@problems("not_found", "permission_denied", "run_invalid_transition")
def plan_runs(request: HttpRequest, payload: PlanIn) -> dict[str, Any]:
    """Replace the planned runs of a kitchen's meal; refused once a run has been picked up."""
    k = kitchen_selectors.kitchen_get(kitchen_id=payload.kitchen_id)
    report = delivery.runs_plan(
        kitchen=k,
        date=payload.date,
        slot=payload.slot,
        actor=request_user(request),
        riders_count=payload.riders_count,
        max_stops_per_run=payload.max_stops_per_run,
    )
    return rendered({**report.as_dict(), "runs": [delivery.run_to_dict(r) for r in report.runs]})


@router.get(
    "/meals/runs",
    response=list[RunOut],
    exclude_unset=True,
    auth=require_user,
    summary="配送批次 Delivery runs (rider: own; kitchen staff: kitchen's)",
)
@problems("not_found")
def list_runs(
    request: HttpRequest, date: dt.date | None = None, slot: SlotName | None = None, kitchen: int | None = None
) -> list[dict[str, Any]]:
    k = kitchen_selectors.kitchen_get(kitchen_id=kitchen) if kitchen else None
    runs = delivery.run_list_for_user(
        user=request_user(request),
        on=date or timezone.localdate(),
        slot=slot,
        kitchen=k,
    )
    return [delivery.run_to_dict(r, with_orders=True) for r in runs]


@router.post(
    "/meals/runs/{int:run_id}/assign",
    exclude_unset=True,
    response=RunOut,
    auth=require_user,
    summary="指定骑手 Assign a rider",
)
@problems("not_found", "permission_denied", "run_invalid_transition", "rider_unavailable")
def assign_run(request: HttpRequest, run_id: int, payload: RunAssignIn) -> dict[str, Any]:
    """Kitchen staff give a planned run to a rider of the street (`validation_error` on `rider_id` otherwise)."""
    run = kitchen_selectors.run_get(run_id=run_id)
    rider = kitchen_selectors.rider_get(rider_id=payload.rider_id)
    delivery.run_assign(run=run, rider=rider, actor=request_user(request))
    return delivery.run_to_dict(kitchen_selectors.run_get(run_id=run_id))


@router.post(
    "/meals/runs/{int:run_id}/pick-up", response=RunOut, auth=require_user, summary="骑手取餐 Rider picks the run up"
)
@problems("idempotency_key_reused", "not_found", "permission_denied", "run_invalid_transition")
def pick_up_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """Send an `Idempotency-Key` header so a retry on a weak signal replays the answer instead of a 409."""
    user = request_user(request)
    run = kitchen_selectors.run_get_for_user(run_id=run_id, user=user)

    def act() -> tuple[int, dict[str, Any]]:
        delivery.run_pick_up(run=run, actor=user)
        return 200, delivery.run_to_dict(kitchen_selectors.run_get(run_id=run_id), with_orders=True)

    return idempotent(request, scope=f"meals_pick_up:{run_id}", run=act)


@router.post(
    "/meals/stops/{int:stop_id}/hand-over", response=RunOut, auth=require_user, summary="送达 Hand a stop over"
)
@problems("idempotency_key_reused", "not_found", "permission_denied", "run_invalid_transition")
def hand_over_stop(request: HttpRequest, stop_id: int, payload: HandOverIn | None = None) -> HttpResponse:
    """The rider hands a stop's meals over (`to_name`: who took them); the run is done after its last stop."""
    user = request_user(request)
    stop = kitchen_selectors.stop_get_for_user(stop_id=stop_id, user=user)

    def act() -> tuple[int, dict[str, Any]]:
        delivery.stop_hand_over(stop=stop, actor=user, to_name=payload.to_name if payload else "")
        return 200, delivery.run_to_dict(kitchen_selectors.run_get(run_id=stop.run_id), with_orders=True)

    return idempotent(request, scope=f"meals_hand_over:{stop_id}", run=act)


@router.post(
    "/meals/collect",
    response=CollectedOut,
    auth=require_user,
    summary="凭取餐码取餐 Collect with the pickup code (meal point)",
)
@problems("idempotency_key_reused", "permission_denied", "pickup_code_invalid", "order_invalid_transition")
def collect(request: HttpRequest, payload: CollectIn) -> HttpResponse:
    """Station staff or admin of the meal point's street type the code the resident tells them. Problems:
    `pickup_code_invalid` (no such code today here), `order_invalid_transition` (not delivered yet, or already
    collected), `validation_error` on `order_id` when the code matches several orders here today: the problem
    lists them in `candidates` (masked name and phone, dishes, kitchen, meal, status); send the chosen one's id
    as `order_id`."""
    user = request_user(request)
    place = kitchen_selectors.desk_place_get(place_id=payload.place_id)

    def act() -> tuple[int, dict[str, Any]]:
        chosen = kitchen_selectors.desk_order_get(order_id=payload.order_id) if payload.order_id is not None else None
        try:
            order = delivery.order_collect(place=place, order=chosen, pickup_code=payload.pickup_code, actor=user)
        except Problem as problem:
            if "order_ids" in problem.extra:
                problem.extra["candidates"] = kitchen_selectors.desk_candidates_of(order_ids=problem.extra["order_ids"])
            raise
        return 200, kitchen_selectors.collected_to_dict(order)

    return idempotent(request, scope=f"meals_collect:{place.pk}", run=act)
