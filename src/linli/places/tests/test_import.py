"""The places import: every rejection (code, feature index, nothing written), re-import, round trip, datums."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from linli.core.errors import Problem
from linli.core.geo import wgs84_to_bd09, wgs84_to_gcj02
from linli.core.i18n import in_language
from linli.core.models import AuditLog
from linli.places.models import Place, Service
from linli.places.selectors import places_export
from linli.places.services import places_import
from linli.places.tests.factories import StreetFactory

pytestmark = pytest.mark.django_db


def feature(ext_id: str = "A1", lng: Any = 121.3900, lat: Any = 31.2520, **props: Any) -> dict[str, Any]:
    properties = {
        "id": ext_id,
        "name": f"万里街道服务点 {ext_id}",
        "kind": "party_service_station",
        "address": "上海市普陀区大渡河路1号",
        "phone": "021-12345678",
        "services": ["party_affairs", "drinking_water"],
        "amenities": ["seats", "wifi"],
        "opening_hours": "Mo-Fr 08:30-17:00; Sa 09:00-12:00; PH off",
        "capacity": 30,
        "description": "示例 sample",
    }
    properties.update(props)
    properties = {k: v for k, v in properties.items() if v is not ...}
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lng, lat]}, "properties": properties}


def collection(*features: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features), **extra}


def rejected(street: Any, coll: Any) -> list[dict[str, Any]]:
    before = (Place.objects.count(), AuditLog.objects.count())
    with pytest.raises(Problem) as exc:
        places_import(street=street, collection=coll)
    assert exc.value.code == "import_invalid"
    assert exc.value.http_status == 422
    assert (Place.objects.count(), AuditLog.objects.count()) == before, "a rejected import wrote something"
    return exc.value.errors


def fields_at(errors: list[dict[str, Any]], index: int) -> set[str]:
    return {e["field"] for e in errors if e.get("feature") == index}


@pytest.fixture
def street():
    return StreetFactory(code="wanli", name="万里街道")


def test_valid_import_creates_everything(street):
    result = places_import(street=street, collection=collection(feature("A1"), feature("A2", lng=121.391)))
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    p = Place.objects.get(street=street, external_id="A2")
    assert p.lng == 121.391 and p.lat == 31.2520
    assert sorted(s.code for s in p.services.all()) == ["drinking_water", "party_affairs"]
    assert p.amenities == ["seats", "wifi"] and p.capacity == 30
    assert p.h3_cell
    log = AuditLog.objects.get(action="places.import")
    assert log.street == street and log.data["created"] == 2


def test_not_a_feature_collection(street):
    errors = rejected(street, {"type": "Feature", "features": []})
    assert errors[0]["field"] == "type" and "feature" not in errors[0]
    errors = rejected(street, [feature()])
    assert errors[0]["field"] == "type"


def test_unknown_kind(street):
    errors = rejected(street, collection(feature("A1"), feature("A2", kind="spaceport")))
    assert fields_at(errors, 1) == {"properties.kind"}
    assert fields_at(errors, 0) == set()


def test_unknown_service_code(street):
    errors = rejected(street, collection(feature("A1", services=["meal", "teleport"])))
    assert fields_at(errors, 0) == {"properties.services"}
    assert "teleport" in errors[0]["message"] and in_language(errors[0]["message"], "en")


def test_service_of_another_street_is_unknown(street):
    other = StreetFactory(code="other")
    Service.objects.create(street=other, code="karaoke", name_zh="卡拉OK", name_en="Karaoke", category="culture")
    errors = rejected(street, collection(feature("A1", services=["karaoke"])))
    assert fields_at(errors, 0) == {"properties.services"}
    Service.objects.create(street=street, code="karaoke", name_zh="卡拉OK", name_en="Karaoke", category="culture")
    assert places_import(street=street, collection=collection(feature("A1", services=["karaoke"]))).created == 1


def test_unknown_amenity(street):
    errors = rejected(street, collection(feature("A1", amenities=["helipad"])))
    assert fields_at(errors, 0) == {"properties.amenities"}


def test_coordinates_outside_china(street):
    errors = rejected(street, collection(feature("A1"), feature("A2", lng=2.35, lat=48.85)))  # Paris
    assert fields_at(errors, 1) == {"geometry.coordinates"}


@pytest.mark.parametrize("coords", [["121.39", "31.25"], [121.39], None, [True, 31.25], [121.39, 95.0]])
def test_coordinates_not_numbers(street, coords):
    f = feature("A1")
    f["geometry"]["coordinates"] = coords
    errors = rejected(street, collection(f))
    assert fields_at(errors, 0) == {"geometry.coordinates"}


def test_bad_opening_hours(street):
    errors = rejected(street, collection(feature("A1", opening_hours="Mo-Fr 25:00-99:00 blah")))
    assert fields_at(errors, 0) == {"properties.opening_hours"}


def test_duplicate_ids(street):
    errors = rejected(street, collection(feature("A1"), feature("A2"), feature("A1")))
    assert fields_at(errors, 2) == {"properties.id"}
    assert fields_at(errors, 0) == set()


@pytest.mark.parametrize("missing", ["id", "name", "kind", "address"])
def test_missing_required_field(street, missing):
    errors = rejected(street, collection(feature("A1"), feature("A2", **{missing: ...})))
    assert fields_at(errors, 1) == {f"properties.{missing}"}


def test_blank_required_field(street):
    errors = rejected(street, collection(feature("A1", name="   ")))
    assert fields_at(errors, 0) == {"properties.name"}


def test_non_point_geometry(street):
    f = feature("A1")
    f["geometry"] = {"type": "LineString", "coordinates": [[121.39, 31.25], [121.40, 31.26]]}
    errors = rejected(street, collection(f))
    assert fields_at(errors, 0) == {"geometry.type"}


def test_missing_geometry(street):
    f = feature("A1")
    f["geometry"] = None
    errors = rejected(street, collection(f))
    assert fields_at(errors, 0) == {"geometry"}


@pytest.mark.parametrize("capacity", [-1, 2.5, "30", True])
def test_capacity_not_a_non_negative_integer(street, capacity):
    errors = rejected(street, collection(feature("A1", capacity=capacity)))
    assert fields_at(errors, 0) == {"properties.capacity"}


def test_unknown_coordinate_system(street):
    errors = rejected(street, collection(feature("A1"), coordinate_system="utm51n"))
    assert errors[0]["field"] == "coordinate_system"


def test_every_error_reported_at_once(street):
    bad = collection(
        feature("A1", kind="nope"),
        feature("A2", services=["nope"]),
        feature("A3", lng=0.0, lat=0.0),
        feature("A3"),
        feature("A5", opening_hours="whenever"),
    )
    errors = rejected(street, bad)
    assert {e["feature"] for e in errors} == {0, 1, 2, 3, 4}


def test_failed_reimport_leaves_previous_data(street):
    places_import(street=street, collection=collection(feature("A1", name="旧名")))
    rejected(street, collection(feature("A1", name="新名"), feature("A2", kind="nope")))
    assert Place.objects.get(external_id="A1").name == "旧名"


def test_reimport_updates_by_id(street):
    places_import(street=street, collection=collection(feature("A1"), feature("A2")))
    first_id = Place.objects.get(external_id="A1").pk
    result = places_import(
        street=street,
        collection=collection(feature("A1", name="新名称", services=["meal"]), feature("A2"), feature("A3")),
    )
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    p = Place.objects.get(external_id="A1")
    assert p.pk == first_id and p.name == "新名称"
    assert [s.code for s in p.services.all()] == ["meal"]
    assert Place.objects.filter(street=street).count() == 3


def test_same_external_id_in_two_streets(street):
    other = StreetFactory(code="other")
    places_import(street=street, collection=collection(feature("A1")))
    assert places_import(street=other, collection=collection(feature("A1"))).created == 1


def test_export_import_round_trip(street):
    places_import(
        street=street,
        collection=collection(
            feature("A1", lng=121.38765432101, lat=31.25432109876),
            feature("A2", capacity=None, phone=..., description=..., opening_hours=..., services=[], amenities=[]),
        ),
    )
    exported = places_export(street=street)
    text = json.dumps(exported, ensure_ascii=False)
    result = places_import(street=street, collection=json.loads(text))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    # and into an empty street the export recreates the same points
    other = StreetFactory(code="copy")
    assert places_import(street=other, collection=json.loads(text)).created == 2
    a = Place.objects.get(street=other, external_id="A1")
    assert (a.lat, a.lng) == (31.25432109876, 121.38765432101)


@pytest.mark.parametrize("system,convert", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_declared_coordinate_system_is_converted(street, system, convert):
    true_lat, true_lng = 31.2520, 121.3900
    lat, lng = convert(true_lat, true_lng)
    assert abs(lat - true_lat) + abs(lng - true_lng) > 0.001  # the datums really differ here
    places_import(street=street, collection=collection(feature("A1", lng=lng, lat=lat), coordinate_system=system))
    p = Place.objects.get(external_id="A1")
    assert abs(p.lat - true_lat) < 1e-5 and abs(p.lng - true_lng) < 1e-5  # within ~1 m (BD-09 is approximate)


def test_reimport_reactivates_a_deactivated_place(street):
    from linli.places.services import place_deactivate

    places_import(street=street, collection=collection(feature("A1")))
    place_deactivate(place=Place.objects.get(external_id="A1"))
    result = places_import(street=street, collection=collection(feature("A1")))
    assert result.updated == 1 and Place.objects.get(external_id="A1").is_active


# ------------------------------------------------------------------------------------------- commands


def test_command_imports_and_exports(street, tmp_path: Path, capsys):
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps(collection(feature("A1"), feature("A2")), ensure_ascii=False), encoding="utf-8")
    call_command("import", "places", str(path), "--street", "wanli")
    assert "created 2" in capsys.readouterr().out
    out = tmp_path / "out.geojson"
    call_command("export", "places", "--street", "wanli", "-o", str(out))
    assert [f["properties"]["id"] for f in json.loads(out.read_text())["features"]] == ["A1", "A2"]
    call_command("import", "places", str(out), "--street", "wanli")
    assert "unchanged 2" in capsys.readouterr().out


def test_command_reports_every_error_and_exits_1(street, tmp_path: Path, capsys):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(collection(feature("A1", kind="nope"), feature("A1"))), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        call_command("import", "places", str(path), "--street", "wanli")
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "feature 0: properties.kind:" in err and "feature 1: properties.id:" in err
    assert Place.objects.count() == 0


def test_command_unknown_street_exits_1(tmp_path: Path):
    path = tmp_path / "p.geojson"
    path.write_text(json.dumps(collection(feature("A1"))))
    with pytest.raises(CommandError) as exc:
        call_command("import", "places", str(path), "--street", "no-such-street")
    assert exc.value.returncode == 1 and "no-such-street" in str(exc.value)


def test_copy_does_not_alias(street):
    # the importer must not mutate the caller's dict (the admin page shows the file back on error)
    coll = collection(feature("A1"))
    snapshot = copy.deepcopy(coll)
    places_import(street=street, collection=coll)
    assert coll == snapshot


def test_kinds_services_and_amenities_written_as_partners_write_them(street):
    f = feature(
        "A1",
        kind="Party_Service_Station",
        services="Party_Affairs, 饮水",  # one text: codes in any case and Chinese names
        amenities=["无障碍通行", "Wi-Fi"],
        opening_hours="Mo-Fr 08:30-17:00；Sa 09:00-12:00；PH off",  # full-width semicolons
        phone=2161234567,
        name="\u3000万里党群服务站 ",
        source_system="amap",  # a property the platform does not read
    )
    g = feature("A2", kind="党群服务中心", services=["Drinking water"], amenities="seats、wifi")
    result = places_import(street=street, collection=collection(f, g))
    assert result.created == 2
    a1 = Place.objects.get(street=street, external_id="A1")
    assert (a1.kind, a1.name, a1.phone) == ("party_service_station", "万里党群服务站", "2161234567")
    assert sorted(s.code for s in a1.services.all()) == ["drinking_water", "party_affairs"]
    assert a1.amenities == ["step_free", "wifi"] and a1.opening_hours == "Mo-Fr 08:30-17:00;Sa 09:00-12:00;PH off"
    a2 = Place.objects.get(street=street, external_id="A2")
    assert a2.kind == "party_service_center" and a2.amenities == ["seats", "wifi"]
    assert any("source_system" in n for n in result.notes)
