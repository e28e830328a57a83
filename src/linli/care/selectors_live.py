"""What the live dashboard reads of care: open calls (emergency, help) and open 8-hour door-to-door requests,
grouped by where the person lives (compound, committee). Indexed reads (street/status) of open rows only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from linli.care.models import Call, CallKind, VisitRequest, VisitStatus
from linli.care.selectors import OPEN_CALL

OPEN_VISIT = (VisitStatus.OPEN, VisitStatus.ON_SITE)


def calls_open_live(*, street_id: int) -> list[dict[str, Any]]:
    """Open calls by (compound, committee, kind): [{"compound_id", "committee_id", "kind", "n"}]."""
    return list(
        Call.objects.filter(street_id=street_id, status__in=list(OPEN_CALL))
        .exclude(kind=CallKind.CHAT)
        .order_by()
        .values("person__compound_id", "committee_id", "kind")
        .annotate(n=Count("id"))
        .values("person__compound_id", "committee_id", "kind", "n")
    )


def visits_open_live(*, street_id: int, now: datetime) -> list[dict[str, Any]]:
    """Open 8-hour requests by (compound, committee): how many, and how many are past their 8 hours."""
    return list(
        VisitRequest.objects.filter(street_id=street_id, status__in=list(OPEN_VISIT))
        .order_by()
        .values("person__compound_id", "committee_id")
        .annotate(n=Count("id"), late=Count("id", filter=Q(due_at__lt=now)))
        .values("person__compound_id", "committee_id", "n", "late")
    )
