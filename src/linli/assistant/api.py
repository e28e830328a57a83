"""Assistant API: ask (anonymous allowed, rate-limited per IP and per user), rate an answer, and the staff review
queue with curated answers, synonyms and marking reviewed. Thin: parse, check permission, call a service."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router
from ninja.responses import Status

from linli.assistant import selectors
from linli.assistant.models import AskLog
from linli.assistant.schemas import (
    AskIn,
    AskOut,
    CuratedIn,
    CuratedOut,
    FeedbackIn,
    FeedbackOut,
    QueueItemOut,
    ReviewIn,
    SynonymIn,
    SynonymOut,
)
from linli.assistant.services import ask as ask_services
from linli.assistant.services import review as review_services
from linli.assistant.services.cards import cards_render
from linli.core import ratelimit
from linli.core.auth import request_user, require_user
from linli.core.errors import Problem
from linli.core.models import User
from linli.core.schemas import problems
from linli.core.selectors import require_role, street_get

router = Router(tags=["assistant 问一问"])


def ask_rate_check(request: HttpRequest, what: str = "ask") -> None:
    """At most LINLI_ASSISTANT_ASKS_PER_MINUTE questions (or ratings) a minute per IP address and per signed-in
    person."""
    limit = settings.LINLI_ASSISTANT_ASKS_PER_MINUTE
    keys = [f"assistant:{what}:ip:{ratelimit.client_ip(request) or '-'}"]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        keys.append(f"assistant:{what}:user:{user.pk}")
    for key in keys:
        allowed, retry_after = ratelimit.hit(key, limit, 60)
        if not allowed:
            raise Problem(
                "rate_limited",
                detail=_("提问太频繁，请稍后再问"),
                extra={"retry_after": retry_after},
            )


SESSION_MARK = "assistant_asker"


def asker_of(request: HttpRequest, *, create: bool = False) -> tuple[Any, str]:
    """Who is asking: (the signed-in user or None, a hash of the browser session's key or ""). With `create`, an
    anonymous caller without a session gets one (its cookie comes back with the answer), so the answer can be
    rated from the same browser later and from nowhere else."""
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    if not (isinstance(user, User) and user.is_authenticated):
        user = None
    session = getattr(request, "session", None)
    if session is None:
        return user, ""
    if session.session_key is None and create and user is None:  # a signed-in asker needs no session
        session[SESSION_MARK] = True
        session.save()
    key = session.session_key
    return user, hashlib.sha256(f"assistant:{key}".encode()).hexdigest() if key else ""


def ask_out(entry: AskLog) -> dict[str, Any]:
    return {
        "answer_id": str(entry.public_id),
        "answer": entry.answer,
        "intent": entry.intent,
        "backend": entry.backend,
        "cards": entry.cards,
    }


def request_lang(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", "zh-hans") or "zh-hans"


@router.post("/assistant/ask", response=AskOut, auth=None)
@problems("unknown_street", "rate_limited")
def ask(request: HttpRequest, payload: AskIn) -> dict[str, Any]:
    """Ask in plain words ("下周六有书法课吗", "附近哪里可以给电瓶车充电"); the answer comes from Linli's own data,
    with cards for the places, activities or dishes it is about and one-tap actions (book, navigate, order, call).
    Give `lat`/`lng` for "nearest" questions. Anonymous use is allowed. Problems: `validation_error` (empty or
    over 200 characters, bad coordinates), `unknown_street`, `rate_limited` (with Retry-After)."""
    ask_rate_check(request)
    street = street_get(code=payload.street) if payload.street else None
    asker, session_hash = asker_of(request, create=True)
    entry = ask_services.answer_question(
        question=payload.question,
        street=street,
        lat=payload.lat,
        lng=payload.lng,
        lang=request_lang(request),
        asker=asker,
        session_hash=session_hash,
    )
    return ask_out(entry)


@router.post("/assistant/answers/{answer_id}/feedback", response=FeedbackOut, auth=None)
@problems("not_found", "rate_limited")
def feedback(request: HttpRequest, answer_id: str, payload: FeedbackIn) -> dict[str, Any]:
    """Say whether an answer helped, with an optional comment; unhelpful answers go to the street's staff for review.
    Only the asker may (the signed-in person who asked, or the browser session that asked anonymously): anyone
    else gets `not_found`. Problems: `not_found`, `validation_error`, `rate_limited`."""
    ask_rate_check(request, "feedback")
    asker, session_hash = asker_of(request)
    answer = selectors.answer_get(answer_id=answer_id, asker=asker, session_hash=session_hash)
    answer = review_services.answer_feedback_set(answer=answer, helpful=payload.helpful, comment=payload.comment)
    return {"answer_id": str(answer.public_id), "helpful": answer.helpful, "comment": answer.feedback_comment}


# ------------------------------------------------------------------------------------------------- staff


@router.get("/assistant/review", response=list[QueueItemOut], auth=require_user)
@problems("permission_denied", "unknown_street")
def review_queue(request: HttpRequest, street: str) -> list[dict[str, Any]]:
    """The street's unreviewed unhelpful answers and unanswered (`unknown`) questions, newest first (at most 200).
    For the street's administrators and station staff. Problems: `permission_denied`, `unknown_street`."""
    target = street_get(code=street)
    require_role(request_user(request), street=target, roles=selectors.ASSISTANT_STAFF_ROLES)
    return [
        {
            "id": q.pk,
            "created_at": q.created_at.isoformat(),
            "question": q.question,
            "intent": q.intent,
            "answer": q.answer,
            "backend": q.backend,
            "helpful": q.helpful,
            "comment": q.feedback_comment,
        }
        for q in selectors.review_queue(street=target)[: selectors.QUEUE_LIMIT]
    ]


def _source(user: User, source_id: int | None) -> AskLog | None:
    return selectors.queue_question_get(user=user, question_id=source_id) if source_id is not None else None


@router.post("/assistant/curated", response={201: CuratedOut}, auth=require_user)
@problems("permission_denied", "unknown_street")
def curated_create(request: HttpRequest, payload: CuratedIn) -> Status:
    """Write the street's answer to a question; the next resident asking the same (after normalization: width,
    punctuation, particles, case) gets it. Cards: the street's places or published activities."""
    user = request_user(request)
    target = street_get(code=payload.street)
    curated = review_services.curated_answer_save(
        street=target,
        question=payload.question,
        answer=payload.answer,
        cards=[c.dict() for c in payload.cards],
        intent=payload.intent,
        actor=user,
        source=_source(user, payload.source_id),
    )
    return Status(
        201,
        {
            "id": curated.pk,
            "question": curated.question,
            "answer": curated.answer,
            "intent": curated.intent,
            "cards": cards_render(curated.cards, street=target),
        },
    )


@router.post("/assistant/synonyms", response={201: SynonymOut}, auth=require_user)
@problems("permission_denied", "unknown_street")
def synonym_create(request: HttpRequest, payload: SynonymIn) -> Status:
    """Teach the engine a word residents use (`电瓶车` → `电动车`); applied before segmentation."""
    user = request_user(request)
    synonym = review_services.synonym_save(
        street=street_get(code=payload.street),
        term=payload.term,
        replacement=payload.replacement,
        actor=user,
        source=_source(user, payload.source_id),
    )
    return Status(201, {"id": synonym.pk, "term": synonym.term, "replacement": synonym.replacement})


@router.post("/assistant/questions/{question_id}/reviewed", response=QueueItemOut, auth=require_user)
@problems("not_found", "permission_denied")
def question_reviewed(request: HttpRequest, question_id: int, payload: ReviewIn) -> dict[str, Any]:
    """Take a question (and its unreviewed copies) off the queue without a new answer."""
    user = request_user(request)
    q = review_services.question_review_mark(
        question=selectors.queue_question_get(user=user, question_id=question_id), actor=user, note=payload.note
    )
    return {
        "id": q.pk,
        "created_at": q.created_at.isoformat(),
        "question": q.question,
        "intent": q.intent,
        "answer": q.answer,
        "backend": q.backend,
        "helpful": q.helpful,
        "comment": q.feedback_comment,
    }
