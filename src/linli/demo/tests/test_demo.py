"""`linli demo`: the sample street (modelled on Wanli street) loads completely and idempotently."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import Point, shape

from linli.core.models import Compound, Grid, GridLevel, Role, RoleAssignment, Street, User
from linli.demo import ACCOUNTS, ADMIN_PASSWORD, COMPOUNDS_FILE, GRIDS_FILE, PLACES_FILE, load_collection
from linli.places.models import Place, PlaceKind

pytestmark = pytest.mark.django_db


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_demo_builds_the_sample_street():
    output = run_demo()
    street = Street.objects.get(code="wanli")
    assert street.is_sample
    assert street.name == "万里街道"
    assert street.district == "普陀区"
    assert street.hotline.startswith("021-")
    assert 31.25 < street.center_lat < 31.28 and 121.38 < street.center_lng < 121.41
    assert 5 <= street.committees.count() <= 8

    places = Place.objects.filter(street=street)
    assert places.count() >= 40
    assert set(places.values_list("kind", flat=True)) == set(PlaceKind.values)
    for name in ("万里街道党群服务中心", "万有引力新业态新就业群体党群服务中心", "万里兰溪食堂", "万里中央厨房"):
        assert places.filter(name=name).exists(), name
    assert places.filter(name__contains="真金路", kind=PlaceKind.MEAL_POINT).exists()
    riders = places.filter(kind=PlaceKind.RIDER_STATION)
    assert riders.count() >= 2
    for rider_station in riders:
        codes = set(rider_station.services.values_list("code", flat=True))
        assert {"rider_rest", "drinking_water", "phone_charging"} <= codes
    assert places.get(kind=PlaceKind.AFFAIRS_CENTER).opening_hours == "Mo-Fr 08:30-17:00; Sa 09:00-12:00; PH off"

    hq = Grid.objects.get(street=street, level=GridLevel.HQ)
    assert hq.parent is None
    stations = Grid.objects.filter(street=street, level=GridLevel.WORKSTATION)
    assert stations.count() == 3
    assert all(ws.parent_id == hq.pk for ws in stations)
    for ws in stations:
        assert ws.children.filter(level=GridLevel.UNIT).count() >= 6
    units = Grid.objects.filter(street=street, level=GridLevel.UNIT)
    assert all(u.parent.level == GridLevel.WORKSTATION for u in units)

    compounds = Compound.objects.filter(street=street)
    assert compounds.count() >= 15
    assert compounds.filter(name="中骏天誉").exists()
    for compound in compounds:
        assert compound.grid is not None and compound.grid.level == GridLevel.UNIT, compound.name
        assert compound.committee is not None, compound.name

    held = set(RoleAssignment.objects.filter(street=street).values_list("role", flat=True))
    assert held == set(Role.values)
    grid_worker = RoleAssignment.objects.get(street=street, role=Role.GRID_WORKER, user__phone="+8613800000003")
    assert grid_worker.grid is not None and grid_worker.grid.level == GridLevel.UNIT

    admin = User.objects.get(roles__street=street, roles__role=Role.ADMIN)
    assert admin.is_superuser and admin.is_staff and admin.check_password(ADMIN_PASSWORD)
    assert User.objects.filter(phone__in=[f"+86{a.phone}" for a in ACCOUNTS]).count() == len(ACCOUNTS)
    assert User.objects.filter(elder_mode=True, home_street=street).exists()

    for account in ACCOUNTS:
        assert account.phone in output
    assert "/login/" in output and "/admin/" in output and ADMIN_PASSWORD in output
    assert "http://127.0.0.1:" in output
    assert ADMIN_PASSWORD in output.splitlines()  # the password on a line of its own
    # The demo says which optional services it found (the broker is probed, not assumed).
    assert "Optional services" in output and "MQTT" in output


def test_demo_says_whether_it_found_an_mqtt_broker(settings):
    import socket

    from linli.core.probe import optional_services

    with socket.socket() as probe:  # a port nothing listens on: bound, then closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.LINLI_MQTT_URL = f"mqtt://127.0.0.1:{port}"
    mqtt = next(f for f in optional_services() if f.key == "mqtt")
    assert not mqtt.found and "not found" in mqtt.text and "HTTP" in mqtt.text


def test_demo_refuses_a_real_street_with_the_sample_code():
    Street.objects.create(code="wanli", name="万里街道", is_sample=False)
    with pytest.raises(CommandError):
        run_demo()
    with pytest.raises(CommandError):
        run_demo("--reset")
    assert Street.objects.get(code="wanli").grids.count() == 0


def test_sample_files_are_consistent():
    grids = load_collection(GRIDS_FILE)["features"]
    hq = next(shape(f["geometry"]) for f in grids if f["properties"]["level"] == "hq")
    units = [shape(f["geometry"]) for f in grids if f["properties"]["level"] == "unit"]
    assert abs(sum(u.area for u in units) - hq.area) < 1e-12  # the units tile the street
    for name in (PLACES_FILE, COMPOUNDS_FILE):
        for feature in load_collection(name)["features"]:
            geometry = shape(feature["geometry"])
            point = geometry if isinstance(geometry, Point) else geometry.representative_point()
            assert hq.contains(point), feature["properties"]["id"]
            assert sum(u.contains(point) for u in units) == 1, feature["properties"]["id"]
    places = load_collection(PLACES_FILE)["features"]
    ids = {f["properties"]["id"] for f in places}
    assert len(ids) == len(places)
    for feature in places:
        assert set(feature["properties"].get("serves", [])) <= ids
