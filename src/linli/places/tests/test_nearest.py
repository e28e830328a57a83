"""Nearest search: ordering, distances, filters (service, kind, open_now at a fixed time, street), index refresh."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from linli.core.errors import Problem
from linli.core.geo import haversine_m, walk_minutes
from linli.places import selectors
from linli.places.services import place_create, place_deactivate, place_update
from linli.places.tests.factories import StreetFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SH)
MONDAY_20 = dt.datetime(2026, 11, 23, 20, 0, tzinfo=SH)
ORIGIN = (31.2500, 121.3900)


def make(street, ext_id, dlng, *, kind="party_service_station", services=(), hours="", **more):
    return place_create(
        street=street,
        external_id=ext_id,
        name=f"点位 {ext_id}",
        kind=kind,
        address=f"测试路 {ext_id}",
        lat=ORIGIN[0],
        lng=ORIGIN[1] + dlng,
        services=list(services),
        opening_hours=hours,
        **more,
    )


@pytest.fixture
def places(django_capture_on_commit_callbacks):
    a = StreetFactory(code="street-a")
    b = StreetFactory(code="street-b")
    with django_capture_on_commit_callbacks(execute=True):
        out = {
            "far": make(a, "far", 0.05, kind="meal_point", services=["meal"], hours="Mo-Fr 08:30-17:00"),
            "near": make(a, "near", 0.001, services=["party_affairs"], hours="Sa-Su 09:00-12:00"),
            "mid": make(b, "mid", 0.01, kind="elder_canteen", services=["meal"], hours="Mo-Su 06:00-22:00"),
            "mid2": make(a, "mid2", 0.02, kind="rider_station", services=["drinking_water", "meal"]),
        }
    return out


def ids(rows):
    return [r["external_id"] for r in rows]


def test_sorted_by_distance_city_wide(places):
    rows = selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], at=MONDAY_10)
    assert ids(rows) == ["near", "mid", "mid2", "far"]
    distances = [r["distance_m"] for r in rows]
    assert distances == sorted(distances)
    expected = haversine_m(*ORIGIN, ORIGIN[0], ORIGIN[1] + 0.01)
    assert rows[1]["distance_m"] == round(expected)
    assert rows[1]["walk_minutes"] == walk_minutes(expected)
    assert rows[0]["in_walk_circle"] is True and rows[-1]["in_walk_circle"] is False  # ~4.7 km is too far


def test_limit(places):
    assert ids(selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], limit=2, at=MONDAY_10)) == ["near", "mid"]


def test_service_filter(places):
    rows = selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], service="meal", at=MONDAY_10)
    assert ids(rows) == ["mid", "mid2", "far"]


def test_kind_filter(places):
    rows = selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], kind="meal_point", at=MONDAY_10)
    assert ids(rows) == ["far"]


def test_street_filter(places):
    rows = selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], street="street-b", at=MONDAY_10)
    assert ids(rows) == ["mid"]


def test_open_now_at_a_fixed_time(places):
    monday_morning = selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], open_now=True, at=MONDAY_10)
    assert ids(monday_morning) == ["mid", "far"]  # "near" opens at weekends, "mid2" has no hours
    assert all(r["open_now"] is True for r in monday_morning)
    monday_evening = selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], open_now=True, at=MONDAY_20)
    assert ids(monday_evening) == ["mid"]
    closed = selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], at=MONDAY_20)
    near = closed[0]
    assert near["external_id"] == "near" and near["open_now"] is False and near["hours_state"] == "closed"
    assert near["next_open"].startswith("2026-11-28T09:00")


def test_combined_filters(places):
    rows = selectors.places_nearest(
        lat=ORIGIN[0], lng=ORIGIN[1], service="meal", open_now=True, street="street-a", at=MONDAY_10
    )
    assert ids(rows) == ["far"]


def test_unknown_filters_raise_problems(places):
    with pytest.raises(Problem) as e:
        selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], service="teleport")
    assert e.value.code == "unknown_service"
    with pytest.raises(Problem) as e:
        selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], kind="spaceport")
    assert e.value.code == "unknown_kind"
    with pytest.raises(Problem) as e:
        selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], street="nowhere")
    assert e.value.code == "unknown_street"


def test_index_follows_writes(places, django_capture_on_commit_callbacks):
    assert ids(selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], limit=1, at=MONDAY_10)) == ["near"]
    with django_capture_on_commit_callbacks(execute=True):
        place_deactivate(place=places["near"])
    assert ids(selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], limit=1, at=MONDAY_10)) == ["mid"]
    with django_capture_on_commit_callbacks(execute=True):
        place_update(place=places["far"], lng=ORIGIN[1] + 0.0001)
    assert ids(selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], limit=1, at=MONDAY_10)) == ["far"]
    with django_capture_on_commit_callbacks(execute=True):
        place_update(place=places["mid2"], services=["toilet"])
    rows = selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], service="meal", at=MONDAY_10)
    assert ids(rows) == ["far", "mid"]


def test_index_follows_version_bumped_elsewhere(places):
    """Another process bumps the version in the shared cache; this process rebuilds on its next check."""
    from django.core.cache import cache

    from linli.places.models import Place

    selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], at=MONDAY_10)
    Place.objects.filter(external_id="near").update(is_active=False)  # a write this process did not see
    cache.set(selectors.INDEX_VERSION_KEY, "other-process-version", timeout=None)
    selectors._state.checked_at = 0.0  # pretend the one-second re-check interval has passed
    rows = selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], limit=1, at=MONDAY_10)
    assert ids(rows) == ["mid"]


def test_only_the_final_rows_are_loaded(places, django_assert_max_num_queries):
    selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], at=MONDAY_10)  # builds the index
    with django_assert_max_num_queries(2):  # the places, then their services; filters run on the index
        rows = selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], kind=None, open_now=True, limit=2, at=MONDAY_10)
    assert ids(rows) == ["mid", "far"]


def test_nearest_rows_have_the_same_shape_as_place_detail(places):
    """The nearest search reads its rows with its own SQL; each must equal the detail shape plus distance."""
    from linli.places.models import Place

    place_update(place=places["mid2"], amenities=["seats", "wifi"], capacity=12, phone="021-60000000")
    rows = selectors.places_nearest(lat=ORIGIN[0], lng=ORIGIN[1], at=MONDAY_10, limit=10)
    assert rows
    for row in rows:
        place = Place.objects.get(pk=row["id"])
        assert row == selectors.place_to_dict(place, at=MONDAY_10, origin=ORIGIN)
    mid2 = next(r for r in rows if r["external_id"] == "mid2")
    assert mid2["amenities"] == ["seats", "wifi"] and mid2["services"] == ["drinking_water", "meal"]
