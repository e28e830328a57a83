"""What the live dashboard reads of the assistant: questions waiting for staff (the review queue: not
understood, or marked unhelpful, and not yet reviewed). The partial index `assistant_review_queue` serves it."""

from __future__ import annotations

from django.db.models import Q

from linli.assistant.models import AskLog


def unanswered_count(*, street_id: int) -> int:
    return (
        AskLog.objects.filter(street_id=street_id, reviewed_at__isnull=True)
        .filter(Q(helpful=False) | Q(intent="unknown"))
        .order_by()
        .count()
    )
