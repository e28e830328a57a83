"""Geodesy for Linli: distances, walking time, China's map datums and navigation links.

Coordinates are stored in WGS-84. GCJ-02 (Amap, Tencent) and BD-09 (Baidu) only appear at the edge: imports
that declare them and navigation links into those apps. The GCJ-02 transform is the widely published
reverse-engineered algorithm (Krasovsky ellipsoid constants, as in eviltransform and coordtransform); BD-09 is
Baidu's published offset on top of GCJ-02.
"""

from __future__ import annotations

import functools
import math
from urllib.parse import quote

import h3

EARTH_RADIUS_M = 6371008.8  # IUGG mean earth radius

WALK_SPEED_M_PER_MIN = 80  # an unhurried walk, also what elderly residents manage (~4.8 km/h)
DETOUR_FACTOR = 1.25  # street network distance / straight-line distance in Shanghai's blocks
WALK_CIRCLE_MINUTES = 15  # the "15-minute community life circle"

COORDINATE_SYSTEMS = ("wgs84", "gcj02", "bd09")

# GCJ-02 constants: Krasovsky 1940 ellipsoid.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres on a sphere of the mean earth radius."""
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def walk_minutes(distance_m: float) -> int:
    """Walking minutes for a straight-line distance: street detour included, rounded up, at least 1."""
    return max(1, math.ceil(distance_m * DETOUR_FACTOR / WALK_SPEED_M_PER_MIN - 1e-9))


def in_walk_circle(distance_m: float) -> bool:
    """Whether a point this far away (straight line) lies within the 15-minute walk."""
    return walk_minutes(distance_m) <= WALK_CIRCLE_MINUTES


def in_china(lat: float, lng: float) -> bool:
    """Rough mainland-China bounding box, used to reject coordinates that cannot be a Chinese service point."""
    return 3.86 <= lat <= 53.55 and 73.66 <= lng <= 135.05


def _out_of_china(lat: float, lng: float) -> bool:
    # The rule every GCJ-02 implementation uses: no offset outside this box.
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _gcj_delta(lat: float, lng: float) -> tuple[float, float]:
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    rad_lat = math.radians(lat)
    magic = 1 - _GCJ_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_GCJ_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlat, dlng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if _out_of_china(lat, lng):
        return lat, lng
    dlat, dlng = _gcj_delta(lat, lng)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """Inverse of `wgs84_to_gcj02` by fixed-point iteration; converges to well under a centimetre."""
    if _out_of_china(lat, lng):
        return lat, lng
    wlat, wlng = lat, lng
    for _ in range(30):
        glat, glng = wgs84_to_gcj02(wlat, wlng)
        err_lat, err_lng = glat - lat, glng - lng
        wlat -= err_lat
        wlng -= err_lng
        if abs(err_lat) < 1e-10 and abs(err_lng) < 1e-10:
            break
    return wlat, wlng


def gcj02_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    x = lng - 0.0065
    y = lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def wgs84_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lng))


def bd09_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lng))


def to_wgs84(lat: float, lng: float, system: str) -> tuple[float, float]:
    """Convert a point declared in `system` ("wgs84", "gcj02" or "bd09") to WGS-84."""
    system = (system or "").strip().lower().replace("-", "")
    if system == "wgs84":
        return float(lat), float(lng)
    if system == "gcj02":
        return gcj02_to_wgs84(lat, lng)
    if system == "bd09":
        return bd09_to_wgs84(lat, lng)
    raise ValueError(f"unknown coordinate system {system!r}; expected one of {', '.join(COORDINATE_SYSTEMS)}")


def navigation_links(lat: float, lng: float, name: str) -> dict[str, str]:
    """One-tap navigation links into Amap (GCJ-02), Baidu Maps (BD-09) and any `geo:` handler (WGS-84)."""
    return dict(_navigation_links(lat, lng, name))  # a copy: callers may change their dict


@functools.lru_cache(maxsize=65536)
def _navigation_links(lat: float, lng: float, name: str) -> dict[str, str]:
    glat, glng = wgs84_to_gcj02(lat, lng)
    blat, blng = wgs84_to_bd09(lat, lng)
    q = quote(name or "", safe="")
    # In the geo: URI the label sits inside parentheses; keep it readable but escape what would break the URI.
    label = quote(name or "", safe="")
    return {
        "amap": (f"https://uri.amap.com/marker?position={glng:.6f},{glat:.6f}&name={q}&coordinate=gaode&callnative=1"),
        "amap_walk": (
            f"https://uri.amap.com/navigation?to={glng:.6f},{glat:.6f},{q}&mode=walk&coordinate=gaode&callnative=1"
        ),
        "baidu": (
            f"https://api.map.baidu.com/marker?location={blat:.6f},{blng:.6f}&title={q}&content={q}"
            "&output=html&coord_type=bd09ll&src=linli"
        ),
        "geo": f"geo:{lat:.6f},{lng:.6f}?q={lat:.6f},{lng:.6f}({label})",
    }


def h3_cell(lat: float, lng: float, res: int = 9) -> str:
    """The H3 cell (hex string) containing a WGS-84 point."""
    return h3.latlng_to_cell(lat, lng, res)
