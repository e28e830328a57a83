"""A service-point file's properties as partners write them, read liberally before the import validates them.

Accepted besides the platform's codes: `kind` as its Chinese or English name in any case; `services` and
`amenities` as a list or one text (`"meal, affairs"`, `"助餐、事务受理"`), codes in any case, names in Chinese or
English; `phone` as a number; full-width characters in
`opening_hours` (`Mo-Fr 08:30-17:00；PH off`). Refused still: an unknown kind, service or amenity (they drive the
map's filters and "nearest" searches, so a guess would hide the point: add a service to the street's catalogue
first), and coordinates or a capacity written as text (GeoJSON carries typed JSON values: a number is a number). Properties the platform does not read are listed in
the report."""

from __future__ import annotations

import re
from typing import Any

from django.db import models

from linli.core.i18n import choice_label_in
from linli.core.lenient import norm
from linli.places.models import Amenity, PlaceKind, Service

# What places reads itself; higher domains' properties (a kitchen's `serves`) are registered in places.hooks.
KNOWN_PROPERTIES = frozenset(
    {"id", "name", "kind", "address", "phone", "services", "amenities", "opening_hours", "capacity", "description"}
)
AMENITY_WORDS = {
    "无障碍": "step_free",
    "无障碍设施": "step_free",
    "轮椅": "step_free",
    "wheelchair": "step_free",
    "座椅": "seats",
    "座位": "seats",
    "wi fi": "wifi",
    "无线": "wifi",
    "充电": "ebike_charging",
    "电动车充电": "ebike_charging",
    "charging": "ebike_charging",
    "停车场": "parking",
}


def _key(text: str) -> str:
    return " ".join(norm(text).casefold().replace("_", " ").replace("-", " ").split())


def _words(value: Any) -> list[str] | Any:
    """A list as it is; one text split at commas (also Chinese), 、 ; |."""
    if isinstance(value, str):
        return [w.strip() for w in re.split(r"[,，、;；|｜]", value) if w.strip()]
    return value


def _labels(choices: type[models.Choices]) -> list[tuple[str, str]]:
    """(label, code) for the Chinese and the English label of every choice, whatever language is active."""
    return [(choice_label_in(choices, c, lang), c) for c in choices.values for lang in ("zh-hans", "en")]


def _lookup(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return {_key(word): code for word, code in pairs}


def normalize_place_props(props: dict[str, Any], catalogue: dict[str, Service]) -> tuple[dict[str, Any], list[str]]:
    """The properties with known spellings mapped to codes; notes for the report (zh / en)."""
    out = dict(props)
    notes: list[str] = []
    kinds = _lookup([(c, c) for c in PlaceKind.values] + _labels(PlaceKind))
    if isinstance(out.get("kind"), str):
        out["kind"] = kinds.get(_key(out["kind"]), out["kind"].strip())
    services = _lookup(
        [(c, c) for c in catalogue]
        + [(s.name_zh, c) for c, s in catalogue.items()]
        + [(s.name_en, c) for c, s in catalogue.items()]
    )
    if out.get("services") is not None:
        words = _words(out["services"])
        out["services"] = (
            [services.get(_key(w), w) if isinstance(w, str) else w for w in words] if isinstance(words, list) else words
        )
    if out.get("amenities") is not None:
        words = _words(out["amenities"])
        if isinstance(words, list):
            table = _lookup([(c, c) for c in Amenity.values] + _labels(Amenity) + list(AMENITY_WORDS.items()))
            out["amenities"] = [table.get(_key(w), w) if isinstance(w, str) else w for w in words]
    if isinstance(out.get("phone"), int) and not isinstance(out.get("phone"), bool):
        out["phone"] = str(out["phone"])
    if isinstance(out.get("opening_hours"), str):
        out["opening_hours"] = norm(out["opening_hours"])
    for key in ("name", "address"):
        if isinstance(out.get(key), str):
            out[key] = out[key].replace("\u3000", " ").strip()
    return out, notes


def unknown_properties(props: dict[str, Any]) -> set[str]:
    return {k for k in props if k not in KNOWN_PROPERTIES}
