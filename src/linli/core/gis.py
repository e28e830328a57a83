"""Point-in-polygon over governance grids (shapely), with a bounding-box prefilter in the database."""

from __future__ import annotations

from shapely.geometry import Point, shape

from linli.core.models import GRID_LEVEL_DEPTH, Grid, GridLevel, Street


def grids_containing(*, street: Street, lat: float, lng: float) -> list[Grid]:
    """Every grid of `street` whose polygon holds the point (boundary included), shallowest first."""
    candidates = Grid.objects.filter(
        street=street, min_lat__lte=lat, max_lat__gte=lat, min_lng__lte=lng, max_lng__gte=lng
    )
    point = Point(lng, lat)
    hits = [g for g in candidates if shape(g.geometry).covers(point)]
    hits.sort(key=lambda g: (GRID_LEVEL_DEPTH[GridLevel(g.level)], g.external_id))
    return hits


def grid_for_point(*, street: Street, lat: float, lng: float) -> Grid | None:
    """The deepest grid (unit before workstation before HQ) whose polygon holds the point."""
    hits = grids_containing(street=street, lat=lat, lng=lng)
    return hits[-1] if hits else None


def streets_at_point(*, lat: float, lng: float) -> list[Street]:
    """Every street one of whose grids holds the point (boundary included), by code."""
    candidates = Grid.objects.filter(min_lat__lte=lat, max_lat__gte=lat, min_lng__lte=lng, max_lng__gte=lng)
    point = Point(lng, lat)
    ids = {g.street_id for g in candidates.only("street_id", "geometry") if shape(g.geometry).covers(point)}
    return list(Street.objects.filter(id__in=ids).order_by("code"))
