"""What the live dashboard reads of access: gates offline now and today's denials, by compound. Indexed: the
street's active gates, and taps by (street, at)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q

from linli.access.models import Decision, Gate, Tap
from linli.access.services.gates import OFFLINE_AFTER_SECONDS


def gates_live(*, street_id: int, now: datetime) -> dict[int, dict[str, int]]:
    """Per compound: {"gates": active gates, "offline": of them without a heartbeat in OFFLINE_AFTER_SECONDS}."""
    limit = now - timedelta(seconds=OFFLINE_AFTER_SECONDS)
    rows = (
        Gate.objects.filter(street_id=street_id, active=True)
        .order_by()
        .values("compound_id")
        .annotate(
            gates=Count("id"),
            offline=Count("id", filter=Q(last_heartbeat_at__isnull=True) | Q(last_heartbeat_at__lt=limit)),
        )
    )
    return {r["compound_id"]: {"gates": r["gates"], "offline": r["offline"]} for r in rows}


def denials_since_live(*, street_id: int, since: datetime) -> dict[int | None, int]:
    """Denied taps at the street's gates since `since`, by compound."""
    rows = (
        Tap.objects.filter(street_id=street_id, at__gte=since, decision=Decision.DENY)
        .order_by()
        .values("compound_id")
        .annotate(n=Count("id"))
    )
    return {r["compound_id"]: r["n"] for r in rows}
