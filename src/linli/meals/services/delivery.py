"""Delivery: planning the riders' runs, pick-up at the kitchen, hand-over at each stop (collection with the
pickup code at the meal point: `services.collect`, re-exported here).

Runs follow an explicit transition table (planned → picked_up → done); every order status change goes through
`order_states` (which appends the OrderEvent rows). Residents are told by SMS when their meal leaves the kitchen
and when it reaches the meal point, after commit.

Route: nearest neighbour from the kitchen, then 2-opt, on great-circle distances (an open path: the rider does
not need to come back). With several riders the tour is cut into consecutive pieces of about equal stop counts
and each piece is ordered again from the kitchen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.geo import haversine_m, navigation_links
from linli.core.i18n import Text, choice_label, choice_label_in
from linli.core.models import AuditLog, Role
from linli.core.notifications import notify_user
from linli.core.phones import mask_phone
from linli.core.selectors import require_role, user_has_role, user_street_ids
from linli.core.services import audit_log
from linli.core.transitions import StateMachine, Step
from linli.meals.hooks import riders_held
from linli.meals.models import (
    DeliveryRun,
    DeliveryStop,
    DestinationType,
    Kitchen,
    Order,
    OrderStatus,
    RunStatus,
)
from linli.meals.services.collect import (  # noqa: F401 - re-exported: collection lives in services.collect
    COLLECT_ROLES,
    normalize_pickup_code,
    order_collect,
    order_collect_self,
)
from linli.meals.services.kitchen import KITCHEN_ROLES
from linli.meals.services.order_states import orders_transition_bulk

S = OrderStatus
R = RunStatus

RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    R.PLANNED: frozenset({R.PICKED_UP}),
    R.PICKED_UP: frozenset({R.DONE}),
    R.DONE: frozenset(),
}

PLANNABLE = (S.LOCKED, S.IN_PRODUCTION)

Point = tuple[float, float]


# ------------------------------------------------------------------------------------------ routing


def _dist(a: Point, b: Point) -> float:
    return haversine_m(a[0], a[1], b[0], b[1])


def path_length(origin: Point, points: Sequence[Point], order: Sequence[int]) -> float:
    """Metres from `origin` through `points` in `order` (no return leg)."""
    total = 0.0
    here = origin
    for i in order:
        total += _dist(here, points[i])
        here = points[i]
    return total


def nearest_neighbour(origin: Point, points: Sequence[Point]) -> list[int]:
    left = set(range(len(points)))
    order: list[int] = []
    here = origin
    while left:
        nxt = min(left, key=lambda i: (_dist(here, points[i]), i))
        order.append(nxt)
        left.remove(nxt)
        here = points[nxt]
    return order


def two_opt(origin: Point, points: Sequence[Point], order: list[int]) -> list[int]:
    """Reverse segments while that shortens the open path starting at `origin` (first improvement)."""
    route = list(order)
    n = len(route)
    if n < 3:
        return route

    def at(k: int) -> Point:
        return origin if k < 0 else points[route[k]]

    improved = True
    while improved:
        improved = False
        for i in range(n - 1):
            for j in range(i + 1, n):
                # Reverse route[i..j]: edges (i-1, i) and (j, j+1) become (i-1, j) and (i, j+1).
                before = _dist(at(i - 1), at(i)) + (_dist(at(j), at(j + 1)) if j + 1 < n else 0.0)
                after = _dist(at(i - 1), at(j)) + (_dist(at(i), at(j + 1)) if j + 1 < n else 0.0)
                if after < before - 1e-6:
                    route[i : j + 1] = reversed(route[i : j + 1])
                    improved = True
    return route


def route_order(origin: Point, points: Sequence[Point]) -> list[int]:
    """A short open path from `origin` visiting every point: nearest neighbour improved by 2-opt."""
    return two_opt(origin, points, nearest_neighbour(origin, points))


# -------------------------------------------------------------------------------------------- helpers


def run_invalid(run: DeliveryRun, to_status: str, detail: Text = "", *, from_status: str | None = None) -> Problem:
    status = run.status if from_status is None else from_status
    return Problem(
        "run_invalid_transition",
        detail=detail
        or format_lazy(
            _("配送批次 #{run} 当前为「{status}」，不能进行此操作"),
            run=run.pk,
            status=choice_label(RunStatus, status),
        ),
        extra={"from_status": status, "to_status": to_status},
    )


def _run_event_row(step: Step[DeliveryRun]) -> dict[str, Any]:
    """A run's move is recorded as an audit row (`meals.run_pick_up`, `meals.run_done`)."""
    return {
        "at": step.now,
        "actor": step.actor_id,
        "street": step.obj.kitchen.street_id,
        "action": _RUN_ACTIONS[step.to_status],
        "object_type": DeliveryRun._meta.label_lower,
        "object_id": str(step.obj.pk),
        "data": {"from": step.from_status, "to": step.to_status, **step.data},
    }


_RUN_ACTIONS: dict[str, str] = {R.PICKED_UP: "meals.run_pick_up", R.DONE: "meals.run_done"}

RUN_MACHINE = StateMachine(
    model=DeliveryRun,
    table=RUN_TRANSITIONS,
    refused=lambda run, from_status, to_status: run_invalid(run, to_status, from_status=from_status),
    stamps={R.PICKED_UP: "picked_up_at", R.DONE: "done_at"},
    event_model=AuditLog,
    event_fields=("at", "actor", "street", "action", "object_type", "object_id", "data"),
    event_row=_run_event_row,
)


def _is_kitchen_staff(user: Any, kitchen: Kitchen) -> bool:
    return user_has_role(user, street=kitchen.street, roles=KITCHEN_ROLES)


def _require_rider_or_staff(run: DeliveryRun, actor: Any) -> None:
    if not getattr(actor, "is_authenticated", False):
        raise Problem("not_authenticated")
    if run.rider_id is not None and run.rider_id == actor.pk:
        return
    if _is_kitchen_staff(actor, run.kitchen):
        return
    raise Problem("permission_denied", detail=_("这不是分配给您的配送批次"))


def _slot_zh(slot: str) -> str:
    return {"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"}.get(slot, "餐")


# ------------------------------------------------------------------------------------------- planning


@dataclass
class PlanReport:
    runs: list[DeliveryRun] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # orders not put on any run, with the reason
    dine_in: int = 0  # orders eaten in the canteen's own dining room (no delivery)

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs": [
                {"id": r.pk, "name": r.name, "stops": r.stops.count(), "distance_m": r.distance_m} for r in self.runs
            ],
            "skipped": self.skipped,
            "dine_in": self.dine_in,
        }


@dataclass
class _Stop:
    label: str
    lat: float
    lng: float
    place_id: int | None
    order_ids: list[int]


def _plan_stops(kitchen: Kitchen, orders: list[Order]) -> tuple[list[_Stop], list[dict[str, Any]], int]:
    by_key: dict[Any, _Stop] = {}
    skipped: list[dict[str, Any]] = []
    dine_in = 0
    for o in orders:
        if o.destination_type == DestinationType.HOME:
            if o.home_lat is None or o.home_lng is None:
                skipped.append(
                    {
                        "order_id": o.pk,
                        "pickup_code": o.pickup_code,
                        "reason": "home_without_coordinates",
                        "message": format_lazy(_("订单 #{order} 的送餐地址没有坐标，请人工安排"), order=o.pk),
                    }
                )
                continue
            key: Any = ("home", round(o.home_lat, 6), round(o.home_lng, 6), o.home_address)
            stop = by_key.get(key)
            if stop is None:
                stop = _Stop(f"送餐上门 · {o.home_address}".strip(" ·"), o.home_lat, o.home_lng, None, [])
                by_key[key] = stop
            stop.order_ids.append(o.pk)
            continue
        place = o.destination_place
        if place is None:
            skipped.append(
                {
                    "order_id": o.pk,
                    "pickup_code": o.pickup_code,
                    "reason": "no_destination",
                    "message": format_lazy(_("订单 #{order} 没有送达地点"), order=o.pk),
                }
            )
            continue
        if place.pk == kitchen.place_id:
            dine_in += 1  # eaten in the canteen itself
            continue
        key = ("place", place.pk)
        stop = by_key.get(key)
        if stop is None:
            stop = _Stop(place.name, place.lat, place.lng, place.pk, [])
            by_key[key] = stop
        stop.order_ids.append(o.pk)
    return list(by_key.values()), skipped, dine_in


def _chunks(items: list[Any], parts: int) -> list[list[Any]]:
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for k in range(parts):
        end = start + size + (1 if k < extra else 0)
        out.append(items[start:end])
        start = end
    return out


@transaction.atomic
def runs_plan(
    *,
    kitchen: Kitchen,
    date: date,
    slot: str,
    actor: Any,
    riders_count: int = 1,
    max_stops_per_run: int | None = None,
) -> PlanReport:
    """Group the destinations of the live locked / in-production orders into runs with a short stop order.

    Planned runs of the same kitchen, date and slot are replaced; once any run has been picked up, re-planning
    is refused (`run_invalid_transition`). Home deliveries without coordinates are skipped and reported."""
    require_role(actor, street=kitchen.street, roles=KITCHEN_ROLES)
    if riders_count < 1 or (max_stops_per_run is not None and max_stops_per_run < 1):
        raise Problem(
            "validation_error",
            detail=_("骑手人数和每批站点数至少为 1"),
        )
    existing = list(DeliveryRun.objects.select_for_update().filter(kitchen=kitchen, date=date, slot=slot))
    if any(r.status != R.PLANNED for r in existing):
        raise Problem(
            "run_invalid_transition",
            detail=_("已有配送批次出发，不能重新规划"),
        )
    if existing:
        Order.objects.filter(run_stop__run__in=existing).update(run_stop=None)
        DeliveryRun.objects.filter(pk__in=[r.pk for r in existing]).delete()

    orders = list(
        Order.objects.select_for_update(of=("self",))
        .filter(kitchen=kitchen, date=date, slot=slot, status__in=list(PLANNABLE))
        .select_related("destination_place")
        .order_by("pk")
    )
    stops, skipped, dine_in = _plan_stops(kitchen, orders)
    report = PlanReport(skipped=skipped, dine_in=dine_in)
    if not stops:
        audit_log(
            actor=actor,
            action="meals.runs_plan",
            street=kitchen.street,
            obj=kitchen,
            data={"date": date.isoformat(), "slot": slot, "runs": 0, "skipped": len(skipped)},
        )
        return report

    origin: Point = (kitchen.place.lat, kitchen.place.lng)
    parts = riders_count
    if max_stops_per_run:
        parts = max(parts, math.ceil(len(stops) / max_stops_per_run))
    points = [(s.lat, s.lng) for s in stops]
    tour = [stops[i] for i in route_order(origin, points)]
    now = timezone.now()
    for n, chunk in enumerate(_chunks(tour, parts), start=1):
        pts = [(s.lat, s.lng) for s in chunk]
        order = route_order(origin, pts)
        run = DeliveryRun.objects.create(
            kitchen=kitchen,
            date=date,
            slot=slot,
            name=f"第{n}批 Run {n}",
            distance_m=round(path_length(origin, pts, order)),
            created_at=now,
        )
        for seq, idx in enumerate(order, start=1):
            s = chunk[idx]
            stop = DeliveryStop.objects.create(
                run=run, seq=seq, place_id=s.place_id, label=s.label[:200], lat=s.lat, lng=s.lng
            )
            Order.objects.filter(pk__in=s.order_ids).update(run_stop=stop)
        report.runs.append(run)
    audit_log(
        actor=actor,
        action="meals.runs_plan",
        street=kitchen.street,
        obj=kitchen,
        data={
            "date": date.isoformat(),
            "slot": slot,
            "runs": len(report.runs),
            "stops": len(stops),
            "skipped": len(skipped),
        },
    )
    return report


# ------------------------------------------------------------------------------------------ run steps


@transaction.atomic
def run_assign(*, run: DeliveryRun, rider: Any, actor: Any) -> DeliveryRun:
    """Kitchen staff give a planned run to a rider of the kitchen's street (re-assigning is fine until pick-up)."""
    require_role(actor, street=run.kitchen.street, roles=KITCHEN_ROLES)
    if rider is None or not user_has_role(rider, street=run.kitchen.street, roles=(Role.RIDER,)):
        raise Problem(
            "validation_error",
            detail=_("该用户不是本街道的骑手"),
            errors=[{"field": "rider_id", "message": _("不是本街道的骑手")}],
        )
    held = riders_held(street=run.kitchen.street, user_ids=[rider.pk])
    if held:
        raise Problem(
            "rider_unavailable",
            detail=held[rider.pk],
            errors=[{"field": "rider_id", "message": held[rider.pk]}],
        )
    if not DeliveryRun.objects.filter(pk=run.pk, status=R.PLANNED).update(rider=rider):
        run.refresh_from_db(fields=["status"])
        raise run_invalid(run, "assigned", _("配送批次已出发，不能再更换骑手"))
    run.rider = rider
    audit_log(actor=actor, action="meals.run_assign", street=run.kitchen.street, obj=run, data={"rider_id": rider.pk})
    return run


def _run_order_ids(run: DeliveryRun, status: str) -> list[int]:
    return list(Order.objects.filter(run_stop__run=run, status=status).values_list("pk", flat=True))


@transaction.atomic
def run_pick_up(*, run: DeliveryRun, actor: Any, now: datetime | None = None) -> DeliveryRun:
    """The rider takes the boxes: the run is picked up and its orders are out for delivery (locked orders go
    through in_production first). Each resident is told by SMS after commit."""
    _require_rider_or_staff(run, actor)
    if run.rider_id is None:
        raise run_invalid(run, R.PICKED_UP, _("请先为这个批次指定骑手"))
    now = now or timezone.now()
    RUN_MACHINE.check(run, R.PICKED_UP)
    # The orders first, then the run (its move appends the audit row, which counts them); a run picked up
    # meanwhile makes the run's move raise, and the whole transaction, orders too, is rolled back.
    note = f"骑手取餐 picked up (run {run.pk})"
    locked = _run_order_ids(run, S.LOCKED)
    if locked:
        orders_transition_bulk(
            order_ids=locked, from_status=S.LOCKED, to_status=S.IN_PRODUCTION, actor=actor, note=note, now=now
        )
    moving = _run_order_ids(run, S.IN_PRODUCTION)
    if moving:
        orders_transition_bulk(
            order_ids=moving, from_status=S.IN_PRODUCTION, to_status=S.OUT_FOR_DELIVERY, actor=actor, note=note, now=now
        )
    RUN_MACHINE.move(run, R.PICKED_UP, actor=actor, now=now, data={"orders": len(moving)})
    for order in Order.objects.filter(pk__in=moving).select_related("user", "destination_place"):
        where = (
            "您家"
            if order.destination_type == DestinationType.HOME
            else (order.destination_place.name if order.destination_place else "取餐点")
        )
        notify_user(
            user=order.user,
            message_zh=f"您订的{_slot_zh(order.slot)}已出发，正送往{where}。取餐码 {order.pickup_code}。",
            message_en=f"Your meal is on its way to {where}. Pickup code {order.pickup_code}.",
        )
    return run


@transaction.atomic
def stop_hand_over(*, stop: DeliveryStop, actor: Any, to_name: str = "", now: datetime | None = None) -> DeliveryStop:
    """The rider hands the boxes of one stop over: its orders are delivered (home deliveries straight to the
    resident, so also collected). When every stop of the run is done, the run is done."""
    run = stop.run
    _require_rider_or_staff(run, actor)
    run.refresh_from_db(fields=["status"])
    if run.status != R.PICKED_UP:
        raise run_invalid(run, "hand_over", _("请先在厨房点“已取餐”，再交付各站点"))
    now = now or timezone.now()
    to_name = (to_name or "").strip()[:60]
    if not DeliveryStop.objects.filter(pk=stop.pk, handed_over_at__isnull=True).update(
        handed_over_at=now, handed_over_to=to_name
    ):
        raise run_invalid(run, "hand_over", _("这一站已经交付过了"))
    stop.handed_over_at, stop.handed_over_to = now, to_name
    note = f"送达 handed over{(' to ' + to_name) if to_name else ''}"
    ids = list(Order.objects.filter(run_stop=stop, status=S.OUT_FOR_DELIVERY).values_list("pk", flat=True))
    if ids:
        orders_transition_bulk(
            order_ids=ids, from_status=S.OUT_FOR_DELIVERY, to_status=S.DELIVERED, actor=actor, note=note, now=now
        )
    home_ids = list(
        Order.objects.filter(pk__in=ids, destination_type=DestinationType.HOME).values_list("pk", flat=True)
    )
    if home_ids:
        orders_transition_bulk(
            order_ids=home_ids,
            from_status=S.DELIVERED,
            to_status=S.COLLECTED,
            actor=actor,
            note="送餐上门 delivered to the door",
            now=now,
        )
    for order in Order.objects.filter(pk__in=ids).exclude(pk__in=home_ids).select_related("user", "destination_place"):
        place = order.destination_place.name if order.destination_place else "取餐点"
        notify_user(
            user=order.user,
            message_zh=f"您订的{_slot_zh(order.slot)}已送到{place}，请凭取餐码 {order.pickup_code} 取餐。",
            message_en=f"Your meal has arrived at {place}. Show pickup code {order.pickup_code}.",
        )
    if not DeliveryStop.objects.filter(run=run, handed_over_at__isnull=True).exists():
        RUN_MACHINE.move(run, R.DONE, actor=actor, now=now)
    audit_log(
        actor=actor,
        action="meals.stop_hand_over",
        street=run.kitchen.street,
        obj=stop,
        data={"orders": len(ids), "run_id": run.pk},
    )
    return stop


# -------------------------------------------------------------------------------------------- reads


# A run's stops with their places (address and phone on the rider's list), in one query per list.
RUN_STOPS = Prefetch("stops", queryset=DeliveryStop.objects.select_related("place"))


def run_list_for_user(
    *, user: Any, on: date, slot: str | None = None, kitchen: Kitchen | None = None
) -> list[DeliveryRun]:
    """A rider's own runs; kitchen staff: the runs of their kitchens (or of `kitchen`)."""
    qs = DeliveryRun.objects.filter(date=on).select_related("kitchen__place", "kitchen__street", "rider")
    if slot:
        qs = qs.filter(slot=slot)
    if kitchen is not None:
        if _is_kitchen_staff(user, kitchen):
            return list(qs.filter(kitchen=kitchen).prefetch_related(RUN_STOPS))
        return list(qs.filter(kitchen=kitchen, rider=user).prefetch_related(RUN_STOPS))
    staff_streets = user_street_ids(user, roles=KITCHEN_ROLES)

    return list(qs.filter(Q(rider=user) | Q(kitchen__street_id__in=staff_streets)).prefetch_related(RUN_STOPS))


def run_to_dict(run: DeliveryRun, *, with_orders: bool = False) -> dict[str, Any]:
    stops = []
    for s in run.stops.all():
        item: dict[str, Any] = {
            "id": s.pk,
            "seq": s.seq,
            "label": s.label,
            "place_id": s.place_id,
            "lat": s.lat,
            "lng": s.lng,
            "handed_over_at": s.handed_over_at.isoformat() if s.handed_over_at else None,
            "handed_over_to": s.handed_over_to,
            "navigation": navigation_links(s.lat, s.lng, s.label),
        }
        orders = list(s.orders.all().select_related("user"))
        item["orders"] = len(orders)
        place = s.place
        if place is not None:
            item["address"], item["phone"] = place.address, place.phone
        else:
            # A home stop: the address the resident gave, and their number so the rider can ring from the gate.
            home = next((o for o in orders if o.home_address), None)
            item["address"] = home.home_address if home else s.label
            item["phone"] = next((o.user.phone for o in orders if o.user.phone), "")
        if with_orders:
            item["order_list"] = [
                {"id": o.pk, "pickup_code": o.pickup_code, "status": o.status, "phone": mask_phone(o.user.phone or "")}
                for o in orders
            ]
        stops.append(item)
    return {
        "id": run.pk,
        "kitchen_id": run.kitchen_id,
        "kitchen": run.kitchen.place.name,
        "kitchen_lat": run.kitchen.place.lat,
        "kitchen_lng": run.kitchen.place.lng,
        "date": run.date.isoformat(),
        "slot": run.slot,
        "name": run.name,
        "status": run.status,
        "status_label": str(choice_label(RunStatus, run.status)),
        "status_zh": choice_label_in(RunStatus, run.status, "zh-hans"),  # for clients written against the first API
        "rider_id": run.rider_id,
        "rider": str(run.rider) if run.rider else None,
        "distance_m": run.distance_m,
        "picked_up_at": run.picked_up_at.isoformat() if run.picked_up_at else None,
        "done_at": run.done_at.isoformat() if run.done_at else None,
        "stops": stops,
    }
