"""Travel times against hand-checked routes over the test street's L-shaped roads.

Hand check (haversine, R = 6,371,008.8 m): 0.005° of longitude at 31.2° N is 556.0 m × cos 31.2° = 475.6 m; 0.0025°
of latitude is 278.0 m. Home (31.2, 121.4) → corner (31.2, 121.405) → (31.2025, 121.405): 753.6 m, 9.4 min at 80 m a
minute, so 10 minutes. The straight line is √(475.6² + 278.0²) = 550.9 m (× 1.25 detour: 688.6 m, 9 minutes)."""

from __future__ import annotations

import pytest

from linli.core.errors import Problem
from linli.jobs.services import roads, travel
from linli.jobs.tests.factories import HOME, JobsWorld, build_jobs_world

pytestmark = pytest.mark.django_db


def test_walk_over_the_roads_follows_the_l(world: JobsWorld) -> None:
    trip = travel.trip(world.street.pk, origin=HOME, destination=(31.2025, 121.4050), mode="walk")
    assert trip.by_roads
    assert trip.meters == pytest.approx(753.6, rel=0.005)
    assert trip.minutes == 10


def test_bike_and_transit(world: JobsWorld) -> None:
    bike = travel.trip(world.street.pk, origin=HOME, destination=(31.2250, 121.4050), mode="bike")
    # 475.6 + 2780.0 m at 200 m a minute: 16.3 -> 17 minutes
    assert bike.meters == pytest.approx(3255.6, rel=0.005)
    assert bike.minutes == 17
    transit = travel.trip(world.street.pk, origin=HOME, destination=(31.2250, 121.4050), mode="transit")
    # no timetable: 10 minutes to the stop and waiting, then the straight line × 1.25 at 300 m a minute
    assert not transit.by_roads
    assert transit.minutes == 10 + 12


def test_without_roads_straight_line_times_detour() -> None:
    w = build_jobs_world("noroads", with_roads=False)
    trip = travel.trip(w.street.pk, origin=HOME, destination=(31.2025, 121.4050), mode="walk")
    assert not trip.by_roads
    assert trip.meters == pytest.approx(550.9 * 1.25, rel=0.005)
    assert trip.minutes == 9


def test_a_point_far_from_every_road_goes_straight(world: JobsWorld) -> None:
    trip = travel.trip(world.street.pk, origin=HOME, destination=(31.2500, 121.4500), mode="walk")
    assert not trip.by_roads


def test_reimport_replaces_the_graph(world: JobsWorld) -> None:
    roads.roads_import(street=world.street, collection={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString",
                                                           "coordinates": [[121.4, 31.2], [121.405, 31.2025]]}}]})  # fmt: skip
    trip = travel.trip(world.street.pk, origin=HOME, destination=(31.2025, 121.4050), mode="walk")
    assert trip.by_roads and trip.meters == pytest.approx(550.9, rel=0.005)


@pytest.mark.parametrize(
    "feature",
    [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [121.4, 31.2]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[121.4, 31.2]]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [["a", 1], [2, 3]]}},
        {"type": "Feature"},
    ],
)
def test_roads_import_refuses_bad_features_and_writes_nothing(world: JobsWorld, feature: dict) -> None:
    before = travel.Road.objects.filter(street=world.street).count()
    with pytest.raises(Problem) as exc:
        roads.roads_import(street=world.street, collection={"type": "FeatureCollection", "features": [feature]})
    assert exc.value.code == "import_invalid"
    assert exc.value.errors[0]["feature"] == 0
    assert travel.Road.objects.filter(street=world.street).count() == before
