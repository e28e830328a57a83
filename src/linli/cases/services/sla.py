"""Service levels: the reminder at 75 % of a case's resolution target and the escalation to the street HQ at
breach. Run every minute by Celery beat ("cases.sla_sweep").

Idempotent and safe with several workers: each reminder and each escalation is claimed by a conditional UPDATE
(`... WHERE reminded_at IS NULL` / `... WHERE escalated_at IS NULL`) in its own transaction, and the SMS and push
go out after that commit. A case resolved meanwhile is skipped (the claim also requires an unresolved status).
A case found already past its target gets the escalation only (a reminder then would be noise).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from linli.cases.models import Case, CaseCategory, CaseEvent, Queue
from linli.cases.selectors import UNRESOLVED_STATUSES
from linli.cases.services import push

REMIND_FRACTION = 0.75


def remind_at(case: Case) -> datetime | None:
    """When the 75 % reminder of the resolution target falls due."""
    if case.resolution_due_at is None:
        return None
    return case.created_at + (case.resolution_due_at - case.created_at) * REMIND_FRACTION


def _remind(case: Case, now: datetime) -> bool:
    with transaction.atomic():
        claimed = Case.objects.filter(
            pk=case.pk, reminded_at__isnull=True, status__in=list(UNRESOLVED_STATUSES)
        ).update(reminded_at=now)
        if not claimed:
            return False
        case.reminded_at = now
        CaseEvent.objects.create(
            case=case,
            at=now,
            action="remind",
            from_status=case.status,
            to_status=case.status,
            note="已用去 75% 办结时限 75% of the resolution time used",
        )
        due = timezone.localtime(case.resolution_due_at)
        assignee = case.assignee
        users = [assignee] if assignee is not None and assignee.is_active else push.grid_workers_for(case)
        if not users:
            users = push.case_receivers(case)
        push.case_sms(
            users=users,
            message_zh=f"提醒：事件 #{case.pk}「{case.category.name_zh}」须于 {due:%m-%d %H:%M} 前办结，请抓紧处置。",
            message_en=f"Reminder: case #{case.pk} is due by {due:%d %b %H:%M}.",
        )
        push.case_push(case=case, event="remind")
    return True


def _escalate(case: Case, now: datetime) -> bool:
    with transaction.atomic():
        claimed = Case.objects.filter(
            pk=case.pk, escalated_at__isnull=True, status__in=list(UNRESOLVED_STATUSES)
        ).update(escalated_at=now, queue=Queue.HQ, updated_at=now)
        if not claimed:
            return False
        case.escalated_at, case.queue, case.updated_at = now, Queue.HQ, now
        CaseEvent.objects.create(
            case=case,
            at=now,
            action="escalate",
            from_status=case.status,
            to_status=case.status,
            note="超过办结时限，已上报街道指挥部 past the resolution target: escalated to street HQ",
            data={"resolution_due_at": case.resolution_due_at.isoformat() if case.resolution_due_at else None},
        )
        push.case_push(case=case, event="escalate")
        push.case_sms(
            users=push.street_admins(case.street_id),
            message_zh=f"督办：事件 #{case.pk}「{case.category.name_zh}」已超过办结时限，已转街道指挥部。",
            message_en=f"Case #{case.pk} ({case.category.name_en or case.category.code}) is overdue and escalated.",
        )
    return True


def cases_sla_sweep(*, now: datetime | None = None) -> dict[str, Any]:
    """Send the due 75 % reminders and escalate breached cases; return {"reminded": n, "escalated": m}."""
    now = now or timezone.now()
    related = ("street", "category", "grid", "assignee")
    escalated = 0
    for case in (
        Case.objects.filter(status__in=list(UNRESOLVED_STATUSES), escalated_at__isnull=True, resolution_due_at__lte=now)
        .select_related(*related)
        .order_by("resolution_due_at", "id")
        .iterator(chunk_size=200)
    ):
        escalated += _escalate(case, now)

    longest = CaseCategory.objects.aggregate(m=Max("resolution_minutes"))["m"] or 0
    horizon = now + timedelta(minutes=longest * (1 - REMIND_FRACTION) + 1)
    reminded = 0
    for case in (
        Case.objects.filter(
            status__in=list(UNRESOLVED_STATUSES),
            reminded_at__isnull=True,
            resolution_due_at__gt=now,
            resolution_due_at__lte=horizon,
        )
        .select_related(*related)
        .order_by("resolution_due_at", "id")
        .iterator(chunk_size=200)
    ):
        threshold = remind_at(case)
        if threshold is not None and threshold <= now:
            reminded += _remind(case, now)
    return {"reminded": reminded, "escalated": escalated}
