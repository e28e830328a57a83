"""Where a resident starts from ("从哪里出发"): the `?from=lat,lng` of the map, the activities list, the meals
list and the assistant, parsed and written back in one format (WGS-84, six decimals, about 0.1 m)."""

from __future__ import annotations

import math

Origin = tuple[float, float]


def parse_origin(value: str | None) -> Origin | None:
    """`lat,lng` (WGS-84) from the query string, or None when absent or malformed."""
    if not value:
        return None
    parts = value.split(",")
    if len(parts) != 2:
        return None
    lat, lng = parse_coordinate(parts[0]), parse_coordinate(parts[1])
    if lat is None or lng is None or not (math.isfinite(lat) and math.isfinite(lng)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return lat, lng


def parse_coordinate(value: str | None) -> float | None:
    """One number of a position (a form's `lat` or `lng`), or None when absent or malformed (the service that
    takes it checks its range)."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def origin_query(origin: Origin | None) -> str:
    """The `from=` value for links that keep the origin ("" without one)."""
    return f"{origin[0]:.6f},{origin[1]:.6f}" if origin else ""
