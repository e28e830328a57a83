"""The needs board (问需): a need comes from the standing form, the assistant's unanswered questions (read through
the assistant's selectors; each question is taken once), a case or a walk-in; staff tag it, merge duplicates into
one need, and turn it into an action (an activity, a case, a 日日清 consultation, a budgeted project)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.assistant import selectors as assistant_selectors
from linli.cases import selectors as case_selectors
from linli.core.errors import Problem, field_error
from linli.core.models import Committee, Street, User
from linli.voice.models import ActionKind, Need, NeedSource, NeedStatus

MAX_TAGS = 8


def need_create(*, street: Street, text: str, committee: Committee | None = None, source: str = NeedSource.FORM,
                source_ref: str = "", raised_by: User | None = None) -> Need:  # fmt: skip
    text = (text or "").strip()
    if not text:
        raise Problem("validation_error", errors=[field_error("text", _("请写下您的需求"))])
    if committee is not None and committee.street_id != street.pk:
        raise Problem("validation_error", errors=[field_error("committee_id", _("该居委不在本街道"))])
    return Need.objects.create(street=street, text=text[:500], committee=committee, source=source,
                               source_ref=source_ref, raised_by=raised_by)  # fmt: skip


def needs_from_assistant(*, street: Street, limit: int = 200) -> int:
    """The assistant's unanswered (or unhelpful) questions of the street become needs, each once."""
    taken = set(Need.objects.filter(street=street, source=NeedSource.ASSISTANT).values_list("source_ref", flat=True))
    made = 0
    for log in assistant_selectors.review_queue(street=street, include_reviewed=True)[:limit]:
        ref = str(log.pk)
        if ref in taken:
            continue
        Need.objects.create(street=street, text=log.question[:500], source=NeedSource.ASSISTANT, source_ref=ref)
        made += 1
    return made


def need_from_case(*, user: User, case_id: int) -> Need:
    """A case the user handles becomes a need of its street (once)."""
    case = case_selectors.case_get_for_staff(case_id=case_id, user=user)
    existing = Need.objects.filter(street_id=case.street_id, source=NeedSource.CASE, source_ref=str(case.pk)).first()
    if existing is not None:
        return existing
    text = case.description or str(case)
    return Need.objects.create(street_id=case.street_id, text=str(text)[:500], source=NeedSource.CASE,
                               source_ref=str(case.pk), raised_by=None)  # fmt: skip


def need_tag(*, need: Need, tags: list[str]) -> Need:
    clean = []
    for t in tags:
        t = str(t).strip()[:20]
        if t and t not in clean:
            clean.append(t)
    need.tags = clean[:MAX_TAGS]
    need.save(update_fields=["tags"])
    return need


def needs_merge(*, into: Need, others: list[Need]) -> Need:
    """Duplicates point at the need they were merged into; their tags join its tags."""
    with transaction.atomic():
        for other in others:
            if other.pk == into.pk or other.street_id != into.street_id:
                raise Problem("validation_error", errors=[field_error("need_ids", _("不能合并这些需求"))])
            other.status, other.merged_into = NeedStatus.MERGED, into
            other.save(update_fields=["status", "merged_into"])
            into.tags = list(dict.fromkeys([*into.tags, *other.tags]))[:MAX_TAGS]
        into.save(update_fields=["tags"])
    return into


def need_action(*, need: Need, kind: str, ref: str = "") -> Need:
    """Record the action a need became (and the needs merged into it with it)."""
    if kind not in ActionKind.values:
        raise Problem("validation_error", errors=[field_error("kind", _("没有这种办理方式"))])
    with transaction.atomic():
        Need.objects.filter(pk=need.pk).update(status=NeedStatus.ACTIONED, action_kind=kind, action_ref=ref[:80])
        Need.objects.filter(merged_into=need).update(action_kind=kind, action_ref=ref[:80])
    need.refresh_from_db()
    return need


def need_answer(*, need: Need, answer: str, now: Any = None) -> Need:
    """The need is answered (its consultation closed, its activity held): it and its duplicates count as answered."""
    now = now or timezone.now()
    with transaction.atomic():
        Need.objects.filter(pk=need.pk).update(status=NeedStatus.ANSWERED, answer=answer[:500], answered_at=now)
        Need.objects.filter(merged_into=need).update(answer=answer[:500], answered_at=now)
    need.refresh_from_db()
    return need
