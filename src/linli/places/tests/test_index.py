"""PointIndex.nearest must give exactly the brute-force answer, whatever the point set, filter and radius."""

from __future__ import annotations

import h3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.core.geo import haversine_m
from linli.places.index import PointIndex, brute_force_nearest

# Shanghai, and a small central patch where points crowd together.
SH_LAT, SH_LNG = (30.70, 31.85), (120.90, 122.10)
CENTRE_LAT, CENTRE_LNG = (31.20, 31.26), (121.42, 121.52)


def assert_same(got, want):
    assert [pid for pid, _ in got] == [pid for pid, _ in want]
    for (_, dg), (_, dw) in zip(got, want, strict=True):
        assert dg == pytest.approx(dw, rel=1e-6, abs=1e-6)


def coords(lat_range, lng_range):
    return st.tuples(
        st.floats(min_value=lat_range[0], max_value=lat_range[1]),
        st.floats(min_value=lng_range[0], max_value=lng_range[1]),
    )


@st.composite
def point_sets(draw):
    spread = draw(st.sampled_from(["city", "centre", "mixed", "clustered"]))
    n = draw(st.integers(min_value=0, max_value=300))
    points = []
    for i in range(n):
        if spread == "city" or (spread == "mixed" and i % 3 == 0):
            lat, lng = draw(coords(SH_LAT, SH_LNG))
        elif spread == "clustered":
            # A handful of sites sharing exact coordinates (several services in one building) plus jitter.
            lat, lng = draw(st.sampled_from([(31.2304, 121.4737), (31.2400, 121.4900), (31.2304, 121.4738)]))
        else:
            lat, lng = draw(coords(CENTRE_LAT, CENTRE_LNG))
        points.append((i * 7 + 3, lat, lng))
    return points


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    points=point_sets(),
    query=st.one_of(coords(SH_LAT, SH_LNG), coords(CENTRE_LAT, CENTRE_LNG)),
    limit=st.integers(min_value=1, max_value=40),
    modulus=st.sampled_from([None, 2, 3, 10, 1000]),
    max_distance=st.one_of(st.none(), st.floats(min_value=0, max_value=30_000)),
    res=st.sampled_from([7, 8, 9]),
)
def test_nearest_equals_brute_force(points, query, limit, modulus, max_distance, res):
    index = PointIndex([p[0] for p in points], [p[1] for p in points], [p[2] for p in points], res=res)
    accept = None if modulus is None else (lambda pid: pid % modulus == 0)
    got = index.nearest(*query, limit=limit, accept=accept, max_distance_m=max_distance)
    want = brute_force_nearest(points, *query, limit=limit, accept=accept, max_distance_m=max_distance)
    assert_same(got, want)
    assert index.scan(*query, limit=limit, accept=accept, max_distance_m=max_distance) == got


def test_dense_city_with_filters():
    # 5,000 points on a deterministic pseudo-random scatter; queries across the city.
    import random

    rng = random.Random(20261122)
    points = [(i, rng.uniform(*SH_LAT), rng.uniform(*SH_LNG)) for i in range(5000)]
    index = PointIndex(*zip(*points, strict=True))
    assert len(index) == 5000
    for _ in range(50):
        q = (rng.uniform(*CENTRE_LAT), rng.uniform(*CENTRE_LNG))
        assert_same(index.nearest(*q, limit=10), brute_force_nearest(points, *q, limit=10))
        only_tenth = lambda pid: pid % 10 == 0  # noqa: E731
        assert_same(
            index.nearest(*q, limit=10, accept=only_tenth),
            brute_force_nearest(points, *q, limit=10, accept=only_tenth),
        )
        assert_same(
            index.nearest(*q, limit=50, max_distance_m=1200),
            brute_force_nearest(points, *q, limit=50, max_distance_m=1200),
        )


def test_results_sorted_by_distance_then_id():
    # Two sites at the same spot: the lower id comes first; distances are real metres.
    index = PointIndex([5, 2, 9], [31.2304, 31.2304, 31.2400], [121.4737, 121.4737, 121.4737])
    result = index.nearest(31.2304, 121.4737, limit=3)
    assert [pid for pid, _ in result] == [2, 5, 9]
    assert result[0][1] == 0 and result[2][1] == pytest.approx(haversine_m(31.2304, 121.4737, 31.24, 121.4737))
    assert 1060 < result[2][1] < 1080  # 0.0096 degrees of latitude


def test_limit_larger_than_set_and_far_query():
    points = [(1, 31.23, 121.47), (2, 31.10, 121.30)]
    index = PointIndex(*zip(*points, strict=True))
    assert [pid for pid, _ in index.nearest(31.23, 121.47, limit=10)] == [1, 2]
    # A query in Beijing still finds the Shanghai points (by scanning once the rings outgrow the index).
    far = index.nearest(39.9042, 116.4074, limit=1)
    assert far == brute_force_nearest(points, 39.9042, 116.4074, limit=1)
    assert far[0][0] == 1 and 1_000_000 < far[0][1] < 1_100_000


def test_max_distance_and_reject_all():
    points = [(1, 31.2304, 121.4737), (2, 31.2500, 121.4737)]
    index = PointIndex(*zip(*points, strict=True))
    assert [pid for pid, _ in index.nearest(31.2304, 121.4737, max_distance_m=1000)] == [1]
    assert index.nearest(31.2304, 121.4737, accept=lambda pid: False) == []
    assert index.nearest(31.2304, 121.4737, limit=0) == []


def test_empty_index():
    index = PointIndex([], [], [])
    assert len(index) == 0
    assert index.nearest(31.23, 121.47) == []
    assert brute_force_nearest([], 31.23, 121.47, limit=5) == []


def test_mismatched_lengths_rejected():
    with pytest.raises(ValueError):
        PointIndex([1, 2], [31.2], [121.4, 121.5])


@pytest.mark.parametrize("res", [7, 8, 9])
def test_covered_radius_is_really_covered(res):
    # Walk outwards from a Shanghai cell: every cell outside disk k keeps its vertices beyond covered(k).
    index = PointIndex([], [], [], res=res)
    q = (31.2304, 121.4737)
    origin = h3.latlng_to_cell(*q, res)
    for k in range(0, 8):
        covered = index.covered_radius_m(k)
        for cell in h3.grid_ring(origin, k + 1):
            for vlat, vlng in h3.cell_to_boundary(cell):
                assert haversine_m(*q, vlat, vlng) >= covered
    assert index.covered_radius_m(6) > 1.5 * h3.average_hexagon_edge_length(res, "m")
