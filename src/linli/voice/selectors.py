"""Voice reads, scoped by street and role: surveys open to residents, staff views of a street's surveys, needs
and consultations, and the public accountability ("what we did") per committee and street."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core import rawsql
from linli.core import selectors as core_selectors
from linli.core.errors import Problem
from linli.core.models import Committee, Role, Street, User
from linli.voice.models import (
    ActionStatus,
    Consultation,
    ConsultationStatus,
    Need,
    NeedStatus,
    Survey,
)

STAFF_ROLES = (Role.ADMIN, Role.STATION_STAFF, Role.SOCIAL_WORKER, Role.GRID_WORKER)
DOOR_ROLES = (*STAFF_ROLES, Role.BUILDING_HEAD)


def staff_streets(user: User, roles: Iterable[str] = STAFF_ROLES) -> QuerySet[Street]:
    return core_selectors.street_list_for_roles(user, roles=roles)


def staff_require(user: User, *, street: Street, roles: Iterable[str] = STAFF_ROLES) -> None:
    core_selectors.require_role(user, street=street, roles=roles)


def is_staff(user: User | None, *, street: Street, roles: Iterable[str] = STAFF_ROLES) -> bool:
    return user is not None and core_selectors.user_has_role(user, street=street, roles=roles)


def survey_get(*, survey_id: int) -> Survey:
    survey = Survey.objects.select_related("street").filter(pk=survey_id).first()
    if survey is None:
        raise Problem("not_found", detail=format_lazy(_("没有编号为 {id} 的问卷"), id=survey_id))
    return survey


def survey_get_for_answer(*, survey_id: int) -> Survey:
    """`survey_get` as the answering path reads it (the booking path's lean read): the survey and its street in
    one plain SELECT, no queryset built per answer."""
    row = rawsql.fetch_one(
        f"SELECT {rawsql.select_list(Survey, 'v')}, {rawsql.select_list(Street, 's')} "  # noqa: S608
        f"FROM {rawsql.table(Survey)} v JOIN {rawsql.table(Street)} s ON s.id = v.{rawsql.column(Survey, 'street')} "
        "WHERE v.id = %s",
        [survey_id],
    )
    if row is None:
        raise Problem("not_found", detail=format_lazy(_("没有编号为 {id} 的问卷"), id=survey_id))
    survey, street = rawsql.instances(row, Survey, Street)
    assert isinstance(survey, Survey)
    Survey.street.field.set_cached_value(survey, street)
    return survey


def survey_by_token(*, token: str) -> Survey:
    survey = Survey.objects.select_related("street").filter(link_token=token).first() if _uuid_like(token) else None
    if survey is None:
        raise Problem("not_found")
    return survey


def _uuid_like(value: str) -> bool:
    return len(value) in (32, 36) and all(c in "0123456789abcdef-" for c in value.lower())


def survey_list(*, street: Street, now: datetime | None = None, include_closed: bool = True) -> QuerySet[Survey]:
    """The street's published surveys (opened), newest first; link-only surveys are not listed."""
    now = now or timezone.now()
    qs = Survey.objects.filter(street=street, opens_at__lte=now).exclude(audience="link")
    if not include_closed:
        qs = qs.filter(closes_at__gt=now)
    return qs.order_by("-opens_at", "-id")


def survey_questions(survey: Survey) -> list[dict[str, Any]]:
    return [
        {"id": q.pk, "position": q.position, "section": q.section.title if q.section else "", "kind": q.kind,
         "text": q.text, "help_text": q.help_text, "options": q.options, "required": q.required,
         "condition": q.condition, "min_value": q.min_value, "max_value": q.max_value, "max_choices": q.max_choices}
        for q in survey.questions.select_related("section")
    ]  # fmt: skip


def survey_summary(survey: Survey) -> dict[str, Any]:
    return {"id": survey.pk, "street": survey.street.code, "title": survey.title, "intro": survey.intro,
            "audience": survey.audience, "one_answer": survey.one_answer, "status": survey.status,
            "opens_at": survey.opens_at.isoformat(), "closes_at": survey.closes_at.isoformat()}  # fmt: skip


def need_get(*, user: User, need_id: int) -> Need:
    need = Need.objects.select_related("street", "committee").filter(pk=need_id).first()
    if need is None or not is_staff(user, street=need.street):
        raise Problem("not_found")
    return need


def needs_board(*, street: Street, committee: Committee | None = None, status: str = "") -> QuerySet[Need]:
    qs = Need.objects.filter(street=street).select_related("committee")
    if committee is not None:
        qs = qs.filter(committee=committee)
    qs = qs.filter(status=status) if status else qs.exclude(status=NeedStatus.MERGED)
    return qs.annotate(duplicates=Count("merged")).order_by("-created_at", "-id")


def consultation_get(*, consultation_id: int) -> Consultation:
    c = Consultation.objects.select_related("street", "committee").filter(pk=consultation_id).first()
    if c is None:
        raise Problem("not_found")
    return c


def consultation_for_staff(*, user: User, consultation_id: int) -> Consultation:
    c = consultation_get(consultation_id=consultation_id)
    if not is_staff(user, street=c.street):
        raise Problem("not_found")
    return c


def consultation_list(*, street: Street, committee: Committee | None = None) -> QuerySet[Consultation]:
    qs = Consultation.objects.filter(street=street).select_related("committee")
    if committee is not None:
        qs = qs.filter(committee=committee)
    return qs.annotate(
        actions_total=Count("actions", distinct=True),
        actions_done=Count("actions", filter=Q(actions__status=ActionStatus.DONE), distinct=True),
    ).order_by("-created_at", "-id")


def progress(done: int, total: int, status: str) -> int:
    if status == ConsultationStatus.CLOSED:
        return 100
    return round(100 * done / total) if total else 0


def consultation_row(c: Any, *, public: bool = False) -> dict[str, Any]:
    total, done = getattr(c, "actions_total", None), getattr(c, "actions_done", None)
    if total is None:
        total, done = c.actions.count(), c.actions.filter(status=ActionStatus.DONE).count()
    row = {"id": c.pk, "committee_id": c.committee_id, "committee": c.committee.name, "title": c.title,
           "status": c.status, "progress": progress(done or 0, total or 0, c.status), "actions_total": total,
           "actions_done": done, "created_at": c.created_at.isoformat(),
           "closed_at": c.closed_at.isoformat() if c.closed_at else None, "outcome": c.outcome}  # fmt: skip
    if not public:
        row["problem"] = c.problem
    return row


def timeline(c: Consultation) -> list[dict[str, Any]]:
    return [{"at": e.at.isoformat(), "action": e.action, "to_status": e.to_status, "note": e.note}
            for e in c.events.all()]  # fmt: skip


def need_counts(*, street: Street, committee: Committee | None = None) -> dict[str, Any]:
    """Needs received, answered, open (merged duplicates counted once, with their need), average days to close."""
    qs = Need.objects.filter(street=street).exclude(status=NeedStatus.MERGED)
    if committee is not None:
        qs = qs.filter(committee=committee)
    received = qs.count()
    answered = list(qs.filter(status=NeedStatus.ANSWERED).values_list("created_at", "answered_at"))
    days = [(b - a).total_seconds() / 86400 for a, b in answered if a and b]
    return {"received": received, "answered": len(answered), "open": received - len(answered),
            "average_days_to_close": round(sum(days) / len(days), 1) if days else None}  # fmt: skip


def accountability(*, street: Street, committee: Committee | None = None) -> dict[str, Any]:
    """The public "what we did": every consultation past inviting (closed ones first) with progress, status and
    timeline; every closed survey whose results are public; the needs' counts."""
    cons = consultation_list(street=street, committee=committee).exclude(status=ConsultationStatus.CANCELLED)
    surveys = Survey.objects.filter(street=street, closes_at__lte=timezone.now(), results_public=True,
                                    is_needs_form=False).exclude(audience="link")  # fmt: skip
    survey_rows = [s for s in surveys.order_by("-closes_at")
                   if committee is None or s.audience != "committees" or committee.pk in s.committee_ids]  # fmt: skip
    rows = sorted((consultation_row(c, public=True) for c in cons), key=lambda r: (r["status"] != "closed", r["id"]))
    return {
        "street": street.code,
        "committee_id": committee.pk if committee else None,
        "counts": need_counts(street=street, committee=committee),
        "consultations": rows,
        "surveys": [
            {
                "id": s.pk,
                "title": s.title,
                "closed_at": s.closes_at.isoformat(),
                "status": "closed",
                "progress": 100,
                "result_summary": s.result_summary,
            }
            for s in survey_rows
        ],  # fmt: skip
    }


def committee_get(*, street: Street, committee_id: int | None) -> Committee | None:
    if not committee_id:
        return None
    c = Committee.objects.filter(street=street, pk=committee_id).first()
    if c is None:
        raise Problem("not_found")
    return c
