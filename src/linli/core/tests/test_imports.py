"""Grid and compound imports: parent/level validation, polygon validity, datums, grid assignment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from linli.core.errors import Problem
from linli.core.geo import wgs84_to_gcj02
from linli.core.gis import grid_for_point, grids_containing
from linli.core.imports import compounds_export, compounds_import, grids_export, grids_import
from linli.core.models import AuditLog, Compound, Grid, Street

pytestmark = pytest.mark.django_db


def box(lng0: float, lat0: float, lng1: float, lat1: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]],
    }


def grid(ext_id: str, level: str, parent: str | None, geometry: dict[str, Any], **more: Any) -> dict[str, Any]:
    props = {"id": ext_id, "name": f"网格 {ext_id}", "level": level, "parent": parent, **more}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def fc(*features: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features), **extra}


HQ = grid("HQ", "hq", None, box(121.38, 31.24, 121.40, 31.26))
W1 = grid("W1", "workstation", "HQ", box(121.38, 31.24, 121.39, 31.26))
W2 = grid("W2", "workstation", "HQ", box(121.39, 31.24, 121.40, 31.26))
U1 = grid("U1", "unit", "W1", box(121.38, 31.24, 121.385, 31.25))
U2 = grid("U2", "unit", "W2", box(121.39, 31.24, 121.40, 31.25))


@pytest.fixture
def street():
    return Street.objects.create(code="wanli", name="万里街道")


def grid_errors(street: Street, coll: Any) -> list[dict[str, Any]]:
    before = (Grid.objects.count(), AuditLog.objects.count())
    with pytest.raises(Problem) as exc:
        grids_import(street=street, collection=coll)
    assert exc.value.code == "import_invalid"
    assert (Grid.objects.count(), AuditLog.objects.count()) == before
    return exc.value.errors


def test_grid_tree_imports_in_any_order(street):
    result = grids_import(street=street, collection=fc(U1, U2, W1, W2, HQ))
    assert result.created == 5
    u1 = Grid.objects.get(external_id="U1")
    assert u1.parent.external_id == "W1" and u1.parent.parent.external_id == "HQ"
    assert (u1.min_lat, u1.min_lng, u1.max_lat, u1.max_lng) == (31.24, 121.38, 31.25, 121.385)
    again = grids_import(street=street, collection=fc(HQ, W1, W2, U1, U2))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_parent_may_already_be_in_the_database(street):
    grids_import(street=street, collection=fc(HQ, W1))
    assert grids_import(street=street, collection=fc(U1)).created == 1


def test_hq_with_a_parent_is_rejected(street):
    errors = grid_errors(street, fc(HQ, grid("HQ2", "hq", "HQ", box(121.38, 31.24, 121.39, 31.25))))
    assert [(e["feature"], e["field"]) for e in errors] == [(1, "properties.parent")]


def test_unit_directly_under_hq_is_rejected(street):
    errors = grid_errors(street, fc(HQ, grid("U9", "unit", "HQ", box(121.38, 31.24, 121.385, 31.25))))
    assert [(e["feature"], e["field"]) for e in errors] == [(1, "properties.parent")]


def test_missing_parent_is_rejected(street):
    errors = grid_errors(street, fc(HQ, grid("U9", "unit", "W404", box(121.38, 31.24, 121.385, 31.25))))
    assert [(e["feature"], e["field"]) for e in errors] == [(1, "properties.parent")]
    assert "W404" in errors[0]["message"]


def test_workstation_without_parent_is_rejected(street):
    errors = grid_errors(street, fc(grid("W9", "workstation", None, box(121.38, 31.24, 121.39, 31.26))))
    assert [(e["feature"], e["field"]) for e in errors] == [(0, "properties.parent")]


def test_bad_level_is_rejected(street):
    errors = grid_errors(street, fc(grid("X", "district", None, box(121.38, 31.24, 121.39, 31.26))))
    assert (0, "properties.level") in [(e["feature"], e["field"]) for e in errors]


def test_self_intersecting_polygon_is_rejected(street):
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[121.38, 31.24], [121.39, 31.25], [121.39, 31.24], [121.38, 31.25], [121.38, 31.24]]],
    }
    errors = grid_errors(street, fc(grid("HQ", "hq", None, bowtie)))
    assert [(e["feature"], e["field"]) for e in errors] == [(0, "geometry")]


def test_point_geometry_is_rejected_for_grids(street):
    errors = grid_errors(street, fc(grid("HQ", "hq", None, {"type": "Point", "coordinates": [121.38, 31.24]})))
    assert [(e["feature"], e["field"]) for e in errors] == [(0, "geometry.type")]


def test_grid_outside_china_is_rejected(street):
    errors = grid_errors(street, fc(grid("HQ", "hq", None, box(2.3, 48.8, 2.4, 48.9))))
    assert [(e["feature"], e["field"]) for e in errors] == [(0, "geometry.coordinates")]


def test_duplicate_grid_ids_are_rejected(street):
    errors = grid_errors(street, fc(HQ, W1, grid("W1", "workstation", "HQ", box(121.39, 31.24, 121.40, 31.26))))
    assert (2, "properties.id") in [(e["feature"], e["field"]) for e in errors]


def test_multipolygon_grid_and_gcj02_input(street):
    lat0, lng0 = wgs84_to_gcj02(31.24, 121.38)
    lat1, lng1 = wgs84_to_gcj02(31.26, 121.40)
    multi = {"type": "MultiPolygon", "coordinates": [box(lng0, lat0, lng1, lat1)["coordinates"]]}
    grids_import(street=street, collection=fc(grid("HQ", "hq", None, multi), coordinate_system="gcj02"))
    g = Grid.objects.get(external_id="HQ")
    # the box's other corners shift slightly differently, so compare within ~10 m; unconverted input is ~500 m off
    assert abs(g.min_lat - 31.24) < 1e-4 and abs(g.max_lng - 121.40) < 1e-4
    assert abs(lng1 - 121.40) > 1e-3
    assert g.geometry["type"] == "MultiPolygon"


def test_grid_for_point_is_the_deepest(street):
    grids_import(street=street, collection=fc(HQ, W1, W2, U1, U2))
    assert grid_for_point(street=street, lat=31.245, lng=121.382).external_id == "U1"
    assert grid_for_point(street=street, lat=31.255, lng=121.382).external_id == "W1"  # W1 but no unit
    assert grid_for_point(street=street, lat=31.30, lng=121.382) is None
    assert [g.external_id for g in grids_containing(street=street, lat=31.245, lng=121.382)] == ["HQ", "W1", "U1"]
    other = Street.objects.create(code="other", name="其他街道")
    assert grid_for_point(street=other, lat=31.245, lng=121.382) is None


def test_compounds_get_grid_and_point(street):
    grids_import(street=street, collection=fc(HQ, W1, W2, U1, U2))
    coll = fc(
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [121.382, 31.245]},
            "properties": {"id": "C1", "name": "万里城一期", "address": "万里路1号"},
        },
        {
            "type": "Feature",
            "geometry": box(121.392, 31.242, 121.396, 31.246),
            "properties": {"id": "C2", "name": "万里城二期", "address": "万里路2号"},
        },
    )
    assert compounds_import(street=street, collection=coll).created == 2
    c1 = Compound.objects.get(external_id="C1")
    c2 = Compound.objects.get(external_id="C2")
    assert c1.grid.external_id == "U1" and (c1.lat, c1.lng) == (31.245, 121.382)
    assert c2.grid.external_id == "U2" and 31.242 < c2.lat < 31.246 and 121.392 < c2.lng < 121.396
    assert compounds_import(street=street, collection=compounds_export(street=street)).unchanged == 2


def test_compound_rejections(street):
    coll = fc(
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[121.38, 31.24], [121.39, 31.25]]},
            "properties": {"id": "C1", "name": "A"},
        },
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.38, 31.24]}, "properties": {"id": "C2"}},
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [0, 0]},
            "properties": {"id": "C3", "name": "C"},
        },
    )
    with pytest.raises(Problem) as exc:
        compounds_import(street=street, collection=coll)
    got = {(e["feature"], e["field"]) for e in exc.value.errors}
    assert got == {(0, "geometry.type"), (1, "properties.name"), (2, "geometry.coordinates")}
    assert Compound.objects.count() == 0


def test_grid_commands(street, tmp_path: Path, capsys):
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(fc(HQ, W1, U1)))
    call_command("import", "grids", str(path), "--street", "wanli")
    assert "created 3" in capsys.readouterr().out
    call_command("export", "grids", "--street", "wanli")
    exported = json.loads(capsys.readouterr().out)
    assert {f["properties"]["id"]: f["properties"]["parent"] for f in exported["features"]} == {
        "HQ": None,
        "W1": "HQ",
        "U1": "W1",
    }
    assert grids_export(street=street)["features"][0]["geometry"]["type"] == "Polygon"
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(fc(grid("U9", "unit", "HQ", box(121.38, 31.24, 121.385, 31.25)))))
    with pytest.raises(SystemExit) as exc:
        call_command("import", "grids", str(bad), "--street", "wanli")
    assert exc.value.code == 1
    assert "feature 0: properties.parent:" in capsys.readouterr().err


@pytest.mark.django_db
@pytest.mark.parametrize(("written", "level"), [("HQ", "hq"), ("总网格", "hq"), ("Workstation", "workstation")])
def test_grid_levels_written_as_people_write_them(written, level):
    from linli.core.imports import grids_import
    from linli.core.models import Grid
    from linli.core.tests.factories import StreetFactory

    street = StreetFactory(code="lvl")
    ring = [[121.38, 31.24], [121.40, 31.24], [121.40, 31.26], [121.38, 31.26], [121.38, 31.24]]
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"id": "g1", "name": "网格", "level": written},
        }
    ]
    if level == "workstation":
        features.insert(
            0,
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"id": "hq", "name": "总", "level": "hq"},
            },
        )
        features[1]["properties"]["parent"] = "hq"
    grids_import(street=street, collection={"type": "FeatureCollection", "features": features})
    assert Grid.objects.get(street=street, external_id="g1").level == level
