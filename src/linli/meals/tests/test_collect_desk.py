"""The meal-point desk when one pickup code matches two orders at the same place on the same day (two kitchens
serve the point, or lunch and dinner): the volunteer sees both (masked name, dishes, kitchen and meal) and picks
one; nothing is collected before that, and never the other one."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from linli.core.errors import Problem
from linli.core.services import token_create
from linli.meals.models import OrderStatus
from linli.meals.services.collect import order_collect
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
CODE = "246802"


@pytest.fixture
def desk():
    """Two kitchens serve one meal point; each delivered an order carrying the same code today."""
    street = StreetFactory(code="deskst")
    point = PlaceFactory(street=street, name="丙助餐点", kind="meal_point")
    today = timezone.localdate()
    orders = []
    for name, dish, resident in (("东厨房", "红烧肉", "王建国"), ("西食堂", "清蒸鱼", "李秀英")):
        kitchen = KitchenFactory(street=street, place__name=name)
        kitchen.serves.add(point)
        menu = MenuFactory(kitchen=kitchen, date=today, status="locked")
        item = MenuItemFactory(menu=menu, dish=DishFactory(kitchen=kitchen, name=dish))
        order = order_with_lines(
            menu=menu,
            destination_place=point,
            user=UserFactory(display_name=resident),
            pickup_code=CODE,
            status=OrderStatus.DELIVERED,
            lines=[(item, 2, False)],
        )
        orders.append(order)
    staff = RoleAssignmentFactory(street=street, role="station_staff").user
    return {"street": street, "point": point, "orders": orders, "staff": staff}


def _statuses(orders):
    for o in orders:
        o.refresh_from_db()
    return [o.status for o in orders]


def test_service_refuses_to_guess_and_collects_only_the_chosen_order(desk):
    a, b = desk["orders"]
    with pytest.raises(Problem) as exc:
        order_collect(place=desk["point"], pickup_code=CODE, actor=desk["staff"])
    assert exc.value.code == "validation_error"
    assert exc.value.extra["order_ids"] == [a.pk, b.pk]
    assert exc.value.errors[0]["field"] == "order_id"
    assert _statuses([a, b]) == [OrderStatus.DELIVERED, OrderStatus.DELIVERED]

    # The chosen order must carry the code and be at this desk.
    other_point = PlaceFactory(street=desk["street"], kind="meal_point")
    with pytest.raises(Problem) as exc:
        order_collect(place=other_point, order=b, pickup_code=CODE, actor=desk["staff"])
    assert exc.value.code == "pickup_code_invalid"
    with pytest.raises(Problem) as exc:
        order_collect(place=desk["point"], order=b, pickup_code="111111", actor=desk["staff"])
    assert exc.value.code == "pickup_code_invalid"

    assert order_collect(place=desk["point"], order=b, pickup_code=CODE, actor=desk["staff"]).pk == b.pk
    assert _statuses([a, b]) == [OrderStatus.DELIVERED, OrderStatus.COLLECTED]
    # The other resident then says the same code: still both are shown, the collected one cannot be chosen again.
    with pytest.raises(Problem) as exc:
        order_collect(place=desk["point"], pickup_code=CODE, actor=desk["staff"])
    assert exc.value.extra["order_ids"] == [a.pk, b.pk]
    with pytest.raises(Problem) as exc:
        order_collect(place=desk["point"], order=b, pickup_code=CODE, actor=desk["staff"])
    assert exc.value.code == "order_invalid_transition"
    assert _statuses([a, b]) == [OrderStatus.DELIVERED, OrderStatus.COLLECTED]


def test_an_order_still_on_its_way_is_shown_too_never_swapped_for_the_delivered_one(desk):
    a, b = desk["orders"]
    type(a).objects.filter(pk=a.pk).update(status=OrderStatus.OUT_FOR_DELIVERY)
    with pytest.raises(Problem) as exc:
        order_collect(place=desk["point"], pickup_code=CODE, actor=desk["staff"])
    assert exc.value.extra["order_ids"] == [a.pk, b.pk]
    # A cancelled order holds no box: it does not compete for the code.
    type(a).objects.filter(pk=a.pk).update(status=OrderStatus.REFUNDED)
    assert order_collect(place=desk["point"], pickup_code=CODE, actor=desk["staff"]).pk == b.pk


def test_desk_page_shows_both_masked_and_the_volunteer_picks_one(desk):
    a, b = desk["orders"]
    c = Client()
    c.force_login(desk["staff"])
    r = c.post("/kitchen/collect/", {"place": desk["point"].pk, "pickup_code": CODE}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and 'id="collect-choices"' in html and 'id="collect-ok"' not in html
    assert f'id="choice-{a.pk}"' in html and f'id="choice-{b.pk}"' in html
    assert "王**" in html and "李**" in html and "王建国" not in html and "李秀英" not in html
    assert "红烧肉×2" in html and "清蒸鱼×2" in html and "东厨房" in html and "西食堂" in html
    assert _statuses([a, b]) == [OrderStatus.DELIVERED, OrderStatus.DELIVERED]

    # Without JavaScript the same question is a full page.
    r = c.post("/kitchen/collect/", {"place": desk["point"].pk, "pickup_code": CODE})
    assert r.status_code == 200 and f'id="choose-{a.pk}"' in r.content.decode()

    r = c.post(
        "/kitchen/collect/",
        {"place": desk["point"].pk, "pickup_code": CODE, "order": a.pk},
        HTTP_HX_REQUEST="true",
    )
    html = r.content.decode()
    assert r.status_code == 200 and 'id="collect-ok"' in html and "王**" in html and "红烧肉" in html
    assert _statuses([a, b]) == [OrderStatus.COLLECTED, OrderStatus.DELIVERED]

    # An order id from another desk is refused, whatever the code.
    elsewhere = PlaceFactory(street=desk["street"], kind="meal_point")
    desk["orders"][0].kitchen.serves.add(elsewhere)
    r = c.post("/kitchen/collect/", {"place": elsewhere.pk, "pickup_code": CODE, "order": b.pk})
    assert r.status_code == 422 and 'data-code="pickup_code_invalid"' in r.content.decode()
    assert _statuses([a, b]) == [OrderStatus.COLLECTED, OrderStatus.DELIVERED]


def test_api_lists_the_candidates_and_takes_the_chosen_order_id(desk):
    a, b = desk["orders"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=desk['staff'])}"}
    c = Client()

    def post(body, key):
        return c.post(
            "/api/v1/meals/collect", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **headers
        )

    r = post({"place_id": desk["point"].pk, "pickup_code": CODE}, "desk-1")
    body = r.json()
    assert r.status_code == 422 and body["code"] == "validation_error" and body["order_ids"] == [a.pk, b.pk]
    names = {c["id"]: (c["name"], c["kitchen"], c["lines"][0]["dish"]) for c in body["candidates"]}
    assert names == {a.pk: ("王**", "东厨房", "红烧肉"), b.pk: ("李**", "西食堂", "清蒸鱼")}
    assert _statuses([a, b]) == [OrderStatus.DELIVERED, OrderStatus.DELIVERED]

    r = post({"place_id": desk["point"].pk, "pickup_code": CODE, "order_id": b.pk}, "desk-2")
    assert r.status_code == 200 and r.json()["id"] == b.pk and r.json()["status"] == "collected"
    assert _statuses([a, b]) == [OrderStatus.DELIVERED, OrderStatus.COLLECTED]
