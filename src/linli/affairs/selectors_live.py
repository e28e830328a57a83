"""What the live dashboard reads of affairs: today's queue per centre (people waiting, the longest wait so far, the
average wait of those called today). Indexed: today's tickets by (street, day)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Min, Q

from linli.affairs.models import QueueTicket, TicketStatus


def queues_today_live(*, street_id: int, day: date) -> list[dict[str, Any]]:
    """Per centre: {"place_id", "waiting", "oldest_waiting_at", "called", "wait_s_total"} for today's tickets,
    where `wait_s_total` is the sum of waits (check-in → first call) of the `called` ones."""
    rows = list(
        QueueTicket.objects.filter(street_id=street_id, day=day)
        .order_by()
        .values("place_id")
        .annotate(
            waiting=Count("id", filter=Q(status=TicketStatus.WAITING)),
            oldest_waiting_at=Min("checked_in_at", filter=Q(status=TicketStatus.WAITING)),
            called=Count("id", filter=Q(called_at__isnull=False)),
        )
    )
    waits: dict[int, float] = {}
    for place_id, checked_in_at, called_at in (
        QueueTicket.objects.filter(street_id=street_id, day=day, called_at__isnull=False)
        .order_by()
        .values_list("place_id", "checked_in_at", "called_at")
    ):
        if called_at is not None:
            waits[place_id] = waits.get(place_id, 0.0) + max(0.0, (called_at - checked_in_at).total_seconds())
    for r in rows:
        r["wait_s_total"] = waits.get(r["place_id"], 0.0)
    return rows
