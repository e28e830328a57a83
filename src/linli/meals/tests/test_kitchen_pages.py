"""Kitchen, rider and meal-point pages: who may see them, what they show, their forms."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from linli.meals.models import DeliveryRun, MenuStatus, OrderStatus, RunStatus
from linli.meals.tests.factories import (
    DishFactory,
    KitchenFactory,
    MenuFactory,
    MenuItemFactory,
    PlaceFactory,
    RoleAssignmentFactory,
    StreetFactory,
    UserFactory,
)
from linli.meals.tests.factories_kitchen import order_with_lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    street = StreetFactory(code="pgstreet")
    kitchen = KitchenFactory(street=street, place__name="长寿路中央厨房", place__lat=31.25, place__lng=121.39)
    menu = MenuFactory(kitchen=kitchen, date=timezone.localdate())
    item = MenuItemFactory(menu=menu, dish=DishFactory(kitchen=kitchen, name="番茄炒蛋", tags=["soft"]))
    point = PlaceFactory(street=street, name="乙助餐点", kind="meal_point", lat=31.253, lng=121.393)
    kitchen.serves.add(point)
    resident = UserFactory(display_name="王奶奶", phone="+8613700001234")
    order = order_with_lines(
        menu=menu, destination_place=point, user=resident, pickup_code="135790", lines=[(item, 1, True)]
    )
    return {
        "street": street,
        "kitchen": kitchen,
        "menu": menu,
        "point": point,
        "order": order,
        "resident": resident,
        "operator": RoleAssignmentFactory(street=street, role="kitchen_operator").user,
        "rider": RoleAssignmentFactory(street=street, role="rider").user,
        "staff": RoleAssignmentFactory(street=street, role="station_staff").user,
    }


def _client(user=None):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


KITCHEN_PAGES = ["/kitchen/production/", "/kitchen/labels/", "/kitchen/runs/"]


@pytest.mark.parametrize("url", KITCHEN_PAGES)
def test_kitchen_pages_refuse_residents_riders_and_other_streets(site, url):
    assert _client().get(url).status_code == 302
    for user in (site["resident"], site["rider"], RoleAssignmentFactory(role="kitchen_operator").user):
        assert _client(user).get(url).status_code == 403
    # an operator naming another street's kitchen
    other = KitchenFactory()
    assert _client(site["operator"]).get(f"{url}?kitchen={other.pk}").status_code == 403


def test_production_page_defaults_to_today_lunch_and_links_exports(site):
    r = _client(site["operator"]).get("/kitchen/production/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "长寿路中央厨房" in html and "番茄炒蛋" in html and "乙助餐点" in html
    assert timezone.localdate().isoformat() in html
    assert "/api/v1/meals/production.csv?" in html and "/api/v1/meals/production.xlsx?" in html
    assert 'id="lock-button"' in html
    assert "<script>" not in html  # CSP: no inline scripts


def test_production_page_lock_then_start(site):
    c = _client(site["operator"])
    base = {"kitchen": site["kitchen"].pk, "date": site["menu"].date.isoformat(), "slot": "lunch"}
    r = c.post("/kitchen/production/", {**base, "action": "lock"})  # asks first
    assert 'id="lock-confirm"' in r.content.decode()
    r = c.post("/kitchen/production/", {**base, "action": "lock", "confirm": "1"})
    assert r.status_code == 200 and 'id="start-button"' in r.content.decode()
    site["menu"].refresh_from_db()
    assert site["menu"].status == MenuStatus.LOCKED
    c.post("/kitchen/production/", {**base, "action": "start"})
    site["order"].refresh_from_db()
    assert site["order"].status == OrderStatus.IN_PRODUCTION
    r = c.post("/kitchen/production/", {**base, "action": "start"})  # nothing left to start: fine, 0 moved
    assert r.status_code == 200


def test_labels_page_shows_code_qr_and_masked_resident(site):
    html = _client(site["operator"]).get("/kitchen/labels/").content.decode()
    assert "135790" in html and "<svg" in html
    assert "王**" in html and "137****1234" in html and "13700001234" not in html
    assert "软烂" in html and "半份" in html


def test_runs_page_plan_and_assign(site):
    c = _client(site["operator"])
    site["order"].status = OrderStatus.LOCKED
    site["order"].save(update_fields=["status"])
    base = {"kitchen": site["kitchen"].pk, "date": site["menu"].date.isoformat(), "slot": "lunch"}
    r = c.post("/kitchen/runs/", {**base, "action": "plan", "riders_count": "1"})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="runs-map"' in html and 'id="runs-config"' in html and "乙助餐点" in html
    run = DeliveryRun.objects.get()
    r = c.post("/kitchen/runs/", {**base, "action": "assign", "run": run.pk, "rider": site["rider"].pk})
    assert r.status_code == 200
    run.refresh_from_db()
    assert run.rider == site["rider"]


def test_rider_page_pick_up_and_hand_over(site):
    site["order"].status = OrderStatus.LOCKED
    site["order"].save(update_fields=["status"])
    from linli.meals.services.delivery import run_assign, runs_plan

    (run,) = runs_plan(kitchen=site["kitchen"], date=site["menu"].date, slot="lunch", actor=site["operator"]).runs
    run_assign(run=run, rider=site["rider"], actor=site["operator"])
    c = _client(site["rider"])
    html = c.get("/rider/runs/").content.decode()
    assert f'id="pick-up-{run.pk}"' in html and "uri.amap.com" in html and "乙助餐点" in html
    assert c.post("/rider/runs/", {"action": "pick_up", "run": run.pk}).status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.PICKED_UP
    stop = run.stops.get()
    assert c.post("/rider/runs/", {"action": "hand_over", "stop": stop.pk, "to_name": "赵老师"}).status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    # another rider of the same street cannot act on it, and sees nothing
    other = RoleAssignmentFactory(street=site["street"], role="rider").user
    r = _client(other).post("/rider/runs/", {"action": "pick_up", "run": run.pk})
    assert r.status_code == 404
    assert _client(site["resident"]).get("/rider/runs/").status_code == 403


def test_collect_page(site):
    site["order"].status = OrderStatus.DELIVERED
    site["order"].save(update_fields=["status"])
    assert _client(site["resident"]).get("/kitchen/collect/").status_code == 403
    c = _client(site["staff"])
    html = c.get("/kitchen/collect/").content.decode()
    assert "乙助餐点" in html and "今天这里还有 1 份待取" in html
    r = c.post("/kitchen/collect/", {"place": site["point"].pk, "pickup_code": "999999"})
    assert r.status_code == 422 and 'data-code="pickup_code_invalid"' in r.content.decode()
    r = c.post("/kitchen/collect/", {"place": site["point"].pk, "pickup_code": "135790"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'id="collect-ok"' in r.content.decode()
    site["order"].refresh_from_db()
    assert site["order"].status == OrderStatus.COLLECTED
    other_point = PlaceFactory(kind="meal_point")
    assert c.get(f"/kitchen/collect/?place={other_point.pk}").status_code == 403
