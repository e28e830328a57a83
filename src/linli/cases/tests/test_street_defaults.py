"""A new street works out of the box: `linli street add` (and the back office) give it every capability's
per-street defaults; `linli street defaults CODE` adds what an existing street lacks without touching edits."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from linli.cases.models import CaseCategory
from linli.cases.services.reports import DEFAULT_CATEGORIES, report_create
from linli.core.errors import Problem
from linli.core.imports import compounds_export, compounds_import, grids_import
from linli.core.models import Committee, Compound, Street
from linli.core.tests.factories import StreetFactory, UserFactory

pytestmark = pytest.mark.django_db


def cli(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_street_add_gives_the_defaults_and_the_street_takes_a_report_at_once():
    out, err = cli("street", "add", "newjie", "--name", "新街道", "--lat", "31.25", "--lng", "121.39", "--json")
    data = json.loads(out)
    street = Street.objects.get(code="newjie")
    assert data["id"] == street.pk and data["code"] == "newjie"
    assert data["defaults"]["case_categories"] == len(DEFAULT_CATEGORIES)
    assert data["defaults"]["partners"] == 2
    assert set(street.delivery_partners.values_list("code", flat=True)) == {"eleme", "meituan"}
    assert CaseCategory.objects.filter(street=street).count() == len(DEFAULT_CATEGORIES)
    report = report_create(
        street=street, category="fire_passage", lat=31.2502, lng=121.3901, description="消防通道堵了"
    )
    assert report.case.street_id == street.pk


def test_street_defaults_adds_what_is_missing_and_keeps_edits():
    street = StreetFactory(code="oldjie")  # made before streets had defaults
    out, _ = cli("street", "defaults", "oldjie", "--json")
    assert json.loads(out)["created"]["case_categories"] == len(DEFAULT_CATEGORIES)
    edited = CaseCategory.objects.get(street=street, code="fire_passage")
    edited.response_minutes, edited.name_zh = 5, "消防通道（本街道）"
    edited.save()
    CaseCategory.objects.filter(street=street, code="other").delete()
    out, _ = cli("street", "defaults", "oldjie", "--json")
    created = json.loads(out)["created"]  # every domain's defaults are named; those of cases and access:
    assert (created["case_categories"], created["partners"]) == (1, 0)
    assert not any(n for key, n in created.items() if key not in ("case_categories", "partners"))
    edited.refresh_from_db()
    assert (edited.response_minutes, edited.name_zh) == (5, "消防通道（本街道）")
    out, _ = cli("street", "defaults", "oldjie")
    assert "+0" in out


def test_a_street_added_in_the_back_office_gets_the_defaults_too(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/core/street/add/",
        {"code": "adminjie", "name": "后台街道", "city": "上海市", "booking_limit": 5},
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    assert CaseCategory.objects.filter(street__code="adminjie").count() == len(DEFAULT_CATEGORIES)


GRID = {
    "type": "Feature",
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[121.38, 31.24], [121.40, 31.24], [121.40, 31.26], [121.38, 31.26], [121.38, 31.24]]],
    },
    "properties": {"id": "hq", "name": "总网格", "level": "hq"},
}


def _compound(ext: str, committee: object) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [121.39, 31.25]},
        "properties": {"id": ext, "name": f"小区{ext}", "address": "某路1号", "committee": committee},
    }


def test_compounds_import_links_the_committee_by_id_or_name_and_creates_unknown_ones():
    street = StreetFactory(code="cmpjie")
    grids_import(street=street, collection={"type": "FeatureCollection", "features": [GRID]})
    known = Committee.objects.create(street=street, external_id="rc-01", name="真金居委")
    collection = {
        "type": "FeatureCollection",
        "features": [
            _compound("c1", "rc-01"),
            _compound("c2", "真金居委"),
            _compound("c3", "新村居委"),
            _compound("c4", None),
        ],
    }
    result = compounds_import(street=street, collection=collection)
    assert result.created == 4
    got = {c.external_id: c.committee for c in Compound.objects.filter(street=street)}
    assert got["c1"] == known and got["c2"] == known and got["c4"] is None
    assert got["c3"] is not None and got["c3"].name == "新村居委"
    assert any("新村居委" in n for n in result.notes)
    exported = {
        f["properties"]["id"]: f["properties"]["committee"] for f in compounds_export(street=street)["features"]
    }
    assert exported == {"c1": "rc-01", "c2": "rc-01", "c3": "新村居委", "c4": None}
    again = compounds_import(street=street, collection=compounds_export(street=street))
    assert (again.created, again.updated) == (0, 0)


def test_compounds_import_refuses_a_committee_that_is_not_text():
    street = StreetFactory(code="cmpjie2")
    collection = {"type": "FeatureCollection", "features": [_compound("c1", ["rc-01"])]}
    with pytest.raises(Problem) as exc:
        compounds_import(street=street, collection=collection)
    assert exc.value.code == "import_invalid"
    assert exc.value.errors[0]["field"] == "properties.committee"
