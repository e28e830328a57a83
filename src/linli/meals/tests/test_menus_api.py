"""Menus API (public menus for a place, kitchens, staff create/publish/check) and the kitchen menu editor pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli.core.models import RoleAssignment
from linli.core.services import token_create
from linli.meals.models import Menu, MenuItem, MenuStatus
from linli.meals.services import menus as svc
from linli.meals.tests.factories import (
    KitchenFactory,
    MenuFactory,
    MenuItemFactory,
    PlaceFactory,
    StreetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def role(street, name="kitchen_operator"):
    user = UserFactory()
    RoleAssignment.objects.create(user=user, street=street, role=name)
    return user


def ahead(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def world():
    street = StreetFactory(code="apimeals")
    point = PlaceFactory(street=street, external_id="MP1", kind="meal_point", name="助餐点一")
    ck = KitchenFactory(
        street=street,
        place=PlaceFactory(street=street, external_id="CK1", kind="central_kitchen", name="中央厨房"),
        serves=[point],
    )
    elder = KitchenFactory(
        street=street,
        place=PlaceFactory(street=street, external_id="EC1", kind="elder_canteen", name="长者食堂"),
        is_elder_canteen=True,
    )
    return {"street": street, "point": point, "ck": ck, "elder": elder}


def test_menus_for_place_shape(client, world):
    today = timezone.localdate()
    menu = svc.menu_create(
        kitchen=world["ck"],
        date=today + dt.timedelta(days=1),
        slot="lunch",
        items=[
            {
                "dish": "红烧狮子头",
                "price_fen": 1500,
                "half_price_fen": 800,
                "daily_limit": 50,
                "tags": ["soft", "allergen:soy"],
            },
            {"dish": "长者套餐", "price_fen": 1200, "tags": ["elder_set"]},
        ],
    )
    svc.menu_publish(menu=menu)
    MenuItem.objects.filter(menu=menu, dish__name="红烧狮子头").update(sold=8)
    svc.menu_create(kitchen=world["ck"], date=menu.date, slot="dinner", items=[{"dish": "草稿菜", "price_fen": 900}])
    body = client.get(f"/api/v1/meals/menus?place={world['point'].pk}&date={menu.date.isoformat()}").json()
    assert body["place"] == {"id": world["point"].pk, "external_id": "MP1", "name": "助餐点一"}
    assert body["date"] == menu.date.isoformat()
    assert [m["id"] for m in body["menus"]] == [menu.pk]  # the draft dinner is not shown
    m = body["menus"][0]
    assert m["slot"] == "lunch" and m["status"] == "published" and m["kitchen"]["name"] == "中央厨房"
    assert m["cutoff_at"] == f"{menu.date.isoformat()}T09:30:00+08:00"
    first, second = body["items"]
    item = MenuItem.objects.get(menu=menu, dish__name="红烧狮子头")
    assert first["id"] == item.pk and first["slot"] == "lunch" and first["dish"] == "红烧狮子头"
    assert (first["price_fen"], first["half_price_fen"], first["remaining"]) == (1500, 800, 42)
    assert first["tags"] == ["soft"] and first["allergens"] == ["soy"]
    assert first["is_set_meal"] is False and first["is_elder_discount_set"] is False
    assert first["kitchen"]["id"] == world["ck"].pk
    assert second["remaining"] is None and second["is_set_meal"] is True and second["is_elder_discount_set"] is True
    # the canteen's own dining room sees the canteen's menus; another day is empty
    assert (
        client.get(f"/api/v1/meals/menus?place={world['point'].pk}&date={ahead(5).isoformat()}").json()["items"] == []
    )


def test_menus_default_date_is_today_and_bad_input_is_a_problem(client, world):
    menu = MenuFactory(kitchen=world["ck"], date=timezone.localdate())
    MenuItemFactory(menu=menu)
    body = client.get(f"/api/v1/meals/menus?place={world['point'].pk}").json()
    assert body["date"] == timezone.localdate().isoformat() and len(body["items"]) == 1
    resp = client.get(f"/api/v1/meals/menus?place={world['point'].pk}&date=2026-13-40")
    assert resp.status_code == 422 and resp.json()["code"] == "validation_error"
    resp = client.get("/api/v1/meals/menus?place=999999")
    assert resp.status_code == 404 and resp["Content-Type"].startswith("application/problem+json")
    assert client.get("/api/v1/meals/menus").status_code == 422
    assert client.get("/api/v1/meals/menus?place=abc").status_code == 422


def test_kitchens_list(client, world):
    body = client.get("/api/v1/meals/kitchens?street=apimeals").json()
    by_name = {k["place"]["name"]: k for k in body}
    assert set(by_name) == {"中央厨房", "长者食堂"}
    assert by_name["中央厨房"]["serves"] == [{"id": world["point"].pk, "external_id": "MP1", "name": "助餐点一"}]
    assert by_name["长者食堂"]["is_elder_canteen"] is True and by_name["长者食堂"]["breakfast_cutoff"] == "20:00"
    assert client.get("/api/v1/meals/kitchens?street=nope").status_code == 404


def test_staff_create_publish_check(client, world):
    op = role(world["street"])
    payload = {
        "kitchen_id": world["elder"].pk,
        "date": ahead(3).isoformat(),
        "slot": "lunch",
        "items": [{"dish": "清蒸鱼", "price_fen": 1500}],
    }
    resp = client.post(
        "/api/v1/meals/menus", payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1", **auth(op)
    )
    assert resp.status_code == 201, resp.content
    menu_id = resp.json()["id"]
    assert resp.json()["status"] == "draft" and resp.json()["items"][0]["dish"] == "清蒸鱼"
    again = client.post(
        "/api/v1/meals/menus", payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1", **auth(op)
    )
    assert again.status_code == 201 and again.json()["id"] == menu_id and Menu.objects.count() == 1
    check = client.get(f"/api/v1/meals/menus/{menu_id}/check", **auth(op)).json()
    assert check["ok"] is False and {f["rule"] for f in check["failures"]} == {"small_portions", "elder_set_meal"}
    resp = client.post(f"/api/v1/meals/menus/{menu_id}/publish", **auth(op))
    assert resp.status_code == 422 and resp.json()["code"] == "menu_invalid"
    assert {e["rule"] for e in resp.json()["errors"]} == {"small_portions", "elder_set_meal"}
    menu = Menu.objects.get(pk=menu_id)
    svc.menu_item_add(menu=menu, dish="长者套餐", price_fen=1000, half_price_fen=600, tags=["elder_set"])
    assert client.get(f"/api/v1/meals/menus/{menu_id}/check", **auth(op)).json() == {
        "menu_id": menu_id,
        "ok": True,
        "failures": [],
    }
    resp = client.post(f"/api/v1/meals/menus/{menu_id}/publish", **auth(op))
    assert resp.status_code == 200 and resp.json()["status"] == "published"


def test_create_and_publish_refused_leaves_nothing(client, world):
    op = role(world["street"])
    payload = {
        "kitchen_id": world["elder"].pk,
        "date": ahead(3).isoformat(),
        "slot": "lunch",
        "items": [{"dish": "清蒸鱼", "price_fen": 1500}],
        "publish": True,
    }
    resp = client.post("/api/v1/meals/menus", payload, content_type="application/json", **auth(op))
    assert resp.status_code == 422 and resp.json()["code"] == "menu_invalid"
    assert Menu.objects.count() == 0 and MenuItem.objects.count() == 0
    payload["items"].append(
        {"dish": "长者套餐", "price_fen": 1000, "half_price_fen": 600, "is_elder_discount_set": True}
    )
    resp = client.post("/api/v1/meals/menus", payload, content_type="application/json", **auth(op))
    assert resp.status_code == 201 and resp.json()["status"] == "published"
    assert resp.json()["items"][1]["is_set_meal"] is True


def test_staff_create_bad_input_is_a_problem(client, world):
    op = role(world["street"])
    base = {"kitchen_id": world["ck"].pk, "date": ahead(3).isoformat(), "slot": "lunch"}
    for payload, status, code in (
        ({**base, "slot": "supper"}, 422, "validation_error"),
        ({**base, "items": [{"dish": "x", "price_fen": "12.5"}]}, 422, "validation_error"),
        ({**base, "items": [{"dish": "x", "price_fen": 100, "half_price_fen": 200}]}, 422, "validation_error"),
        ({**base, "items": [{"dish": "x", "price_fen": 100, "tags": ["crunchy"]}]}, 422, "validation_error"),
        ({**base, "date": "yesterday"}, 422, "validation_error"),
        ({**base, "kitchen_id": 999999}, 404, "not_found"),
        ({**base, "date": ahead(-1).isoformat()}, 422, "validation_error"),
        ({**base, "date": "9999-12-31"}, 422, "validation_error"),
        ({**base, "cutoff_at": "2026-01-01T09:00:00"}, 422, "validation_error"),
    ):
        resp = client.post("/api/v1/meals/menus", payload, content_type="application/json", **auth(op))
        assert (resp.status_code, resp.json()["code"]) == (status, code), (payload, resp.content)
    assert Menu.objects.count() == 0


def test_another_streets_operator_is_refused(client, world):
    outsider = role(StreetFactory(code="farapi"))
    payload = {"kitchen_id": world["ck"].pk, "date": ahead(3).isoformat(), "slot": "lunch", "items": []}
    resp = client.post("/api/v1/meals/menus", payload, content_type="application/json", **auth(outsider))
    assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"
    menu = svc.menu_create(kitchen=world["ck"], date=ahead(3), slot="lunch", items=[{"dish": "饭", "price_fen": 100}])
    assert client.post(f"/api/v1/meals/menus/{menu.pk}/publish", **auth(outsider)).status_code == 403
    assert client.get(f"/api/v1/meals/menus/{menu.pk}/check", **auth(outsider)).status_code == 403
    assert client.get(f"/api/v1/meals/menus/{menu.pk}", **auth(outsider)).status_code == 403
    assert client.post(f"/api/v1/meals/menus/{menu.pk}/publish").status_code == 401
    menu.refresh_from_db()
    assert menu.status == MenuStatus.DRAFT


# -------------------------------------------------------------------------------------------- pages


def test_editor_pages_week_menu_add_publish(client, world):
    op = role(world["street"])
    client.force_login(op)
    d = ahead(2)
    week = client.get(f"/kitchen/menus/?kitchen={world['elder'].pk}")
    assert week.status_code == 200
    assert client.get(f"/kitchen/menus/?kitchen={world['elder'].pk}&start=9999-12-31").status_code == 200
    html = week.content.decode()
    assert html.count('class="week-day"') == 7 and "长者食堂" in html
    assert 'id="unpublished"' in html  # nothing published for the week ahead yet
    url = f"/kitchen/menus/{world['elder'].pk}/{d.isoformat()}/lunch/"
    assert client.get(url).status_code == 200
    # add a dish with prices typed in yuan
    resp = client.post(
        url,
        {
            "dish": "清蒸鱼",
            "price_yuan": "15.5",
            "half_price_yuan": "8",
            "daily_limit": "40",
            "kind": "dish",
            "tags": ["soft"],
        },
    )
    assert resp.status_code == 302
    item = MenuItem.objects.get(dish__name="清蒸鱼")
    assert (item.price_fen, item.half_price_fen, item.daily_limit, item.dish.tags) == (1550, 800, 40, ["soft"])
    # bad yuan input is shown, nothing written
    resp = client.post(url, {"dish": "坏价", "price_yuan": "12.345", "kind": "dish"})
    assert resp.status_code == 422 and 'data-code="validation_error"' in resp.content.decode()
    assert not MenuItem.objects.filter(dish__name="坏价").exists()
    # the week shows the rule failure for that day; publishing is refused with the failures listed
    week = client.get(f"/kitchen/menus/?kitchen={world['elder'].pk}").content.decode()
    assert 'data-rule="elder_set_meal"' in week
    menu = item.menu
    resp = client.post(f"/kitchen/menus/m/{menu.pk}/publish/")
    assert resp.status_code == 422 and 'data-code="menu_invalid"' in resp.content.decode()
    assert "长者优惠套餐" in resp.content.decode()
    client.post(url, {"dish": "长者套餐", "price_yuan": "10", "kind": "elder_set"})
    resp = client.post(f"/kitchen/menus/m/{menu.pk}/publish/")
    assert resp.status_code == 302
    menu.refresh_from_db()
    assert menu.status == "published"
    # edit an item's price and remove one
    resp = client.post(
        f"/kitchen/menus/items/{item.pk}/", {"price_yuan": "16", "half_price_yuan": "", "daily_limit": ""}
    )
    assert resp.status_code == 302
    item.refresh_from_db()
    assert (item.price_fen, item.half_price_fen, item.daily_limit) == (1600, None, None)


def test_editor_pages_refuse_others(client, world):
    assert client.get("/kitchen/menus/").status_code == 302  # sign in first
    resident = UserFactory()
    client.force_login(resident)
    assert client.get("/kitchen/menus/").status_code == 403
    outsider = role(StreetFactory(code="farpage"))
    client.force_login(outsider)
    assert client.get(f"/kitchen/menus/?kitchen={world['ck'].pk}").status_code == 403
    url = f"/kitchen/menus/{world['ck'].pk}/{ahead(2).isoformat()}/lunch/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"dish": "x", "price_yuan": "1", "kind": "dish"}).status_code == 403
    assert MenuItem.objects.count() == 0
    menu = MenuFactory(kitchen=world["ck"], date=ahead(2), status="draft")
    it = MenuItemFactory(menu=menu)
    assert client.post(f"/kitchen/menus/m/{menu.pk}/publish/").status_code == 403
    assert client.post(f"/kitchen/menus/items/{it.pk}/remove/").status_code == 403
    assert MenuItem.objects.filter(pk=it.pk).exists()
    assert client.get(f"/kitchen/menus/{world['ck'].pk}/2026-99-01/lunch/").status_code == 404
    assert client.get(f"/kitchen/menus/{world['ck'].pk}/9999-12-31/lunch/").status_code == 404


def test_locked_menu_page_shows_frozen(client, world):
    op = role(world["street"], "admin")
    client.force_login(op)
    menu = MenuFactory(
        kitchen=world["ck"], date=timezone.localdate(), cutoff_at=timezone.now() - dt.timedelta(minutes=5)
    )
    it = MenuItemFactory(menu=menu, price_fen=1500)
    page = client.get(f"/kitchen/menus/{world['ck'].pk}/{menu.date.isoformat()}/lunch/").content.decode()
    assert 'data-status="locked"' in page and 'id="add-item"' not in page
    resp = client.post(f"/kitchen/menus/items/{it.pk}/", {"price_yuan": "1"})
    assert resp.status_code == 409 and 'data-code="after_cutoff"' in resp.content.decode()
    it.refresh_from_db()
    assert it.price_fen == 1500
