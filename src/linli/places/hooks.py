"""Extension points of places: what higher domains add to service points without places importing them.

A higher domain registers into these from its `AppConfig.ready()`; places calls whatever is registered and knows
nothing else about it (no signals: each hook is an explicit call at a known step, inside the same transaction).

- `place_property_register(prop)`: an extra property of a service point's GeoJSON feature that a higher domain
  owns, read by `places_import` and written by `places_export` (meals registers `serves`: the meal points and
  venues a kitchen or canteen delivers to, and makes every imported kitchen's meals kitchen).
- `PLACE_DETAIL`, `STREET_MAP`, `PLACE_RESULTS`: fragment slots of the place page, the map page and the map's
  list (activities registers this month's activities at the venue and the map's activity badges).
"""

from __future__ import annotations

from typing import Any, Protocol

from linli.core.fragments import FragmentSlot
from linli.core.imports import ErrorList
from linli.core.models import Street
from linli.places.models import Place


class PlaceProperty(Protocol):
    """A feature property owned by a higher domain. `rows` are (feature index, row) pairs where the row holds the
    raw value under `name` when the feature has it; the calls run in this order within one import."""

    name: str

    def validate(self, *, street: Street, rows: list[tuple[int, dict[str, Any]]], errors: ErrorList) -> None:
        """Check (and normalise in place) every row's value; drop the key from a row to ignore its value."""

    def differs(self, *, place: Place, value: Any) -> bool:
        """Whether writing `value` would change `place` (an otherwise unchanged feature then counts as updated)."""

    def write(self, *, street: Street, places: dict[str, Place], imported: list[str], values: dict[str, Any]) -> None:
        """Inside the import's transaction: `places` by external id, the ids of this file's features, and the
        value of each feature that has the property."""

    def export(self, *, street: Street, places: list[Place]) -> dict[int, Any]:
        """Place id -> the property's value, for the places of the export that carry it."""


_properties: dict[str, PlaceProperty] = {}


def place_property_register(prop: PlaceProperty) -> None:
    """Register (or replace) the property named `prop.name`."""
    _properties[prop.name] = prop


def place_properties() -> list[PlaceProperty]:
    return list(_properties.values())


# The place page (`place=`), the map page (`street=`, `origin=`) and the map's list after each filter (`street=`,
# `place_ids=`): each registered provider gives the URL of its fragment, or None to show nothing.
PLACE_DETAIL = FragmentSlot("places.place_detail")
STREET_MAP = FragmentSlot("places.street_map")
PLACE_RESULTS = FragmentSlot("places.place_results")
# Pieces laid over the whole map page (`street=`, `origin=`), after its content: the 问一问 entry and panel.
MAP_OVERLAY = FragmentSlot("places.map_overlay")
