"""Which grid a domain's row belongs to: the one place that maps rows to grids.

Every row the dashboard counts is put under the deepest grid that holds it, by what the row knows of where it
happened:

| row | through |
|---|---|
| hazard case | its own `grid` (routing already chose it) |
| booking | its activity's venue (a place: the deepest grid whose polygon holds the place's point) |
| meal order | the place it goes to, else its kitchen's place |
| affairs appointment, queue ticket | the service point (place) |
| care visit, emergency call | the person's compound (its grid), else their committee's grid |
| volunteer shift | its station's place |
| assistant answer, anything without a spot | the street's HQ grid |

A committee's grid is the grid most of its compounds lie in (`selectors.committee_grid_ids`). Rows the street's
grids do not cover fall to the HQ grid, so a street's totals always hold every row. A street without grids keeps
its counters under no grid (`None`).

The mapping is built per street in memory (grids' polygons, places' points, compounds) and cached until the
street's grids, places or compounds change.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from django.db.models import Count, Max
from shapely.geometry import Point, shape
from shapely.prepared import prep

from linli.core.models import Compound, Grid
from linli.dashboard.selectors import GridTree, committee_grid_ids, grid_tree
from linli.places.models import Place


@dataclass
class Attribution:
    street_id: int
    tree: GridTree
    shapes: list[tuple[int, int, object, tuple[float, float, float, float]]] = field(default_factory=list)
    places: dict[int, int | None] = field(default_factory=dict)
    compounds: dict[int, int | None] = field(default_factory=dict)
    committees: dict[int, int | None] = field(default_factory=dict)

    @property
    def hq_id(self) -> int | None:
        return self.tree.hq_id

    def point(self, lat: float | None, lng: float | None) -> int | None:
        """The deepest grid holding the point, else the HQ grid."""
        if lat is None or lng is None:
            return self.hq_id
        p = Point(lng, lat)
        for gid, _depth, geom, (min_lat, min_lng, max_lat, max_lng) in self.shapes:
            if min_lat <= lat <= max_lat and min_lng <= lng <= max_lng and geom.covers(p):  # type: ignore[attr-defined]
                return gid
        return self.hq_id

    def grid(self, grid_id: int | None) -> int | None:
        return grid_id if grid_id is not None and grid_id in self.tree.grids else self.hq_id

    def place(self, place_id: int | None) -> int | None:
        if place_id is None:
            return self.hq_id
        return self.places.get(place_id, self.hq_id)

    def compound(self, compound_id: int | None) -> int | None:
        if compound_id is None:
            return self.hq_id
        return self.grid(self.compounds.get(compound_id))

    def committee(self, committee_id: int | None) -> int | None:
        if committee_id is None:
            return self.hq_id
        return self.grid(self.committees.get(committee_id))

    def person(self, compound_id: int | None, committee_id: int | None) -> int | None:
        """A resident's row: their compound's grid, else their committee's."""
        if compound_id is not None and self.compounds.get(compound_id) is not None:
            return self.compound(compound_id)
        return self.committee(committee_id)


def _build(street_id: int) -> Attribution:
    tree = grid_tree(street_id)
    att = Attribution(street_id=street_id, tree=tree)
    rows = Grid.objects.filter(street_id=street_id).values_list(
        "id", "geometry", "min_lat", "min_lng", "max_lat", "max_lng"
    )
    for gid, geometry, min_lat, min_lng, max_lat, max_lng in rows:
        try:
            geom = prep(shape(geometry))
        except (ValueError, TypeError, AttributeError, KeyError):
            continue
        att.shapes.append((gid, tree.depth(gid), geom, (min_lat, min_lng, max_lat, max_lng)))
    # Deepest first: a point inside a unit is the unit's, not its workstation's.
    att.shapes.sort(key=lambda s: (-s[1], s[0]))
    for pid, lat, lng in Place.objects.filter(street_id=street_id).order_by().values_list("id", "lat", "lng"):
        att.places[pid] = att.point(lat, lng)
    att.compounds = dict(Compound.objects.filter(street_id=street_id).order_by().values_list("id", "grid_id"))
    att.committees = committee_grid_ids(street_id)
    return att


_cache: dict[int, tuple[tuple[object, ...], Attribution]] = {}
_lock = threading.Lock()


def _mark(street_id: int) -> tuple[object, ...]:
    """What changes when the mapping must be built again (one query)."""
    grids = Grid.objects.filter(street_id=street_id).order_by().aggregate(n=Count("id"), m=Max("id"))
    places = Place.objects.filter(street_id=street_id).order_by().aggregate(n=Count("id"), m=Max("id"))
    compounds = Compound.objects.filter(street_id=street_id).order_by().aggregate(n=Count("id"), m=Max("id"))
    return (grids["n"], grids["m"], places["n"], places["m"], compounds["n"], compounds["m"])


def attribution_for(street_id: int) -> Attribution:
    """The street's mapping, built again when its grids, places or compounds were added or removed."""
    mark = _mark(street_id)
    with _lock:
        hit = _cache.get(street_id)
        if hit is not None and hit[0] == mark:
            return hit[1]
    att = _build(street_id)
    with _lock:
        _cache[street_id] = (mark, att)
    return att


def attribution_forget() -> None:
    """Drop every cached mapping (tests, and after a grid import moved boundaries)."""
    with _lock:
        _cache.clear()
