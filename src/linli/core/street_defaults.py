"""Per-street defaults: what a new street needs before its first resident uses it (case categories to take
reports, the delivery platforms riders come from, ...). Each domain registers a provider at start-up (its
AppConfig.ready), so core never imports a higher domain.

A provider adds only what is missing and never changes a row the street has edited; it returns how many rows it
created. `street_create` applies them all; `linli street defaults CODE` applies them to an existing street.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from linli.core.models import Street


@dataclass(frozen=True)
class Provider:
    key: str
    label: str  # "中文 English"
    create_missing: Callable[[Street], int]  # adds what the street lacks; returns the rows created


_PROVIDERS: dict[str, Provider] = {}


def street_defaults_register(*, key: str, label: str, create_missing: Callable[[Street], int]) -> None:
    """Register a domain's defaults (registering a key again replaces it), like `transfers.importer_register`."""
    _PROVIDERS[key] = Provider(key=key, label=label, create_missing=create_missing)


def street_defaults_providers() -> list[Provider]:
    return list(_PROVIDERS.values())


def street_defaults_apply(*, street: Street) -> dict[str, int]:
    """Create every missing default of `street`, in one transaction; {provider key: rows created}."""
    with transaction.atomic():
        return {p.key: p.create_missing(street) for p in _PROVIDERS.values()}
