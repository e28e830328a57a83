"""Geodesy: conversions against reference points published by other projects, round trips, distances, links."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, unquote, urlsplit

import h3
import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.core import geo

# WGS-84 -> GCJ-02 reference points from googollee/eviltransform (python/test.py, TESTS: wgsLat, wgsLng, gcjLat,
# gcjLng); the same vectors are used by its PHP and JS ports.
EVILTRANSFORM_WGS_GCJ = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]

# wandergis/coordtransform test/app.js: every conversion applied to (lng 116.404, lat 39.915), results as
# [lng, lat]. Also used verbatim by hutool's CoordinateUtilTest and the coordtransform Rust port.
CT_INPUT = (39.915, 116.404)
CT_BD09_TO_GCJ02 = (39.90865673957631, 116.39762729119315)
CT_GCJ02_TO_BD09 = (39.92133699351021, 116.41036949371029)
CT_WGS84_TO_GCJ02 = (39.91640428150164, 116.41024449916938)
CT_GCJ02_TO_WGS84_ONE_STEP = (39.91359571849836, 116.39775550083061)  # coordtransform's one-step approximation

SHANGHAI = {"lat": (30.68, 31.88), "lng": (120.85, 122.2)}


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    return geo.haversine_m(a[0], a[1], b[0], b[1])


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM_WGS_GCJ)
def test_wgs84_to_gcj02_matches_eviltransform(wlat, wlng, glat, glng):
    lat, lng = geo.wgs84_to_gcj02(wlat, wlng)
    assert lat == pytest.approx(glat, abs=1e-9)
    assert lng == pytest.approx(glng, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM_WGS_GCJ)
def test_gcj02_to_wgs84_recovers_eviltransform_wgs_point(wlat, wlng, glat, glng):
    # The GCJ offset is several hundred metres; the inverse must land within half a metre of the original.
    assert metres_between((glat, glng), (wlat, wlng)) > 100
    assert metres_between(geo.gcj02_to_wgs84(glat, glng), (wlat, wlng)) < 0.5


def test_coordtransform_reference_vectors():
    assert geo.wgs84_to_gcj02(*CT_INPUT) == pytest.approx(CT_WGS84_TO_GCJ02, abs=1e-9)
    assert geo.gcj02_to_bd09(*CT_INPUT) == pytest.approx(CT_GCJ02_TO_BD09, abs=1e-9)
    assert geo.bd09_to_gcj02(*CT_INPUT) == pytest.approx(CT_BD09_TO_GCJ02, abs=1e-9)
    # coordtransform inverts GCJ-02 in one step (metre-level error); the iterative inverse lies within a metre
    # of it and is exact when converted forward again.
    wgs = geo.gcj02_to_wgs84(*CT_INPUT)
    assert metres_between(wgs, CT_GCJ02_TO_WGS84_ONE_STEP) < 1.0
    assert metres_between(geo.wgs84_to_gcj02(*wgs), CT_INPUT) < 0.01


def test_bd09_composes_gcj02():
    lat, lng = 31.2304, 121.4737
    assert geo.wgs84_to_bd09(lat, lng) == pytest.approx(geo.gcj02_to_bd09(*geo.wgs84_to_gcj02(lat, lng)))
    # Baidu's offset is roughly 0.006 degrees north and 0.0065 east of GCJ-02.
    blat, blng = geo.gcj02_to_bd09(lat, lng)
    assert 0.005 < blat - lat < 0.007
    assert 0.005 < blng - lng < 0.008


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(min_value=SHANGHAI["lat"][0], max_value=SHANGHAI["lat"][1]),
    lng=st.floats(min_value=SHANGHAI["lng"][0], max_value=SHANGHAI["lng"][1]),
)
def test_round_trips_over_shanghai(lat, lng):
    assert metres_between(geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lat, lng)), (lat, lng)) < 0.5
    assert metres_between(geo.bd09_to_wgs84(*geo.wgs84_to_bd09(lat, lng)), (lat, lng)) < 0.5
    assert metres_between(geo.bd09_to_gcj02(*geo.gcj02_to_bd09(lat, lng)), (lat, lng)) < 0.5
    assert metres_between(geo.to_wgs84(*geo.wgs84_to_gcj02(lat, lng), "gcj02"), (lat, lng)) < 0.5
    assert metres_between(geo.to_wgs84(*geo.wgs84_to_bd09(lat, lng), "bd09"), (lat, lng)) < 0.5


@pytest.mark.parametrize("point", [(51.5007, -0.1246), (40.6892, -74.0445), (-33.8568, 151.2153), (35.6812, 139.7671)])
def test_outside_china_gcj02_is_wgs84(point):
    assert geo.wgs84_to_gcj02(*point) == point
    assert geo.gcj02_to_wgs84(*point) == point
    assert not geo.in_china(*point)


def test_to_wgs84_systems():
    assert geo.to_wgs84(31.23, 121.47, "wgs84") == (31.23, 121.47)
    assert geo.to_wgs84(31.23, 121.47, "GCJ-02") == geo.gcj02_to_wgs84(31.23, 121.47)
    with pytest.raises(ValueError):
        geo.to_wgs84(31.23, 121.47, "cgcs2000x")


def test_in_china():
    assert geo.in_china(31.2304, 121.4737)  # Shanghai
    assert geo.in_china(43.8256, 87.6168)  # Urumqi
    assert not geo.in_china(121.4737, 31.2304)  # latitude and longitude swapped
    assert not geo.in_china(0.0, 0.0)


def test_haversine_against_independent_geodesic():
    # 1 degree of latitude on the mean sphere: R * pi / 180.
    assert geo.haversine_m(0, 0, 1, 0) == pytest.approx(6371008.8 * math.pi / 180, rel=1e-12)
    # People's Square (Shanghai Museum) to the Bund's Chen Yi statue: about 1.5 km. Cross-checked against
    # GeographicLib's ellipsoidal geodesic (Karney 2013); a sphere differs from WGS-84 by < 0.5 %.
    square, bund = (31.2282, 121.4753), (31.2366, 121.4906)
    ellipsoidal = Geodesic.WGS84.Inverse(*square, *bund)["s12"]
    assert 1500 < ellipsoidal < 1800
    assert geo.haversine_m(*square, *bund) == pytest.approx(ellipsoidal, rel=5e-3)
    # Shanghai to Beijing: ~1,070 km as the crow flies.
    sh_bj = geo.haversine_m(31.2304, 121.4737, 39.9042, 116.4074)
    assert sh_bj == pytest.approx(Geodesic.WGS84.Inverse(31.2304, 121.4737, 39.9042, 116.4074)["s12"], rel=5e-3)
    assert 1_050_000 < sh_bj < 1_090_000
    assert geo.haversine_m(31.2, 121.4, 31.2, 121.4) == 0


def test_walk_minutes_and_circle():
    assert geo.walk_minutes(0) == 1
    assert geo.walk_minutes(64) == 1  # 64 m * 1.25 = 80 m = one minute
    assert geo.walk_minutes(65) == 2
    assert geo.walk_minutes(960) == 15  # 960 * 1.25 / 80 = 15
    assert geo.in_walk_circle(960)
    assert not geo.in_walk_circle(961)
    assert geo.WALK_SPEED_M_PER_MIN == 80 and geo.DETOUR_FACTOR == 1.25 and geo.WALK_CIRCLE_MINUTES == 15


def test_navigation_links():
    lat, lng, name = 31.2304, 121.4737, "万里街道党群服务中心 A&B"
    links = geo.navigation_links(lat, lng, name)
    glat, glng = geo.wgs84_to_gcj02(lat, lng)
    blat, blng = geo.wgs84_to_bd09(lat, lng)

    amap = urlsplit(links["amap"])
    assert (amap.scheme, amap.netloc, amap.path) == ("https", "uri.amap.com", "/marker")
    q = parse_qs(amap.query)
    assert q["position"] == [f"{glng:.6f},{glat:.6f}"]
    assert q["name"] == [name]  # the "&" in the name is escaped, not a parameter separator
    assert q["coordinate"] == ["gaode"] and q["callnative"] == ["1"]

    walk = parse_qs(urlsplit(links["amap_walk"]).query)
    assert walk["to"] == [f"{glng:.6f},{glat:.6f},{name}"]
    assert walk["mode"] == ["walk"]

    baidu = urlsplit(links["baidu"])
    assert (baidu.netloc, baidu.path) == ("api.map.baidu.com", "/marker")
    bq = parse_qs(baidu.query)
    assert bq["location"] == [f"{blat:.6f},{blng:.6f}"]
    assert bq["title"] == [name] and bq["content"] == [name]
    assert bq["coord_type"] == ["bd09ll"] and bq["output"] == ["html"] and bq["src"] == ["linli"]

    assert links["geo"].startswith("geo:31.230400,121.473700?q=31.230400,121.473700(")
    assert unquote(links["geo"].split("(", 1)[1].rstrip(")")) == name
    # The GCJ-02 point really is offset from the stored WGS-84 one (a few hundred metres in Shanghai).
    assert 300 < geo.haversine_m(lat, lng, glat, glng) < 700


def test_h3_cell():
    cell = geo.h3_cell(31.2304, 121.4737)
    assert h3.is_valid_cell(cell)
    assert h3.get_resolution(cell) == 9
    assert h3.get_resolution(geo.h3_cell(31.2304, 121.4737, 7)) == 7
    assert h3.cell_to_parent(cell, 7) == geo.h3_cell(31.2304, 121.4737, 7)
