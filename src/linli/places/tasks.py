"""Celery tasks of the places domain: thin, idempotent wrappers around services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from linli.core.models import User
from linli.core.selectors import street_get
from linli.places.services import places_import, places_index_bump


@shared_task(name="places.import")
def places_import_task(*, street_code: str, collection: dict[str, Any], actor_id: int | None = None) -> dict[str, int]:
    """Run a places import outside the request (large files). Re-running it is harmless: import updates by id."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return places_import(street=street_get(code=street_code), collection=collection, actor=actor).as_dict()


@shared_task(name="places.index_bump")
def places_index_bump_task() -> None:
    """Mark the nearest-search index stale in every process (e.g. after a bulk SQL change)."""
    places_index_bump()
