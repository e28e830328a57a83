"""The street's own gazetteer: places, compounds and roads by name, from the street's data (no map service).

- `spot_name(street, lat, lng)`: a point named in words: the compound that holds it (or the nearest, if close),
  the nearest road, the nearest service point ("万里城一期 · 真金路 · 近 万里城一期助医点 40 米");
- `spot_find(street, text)`: a typed place or address ("真金路588弄", "万里城一期", "真金路") → a point and a label;
- `outlines(street)`: compounds' polygons, unit grids and road lines for a map without tiles.

Roads come from addresses ("上海市普陀区真金路588弄" → 真金路): a road is the line through the places and compounds
on it, in house-number order. It is approximate, and said to be (the label names a road, never a house number).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin
from shapely.geometry import LineString, Point, shape

from linli.core.geo import haversine_m
from linli.core.models import Compound, Grid, GridLevel, Street
from linli.places.models import Place

ROAD_RE = re.compile(r"(?:上海市)?(?:[\u4e00-\u9fff]{1,4}区)?([\u4e00-\u9fff]{1,8}?(?:大道|公路|路|街|巷))(\d+)?")
NEAR_COMPOUND_M = 60  # a point this close to a compound's edge is "at" the compound
METRES_PER_DEGREE = 111_000


@dataclass
class Road:
    name: str
    points: list[tuple[int, float, float]] = field(default_factory=list)  # (house number, lat, lng)

    def line(self) -> list[tuple[float, float]]:
        """The road as a straight segment: the principal axis of the points on it, from end to end (the streets'
        roads are near-straight; numbers on both sides of a road would make a zigzag of the points themselves)."""
        if len(self.points) < 2:
            return [(lat, lng) for _n, lat, lng in self.points]
        ref = self.points[0][1]
        xy = [_metres(lat, lng, ref) for _n, lat, lng in self.points]
        mx, my = sum(x for x, _ in xy) / len(xy), sum(y for _, y in xy) / len(xy)
        sxx = sum((x - mx) ** 2 for x, _ in xy)
        syy = sum((y - my) ** 2 for _, y in xy)
        sxy = sum((x - mx) * (y - my) for x, y in xy)
        angle = 0.5 * math.atan2(2 * sxy, sxx - syy)
        dx, dy = math.cos(angle), math.sin(angle)
        along = [(x - mx) * dx + (y - my) * dy for x, y in xy]
        ends = [(mx + t * dx, my + t * dy) for t in (min(along), max(along))]
        return [_degrees(x, y, ref) for x, y in ends]


# A road's English name as Shanghai's road signs give it: the name in pinyin and the kind of road ("真金路" →
# "Zhenjin Rd"). Longest suffix first.
ROAD_KINDS_EN = (("大道", "Ave"), ("公路", "Hwy"), ("路", "Rd"), ("街", "St"), ("巷", "Ln"))


def road_label(name: str) -> str:
    """A road's name in the active language: as it is in Chinese, in pinyin with its kind in English."""
    if not name or not (translation.get_language() or "").startswith("en"):
        return name
    for suffix, kind in ROAD_KINDS_EN:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = "".join(lazy_pinyin(name[: -len(suffix)], style=Style.NORMAL, errors="default"))
            return f"{stem.capitalize()} {kind}"
    return "".join(lazy_pinyin(name, style=Style.NORMAL, errors="default")).capitalize()


def road_of(address: str) -> tuple[str, int] | None:
    """The road and house number of an address ("上海市普陀区真金路588弄" → ("真金路", 588))."""
    match = ROAD_RE.search(address or "")
    if not match:
        return None
    return match.group(1), int(match.group(2) or 0)


def _roads(street: Street) -> dict[str, Road]:
    roads: dict[str, Road] = {}
    rows = list(Place.objects.filter(street=street).values_list("address", "lat", "lng"))
    rows += list(Compound.objects.filter(street=street).values_list("address", "lat", "lng"))
    for address, lat, lng in rows:
        found = road_of(address)
        if found:
            roads.setdefault(found[0], Road(found[0])).points.append((found[1], lat, lng))
    return roads


def _metres(lat: float, lng: float, ref_lat: float) -> tuple[float, float]:
    """Local flat coordinates in metres (good enough across one street)."""
    return lng * METRES_PER_DEGREE * math.cos(math.radians(ref_lat)), lat * METRES_PER_DEGREE


def _degrees(x: float, y: float, ref_lat: float) -> tuple[float, float]:
    return y / METRES_PER_DEGREE, x / (METRES_PER_DEGREE * math.cos(math.radians(ref_lat)))


def _road_distance(road: Road, lat: float, lng: float) -> float:
    pts = [_metres(a, b, lat) for a, b in road.line()]
    here = Point(*_metres(lat, lng, lat))
    if len(pts) == 1:
        return here.distance(Point(pts[0]))
    return here.distance(LineString(pts))


@dataclass
class _Index:
    compounds: list[tuple[str, Any, float, float]]  # (name, shape, lat, lng)
    roads: dict[str, Road]
    places: list[tuple[str, float, float]]


def _index(street: Street) -> _Index:
    return _Index(
        compounds=[
            (c.name, shape(c.geometry), c.lat, c.lng)
            for c in Compound.objects.filter(street=street).only("name", "geometry", "lat", "lng")
        ],
        roads=_roads(street),
        places=list(Place.objects.filter(street=street).values_list("name", "lat", "lng")),
    )


def spot_namer(street: Street) -> Callable[[float, float], dict[str, Any]]:
    """`name(lat, lng)` for many points of one street (a list of cases): the street's data is read once."""
    index = _index(street)
    return lambda lat, lng: _spot(index, lat, lng)


def spot_name(street: Street, lat: float, lng: float) -> dict[str, Any]:
    """The point in words: {compound, road, near: {name, distance_m}, text} (text in the active language)."""
    return _spot(_index(street), lat, lng)


def _spot(index: _Index, lat: float, lng: float) -> dict[str, Any]:
    here = Point(lng, lat)
    compound = None
    best = None
    for name, geom, c_lat, c_lng in index.compounds:
        if geom.geom_type != "Point" and geom.covers(here):
            compound, best = name, 0.0
            break
        d = (
            haversine_m(lat, lng, c_lat, c_lng)
            if geom.geom_type == "Point"
            else geom.distance(here) * METRES_PER_DEGREE
        )
        if d <= NEAR_COMPOUND_M and (best is None or d < best):
            compound, best = name, d
    road = None
    if index.roads:
        nearest = min(index.roads.values(), key=lambda r: _road_distance(r, lat, lng))
        if _road_distance(nearest, lat, lng) <= 400:
            road = nearest.name
    near = None
    if index.places:
        name, p_lat, p_lng = min(index.places, key=lambda p: haversine_m(lat, lng, p[1], p[2]))
        near = {"name": name, "distance_m": round(haversine_m(lat, lng, p_lat, p_lng))}
    spot = {"compound": compound, "road": road, "near": near}
    spot["text"] = spot_text(spot)
    return spot


def spot_text(spot: dict[str, Any]) -> str:
    """ "万里城一期 · 真金路 · 离 万里城一期助医点 约 40 米" in the active language (names stay as they are)."""
    parts = [x for x in (spot.get("compound"), road_label(spot.get("road") or "")) if x]
    near = spot.get("near")
    if near and near["distance_m"] <= 1000:
        if near["distance_m"] < 15:
            parts.append(near["name"])
        else:
            parts.append(_("离 %(name)s 约 %(m)s 米") % {"name": near["name"], "m": near["distance_m"]})
    return " · ".join(parts)


def spot_texts(street: Street, lat: float, lng: float) -> tuple[str, str]:
    """The point in words in Chinese and in English (for a message sent in the reader's language)."""
    spot = spot_name(street, lat, lng)
    with translation.override("zh-hans"):
        zh = spot_text(spot)
    with translation.override("en"):
        en = spot_text(spot)
    return zh, en


def _norm(text: str) -> str:
    text = re.sub(r"\s+", "", text or "").lower()
    return re.sub(r"^(上海市?)?([\u4e00-\u9fff]{1,4}区)?", "", text)


def spot_find(street: Street, text: str) -> dict[str, Any] | None:
    """A typed place, compound, address or road of the street → {lat, lng, label, kind}, or None."""
    q = _norm(text)
    if not q:
        return None
    named: list[tuple[str, str, float, float, str]] = [
        (p.name, p.address, p.lat, p.lng, "place") for p in Place.objects.filter(street=street)
    ]
    named += [(c.name, c.address, c.lat, c.lng, "compound") for c in Compound.objects.filter(street=street)]
    roads = _roads(street)

    def middle(road: Road) -> dict[str, Any]:
        lat = sum(p[1] for p in road.points) / len(road.points)
        lng = sum(p[2] for p in road.points) / len(road.points)
        return {"lat": lat, "lng": lng, "label": road_label(road.name), "kind": "road"}

    numbered = any(ch.isdigit() for ch in q)  # "真金路" is the road; "真金路588弄" an address on it
    for exact in (True, False):
        for name, address, lat, lng, kind in named:
            n, a = _norm(name), _norm(address)
            hit = (q in (n, a)) if exact else (q in n or (numbered and q in a) or (len(n) >= 3 and n in q))
            if hit:
                return {"lat": lat, "lng": lng, "label": name, "kind": kind}
        if exact and q in roads:
            return middle(roads[q])
    # An address on a known road: the nearest house number on it, or the road's middle.
    found = road_of(q)
    if found and found[0] in roads:
        road = roads[found[0]]
        if not found[1]:
            return middle(road)
        _n, lat, lng = min(road.points, key=lambda p: abs(p[0] - found[1]))
        return {"lat": lat, "lng": lng, "label": road_label(road.name), "kind": "road"}
    for name, road in roads.items():
        if name in q or q in name:
            return middle(road)
    return None


def outlines(street: Street) -> dict[str, Any]:
    """What a map without tiles draws: compounds (polygons or points), unit grids, and road lines with names."""
    compounds = [
        {"name": c.name, "geometry": c.geometry, "lat": c.lat, "lng": c.lng}
        for c in Compound.objects.filter(street=street).order_by("name")
    ]
    grids = [
        {"name": g.name, "geometry": g.geometry}
        for g in Grid.objects.filter(street=street, level=GridLevel.UNIT).order_by("external_id")
    ]
    roads = [{"name": road_label(r.name), "line": r.line()} for r in _roads(street).values() if len(r.points) >= 2]
    return {"compounds": compounds, "grids": grids, "roads": roads}
