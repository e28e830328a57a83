"""The employers' clocks: an application the employer has left unanswered 14 days is reminded (once per
silence: a move restarts the clock); at 60 days it is declined automatically ("no_answer"). Idempotent: the
sweep (`tasks.jobs_sweep`, every hour) may run any number of times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.i18n import in_language
from linli.core.notifications import notify_user
from linli.jobs.models import Application, AppStatus, RefusalReason
from linli.jobs.services.pipeline import application_move
from linli.jobs.services.pipeline_states import AWAITING_EMPLOYER

REMIND_AFTER = timedelta(days=14)
DECLINE_AFTER = timedelta(days=60)


@dataclass
class SweepResult:
    reminded: int = 0
    declined: int = 0


def sweep(*, now: datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    stale = Application.objects.filter(status__in=AWAITING_EMPLOYER, moved_at__lte=now - DECLINE_AFTER)
    for app in stale.select_related("street").order_by("id"):
        try:
            application_move(application=app, to=AppStatus.REFUSED, actor=None, reason=RefusalReason.NO_ANSWER,
                             now=now, action="auto_decline", note=str(_("用人单位60天未答复，自动结束")))  # fmt: skip
            result.declined += 1
        except Problem:
            continue  # moved meanwhile
    due = Application.objects.filter(status__in=AWAITING_EMPLOYER, moved_at__lte=now - REMIND_AFTER).filter(
        Q(reminded_at__isnull=True) | Q(reminded_at__lt=F("moved_at"))
    )
    for app in due.select_related("job__employer").order_by("id"):
        with transaction.atomic():
            if (
                not Application.objects.filter(pk=app.pk, moved_at=app.moved_at)
                .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=F("moved_at")))
                .update(reminded_at=now)
            ):
                continue
            for member in app.job.employer.members.all():
                text = format_lazy(_("有求职者等待您的答复：{job}"), job=app.job.title)
                notify_user(user=member, message_zh=in_language(text, "zh-hans"), message_en=in_language(text, "en"))
            result.reminded += 1
    return result
