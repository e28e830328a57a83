"""What the live dashboard reads of meals: today's orders by state and place, and today's delivery runs with the
late ones. Indexed reads only: orders by (street, date), runs through today's orders' stops."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count

from linli.core.local_time import SHANGHAI
from linli.meals.models import DeliveryRun, Order, OrderStatus, RunStatus, Slot

# When a slot's meals should be at their destinations (local time): a run not done by then is late.
DELIVER_BY: dict[str, dt.time] = {
    Slot.BREAKFAST: dt.time(8, 0),
    Slot.LUNCH: dt.time(12, 0),
    Slot.DINNER: dt.time(18, 0),
}
NOT_ORDERED = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)


def orders_today_live(*, street_id: int, day: dt.date) -> list[dict[str, Any]]:
    """Today's orders (not cancelled) by (destination place, kitchen place, status): [{..., "n"}]."""
    return list(
        Order.objects.filter(street_id=street_id, date=day)
        .exclude(status__in=NOT_ORDERED)
        .order_by()
        .values("destination_place_id", "kitchen__place_id", "status")
        .annotate(n=Count("id"))
        .values("destination_place_id", "kitchen__place_id", "status", "n")
    )


def run_is_late(*, run_date: dt.date, slot: str, status: str, now: dt.datetime) -> bool:
    """A run not done after its slot's deliver-by time (`DELIVER_BY`, local)."""
    if status == RunStatus.DONE:
        return False
    by = DELIVER_BY.get(slot)
    if by is None:
        return False
    return now > dt.datetime.combine(run_date, by, tzinfo=SHANGHAI)


def runs_today_live(*, street_id: int, day: dt.date, now: dt.datetime) -> list[dict[str, Any]]:
    """Today's runs of the street (through today's orders' stops): kitchen place, status, late."""
    run_ids = (
        Order.objects.filter(street_id=street_id, date=day, run_stop__isnull=False)
        .order_by()
        .values_list("run_stop__run_id", flat=True)
        .distinct()
    )
    rows = DeliveryRun.objects.filter(pk__in=list(run_ids)).values("id", "kitchen__place_id", "slot", "status", "date")
    return [
        {
            "id": r["id"],
            "kitchen_place_id": r["kitchen__place_id"],
            "status": r["status"],
            "late": run_is_late(run_date=r["date"], slot=r["slot"], status=r["status"], now=now),
        }
        for r in rows
    ]
