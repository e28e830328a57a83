"""Answering a question: a staff-curated answer for the same (normalized) question first, else the LLM backend when
one is configured, else the offline engine (with the street's synonyms); the LLM falls back to the offline engine
on any failure. Every question and answer is logged (`AskLog`) with its intent, backend, latency and street.

Personal data: the log keeps no user, IP or coordinates; phone and ID numbers in the question are masked.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.assistant import engine
from linli.assistant.models import MAX_QUESTION, AskLog, Backend, CuratedAnswer, Synonym
from linli.assistant.services import llm
from linli.assistant.services.cards import cards_render
from linli.core import hooks as core_hooks
from linli.core.errors import Problem, field_error
from linli.core.hooks import change_announce
from linli.core.models import Street
from linli.core.phones import mask_personal_text

log = logging.getLogger("linli.assistant")

INTENTS = ("activities", "nearest_place", "opening_hours", "meals", "how_to", "contact", "unknown")
UNKNOWN = "unknown"


def redact(text: str) -> str:
    """Mask mainland mobile numbers (138****5678) and ID numbers (fully) typed into a question."""
    return mask_personal_text(text)


def question_clean(question: Any) -> str:
    """The question stripped; a `validation_error` for an empty or too long one."""
    text = " ".join(str(question or "").split())
    if not text:
        raise Problem("validation_error", errors=[field_error("question", _("请输入您的问题"))])
    if len(text) > MAX_QUESTION:
        raise Problem(
            "validation_error",
            errors=[
                field_error(
                    "question",
                    format_lazy(_("问题太长了，请不超过{max}个字"), max=MAX_QUESTION),
                )
            ],
        )
    return text


def location_clean(lat: float | None, lng: float | None) -> tuple[float | None, float | None]:
    if lat is None and lng is None:
        return None, None
    errors = []
    if lat is None or not (-90 <= lat <= 90):
        errors.append(field_error("lat", _("纬度应在 -90 到 90 之间")))
    if lng is None or not (-180 <= lng <= 180):
        errors.append(field_error("lng", _("经度应在 -180 到 180 之间")))
    if errors:
        raise Problem("validation_error", errors=errors)
    return lat, lng


_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff]) +| +(?=[\u3400-\u9fff])")


def question_key(text: str) -> str:
    """The key curated answers are stored and found under: the engine's `normalize` (width, case, punctuation,
    particles) of the masked question, without the spaces a resident may put between Chinese words."""

    return _CJK_SPACE.sub("", engine.normalize(redact(text)))[: MAX_QUESTION * 2]


def synonym_map(street: Street | None) -> dict[str, str]:
    if street is None:
        return {}
    return dict(Synonym.objects.filter(street=street).values_list("term", "replacement"))


def curated_find(*, street: Street | None, normalized: str) -> CuratedAnswer | None:
    if street is None or not normalized:
        return None
    return CuratedAnswer.objects.filter(street=street, normalized=normalized, is_active=True).first()


def _offline(
    *, question: str, street: Street | None, lat: float | None, lng: float | None, now: datetime, lang: str
) -> dict[str, Any]:
    result = engine.answer(
        question=question, street=street, lat=lat, lng=lng, now=now, lang=lang, synonyms=synonym_map(street) or None
    )
    return {
        "intent": result.intent,
        "text": result.text,
        "cards": [asdict(card) for card in result.cards],
        "confidence": float(result.confidence),
        "backend": Backend.OFFLINE,
    }


def answer_question(
    *,
    question: Any,
    street: Street | None = None,
    lat: float | None = None,
    lng: float | None = None,
    lang: str = "zh-hans",
    now: datetime | None = None,
    asker: Any = None,
    session_hash: str = "",
) -> AskLog:
    """Answer and log one question, kept with who asked (a signed-in `asker`, else the anonymous session's
    `session_hash`): only they read the answer again and rate it. Problems: `validation_error` (empty or too
    long question, bad coordinates)."""
    text = question_clean(question)
    lat, lng = location_clean(lat, lng)
    street = street or engine.default_street()  # the engine's choice, so the log names the street it used
    now = now or timezone.now()
    lang = "en" if lang.startswith("en") else "zh-hans"
    started = time.perf_counter()
    normalized = question_key(text)
    curated = curated_find(street=street, normalized=normalized)
    result: dict[str, Any] | None = None
    if curated is not None and street is not None:
        result = {
            "intent": curated.intent,
            "text": curated.answer,
            "cards": cards_render(curated.cards, street=street),
            "confidence": 1.0,
            "backend": Backend.CURATED,
        }
    elif settings.LINLI_ASSISTANT_LLM_URL:
        try:
            result = llm.llm_answer(question=text, street=street, lat=lat, lng=lng, now=now, lang=lang)
        except llm.LlmFailure as exc:
            log.warning("assistant LLM backend failed, the offline engine answers: %s", exc)
    if result is None:
        result = _offline(question=text, street=street, lat=lat, lng=lng, now=now, lang=lang)
    latency_ms = round((time.perf_counter() - started) * 1000)
    log_row = AskLog.objects.create(
        street=street,
        question=redact(text),
        normalized=normalized,
        lang=lang,
        had_location=lat is not None,
        intent=str(result["intent"])[:32],
        answer=result["text"],
        cards=result["cards"],
        confidence=result["confidence"],
        backend=result["backend"],
        latency_ms=latency_ms,
        curated=curated,
        asker=asker if asker is not None and getattr(asker, "is_authenticated", False) else None,
        asker_session=session_hash,
    )
    core_hooks.work_recorded(kind="assistant.answer", street_id=log_row.street_id, at=log_row.created_at)
    if log_row.intent == UNKNOWN and street is not None:  # the review queue grew: live views count it
        change_announce(domain="assistant", kind="question.unanswered", street_id=street.pk)
    return log_row
