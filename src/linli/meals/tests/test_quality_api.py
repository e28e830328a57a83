"""The quality API: rate an order (201, once, idempotent), a kitchen's quality, multipart inspections with
photos, tasting scores, waste PUT; permissions per role and street; problem+json for bad input."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from linli.core.services import token_create
from linli.meals.models import Inspection, InspectionPhoto, Rating, TastingScore, WasteRecord
from linli.meals.tests.factories import DishFactory, KitchenFactory, OrderFactory, StreetFactory, UserFactory
from linli.meals.tests.factories_quality import days_ago, jpeg_bytes, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


@pytest.fixture
def kitchen():
    return KitchenFactory(street=StreetFactory(code="apiq", name="接口街道"))


def test_rate_order(client, kitchen):
    order = OrderFactory(menu__kitchen=kitchen, status="collected")
    headers = {**auth(order.user), "HTTP_IDEMPOTENCY_KEY": "rate-1"}
    body = {"taste": 5, "portion": 4, "price": 3, "comment": "很好"}
    resp = client.post(f"/api/v1/meals/orders/{order.pk}/rating", body, content_type="application/json", **headers)
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert (data["order_id"], data["kitchen_id"], data["taste"], data["comment"]) == (order.pk, kitchen.pk, 5, "很好")
    # A retry with the same key replays; a new attempt is refused.
    again = client.post(f"/api/v1/meals/orders/{order.pk}/rating", body, content_type="application/json", **headers)
    assert again.status_code == 201 and again.json()["id"] == data["id"]
    second = client.post(
        f"/api/v1/meals/orders/{order.pk}/rating", body, content_type="application/json", **auth(order.user)
    )
    assert second.status_code == 409 and second["Content-Type"].startswith("application/problem+json")
    assert second.json()["code"] == "validation_error" and second.json()["reason"] == "already_rated"
    assert Rating.objects.count() == 1


def test_rate_order_problems(client, kitchen):
    order = OrderFactory(menu__kitchen=kitchen, status="placed")
    url = f"/api/v1/meals/orders/{order.pk}/rating"
    body = {"taste": 5, "portion": 4, "price": 3}
    assert client.post(url, body, content_type="application/json").status_code == 401
    resp = client.post(url, body, content_type="application/json", **auth(order.user))
    assert resp.status_code == 409 and resp.json()["code"] == "order_invalid_transition"
    # Someone else's order is "not found" (ids reveal nothing).
    resp = client.post(url, body, content_type="application/json", **auth(UserFactory()))
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    order.status = "collected"
    order.save()
    resp = client.post(url, {"taste": 9, "portion": 0, "price": 3}, content_type="application/json", **auth(order.user))
    assert resp.status_code == 422
    assert {e["field"] for e in resp.json()["errors"]} == {"taste", "portion"}
    resp = client.post(url, {"taste": "x"}, content_type="application/json", **auth(order.user))
    assert resp.status_code == 422 and resp.json()["code"] == "validation_error"
    assert not Rating.objects.exists()


def _inspection_form(**files):
    data = {
        "result_washing": "pass",
        "result_wok": "issue",
        "note_wok": "灶台油污",
        "summary": "整改灶台",
    }
    data.update(files)
    return data


def test_create_inspection_multipart(client, kitchen):
    supervisor = staff_of(kitchen.street, "food_supervisor")
    form = _inspection_form(
        photo_wok=[SimpleUploadedFile("a.jpg", jpeg_bytes()), SimpleUploadedFile("b.png", _png())],
        photo=SimpleUploadedFile("c.jpg", jpeg_bytes()),
    )
    resp = client.post(f"/api/v1/meals/kitchens/{kitchen.pk}/inspections", form, **auth(supervisor))
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["issues"] == 1 and data["summary"] == "整改灶台" and data["kitchen_id"] == kitchen.pk
    assert sorted(p["area"] for p in data["photos"]) == ["", "wok", "wok"]
    items = {i["area"]: i for i in data["items"]}
    assert items["wok"]["note"] == "灶台油污" and items["pastry"]["result"] == "not_seen"
    for photo in InspectionPhoto.objects.all():
        with photo.image.open("rb") as fh:
            assert b"PhoneMaker" not in fh.read()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (1, 2, 3)).save(out, format="PNG")
    return out.getvalue()


def test_create_inspection_refusals(client, kitchen):
    url = f"/api/v1/meals/kitchens/{kitchen.pk}/inspections"
    operator = staff_of(kitchen.street, "kitchen_operator")
    assert client.post(url, _inspection_form(), **auth(operator)).json()["code"] == "permission_denied"
    other = staff_of(StreetFactory(code="elsewhere"), "food_supervisor")
    resp = client.post(url, _inspection_form(), **auth(other))
    assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"
    supervisor = staff_of(kitchen.street, "food_supervisor")
    fake = SimpleUploadedFile("photo.jpg", b"hello, I am text", content_type="image/jpeg")
    resp = client.post(url, _inspection_form(photo_wok=fake), **auth(supervisor))
    assert resp.status_code == 422 and resp.json()["code"] == "photo_invalid"
    assert resp.json()["errors"][0]["field"] == "photos.0"
    resp = client.post(url, _inspection_form(photo_roof=SimpleUploadedFile("a.jpg", jpeg_bytes())), **auth(supervisor))
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "photo_roof"
    resp = client.post(url, {"result_washing": "great"}, **auth(supervisor))
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "items.washing"
    assert (
        client.post("/api/v1/meals/kitchens/999999/inspections", _inspection_form(), **auth(supervisor)).status_code
        == 404
    )
    assert not Inspection.objects.exists() and not InspectionPhoto.objects.exists()


def test_kitchen_quality_endpoint_and_scoping(client, kitchen):
    supervisor = staff_of(kitchen.street, "food_supervisor")
    client.post(f"/api/v1/meals/kitchens/{kitchen.pk}/inspections", _inspection_form(), **auth(supervisor))
    for role in ("kitchen_operator", "food_supervisor", "station_staff", "admin"):
        resp = client.get(
            f"/api/v1/meals/kitchens/{kitchen.pk}/quality?weeks=4&days=7", **auth(staff_of(kitchen.street, role))
        )
        assert resp.status_code == 200, role
        data = resp.json()
        assert set(data) == {"kitchen", "ratings", "ratings_weekly", "inspections", "tastings", "waste"}
        assert len(data["ratings_weekly"]) == 4 and len(data["waste"]) == 7
        assert data["inspections"][0]["issues"] == 1
    for user in (staff_of(StreetFactory(code="b-street"), "admin"), UserFactory(), staff_of(kitchen.street, "rider")):
        resp = client.get(f"/api/v1/meals/kitchens/{kitchen.pk}/quality", **auth(user))
        assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"


def test_tasting_endpoint(client, kitchen):
    dish = DishFactory(kitchen=kitchen, is_new=True)
    supervisor = staff_of(kitchen.street, "food_supervisor")
    url = f"/api/v1/meals/dishes/{dish.pk}/tastings"
    resp = client.post(
        url, {"score": 4, "comment": "软烂适合老人"}, content_type="application/json", **auth(supervisor)
    )
    assert resp.status_code == 201 and resp.json()["score"] == 4 and resp.json()["dish_id"] == dish.pk
    resp = client.post(url, {"score": 5}, content_type="application/json", **auth(supervisor))
    assert resp.status_code == 409 and resp.json()["reason"] == "already_scored"
    resp = client.post(
        url, {"score": 5, "panel_date": days_ago(3).isoformat()}, content_type="application/json", **auth(supervisor)
    )
    assert resp.status_code == 201
    resp = client.post(url, {"score": 7}, content_type="application/json", **auth(staff_of(kitchen.street, "admin")))
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "score"
    other = staff_of(StreetFactory(code="tasteb"), "food_supervisor")
    assert client.post(url, {"score": 3}, content_type="application/json", **auth(other)).status_code == 403
    assert TastingScore.objects.count() == 2


def test_waste_put(client, kitchen):
    operator = staff_of(kitchen.street, "kitchen_operator")
    day = days_ago(1).isoformat()
    url = f"/api/v1/meals/kitchens/{kitchen.pk}/waste/{day}"
    resp = client.put(url, {"grams": 4200, "note": "汤剩得多"}, content_type="application/json", **auth(operator))
    assert resp.status_code == 200 and resp.json() == {
        "kitchen_id": kitchen.pk,
        "date": day,
        "grams": 4200,
        "note": "汤剩得多",
    }
    resp = client.put(url, {"grams": 3900}, content_type="application/json", **auth(operator))
    assert resp.json()["grams"] == 3900 and WasteRecord.objects.get().grams == 3900
    resp = client.put(url, {"grams": -5}, content_type="application/json", **auth(operator))
    assert resp.status_code == 422
    resp = client.put(
        f"/api/v1/meals/kitchens/{kitchen.pk}/waste/2026-13-45",
        {"grams": 5},
        content_type="application/json",
        **auth(operator),
    )
    assert resp.status_code == 422 and resp.json()["code"] == "validation_error"
    other = staff_of(StreetFactory(code="wasteb"), "kitchen_operator")
    assert client.put(url, {"grams": 1}, content_type="application/json", **auth(other)).status_code == 403
    supervisor = staff_of(kitchen.street, "food_supervisor")
    assert client.put(url, {"grams": 1}, content_type="application/json", **auth(supervisor)).status_code == 403
    assert WasteRecord.objects.get().grams == 3900
