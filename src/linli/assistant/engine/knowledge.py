"""The street's vocabulary for matching, built from its live data and cached per process and street.

The cache key is the count and latest change of each table the names come from, read on every question (a few
indexed aggregates), so a renamed place or a new activity is understood at once; the expensive part (aliases,
pinyin, jieba's dictionary) is rebuilt only when that key changes.
"""

from __future__ import annotations

import threading
from typing import Any

from linli.activities import selectors as activity_selectors
from linli.activities.models import Activity, ActivityStatus
from linli.assistant.engine.matching import (
    Entity,
    Lexicon,
    compact,
    core_of,
    place_aliases,
    road_of,
    segment,
    tokenizer,
)
from linli.core import selectors as core_selectors
from linli.core.models import Committee, Compound, Street
from linli.meals.models import Dish
from linli.meals.selectors import menus as menu_selectors
from linli.places import selectors as place_selectors
from linli.places.models import Place

_cache: dict[int, Lexicon] = {}
_lock = threading.Lock()

# Generic words inside activity titles that say nothing about the kind of activity.
_TITLE_STOP = {"活动", "社区", "居民", "第一期", "第二期", "一期", "见面会", "招募", "和", "与", "走进", "主题"}


def street_version(street: Street) -> tuple[Any, ...]:
    """Count and latest change of each table the names come from, in one round trip: each domain's selector gives
    its two scalar subqueries (`*_change_mark`), composed here into one query."""
    marks = {
        "places": place_selectors.place_change_mark(street=street),
        "activities": activity_selectors.activity_change_mark(street=street),
        "dishes": menu_selectors.dish_change_mark(street=street),
        "compounds": core_selectors.compound_change_mark(street=street),
        "committees": core_selectors.committee_change_mark(street=street),
    }
    columns = {f"{name}_{i}": mark for name, pair in marks.items() for i, mark in enumerate(pair)}
    row = Street.objects.filter(pk=street.pk).annotate(**columns).values_list(*columns).get()
    return (street.pk, street.name, *row)


def lexicon(street: Street) -> Lexicon:
    """The street's lexicon, rebuilt when its data changed since the last build in this process."""
    version = street_version(street)
    lex = _cache.get(street.pk)
    if lex is not None and lex.version == version:
        return lex
    with _lock:
        lex = _cache.get(street.pk)
        if lex is None or lex.version != version:
            lex = build_lexicon(street, version)
            _cache[street.pk] = lex
        return lex


def build_lexicon(street: Street, version: tuple[Any, ...] = ()) -> Lexicon:
    lex = Lexicon(street_id=street.pk, version=version)
    roads: dict[str, list[tuple[float, float]]] = {}
    places = Place.objects.filter(street=street, is_active=True).values_list(
        "id", "name", "kind", "address", "lat", "lng"
    )
    for pid, name, kind, address, lat, lng in places:
        ent = Entity("place", pid, name, lat, lng, {"kind": kind, "address": address})
        lex.add(ent, *place_aliases(name, street.name))
        road = road_of(address)
        if road:
            roads.setdefault(road, []).append((lat, lng))
    for cid, name, address, lat, lng in Compound.objects.filter(street=street).values_list(
        "id", "name", "address", "lat", "lng"
    ):
        lex.add(Entity("compound", cid, name, lat, lng, {"address": address}), name, name + "小区")
        road = road_of(address)
        if road:
            roads.setdefault(road, []).append((lat, lng))
    for kid, name, phone in Committee.objects.filter(street=street).values_list("id", "name", "phone"):
        short = name.replace("居民委员会", "居委会")
        lex.add(Entity("committee", kid, name, extra={"phone": phone}), name, short, short.replace("居委会", "居委"))
    for road, points in roads.items():
        lat = sum(p[0] for p in points) / len(points)
        lng = sum(p[1] for p in points) / len(points)
        lex.roads[road] = points
        lex.add(Entity("road", road, road, lat, lng, {"points": tuple(points)}), road)
    titles = (
        Activity.objects.filter(street=street, status=ActivityStatus.PUBLISHED)
        .values_list("title", flat=True)
        .distinct()
    )
    tok = tokenizer()
    for title in set(titles):
        head = title.split("：")[0].split(":")[0]
        lex.add(Entity("activity", title, title), title, head)
        for word in segment(head) + segment(title):
            w = compact(word)
            if len(w) >= 2 and w not in _TITLE_STOP:
                lex.words.add(w)
    for name in set(Dish.objects.filter(kitchen__street=street).values_list("name", flat=True)):
        lex.add(Entity("dish", name, name), name)
    _drop_shared_kind_aliases(lex)
    for alias in lex.aliases:
        tok.add_word(alias, freq=200000)
    return lex


def _drop_shared_kind_aliases(lex: Lexicon) -> None:
    """A short name made only of kind words ("市民驿站") names a place only when no other place's name holds it."""
    names = [compact(e.name) for e in lex.entities if e.kind == "place"]
    for alias in list(lex.aliases):
        ents = lex.aliases[alias]
        shared = sum(alias in n for n in names) > 1
        if shared and all(e.kind == "place" for e in ents) and not core_of(alias):
            del lex.aliases[alias]
            for py, aliases in list(lex.pinyin.items()):
                if alias in aliases:
                    aliases.remove(alias)
                    if not aliases:
                        del lex.pinyin[py]
