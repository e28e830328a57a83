"""Cards for staff-curated answers, built from the live rows they reference (`{"type": "place", "id": 12}`): a
reference whose row is gone, inactive, unpublished or in another street is dropped, so a curated answer never
shows something that does not exist. The cards are the engine's own (`engine.cards`), as dicts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from linli.activities.models import Activity
from linli.assistant.engine.cards import activity_card, place_card
from linli.core.models import Street
from linli.places.models import Place

CARD_TYPES = ("place", "activity")


def card_refs_clean(refs: Iterable[Any]) -> list[dict[str, Any]]:
    """`[{"type": "place", "id": 12}, ...]` with only known types and integer ids, without duplicates."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    for ref in refs:
        if not isinstance(ref, dict) or ref.get("type") not in CARD_TYPES:
            continue
        try:
            pk = int(ref.get("id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if (ref["type"], pk) not in seen:
            seen.add((ref["type"], pk))
            out.append({"type": ref["type"], "id": pk})
    return out


def cards_render(refs: Iterable[Any], *, street: Street) -> list[dict[str, Any]]:
    """The cards of `refs` that exist now in `street` (active places, published activities), in the given order."""
    clean = card_refs_clean(refs)
    place_ids = [r["id"] for r in clean if r["type"] == "place"]
    activity_ids = [r["id"] for r in clean if r["type"] == "activity"]
    places = {p.pk: p for p in Place.objects.filter(street=street, is_active=True, pk__in=place_ids)}
    activities = {
        a.pk: a
        for a in Activity.objects.filter(street=street, status="published", pk__in=activity_ids).select_related("place")
    }
    cards = []
    for ref in clean:
        if ref["type"] == "place" and ref["id"] in places:
            cards.append(place_card(places[ref["id"]]).as_dict())
        elif ref["type"] == "activity" and ref["id"] in activities:
            cards.append(activity_card(activities[ref["id"]]).as_dict())
    return cards
