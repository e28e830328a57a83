"""Follow-up tasks after an emergency or a visit (24 h, 3 days, 2 weeks by default); overdue ones escalate to the
street's care leads once (`followups_sweep`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from linli.care.models import Call, FollowUp, FollowUpEvent, FollowUpStatus, Person, VisitRequest
from linli.care.services.followup_states import FOLLOWUP_MACHINE
from linli.care.services.rota import care_leads
from linli.care.services.text import text_in
from linli.core.models import User
from linli.core.notifications import notify_user

DEFAULT_SCHEDULE: tuple[tuple[str, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("3d", timedelta(days=3)),
    ("2w", timedelta(weeks=2)),
)


@transaction.atomic
def followups_schedule(
    *,
    person: Person,
    start: datetime,
    assignee: User | None = None,
    call: Call | None = None,
    visit: VisitRequest | None = None,
) -> list[FollowUp]:
    """The default follow-ups of a call or a visit (once per call or visit)."""
    existing = FollowUp.objects.filter(person=person, call=call, visit=visit)
    if (call is not None or visit is not None) and existing.exists():
        return list(existing)
    return [
        FollowUp.objects.create(
            person=person, call=call, visit=visit, label=label, assignee=assignee, due_at=start + delta
        )
        for label, delta in DEFAULT_SCHEDULE
    ]


@transaction.atomic
def followup_done(*, followup: FollowUp, actor: User, note: str = "", now: datetime | None = None) -> FollowUp:
    note = text_in(note, field="note", max_len=500)
    FOLLOWUP_MACHINE.move(followup, FollowUpStatus.DONE, actor=actor, note=note, now=now, fields={"note": note})
    return followup


def followups_sweep(*, now: datetime | None = None) -> dict[str, Any]:
    """Overdue open follow-ups: the care leads are told, once per task (`escalated_at`)."""
    now = now or timezone.now()
    n = 0
    due = FollowUp.objects.filter(status=FollowUpStatus.OPEN, due_at__lt=now, escalated_at__isnull=True)
    for f in due.select_related("person", "person__committee"):
        with transaction.atomic():
            if not FollowUp.objects.filter(pk=f.pk, escalated_at__isnull=True).update(escalated_at=now):
                continue
            FollowUpEvent.objects.create(
                followup=f, at=now, action="overdue", from_status=f.status, to_status=f.status, note="", data={}
            )
            for lead in care_leads(street=f.person.street_id):
                notify_user(
                    user=lead,
                    message_zh=f"回访逾期：{f.person.name}（{f.person.committee.name}），应于{timezone.localtime(f.due_at):%m-%d %H:%M}完成。",
                    message_en=f"Follow-up overdue for {f.person.name} ({f.person.committee.name}).",
                )
            n += 1
    return {"overdue_escalated": n}
