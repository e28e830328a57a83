"""Extension points the assistant offers to higher domains (docs/architecture.md).

`answer_provider_register(key, provider)`: a higher domain answers questions about its own data. The engine asks
every provider first, `provider(question=, street=, lang=, now=)`, and takes the most confident answer it gets
when that is more confident than the engine's own reading of the question (or the engine has none). A provider
answers `None` when the question is not about its domain. Its answer is an `EngineAnswer` with `Card`s and
`Action`s (re-exported here), each built from a row it just read, like the engine's own cards. Affairs answers
"X 怎么办 / 要带什么" from its item catalogue.

`card_type_register(type, exists)`: a provider whose cards have a type of its own (`"affair"`) says how to check
that a card's object exists, `exists(card_id) -> bool`; the evaluation (`linli assistant eval`) fails an answer
whose card points at nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from linli.assistant.engine.cards import Action, Card, EngineAnswer
from linli.core.models import Street

__all__ = [
    "Action",
    "AnswerProvider",
    "Card",
    "EngineAnswer",
    "answer_provider_register",
    "answer_providers",
    "card_type_register",
    "card_type_exists",
]

AnswerProvider = Callable[..., EngineAnswer | None]

_PROVIDERS: dict[str, AnswerProvider] = {}
_CARD_TYPES: dict[str, Callable[[Any], bool]] = {}


def card_type_register(card_type: str, exists: Callable[[Any], bool]) -> None:
    """Register how to check that a card of a provider's own type points at an existing object."""
    _CARD_TYPES[card_type] = exists


def card_type_exists(card_type: str, card_id: Any) -> bool | None:
    """Whether the object of a provider's card exists; None when no provider registered the type."""
    exists = _CARD_TYPES.get(card_type)
    return None if exists is None else bool(exists(card_id))


def answer_provider_register(key: str, provider: AnswerProvider) -> None:
    """Register (or replace) a domain's answer provider."""
    _PROVIDERS[key] = provider


def answer_providers() -> list[AnswerProvider]:
    return list(_PROVIDERS.values())


def provided_answer(*, question: str, street: Street, lang: str, now: dt.datetime) -> EngineAnswer | None:
    """The most confident answer of the registered providers, or None."""
    best: EngineAnswer | None = None
    for provider in answer_providers():
        result = provider(question=question, street=street, lang=lang, now=now)
        if result is not None and (best is None or result.confidence > best.confidence):
            best = result
    return best
