"""The street HQ's oversight of a case: a new resolution deadline and an instruction (批示) on its timeline.

Both are supervisors' moves (safety officers, admins), written as CaseEvents ("deadline", "comment") so the case's
timeline shows who set what, when; neither changes the case's status. Re-routing and handing a case to someone is
`workflow.case_assign`. A change that moves a case's counted facts to another grid or another verdict (on time or
late) is told to `core.hooks.work_recorded` ("cases.changed"), once per day the case has facts on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.cases.models import Case, CaseEvent
from linli.cases.selectors import MERGEABLE_STATUSES
from linli.cases.services import push
from linli.cases.services.workflow import SUPERVISOR, _denied, case_facts_changed, is_supervisor
from linli.core.errors import Problem, field_error

MAX_COMMENT = 500


@transaction.atomic
def case_deadline_set(*, case: Case, due_at: datetime, actor: Any, note: str = "", now: datetime | None = None) -> Case:
    """Give an open case a new resolution deadline (`resolution_due_at`), with an optional note. Problems:
    permission_denied, case_invalid_transition (not open), validation_error (a deadline in the past)."""
    now = now or timezone.now()
    if not is_supervisor(actor, case):
        raise _denied(SUPERVISOR)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status not in MERGEABLE_STATUSES:
        raise Problem(
            "case_invalid_transition",
            detail=format_lazy(_("事件 #{case} 已结束，不能设定时限"), case=case.pk),
            extra={"from_status": locked.status, "to_status": locked.status},
        )
    if timezone.is_naive(due_at):
        due_at = timezone.make_aware(due_at)
    if due_at <= now:
        raise Problem("validation_error", errors=[field_error("due_at", _("时限应晚于现在"))])
    note = (note or "").strip()
    if len(note) > MAX_COMMENT:
        raise Problem("validation_error", errors=[field_error("note", _("说明过长"))])
    previous = locked.resolution_due_at
    Case.objects.filter(pk=case.pk).update(resolution_due_at=due_at, updated_at=now, escalated_at=None)
    case.resolution_due_at, case.updated_at, case.escalated_at = due_at, now, None
    CaseEvent.objects.create(
        case=case,
        at=now,
        actor=actor,
        action="deadline",
        from_status=locked.status,
        to_status=locked.status,
        note=(
            f"处置时限改为 deadline set to {timezone.localtime(due_at):%Y-%m-%d %H:%M}" + (f"；{note}" if note else "")
        )[:500],
        data={"due_at": due_at.isoformat(), "previous": previous.isoformat() if previous else None},
    )
    case_facts_changed(case)
    push.case_push(case=case, event="deadline")
    return case


@transaction.atomic
def case_comment_add(*, case: Case, text: str, actor: Any, now: datetime | None = None) -> CaseEvent:
    """An instruction (批示) from the HQ on the case's timeline. Problems: permission_denied, validation_error."""
    now = now or timezone.now()
    if not is_supervisor(actor, case):
        raise _denied(SUPERVISOR)
    text = (text or "").strip()
    if not text:
        raise Problem("validation_error", errors=[field_error("text", _("请填写批示内容"))])
    if len(text) > MAX_COMMENT:
        raise Problem("validation_error", errors=[field_error("text", _("说明过长"))])
    locked = Case.objects.select_for_update().get(pk=case.pk)
    event = CaseEvent.objects.create(
        case=case,
        at=now,
        actor=actor,
        action="comment",
        from_status=locked.status,
        to_status=locked.status,
        note=text,
        data={},
    )
    push.case_push(case=case, event="comment")
    return event
