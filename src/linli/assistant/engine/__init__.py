"""The offline engine of 问一问: answers residents' questions from the street's live data, never inventing.

`answer(question=..., street=..., lat=..., lng=..., now=..., lang=...)` parses the question (dates against the
Shanghai calendar, the street's own names with jieba, pinyin and typo tolerance), picks an intent and answers it
through the domains' selectors: places (nearest, opening hours with holidays and adjusted working days), activities,
meals (menus, prices, pricing tiers), how-to pages and phone numbers. Every card is a real Place, Activity or
MenuItem (or a phone number from the street or a residents' committee). `normalize()` is the key the app's curated
answers are stored under.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import translation

from linli.assistant import hooks
from linli.assistant.engine import dates, events, guide, meals, places
from linli.assistant.engine.cards import Action, Card, EngineAnswer
from linli.assistant.engine.ctx import Ctx
from linli.assistant.engine.english import from_english
from linli.assistant.engine.intents import INTENTS, parse
from linli.assistant.engine.knowledge import lexicon
from linli.assistant.engine.matching import normalize
from linli.core.models import Street

__all__ = ["INTENTS", "Action", "Card", "EngineAnswer", "answer", "default_street", "normalize"]


def default_street() -> Street | None:
    """The only street, or the first real (non-sample) one, or the first one: for callers without a street."""
    streets = list(Street.objects.order_by("is_sample", "id")[:2])
    return streets[0] if streets else None


def answer(
    *,
    question: str,
    street: Street | str | None = None,
    lat: float | None = None,
    lng: float | None = None,
    now: dt.datetime | None = None,
    lang: str = "zh-hans",
    synonyms: dict[str, str] | None = None,
) -> EngineAnswer:
    """Answer one question for `street` (None: the default street) at `now` (default: the current time)."""
    if isinstance(street, str):  # a street code is accepted too
        street = Street.objects.filter(code=street).first()
    street = street or default_street()
    if street is None:
        return EngineAnswer("unknown", "", (), 0.0, {})
    at = dates.now_shanghai(now)
    lang = "en" if (lang or "").lower().startswith("en") else "zh-hans"
    said = from_english(question or "")
    if said is not None:
        lang = "en"  # asked in English: answered in English, whatever the page's language
    with translation.override(lang):
        lex = lexicon(street)
        parsed = parse(said if said is not None else question or "", lex, now=at, synonyms=synonyms)
        parsed.question = question or ""
        ctx = Ctx(parsed=parsed, street=street, lex=lex, lat=lat, lng=lng, now=at, lang=lang)
        handlers: dict[str, Callable[[Ctx], EngineAnswer]] = {
            "activities": events.activities,
            "nearest_place": places.nearest,
            "opening_hours": places.opening_hours,
            "meals": meals.meals,
            "how_to": guide.how_to,
            "contact": places.contact,
            "unknown": guide.unknown,
        }
        intent = parsed.intent
        provided = hooks.provided_answer(question=question or "", street=street, lang=lang, now=at)
        if provided is not None and (intent == "unknown" or provided.confidence >= parsed.confidence):
            return provided  # a higher domain's own data answers it (linli.assistant.hooks)
        if intent in ("meals", "opening_hours", "contact") and parsed.unknown_road and not parsed.entities("place"):
            intent = "unknown"  # "火星路食堂今天有什么菜": not in the data; never answer for another place
        result = handlers[intent](ctx)
        result = EngineAnswer(result.intent, result.text.strip(), result.cards, result.confidence, result.facts)
        if parsed.when is not None:
            facts = {**parsed.when.as_facts(), **result.facts}
            result = EngineAnswer(result.intent, result.text, result.cards, result.confidence, facts)
        return result
