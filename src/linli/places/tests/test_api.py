"""The places API: shapes, pagination, GeoJSON, error codes (problem+json, never a 500), staff writes."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from linli.core.services import token_create
from linli.places.models import Place, Service
from linli.places.services import place_create
from linli.places.tests.factories import RoleFactory, StreetFactory, UserFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")

PLACE_KEYS = {
    "id",
    "external_id",
    "name",
    "kind",
    "kind_name",
    "kind_name_en",
    "street",
    "address",
    "location",
    "phone",
    "services",
    "amenities",
    "opening_hours",
    "open_now",
    "hours_state",
    "next_open",
    "next_close",
    "capacity",
    "description",
    "navigation",
}


@pytest.fixture
def street(django_capture_on_commit_callbacks):
    s = StreetFactory(code="wanli", name="万里街道")
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(25):
            place_create(
                street=s,
                external_id=f"P{i:02d}",
                name=f"万里第{i}服务站" if i % 2 else f"市民驿站{i}",
                kind="party_service_station" if i % 2 else "citizen_station",
                address=f"大渡河路{i}号",
                lat=31.25 + i * 0.001,
                lng=121.39,
                services=["meal"] if i % 5 == 0 else ["affairs"],
                amenities=["wifi"],
                opening_hours="Mo-Fr 08:30-17:00; PH off",
                phone="021-62500000",
                description="适老化改造 step-free" if i == 3 else "",
            )
    return s


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def problem(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.content
    assert resp["Content-Type"].startswith("application/problem+json")
    body = resp.json()
    assert body["code"] == code
    return body


def test_services_catalogue(client: Client):
    rows = client.get("/api/v1/services").json()
    codes = [r["code"] for r in rows]
    assert set(codes) == {
        "meal",
        "elder_care",
        "affairs",
        "employment",
        "medical",
        "legal_aid",
        "counselling",
        "party_affairs",
        "volunteering",
        "reading",
        "culture",
        "rider_rest",
        "drinking_water",
        "phone_charging",
        "toilet",
    }
    meal = next(r for r in rows if r["code"] == "meal")
    assert meal["name"] == "助餐" and meal["name_en"] == "Meals" and meal["category"] and meal["street"] is None


def test_services_with_street_include_its_own(client: Client, street):
    Service.objects.create(street=street, code="haircut", name_zh="理发", name_en="Haircut", category="care")
    assert "haircut" in [r["code"] for r in client.get("/api/v1/services?street=wanli").json()]
    assert "haircut" not in [r["code"] for r in client.get("/api/v1/services").json()]
    problem(client.get("/api/v1/services?street=nope"), 404, "unknown_street")


def test_place_list_paginated(client: Client, street):
    body = client.get("/api/v1/places?street=wanli&page=2&page_size=10").json()
    assert body["count"] == 25 and body["page"] == 2 and body["page_size"] == 10 and len(body["items"]) == 10
    assert set(body["items"][0]) == PLACE_KEYS
    last = client.get("/api/v1/places?street=wanli&page=3&page_size=10").json()
    assert len(last["items"]) == 5
    problem(client.get("/api/v1/places?page_size=101"), 422, "validation_error")
    problem(client.get("/api/v1/places?page=0"), 422, "validation_error")


def test_place_list_filters(client: Client, street):
    assert client.get("/api/v1/places?kind=citizen_station").json()["count"] == 13
    assert client.get("/api/v1/places?service=meal").json()["count"] == 5
    assert client.get("/api/v1/places?q=step-free").json()["count"] == 1  # description
    assert client.get("/api/v1/places?q=大渡河路7号").json()["count"] == 1  # address
    assert client.get("/api/v1/places?q=驿站").json()["count"] == 13  # name
    problem(client.get("/api/v1/places?kind=spaceport"), 422, "unknown_kind")
    problem(client.get("/api/v1/places?service=teleport"), 422, "unknown_service")
    problem(client.get("/api/v1/places?street=nowhere"), 404, "unknown_street")


WEDNESDAY_10AM = dt.datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI)
SATURDAY_10AM = dt.datetime(2026, 3, 14, 10, 0, tzinfo=SHANGHAI)


def test_place_detail_shape(client: Client, street, monkeypatch):
    place = Place.objects.get(external_id="P03")  # open Mo-Fr 08:30-17:00
    monkeypatch.setattr(timezone, "now", lambda: WEDNESDAY_10AM)
    body = client.get(f"/api/v1/places/{place.pk}").json()
    assert set(body) == PLACE_KEYS
    assert body["external_id"] == "P03" and body["street"] == "wanli" and body["kind"] == "party_service_station"
    assert body["kind_name"] == "党群服务站" and body["kind_name_en"] == "Party-mass service station"
    assert body["location"] == {"lat": place.lat, "lng": place.lng}
    assert body["services"] == ["affairs"] and body["amenities"] == ["wifi"]
    assert (body["open_now"], body["hours_state"]) == (True, "open")
    assert body["next_close"] == "2026-03-11T17:00:00+08:00" and body["next_open"] is None
    assert set(body["navigation"]) == {"amap", "amap_walk", "baidu", "geo"}
    assert body["navigation"]["geo"].startswith("geo:31.253000,121.390000")
    problem(client.get("/api/v1/places/999999"), 404, "not_found")
    problem(client.get("/api/v1/places/abc"), 404, "not_found")  # no such place (the path takes numbers only)
    monkeypatch.setattr(timezone, "now", lambda: SATURDAY_10AM)
    body = client.get(f"/api/v1/places/{place.pk}").json()
    assert (body["open_now"], body["hours_state"]) == (False, "closed")
    assert body["next_open"] == "2026-03-16T08:30:00+08:00" and body["next_close"] is None


def test_inactive_place_is_not_found(client: Client, street):
    place = Place.objects.get(external_id="P03")
    Place.objects.filter(pk=place.pk).update(is_active=False)
    problem(client.get(f"/api/v1/places/{place.pk}"), 404, "not_found")


def test_nearest(client: Client, street):
    resp = client.get("/api/v1/places/nearest?lat=31.2501&lng=121.39&limit=3")
    assert resp.status_code == 200
    body = resp.json()
    assert body["origin"] == {"lat": 31.2501, "lng": 121.39} and body["walk_circle_minutes"] == 15
    assert [r["external_id"] for r in body["items"]] == ["P00", "P01", "P02"]
    first = body["items"][0]
    assert set(first) == PLACE_KEYS | {"distance_m", "walk_minutes", "in_walk_circle"}
    assert first["distance_m"] == 11 and first["walk_minutes"] == 1 and first["in_walk_circle"] is True
    meal = client.get("/api/v1/places/nearest?lat=31.2501&lng=121.39&service=meal&kind=citizen_station").json()
    assert [r["external_id"] for r in meal["items"]] == ["P00", "P10", "P20"]


@pytest.mark.parametrize(
    "query,status,code",
    [
        ("lng=121.39", 422, "validation_error"),
        ("lat=91&lng=121.39", 422, "validation_error"),
        ("lat=31.2&lng=181", 422, "validation_error"),
        ("lat=abc&lng=121.39", 422, "validation_error"),
        ("lat=31.2&lng=121.39&limit=0", 422, "validation_error"),
        ("lat=31.2&lng=121.39&limit=51", 422, "validation_error"),
        ("lat=31.2&lng=121.39&service=teleport", 422, "unknown_service"),
        ("lat=31.2&lng=121.39&kind=spaceport", 422, "unknown_kind"),
        ("lat=31.2&lng=121.39&street=nowhere", 404, "unknown_street"),
        ("lat=31.2&lng=121.39&open_now=maybe", 422, "validation_error"),
    ],
)
def test_nearest_bad_input(client: Client, street, query, status, code):
    problem(client.get(f"/api/v1/places/nearest?{query}"), status, code)


def test_geojson_export(client: Client, street):
    resp = client.get("/api/v1/places.geojson?street=wanli")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/geo+json")
    body = json.loads(resp.content)
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 25
    f = body["features"][0]
    assert f["geometry"]["type"] == "Point" and f["properties"]["id"] == "P00" and isinstance(f["id"], int)
    problem(client.get("/api/v1/places.geojson?street=nowhere"), 404, "unknown_street")
    problem(client.get("/api/v1/places.geojson"), 422, "validation_error")


def test_create_and_patch_place(client: Client, street):
    staff = RoleFactory(street=street, role="station_staff").user
    payload = {
        "street": "wanli",
        "external_id": "NEW1",
        "name": "新驿站",
        "kind": "rider_station",
        "address": "新路1号",
        "location": {"lat": 31.26, "lng": 121.40},
        "services": ["rider_rest", "drinking_water"],
        "amenities": ["ebike_charging"],
        "opening_hours": "24/7",
        "capacity": 12,
    }
    resp = client.post("/api/v1/places", json.dumps(payload), content_type="application/json", **bearer(staff))
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["external_id"] == "NEW1" and body["services"] == ["drinking_water", "rider_rest"]
    assert body["open_now"] is True
    resp = client.patch(
        f"/api/v1/places/{body['id']}",
        json.dumps({"name": "新骑手驿站", "capacity": None}),
        content_type="application/json",
        **bearer(staff),
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["name"] == "新骑手驿站" and resp.json()["capacity"] is None
    assert resp.json()["services"] == ["drinking_water", "rider_rest"]  # untouched


def test_create_place_errors(client: Client, street):
    staff = RoleFactory(street=street, role="admin").user
    base = {
        "street": "wanli",
        "external_id": "X",
        "name": "X",
        "kind": "rider_station",
        "address": "x",
        "location": {"lat": 31.26, "lng": 121.40},
    }

    def post(**changes):
        data = {**base, **changes}
        return client.post("/api/v1/places", json.dumps(data), content_type="application/json", **bearer(staff))

    problem(post(kind="spaceport"), 422, "unknown_kind")
    problem(post(services=["teleport"]), 422, "unknown_service")
    problem(post(opening_hours="whenever"), 422, "bad_opening_hours")
    problem(post(location={"lat": 48.85, "lng": 2.35}), 422, "bad_coordinates")
    problem(post(capacity=-3), 422, "validation_error")
    problem(post(street="nowhere"), 404, "unknown_street")
    problem(post(external_id="P01"), 422, "validation_error")  # already used in this street
    assert not Place.objects.filter(external_id="X").exists()
    problem(
        client.post("/api/v1/places", "{not json", content_type="application/json", **bearer(staff)),
        400,
        "validation_error",
    )  # unparseable body: 400, still problem+json


def test_writes_need_sign_in_and_role(client: Client, street):
    payload = {
        "street": "wanli",
        "external_id": "Y",
        "name": "Y",
        "kind": "rider_station",
        "address": "y",
        "location": {"lat": 31.26, "lng": 121.40},
    }
    problem(
        client.post("/api/v1/places", json.dumps(payload), content_type="application/json"), 401, "not_authenticated"
    )
    resident = UserFactory()
    problem(
        client.post("/api/v1/places", json.dumps(payload), content_type="application/json", **bearer(resident)),
        403,
        "permission_denied",
    )
    grid_worker = RoleFactory(street=street, role="grid_worker").user
    problem(
        client.post("/api/v1/places", json.dumps(payload), content_type="application/json", **bearer(grid_worker)),
        403,
        "permission_denied",
    )


def test_create_service_by_street_admin(client: Client, street):
    admin = RoleFactory(street=street, role="admin").user
    staff = RoleFactory(street=street, role="station_staff").user
    data = {"street": "wanli", "code": "haircut", "name_zh": "理发", "name_en": "Haircut", "category": "care"}
    problem(
        client.post("/api/v1/services", json.dumps(data), content_type="application/json", **bearer(staff)),
        403,
        "permission_denied",
    )
    resp = client.post("/api/v1/services", json.dumps(data), content_type="application/json", **bearer(admin))
    assert resp.status_code == 201 and resp.json()["street"] == "wanli"
    problem(
        client.post("/api/v1/services", json.dumps(data), content_type="application/json", **bearer(admin)),
        422,
        "validation_error",
    )  # duplicate
    bad = {**data, "code": "Bad Code!"}
    problem(
        client.post("/api/v1/services", json.dumps(bad), content_type="application/json", **bearer(admin)),
        422,
        "validation_error",
    )
    meal = {**data, "code": "meal"}  # already in the default catalogue
    problem(
        client.post("/api/v1/services", json.dumps(meal), content_type="application/json", **bearer(admin)),
        422,
        "validation_error",
    )


def test_english_problem_messages(client: Client):
    body = client.get("/api/v1/places?kind=spaceport", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["title"] == "No such kind of service point"


def test_openapi_documents_places_geojson_as_geo_json(client):
    doc = client.get("/api/v1/openapi.json").json()
    content = doc["paths"]["/api/v1/places.geojson"]["get"]["responses"]["200"]["content"]
    assert list(content) == ["application/geo+json"]
