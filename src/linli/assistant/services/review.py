"""Residents' feedback on answers and staff reviews: curated answers, synonyms, marking questions reviewed.

Staff are a street's administrators and station staff (`selectors.ASSISTANT_STAFF_ROLES`); every staff write checks
the role in the question's street and is audit-logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.assistant.models import MAX_ANSWER, MAX_COMMENT, AskLog, CuratedAnswer, Synonym
from linli.assistant.selectors import ASSISTANT_STAFF_ROLES
from linli.assistant.services.ask import INTENTS, question_clean, question_key, redact
from linli.assistant.services.cards import card_refs_clean, cards_render
from linli.core.errors import Problem, field_error
from linli.core.hooks import change_announce
from linli.core.models import Street, User
from linli.core.selectors import require_role
from linli.core.services import audit_log

_TERM = re.compile(r"^[\w\u3400-\u9fff·]{1,40}$")


def answer_feedback_set(*, answer: AskLog, helpful: bool, comment: str = "") -> AskLog:
    """Mark an answer helpful or not, with an optional comment (a later mark replaces the earlier one)."""
    comment = " ".join(str(comment or "").split())
    if len(comment) > MAX_COMMENT:
        raise Problem(
            "validation_error",
            errors=[field_error("comment", format_lazy(_("意见请不超过{max}字"), max=MAX_COMMENT))],
        )
    answer.helpful = bool(helpful)
    answer.feedback_comment = redact(comment)
    answer.feedback_at = timezone.now()
    answer.save(update_fields=["helpful", "feedback_comment", "feedback_at"])
    return answer


def _staff_check(actor: User, street: Street | None) -> Street:
    if street is None:
        raise Problem("permission_denied", detail=_("这个问题不属于任何街道"))
    require_role(actor, street=street, roles=ASSISTANT_STAFF_ROLES)
    return street


def _same_question_reviewed(*, street: Street, normalized: str, actor: User, note: str) -> int:
    done = AskLog.objects.filter(street=street, normalized=normalized, reviewed_at__isnull=True).update(
        reviewed_at=timezone.now(), reviewed_by=actor, review_note=note[:200]
    )
    if done:  # the review queue shrank: live views count it
        change_announce(domain="assistant", kind="question.reviewed", street_id=street.pk)
    return done


def question_review_mark(*, question: AskLog, actor: User, note: str = "") -> AskLog:
    """Mark a question (and every unreviewed copy of it in the street) reviewed without a new answer."""
    street = _staff_check(actor, question.street)
    with transaction.atomic():
        _same_question_reviewed(street=street, normalized=question.normalized, actor=actor, note=note or "reviewed")
        audit_log(actor=actor, action="assistant.review", street=street, obj=question, data={"note": note[:200]})
    question.refresh_from_db()
    return question


def curated_answer_save(
    *,
    street: Street,
    question: str,
    answer: str,
    actor: User,
    cards: Iterable[Any] = (),
    intent: str = "curated",
    source: AskLog | None = None,
) -> CuratedAnswer:
    """Write (or replace) the street's curated answer for `question` (matched after normalization). Cards must be
    the street's own active places or published activities. Marks the question's unreviewed copies reviewed."""

    _staff_check(actor, street)
    text = question_clean(question)
    body = str(answer or "").strip()
    errors = []
    if not body:
        errors.append(field_error("answer", _("请填写回答")))
    elif len(body) > MAX_ANSWER:
        errors.append(field_error("answer", format_lazy(_("回答请不超过{max}字"), max=MAX_ANSWER)))
    refs = card_refs_clean(cards)
    if len(cards_render(refs, street=street)) != len(refs):
        errors.append(field_error("cards", _("只能选择本街道的点位和已发布的活动")))
    if intent != "curated" and intent not in INTENTS:
        errors.append(field_error("intent", _("不是允许的取值")))
    if errors:
        raise Problem("validation_error", errors=errors)
    normalized = question_key(text)
    if not normalized:
        raise Problem("validation_error", errors=[field_error("question", _("问题没有可识别的文字"))])
    # Two staff saving an answer at once are serialised on the street's row (staff writes are rare), so the second
    # sees and retires the first one's answer: one active answer per question (also a partial unique constraint).
    with transaction.atomic():
        Street.objects.select_for_update().filter(pk=street.pk).values_list("pk", flat=True).first()
        CuratedAnswer.objects.filter(street=street, normalized=normalized, is_active=True).update(is_active=False)
        curated = CuratedAnswer.objects.create(
            street=street,
            normalized=normalized,
            question=redact(text),
            answer=body,
            intent=intent,
            cards=refs,
            created_by=actor,
        )
        _same_question_reviewed(street=street, normalized=normalized, actor=actor, note="curated")
        if source is not None and source.normalized != normalized and source.street_id == street.pk:
            _same_question_reviewed(street=street, normalized=source.normalized, actor=actor, note="curated")
        audit_log(actor=actor, action="assistant.curated_save", street=street, obj=curated, data={"cards": refs})
    return curated


def curated_answer_deactivate(*, curated: CuratedAnswer, actor: User) -> CuratedAnswer:
    _staff_check(actor, curated.street)
    with transaction.atomic():
        curated.is_active = False
        curated.save(update_fields=["is_active", "updated_at"])
        audit_log(actor=actor, action="assistant.curated_deactivate", street=curated.street, obj=curated)
    return curated


def synonym_save(*, street: Street, term: str, replacement: str, actor: User, source: AskLog | None = None) -> Synonym:
    """Teach the engine a street's word (`电瓶车` → `电动车`); replaces an earlier synonym of the same term."""
    _staff_check(actor, street)
    term, replacement = str(term or "").strip(), str(replacement or "").strip()
    errors = []
    if not _TERM.match(term):
        errors.append(field_error("term", _("请填写1到40个字的词语")))
    if not _TERM.match(replacement):
        errors.append(field_error("replacement", _("请填写1到40个字的词语")))
    elif term == replacement:
        errors.append(field_error("replacement", _("替换词不能和原词相同")))
    if errors:
        raise Problem("validation_error", errors=errors)
    with transaction.atomic():
        Street.objects.select_for_update().filter(pk=street.pk).values_list("pk", flat=True).first()  # as above
        synonym, _created = Synonym.objects.update_or_create(
            street=street, term=term, defaults={"replacement": replacement, "created_by": actor}
        )
        if source is not None and source.street_id == street.pk:
            _same_question_reviewed(street=street, normalized=source.normalized, actor=actor, note="synonym")
        audit_log(
            actor=actor,
            action="assistant.synonym_save",
            street=street,
            obj=synonym,
            data={"term": term, "replacement": replacement},
        )
    return synonym


def synonym_delete(*, synonym: Synonym, actor: User) -> None:
    _staff_check(actor, synonym.street)
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="assistant.synonym_delete",
            street=synonym.street,
            obj=synonym,
            data={"term": synonym.term, "replacement": synonym.replacement},
        )
        synonym.delete()
