"""Kitchen and delivery API: problem+json, permission per role and street, the whole run through HTTP."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from linli.core.services import token_create
from linli.meals.models import MenuStatus, OrderStatus
from linli.meals.tests.factories import (
    DishFactory,
    KitchenFactory,
    MenuFactory,
    MenuItemFactory,
    OrderFactory,
    PlaceFactory,
    RoleAssignmentFactory,
    StreetFactory,
    UserFactory,
)
from linli.meals.tests.factories_kitchen import order_with_lines

pytestmark = pytest.mark.django_db


def _h(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


@pytest.fixture
def api():
    street = StreetFactory(code="apistreet")
    kitchen = KitchenFactory(street=street, place__lat=31.25, place__lng=121.39)
    menu = MenuFactory(kitchen=kitchen, date=timezone.localdate())
    item = MenuItemFactory(menu=menu, dish=DishFactory(kitchen=kitchen, name="红烧肉"))
    point = PlaceFactory(street=street, name="甲助餐点", kind="meal_point", lat=31.252, lng=121.392)
    return {
        "street": street,
        "kitchen": kitchen,
        "menu": menu,
        "item": item,
        "point": point,
        "operator": RoleAssignmentFactory(street=street, role="kitchen_operator").user,
        "rider": RoleAssignmentFactory(street=street, role="rider").user,
        "staff": RoleAssignmentFactory(street=street, role="station_staff").user,
    }


def test_production_endpoint_and_exports(api):
    c = Client()
    order_with_lines(menu=api["menu"], destination_place=api["point"], lines=[(api["item"], 2, False)])
    order_with_lines(menu=api["menu"], destination_place=api["point"], lines=[(api["item"], 1, True)])
    q = f"kitchen={api['kitchen'].pk}&date={api['menu'].date.isoformat()}&slot=lunch"
    r = c.get(f"/api/v1/meals/production?{q}", **_h(api["operator"]))
    assert r.status_code == 200
    body = r.json()
    assert body["dishes"] == [{"menu_item_id": api["item"].pk, "dish": "红烧肉", "full": 2, "half": 1}]
    assert body["destinations"][0]["label"] == "甲助餐点"

    r = c.get(f"/api/v1/meals/production.csv?{q}", **_h(api["operator"]))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    assert r.content.decode("utf-8-sig").splitlines()[1].startswith("甲助餐点")
    r = c.get(f"/api/v1/meals/production.xlsx?{q}", **_h(api["operator"]))
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws.cell(row=3, column=3).value == "红烧肉"

    resident = UserFactory()
    r = c.get(f"/api/v1/meals/production?{q}", **_h(resident))
    assert r.status_code == 403 and r["Content-Type"].startswith("application/problem+json")
    assert r.json()["code"] == "permission_denied"
    r = c.get(f"/api/v1/meals/production?kitchen={api['kitchen'].pk}&slot=brunch", **_h(api["operator"]))
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    r = c.get("/api/v1/meals/production?kitchen=999999", **_h(api["operator"]))
    assert r.status_code == 404
    r = c.get(f"/api/v1/meals/production?{q}")
    assert r.status_code == 401


def test_lock_endpoint(api):
    c = Client()
    order = OrderFactory(menu=api["menu"], destination_place=api["point"])
    r = c.post(f"/api/v1/meals/menus/{api['menu'].pk}/lock", **_h(api["rider"]))
    assert r.status_code == 403
    r = c.post(f"/api/v1/meals/menus/{api['menu'].pk}/lock", **_h(api["operator"]))
    assert r.status_code == 200
    assert r.json()["status"] == MenuStatus.LOCKED and r.json()["orders_locked"] == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.LOCKED
    assert c.post("/api/v1/meals/menus/999999/lock", **_h(api["operator"])).status_code == 404


def test_run_flow_over_http(api):
    c = Client()
    order = OrderFactory(
        menu=api["menu"], destination_place=api["point"], status=OrderStatus.LOCKED, pickup_code="246810"
    )
    plan = {"kitchen_id": api["kitchen"].pk, "date": api["menu"].date.isoformat(), "slot": "lunch"}
    r = c.post("/api/v1/meals/runs/plan", plan, content_type="application/json", **_h(api["rider"]))
    assert r.status_code == 403
    r = c.post("/api/v1/meals/runs/plan", plan, content_type="application/json", **_h(api["operator"]))
    assert r.status_code == 200, r.content
    (run,) = r.json()["runs"]
    assert run["stops"][0]["label"] == "甲助餐点" and "amap" in run["stops"][0]["navigation"]

    foreign_rider = RoleAssignmentFactory(role="rider").user
    r = c.post(
        f"/api/v1/meals/runs/{run['id']}/assign",
        {"rider_id": foreign_rider.pk},
        content_type="application/json",
        **_h(api["operator"]),
    )
    assert r.status_code == 422
    r = c.post(
        f"/api/v1/meals/runs/{run['id']}/assign",
        {"rider_id": api["rider"].pk},
        content_type="application/json",
        **_h(api["operator"]),
    )
    assert r.status_code == 200 and r.json()["rider_id"] == api["rider"].pk

    # the foreign rider cannot see or move the run
    assert c.post(f"/api/v1/meals/runs/{run['id']}/pick-up", **_h(foreign_rider)).status_code == 404
    date = api["menu"].date.isoformat()
    assert c.get(f"/api/v1/meals/runs?date={date}", **_h(foreign_rider)).json() == []
    mine = c.get(f"/api/v1/meals/runs?date={date}&slot=lunch", **_h(api["rider"])).json()
    assert [x["id"] for x in mine] == [run["id"]]
    assert mine[0]["stops"][0]["order_list"][0]["phone"].count("*") == 4  # masked

    rider_h = _h(api["rider"])
    r = c.post(f"/api/v1/meals/runs/{run['id']}/pick-up", HTTP_IDEMPOTENCY_KEY="pick-1", **rider_h)
    assert r.status_code == 200 and r.json()["status"] == "picked_up"
    # a retry with the same key replays the answer; without a key the second pick-up is refused
    r = c.post(f"/api/v1/meals/runs/{run['id']}/pick-up", HTTP_IDEMPOTENCY_KEY="pick-1", **rider_h)
    assert r.status_code == 200 and r["Idempotent-Replayed"] == "true"
    r = c.post(f"/api/v1/meals/runs/{run['id']}/pick-up", **rider_h)
    assert r.status_code == 409 and r.json()["code"] == "run_invalid_transition"
    assert r["Content-Type"].startswith("application/problem+json")

    stop_id = run["stops"][0]["id"]
    r = c.post(
        f"/api/v1/meals/stops/{stop_id}/hand-over",
        {"to_name": "李老师"},
        content_type="application/json",
        **_h(api["rider"]),
    )
    assert r.status_code == 200 and r.json()["status"] == "done"

    r = c.post(
        "/api/v1/meals/collect",
        {"place_id": api["point"].pk, "pickup_code": "000000"},
        content_type="application/json",
        **_h(api["staff"]),
    )
    assert r.status_code == 422 and r.json()["code"] == "pickup_code_invalid"
    r = c.post(
        "/api/v1/meals/collect",
        {"place_id": api["point"].pk, "pickup_code": "246810"},
        content_type="application/json",
        **_h(api["rider"]),
    )
    assert r.status_code == 403
    r = c.post(
        "/api/v1/meals/collect",
        {"place_id": api["point"].pk, "pickup_code": "246810"},
        content_type="application/json",
        **_h(api["staff"]),
    )
    assert r.status_code == 200 and r.json()["status"] == "collected"
    order.refresh_from_db()
    assert order.status == OrderStatus.COLLECTED
