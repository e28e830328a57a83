"""Alerts on unusual access patterns, recorded by a periodic sweep (Celery beat "access.alert_sweep"):

- many denials from one rider in a short time (DENIALS_THRESHOLD within DENIALS_WINDOW_MINUTES): someone trying
  gate after gate, or a rider stuck at a gate that keeps refusing them;
- a gate offline during the lunch peak (11:00–13:30 local time), when riders need it most.

Idempotent: each alert has a key (kind, subject, period) under a unique constraint, so running the sweep often or
on several workers records each alert once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as dtime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from linli.access.models import AccessAlert, AlertKind, Decision, Gate, Tap
from linli.access.services.gates import OFFLINE_AFTER_SECONDS

DENIALS_THRESHOLD = 5
DENIALS_WINDOW_MINUTES = 10
LUNCH_PEAK = (dtime(11, 0), dtime(13, 30))


def in_lunch_peak(at: datetime) -> bool:
    t = timezone.localtime(at).time()
    return LUNCH_PEAK[0] <= t < LUNCH_PEAK[1]


def _record(**fields: Any) -> bool:
    try:
        with transaction.atomic():
            AccessAlert.objects.create(**fields)
    except IntegrityError:
        return False
    return True


def rider_denial_bursts(*, now: datetime) -> list[dict[str, Any]]:
    """Riders with at least DENIALS_THRESHOLD denials in the last DENIALS_WINDOW_MINUTES, per street."""
    since = now - timedelta(minutes=DENIALS_WINDOW_MINUTES)
    return list(
        Tap.objects.filter(decision=Decision.DENY, at__gt=since, at__lte=now, rider__isnull=False)
        .values("rider_id", "street_id")
        .annotate(n=Count("id"))
        .filter(n__gte=DENIALS_THRESHOLD)
        .order_by("street_id", "rider_id")
    )


def gates_offline(*, now: datetime) -> list[Gate]:
    limit = now - timedelta(seconds=OFFLINE_AFTER_SECONDS)
    return list(
        Gate.objects.filter(active=True)
        .filter(Q(last_heartbeat_at__isnull=True) | Q(last_heartbeat_at__lt=limit))
        .select_related("compound")
        .order_by("id")
    )


def access_alert_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Record the alerts due now; return {"rider_denials": n, "gate_offline_peak": m} (new ones only)."""
    now = now or timezone.now()
    bucket = int(now.timestamp() // (DENIALS_WINDOW_MINUTES * 60))
    denials = 0
    for row in rider_denial_bursts(now=now):
        reasons = list(
            Tap.objects.filter(
                rider_id=row["rider_id"],
                street_id=row["street_id"],
                decision=Decision.DENY,
                at__gt=now - timedelta(minutes=DENIALS_WINDOW_MINUTES),
            )
            .order_by()
            .values_list("reason", flat=True)
            .distinct()
        )
        denials += _record(
            street_id=row["street_id"],
            rider_id=row["rider_id"],
            kind=AlertKind.RIDER_DENIALS,
            key=f"rider_denials:{row['street_id']}:{row['rider_id']}:{bucket}",
            at=now,
            data={"denials": row["n"], "minutes": DENIALS_WINDOW_MINUTES, "reasons": sorted(r for r in reasons if r)},
        )
    offline = 0
    if in_lunch_peak(now):
        day = timezone.localtime(now).date().isoformat()
        for gate in gates_offline(now=now):
            offline += _record(
                street_id=gate.street_id,
                compound_id=gate.compound_id,
                gate=gate,
                kind=AlertKind.GATE_OFFLINE_PEAK,
                key=f"gate_offline_peak:{gate.pk}:{day}",
                at=now,
                data={
                    "gate": gate.public_id,
                    "last_heartbeat_at": gate.last_heartbeat_at.isoformat() if gate.last_heartbeat_at else None,
                },
            )
    return {"rider_denials": denials, "gate_offline_peak": offline}
