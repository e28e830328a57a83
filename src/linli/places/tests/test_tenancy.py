"""Tenancy: public reads are city-wide; staff change places only in streets where they hold a role."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from linli.core.errors import Problem
from linli.core.models import AuditLog
from linli.core.services import token_create
from linli.core.testing import assert_admin_hides
from linli.places.models import Place, Service
from linli.places.selectors import place_list, place_list_for_staff
from linli.places.services import place_create, place_update, places_import, service_create
from linli.places.tests.factories import PlaceFactory, RoleFactory, StreetFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    a = StreetFactory(code="street-a")
    b = StreetFactory(code="street-b")
    staff_a = RoleFactory(street=a, role="station_staff").user
    staff_a.is_staff = True
    staff_a.save()
    pa = PlaceFactory(street=a, external_id="A1", name="甲街道点位")
    pb = PlaceFactory(street=b, external_id="B1", name="乙街道点位")
    return {"a": a, "b": b, "staff_a": staff_a, "pa": pa, "pb": pb}


def _collection(ext_id: str = "N1") -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [121.39, 31.25]},
                "properties": {"id": ext_id, "name": "新点", "kind": "reading_room", "address": "书香路1号"},
            }
        ],
    }


def test_public_reads_are_city_wide(world, client: Client):
    assert {p.external_id for p in place_list()} == {"A1", "B1"}
    assert client.get("/api/v1/places").json()["count"] == 2


def test_staff_cannot_create_in_another_street(world):
    kwargs = {"external_id": "X", "name": "X", "kind": "reading_room", "address": "x", "lat": 31.25, "lng": 121.39}
    with pytest.raises(Problem) as e:
        place_create(street=world["b"], actor=world["staff_a"], **kwargs)
    assert e.value.code == "permission_denied"
    assert not Place.objects.filter(external_id="X").exists()
    assert place_create(street=world["a"], actor=world["staff_a"], **kwargs).street == world["a"]


def test_staff_cannot_update_in_another_street(world):
    with pytest.raises(Problem) as e:
        place_update(place=world["pb"], actor=world["staff_a"], name="改名")
    assert e.value.code == "permission_denied"
    world["pb"].refresh_from_db()
    assert world["pb"].name == "乙街道点位"
    assert place_update(place=world["pa"], actor=world["staff_a"], name="改名").name == "改名"


def test_staff_cannot_import_into_another_street(world):
    with pytest.raises(Problem) as e:
        places_import(street=world["b"], collection=_collection(), actor=world["staff_a"])
    assert e.value.code == "permission_denied"
    assert not Place.objects.filter(external_id="N1").exists()
    assert not AuditLog.objects.filter(action="places.import").exists()
    assert places_import(street=world["a"], collection=_collection(), actor=world["staff_a"]).created == 1


def test_only_street_admin_adds_services(world):
    with pytest.raises(Problem):
        service_create(street=world["a"], code="x1", name_zh="甲", name_en="A", category="c", actor=world["staff_a"])
    admin_a = RoleFactory(street=world["a"], role="admin").user
    with pytest.raises(Problem):
        service_create(street=world["b"], code="x1", name_zh="甲", name_en="A", category="c", actor=admin_a)
    assert service_create(street=world["a"], code="x1", name_zh="甲", name_en="A", category="c", actor=admin_a).pk


def test_api_patch_in_another_street_is_forbidden(world, client: Client):
    token = token_create(user=world["staff_a"])
    resp = client.patch(
        f"/api/v1/places/{world['pb'].pk}",
        json.dumps({"name": "越权"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"


def test_staff_listing_shows_only_their_streets(world):
    assert {p.external_id for p in place_list_for_staff(user=world["staff_a"])} == {"A1"}
    assert set(place_list_for_staff(user=UserFactory())) == set()


def test_back_office_is_scoped(world, client: Client):
    client.force_login(world["staff_a"])
    resp = client.get("/admin/places/place/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "甲街道点位" in html and "乙街道点位" not in html
    assert_admin_hides(client, f"/admin/places/place/{world['pb'].pk}/change/")
    assert client.get(f"/admin/places/place/{world['pa'].pk}/change/").status_code == 200
    # the services list shows the default catalogue plus own streets', not others'
    Service.objects.create(street=world["b"], code="b_only", name_zh="乙专属", name_en="B only", category="c")
    services_html = client.get("/admin/places/service/").content.decode()
    assert "乙专属" not in services_html and "助餐" in services_html


def test_back_office_edit_goes_through_services(world, client: Client, django_capture_on_commit_callbacks):
    client.force_login(world["staff_a"])
    pa = world["pa"]
    data = {
        "street": pa.street_id,
        "external_id": pa.external_id,
        "name": "新名字",
        "kind": "reading_room",
        "address": pa.address,
        "lat": "31.26",
        "lng": "121.40",
        "phone": "",
        "opening_hours": "Mo-Fr 09:00-17:00",
        "services": [Service.objects.get(code="reading", street=None).pk],
        "amenities": ["wifi"],
        "capacity": "",
        "description": "",
        "is_active": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(f"/admin/places/place/{pa.pk}/change/", data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    pa.refresh_from_db()
    assert pa.name == "新名字" and pa.amenities == ["wifi"] and [s.code for s in pa.services.all()] == ["reading"]
    assert AuditLog.objects.filter(action="place.update", object_id=str(pa.pk), actor=world["staff_a"]).exists()
    bad = {**data, "opening_hours": "whenever"}
    resp = client.post(f"/admin/places/place/{pa.pk}/change/", bad)
    assert resp.status_code == 200 and "开放时间格式不正确" in resp.content.decode()
    pa.refresh_from_db()
    assert pa.opening_hours == "Mo-Fr 09:00-17:00"
    # street and external id cannot be changed on an existing point
    client.post(f"/admin/places/place/{pa.pk}/change/", {**data, "street": world["b"].pk, "external_id": "MOVED"})
    pa.refresh_from_db()
    assert pa.street == world["a"] and pa.external_id == "A1"
    # a street the user has no role in is not a valid choice
    resp = client.post("/admin/places/place/add/", {**data, "external_id": "ZZ", "street": world["b"].pk})
    assert resp.status_code == 200 and not Place.objects.filter(external_id="ZZ").exists()


def test_back_office_upload(world, client: Client):
    client.force_login(world["staff_a"])
    page = client.get("/admin/places/place/import/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<option value="{world["a"].pk}">' in html and f'<option value="{world["b"].pk}">' not in html

    bad = _collection()
    bad["features"][0]["properties"]["kind"] = "spaceport"
    upload = SimpleUploadedFile("bad.geojson", json.dumps(bad).encode(), content_type="application/geo+json")
    resp = client.post("/admin/places/place/import/", {"street": world["a"].pk, "file": upload})
    html = resp.content.decode()
    assert resp.status_code == 200 and 'id="import-errors"' in html and "properties.kind" in html
    assert not Place.objects.filter(external_id="N1").exists()

    good = SimpleUploadedFile("ok.geojson", json.dumps(_collection()).encode())
    resp = client.post("/admin/places/place/import/", {"street": world["a"].pk, "file": good})
    assert "新增 created 1" in resp.content.decode()
    assert Place.objects.get(external_id="N1").street == world["a"]

    other = SimpleUploadedFile("ok.geojson", json.dumps(_collection("N2")).encode())
    resp = client.post("/admin/places/place/import/", {"street": world["b"].pk, "file": other})
    assert resp.status_code == 200 and not Place.objects.filter(external_id="N2").exists()

    junk = SimpleUploadedFile("junk.geojson", b"{not json")
    resp = client.post("/admin/places/place/import/", {"street": world["a"].pk, "file": junk})
    assert "JSON" in resp.content.decode()


def test_resident_cannot_open_back_office_import(world, client: Client):
    resident = UserFactory()
    resident.is_staff = True
    resident.save()
    client.force_login(resident)
    assert client.get("/admin/places/place/import/").status_code == 403
    assert client.get("/admin/places/place/").status_code == 403
