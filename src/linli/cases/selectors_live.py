"""What the live dashboard reads of cases: the open cases (state, SLA clock, pin) and recent reports, per grid.

Cheap, indexed reads: the open cases of a street (index street/status/category) and the reports of the last hour
(index on `created_at`), never the history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count

from linli.cases.models import Case, Report
from linli.cases.selectors import MERGEABLE_STATUSES, UNRESOLVED_STATUSES

OPEN_CASES_MAX = 2000  # the most a live picture reads (the oldest first: those are the late ones)


def sla_clock(*, status: str, created_at: datetime, due_at: datetime | None, now: datetime) -> str:
    """An open case's SLA state: "due" (within its resolution target), "late" (past it) or "late3" (past three
    times its target, Signalen's "3× late"); "done" once handled (resolved or verified, waiting to be closed: the
    clock has stopped), "none" without a target."""
    if status not in UNRESOLVED_STATUSES:
        return "done"
    if due_at is None:
        return "none"
    if now <= due_at:
        return "due"
    if now - created_at > (due_at - created_at) * 3:
        return "late3"
    return "late"


def cases_open_live(*, street_id: int, now: datetime, limit: int = OPEN_CASES_MAX) -> list[dict[str, Any]]:
    """The street's open cases (not closed, rejected or merged), oldest first: id, grid, status, point,
    category, SLA clock."""
    rows = (
        Case.objects.filter(street_id=street_id, status__in=list(MERGEABLE_STATUSES))
        .order_by("created_at", "id")
        .values(
            "id",
            "grid_id",
            "status",
            "lat",
            "lng",
            "created_at",
            "resolution_due_at",
            "category__name_zh",
        )[:limit]
    )
    out = []
    for r in rows:
        out.append(
            {
                "id": r["id"],
                "grid_id": r["grid_id"],
                "status": r["status"],
                "lat": r["lat"],
                "lng": r["lng"],
                "category": r["category__name_zh"],
                "due_at": r["resolution_due_at"],
                "sla": sla_clock(
                    status=r["status"], created_at=r["created_at"], due_at=r["resolution_due_at"], now=now
                ),
            }
        )
    return out


def reports_since_by_grid(*, street_id: int, since: datetime) -> dict[int | None, int]:
    """Reports received since `since`, by the grid of the case they went to."""
    rows = (
        Report.objects.filter(street_id=street_id, created_at__gte=since)
        .order_by()
        .values("case__grid_id")
        .annotate(n=Count("id"))
    )
    return {r["case__grid_id"]: r["n"] for r in rows}
