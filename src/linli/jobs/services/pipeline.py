"""The pipeline: a staff member suggests a job to a seeker (or the resident applies), then records each step —
contacted, interview, offer, hired, refused (with a reason from `RefusalReason`), the 3-month follow-up (retained
or left) — through `PIPELINE_MACHINE`, each move a row of the timeline. One application per seeker and job (so one
hire per person per job); a person is placed in one job at once (both are constraints of the table, and their
refusals are Problems here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.models import User
from linli.core.services import audit_log
from linli.jobs.models import PLACED, Application, ApplicationEvent, AppStatus, Job, JobStatus, RefusalReason, Seeker
from linli.jobs.services import matching
from linli.jobs.services.pipeline_states import PIPELINE_MACHINE


@transaction.atomic
def application_create(
    *, seeker: Seeker, job: Job, actor: User | None, applied: bool = False, note: str = "",
    now: datetime | None = None, source: str = "",
) -> Application:  # fmt: skip
    """Suggest `job` to `seeker` (staff), or the seeker applies (`applied`). The match's reasons are kept."""
    now = now or timezone.now()
    if job.street_id != seeker.street_id:
        raise Problem("not_found")
    if job.status != JobStatus.OPEN or job.valid_through < timezone.localdate(now):
        raise Problem("jobs_job_closed")
    reasons: list[dict[str, Any]] = []
    score = 0.0
    if seeker.lat is not None:
        router = matching.travel.Router(matching.travel.graph_for(seeker.street_id), seeker.lat,
                                        seeker.lng or 0.0, seeker.travel_mode, 24 * 60)  # fmt: skip
        m = matching.evaluate(seeker, matching.job_row(job), router.trip(job.lat, job.lng))
        reasons, score = m.reasons, m.score
    status = AppStatus.APPLIED if applied else AppStatus.SUGGESTED
    try:
        with transaction.atomic():
            app = Application.objects.create(
                street_id=seeker.street_id, seeker=seeker, job=job, status=status, reasons=reasons, score=score,
                created_by=actor, created_at=now, moved_at=now,
            )  # fmt: skip
    except IntegrityError as exc:
        raise Problem("jobs_application_exists") from exc
    ApplicationEvent.objects.create(application=app, at=now, actor=actor, action="create", from_status="",
                                    to_status=status, note=note[:500], data={"source": source} if source else {})  # fmt: skip
    return app


@transaction.atomic
def application_move(
    *, application: Application, to: str, actor: User | None, note: str = "", reason: str = "",
    now: datetime | None = None, action: str = "transition",
) -> Application:  # fmt: skip
    """Record one step. A refusal names its reason; a hire is refused while the person is placed elsewhere."""
    now = now or timezone.now()
    if to not in AppStatus.values:
        raise Problem("validation_error", errors=[field_error("to", _("没有这个进展状态"))])
    fields: dict[str, Any] = {"moved_at": now}
    if to == AppStatus.REFUSED:
        if reason not in RefusalReason.values:
            raise Problem("jobs_refusal_reason_required",
                          errors=[field_error("reason", _("请选择未成的原因"))])  # fmt: skip
        fields["refusal_reason"] = reason
    PIPELINE_MACHINE.check(application, to)
    if to == AppStatus.HIRED:
        other = (
            Application.objects.filter(seeker_id=application.seeker_id, status__in=PLACED)
            .exclude(pk=application.pk)
            .exists()
        )
        if other:
            raise Problem("jobs_already_placed")
    try:
        with transaction.atomic():
            PIPELINE_MACHINE.move(application, to, actor=actor, note=note, now=now, fields=fields,
                                  data={"action": action, **({"reason": reason} if reason else {})})  # fmt: skip
    except IntegrityError as exc:  # a hire elsewhere committed between the check and the move
        raise Problem("jobs_already_placed") from exc
    if to == AppStatus.HIRED:
        audit_log(actor=actor, action="jobs.application.hired", street=application.street, obj=application)
    return application


def application_timeline(application: Application) -> list[ApplicationEvent]:
    return list(application.events.select_related("actor").order_by("at", "id"))
