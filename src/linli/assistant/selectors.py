"""Assistant reads: the answer a resident rates, the staff review queue, curated answers, synonyms and the rows
staff may attach to a curated answer. Scoped to the streets where the user is assistant staff."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from linli.activities.models import Activity
from linli.assistant.models import AskLog, CuratedAnswer, Synonym
from linli.core.errors import Problem
from linli.core.models import Role, Street, User
from linli.core.selectors import user_street_ids
from linli.places.models import Place

ASSISTANT_STAFF_ROLES = (Role.ADMIN, Role.STATION_STAFF)
QUEUE_LIMIT = 200


def answer_get(*, answer_id: Any, asker: User | None, session_hash: str) -> AskLog:
    """An answer as its asker reads or rates it: the signed-in person who asked, or the anonymous session that
    asked. Anyone else, id or not, gets `not_found` (the id says nothing about whether the answer exists)."""
    try:
        public_id = uuid.UUID(str(answer_id))
    except ValueError as exc:
        raise Problem("not_found") from exc
    if asker is not None and asker.is_authenticated:
        owned = Q(asker_id=asker.pk)
        if session_hash:  # asked before signing in, in this browser
            owned |= Q(asker__isnull=True, asker_session=session_hash)
    elif session_hash:
        owned = Q(asker__isnull=True, asker_session=session_hash)
    else:
        raise Problem("not_found")
    answer = AskLog.objects.filter(owned, public_id=public_id).select_related("street").first()
    if answer is None:
        raise Problem("not_found")
    return answer


def staff_streets(user: User) -> QuerySet[Street]:
    return Street.objects.filter(id__in=user_street_ids(user, roles=ASSISTANT_STAFF_ROLES)).order_by("code")


def review_queue(*, street: Street, include_reviewed: bool = False) -> QuerySet[AskLog]:
    """Unhelpful answers and questions the engine did not understand, newest first."""
    qs = AskLog.objects.filter(street=street).filter(Q(helpful=False) | Q(intent="unknown"))
    if not include_reviewed:
        qs = qs.filter(reviewed_at__isnull=True)
    return qs.order_by("-created_at")


def queue_question_get(*, user: User, question_id: int) -> AskLog:
    """A logged question of a street where `user` is assistant staff (404 otherwise, so ids leak nothing)."""
    question = (
        AskLog.objects.filter(pk=question_id, street_id__in=user_street_ids(user, roles=ASSISTANT_STAFF_ROLES))
        .select_related("street")
        .first()
    )
    if question is None:
        raise Problem("not_found")
    return question


def curated_list(*, street: Street) -> QuerySet[CuratedAnswer]:
    return (
        CuratedAnswer.objects.filter(street=street, is_active=True)
        .annotate(times=Count("served"))
        .order_by("-updated_at")
    )


def synonym_list(*, street: Street) -> QuerySet[Synonym]:
    return Synonym.objects.filter(street=street).order_by("term")


def card_choices(*, street: Street) -> dict[str, list[Any]]:
    """The street's active places and upcoming published activities, for attaching to a curated answer."""
    return {
        "places": list(Place.objects.filter(street=street, is_active=True).order_by("name")),
        "activities": list(
            Activity.objects.filter(street=street, status="published", end__gte=timezone.now())
            .select_related("place")
            .order_by("start")[:100]
        ),
    }


def queue_counts(*, street: Street) -> dict[str, int]:
    qs = review_queue(street=street)
    return {
        "unhelpful": qs.filter(helpful=False).count(),
        "unknown": qs.filter(intent="unknown").count(),
    }
