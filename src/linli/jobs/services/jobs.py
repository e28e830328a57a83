"""Jobs: entered by staff (from an employer's call) or posted by a verified employer's member. Every value is
checked against the taxonomy and the choices before anything is stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.geo import in_china
from linli.core.models import Street, User
from linli.core.services import audit_log
from linli.jobs.models import Employer, HoursKind, Job, JobStatus, Shift
from linli.jobs.taxonomy import OCCUPATIONS, SKILLS


@dataclass
class JobValues:
    title: str
    occupation: str
    lat: float
    lng: float
    hours_kind: str
    valid_through: dt.date
    shifts: list[str] = field(default_factory=list)
    skills_essential: list[str] | None = None  # None: the occupation's
    skills_optional: list[str] | None = None
    description: str = ""
    address: str = ""
    pay_min_fen: int = 0
    pay_max_fen: int = 0
    step_free: bool = False
    heavy_lifting: bool = False
    openings: int = 1
    external_id: str = ""


def job_values_errors(v: JobValues, *, today: dt.date) -> list[dict[str, Any]]:
    """Every problem of `v`, each with its field (the API, the pages and each CSV line share these)."""
    errors: list[dict[str, Any]] = []
    if not v.title.strip():
        errors.append(field_error("title", _("请填写岗位名称")))
    if v.occupation not in OCCUPATIONS:
        errors.append(field_error("occupation", format_lazy(_("没有职业代码 {code}"), code=v.occupation)))
    for name, skills in (("skills_essential", v.skills_essential), ("skills_optional", v.skills_optional)):
        for s in skills or ():
            if s not in SKILLS:
                errors.append(field_error(name, format_lazy(_("没有技能 {skill}"), skill=s)))
    if v.hours_kind not in HoursKind.values:
        errors.append(field_error("hours_kind", format_lazy(_("没有工时类型 {kind}"), kind=v.hours_kind)))
    for s in v.shifts:
        if s not in Shift.values:
            errors.append(field_error("shifts", format_lazy(_("没有班次 {shift}"), shift=s)))
    if not (-90 <= v.lat <= 90 and -180 <= v.lng <= 180) or not in_china(v.lat, v.lng):
        errors.append(field_error("lat", _("坐标不在中国境内")))
    if v.pay_min_fen < 0 or v.pay_max_fen < v.pay_min_fen:
        errors.append(field_error("pay_max_fen", _("工资上限不能低于下限")))
    if not 1 <= v.openings <= 1000:
        errors.append(field_error("openings", _("招聘人数应在 1 到 1000 之间")))
    if v.valid_through < today:
        errors.append(field_error("valid_through", _("截止日期已过")))
    return errors


def _row(v: JobValues) -> dict[str, Any]:
    occupation = OCCUPATIONS[v.occupation]
    return {
        "title": v.title.strip(), "occupation": v.occupation,
        "skills_essential": list(occupation.essential if v.skills_essential is None else v.skills_essential),
        "skills_optional": list(occupation.optional if v.skills_optional is None else v.skills_optional),
        "description": v.description, "address": v.address, "lat": v.lat, "lng": v.lng,
        "hours_kind": v.hours_kind, "shifts": list(dict.fromkeys(v.shifts)), "pay_min_fen": v.pay_min_fen,
        "pay_max_fen": v.pay_max_fen, "step_free": v.step_free, "heavy_lifting": v.heavy_lifting,
        "openings": v.openings, "valid_through": v.valid_through, "external_id": v.external_id,
    }  # fmt: skip


@transaction.atomic
def job_create(*, employer: Employer, values: JobValues, actor: User | None) -> Job:
    if employer.verified_at is None:
        raise Problem("jobs_employer_unverified")
    errors = job_values_errors(values, today=timezone.localdate())
    if errors:
        raise Problem("validation_error", errors=errors)
    job = Job.objects.create(street_id=employer.street_id, employer=employer, created_by=actor, **_row(values))
    audit_log(actor=actor, action="jobs.job.create", street=employer.street, obj=job)
    return job


def job_rows_write(*, street: Street, rows: list[tuple[Employer, JobValues]], actor: User | None) -> tuple[int, int]:
    """Create or update (by the employer's `external_id`) jobs already checked; returns (created, updated)."""
    created = updated = 0
    for employer, values in rows:
        row = _row(values)
        existing = (
            Job.objects.filter(employer=employer, external_id=values.external_id).first()
            if values.external_id
            else None
        )
        if existing is None:
            Job.objects.create(street=street, employer=employer, created_by=actor, **row)
            created += 1
        else:
            Job.objects.filter(pk=existing.pk).update(status=JobStatus.OPEN, updated_at=timezone.now(), **row)
            updated += 1
    return created, updated


@transaction.atomic
def job_close(*, job: Job, actor: User | None) -> Job:
    Job.objects.filter(pk=job.pk).update(status=JobStatus.CLOSED, updated_at=timezone.now())
    job.status = JobStatus.CLOSED
    audit_log(actor=actor, action="jobs.job.close", street=job.street, obj=job)
    return job
