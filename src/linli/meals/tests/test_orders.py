"""Ordering a meal through the API: the bill, every refusal with its stable code, the cut-off, idempotency,
cancellation with a full refund, who may read an order, and the resident's order list."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.core.cache import cache
from django.utils import timezone

from linli.activities.tests.factories import ActivityFactory, BookingFactory
from linli.core.models import Compound, RoleAssignment
from linli.core.services import token_create
from linli.core.sms import OutboxSmsBackend
from linli.meals.models import MealProfile, MenuItem, Order, OrderEvent, OrderLine, Wallet, WalletEntry
from linli.meals.services import orders as order_services
from linli.meals.services.order_states import order_transition
from linli.meals.services.wallet import wallet_balance, wallet_topup
from linli.meals.tests.factories import KitchenFactory, MenuFactory, MenuItemFactory, PlaceFactory, PricingTierFactory
from linli.meals.tests.factories_orders import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    cache.clear()
    OutboxSmsBackend.clear()
    yield
    OutboxSmsBackend.clear()


@pytest.fixture
def world():
    return build_world()


def auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def post_order(client, user, body, key=None, headers=None):
    h = headers if headers is not None else auth(user)
    if key is not False:
        h = {**h, "HTTP_IDEMPOTENCY_KEY": key or uuid.uuid4().hex}
    return client.post("/api/v1/meals/orders", body, content_type="application/json", **h)


def sold(item) -> int:
    return MenuItem.objects.get(pk=item.pk).sold


# ---------------------------------------------------------------------------------------------- happy path


def test_order_to_a_meal_point_is_billed_charged_and_recorded(client, world):
    PricingTierFactory(street=world.street, name="60岁以上九折", min_age=60, value=10)
    PricingTierFactory(street=world.street, name="80岁以上八折", min_age=80, value=20)
    user = world.resident(balance_fen=10_000, birth_year=timezone.localdate().year - 82)
    resp = post_order(client, user, world.body((world.rice, 1), (world.soup, 2)))
    assert resp.status_code == 201, resp.content
    body = resp.json()
    # list 1500 + 2 x 500 = 2500; age 82: only the 80+ tier (highest reached), 20% = 500
    assert body["list_fen"] == 2500
    assert body["discounts"] == [{"label": "80岁以上八折", "amount_fen": 500}]
    assert body["discount_fen"] == 500 and body["total_fen"] == 2000 and body["status"] == "placed"
    assert len(body["pickup_code"]) == 6 and body["pickup_code"].isdigit()
    assert wallet_balance(user=user) == 8000
    order = Order.objects.get(pk=body["order_id"])
    assert order.destination_type == "place" and order.destination_place_id == world.meal_point.pk
    assert (sold(world.rice), sold(world.soup)) == (1, 2)
    assert list(OrderEvent.objects.filter(order=order).values_list("from_status", "to_status")) == [("", "placed")]
    charge = WalletEntry.objects.get(order=order)
    assert charge.kind == "charge" and charge.amount_fen == -2000 and charge.balance_after_fen == 8000

    detail = client.get(f"/api/v1/meals/orders/{order.pk}", **auth(user)).json()
    assert detail["status_label"].startswith("已下单")
    assert detail["kitchen"]["id"] == world.kitchen.pk
    assert detail["destination"]["type"] == "place"
    assert detail["destination"]["place"]["name"] == "真如助餐点"
    assert [(ln["dish"], ln["quantity"], ln["line_fen"]) for ln in detail["lines"]] == [
        ("红烧肉饭", 1, 1500),
        ("番茄蛋汤", 2, 1000),
    ]
    assert detail["timeline"][0]["to_status"] == "placed" and detail["run"] is None


def test_hardship_subsidies_stack_after_the_age_tier_fixed_and_percent(client, world):
    PricingTierFactory(street=world.street, name="60+ 减3元", min_age=60, discount_type="fixed", value=300)
    PricingTierFactory(
        street=world.street,
        kind="hardship",
        min_age=None,
        hardship="dibao",
        name="低保五折",
        discount_type="percent",
        value=50,
    )
    PricingTierFactory(
        street=world.street,
        kind="hardship",
        min_age=None,
        hardship="living_alone",
        name="独居减2元",
        discount_type="fixed",
        value=200,
    )
    PricingTierFactory(
        street=world.street,
        kind="hardship",
        min_age=None,
        hardship="disabled",
        name="残疾减5元",
        discount_type="fixed",
        value=500,
    )
    user = world.resident(birth_year=1950)
    MealProfile.objects.create(user=user, street=world.street, hardships=["dibao", "living_alone"])
    body = post_order(client, user, world.body((world.rice, 2))).json()
    # 3000 → age −300 = 2700 → dibao 50% −1350 = 1350 → living alone −200 = 1150 (disabled not held)
    assert [(d["label"], d["amount_fen"]) for d in body["discounts"]] == [
        ("60+ 减3元", 300),
        ("低保五折", 1350),
        ("独居减2元", 200),
    ]
    assert body["total_fen"] == 1150 and body["list_fen"] - body["discount_fen"] == 1150


def test_half_portions_and_duplicate_lines_are_merged(client, world):
    user = world.resident()
    body = world.body((world.rice, 1, True), (world.rice, 2, True), (world.rice, 1))
    resp = post_order(client, user, body)
    assert resp.status_code == 201
    order = Order.objects.get(pk=resp.json()["order_id"])
    lines = sorted(OrderLine.objects.filter(order=order).values_list("half", "quantity", "unit_price_fen"))
    assert lines == [(False, 1, 1500), (True, 3, 800)]
    assert order.list_fen == 1500 + 3 * 800
    assert sold(world.rice) == 4  # a half portion counts one portion of the limit


def test_quote_gives_the_bill_without_ordering(client, world):
    PricingTierFactory(street=world.street, name="60+九折", min_age=60, value=10)
    user = world.resident(balance_fen=1000)
    resp = client.post(
        "/api/v1/meals/quote", world.body((world.rice, 1)), content_type="application/json", **auth(user)
    )
    assert resp.status_code == 200, resp.content
    quote = resp.json()
    assert (quote["list_fen"], quote["discount_fen"], quote["total_fen"]) == (1500, 150, 1350)
    assert quote["balance_fen"] == 1000 and quote["balance_ok"] is False
    assert quote["lines"][0]["dish"] == "红烧肉饭"
    assert Order.objects.count() == 0 and sold(world.rice) == 0 and wallet_balance(user=user) == 1000


# ------------------------------------------------------------------------------------------ destinations


def test_a_canteen_serves_its_own_dining_room(client):
    world = build_world(code="canteenjie")
    canteen_place = world.kitchen.place
    user = world.resident()
    resp = post_order(client, user, world.body((world.soup, 1), place_id=canteen_place.pk))
    assert resp.status_code == 201, resp.content


def test_a_place_the_kitchen_does_not_serve_is_refused(client, world):
    user = world.resident()
    resp = post_order(client, user, world.body((world.soup, 1), place_id=world.other_point.pk))
    assert resp.status_code == 409 and resp.json()["code"] == "destination_not_served"
    assert resp["Content-Type"].startswith("application/problem+json")
    assert wallet_balance(user=user) == 10_000 and sold(world.soup) == 0 and Order.objects.count() == 0


def test_lunch_to_an_activity_needs_a_confirmed_booking_on_that_day(client, world):
    venue = PlaceFactory(street=world.street, name="活动室")
    world.kitchen.serves.add(venue)
    start = timezone.make_aware(dt.datetime.combine(world.menu.date, dt.time(11, 0)))
    activity = ActivityFactory(street=world.street, place=venue, start=start, end=start + dt.timedelta(hours=2))
    user = world.resident()
    waiting = world.resident()
    BookingFactory(activity=activity, user=waiting, status="waitlisted")

    resp = post_order(client, user, world.body((world.rice, 1), activity_id=activity.pk))
    assert resp.status_code == 403 and resp.json()["code"] == "not_eligible"
    resp = post_order(client, waiting, world.body((world.rice, 1), activity_id=activity.pk))
    assert resp.json()["code"] == "not_eligible"  # a waitlist place is not a seat

    BookingFactory(activity=activity, user=user, status="confirmed")
    resp = post_order(client, user, world.body((world.rice, 1), activity_id=activity.pk))
    assert resp.status_code == 201, resp.content
    detail = client.get(f"/api/v1/meals/orders/{resp.json()['order_id']}", **auth(user)).json()
    assert detail["destination"]["type"] == "activity"
    assert detail["destination"]["activity"] == {"id": activity.pk, "title": activity.title}
    assert detail["destination"]["place"]["id"] == venue.pk

    other_day = ActivityFactory(
        street=world.street, place=venue, start=start + dt.timedelta(days=1), end=start + dt.timedelta(days=1, hours=2)
    )
    BookingFactory(activity=other_day, user=user, status="confirmed")
    resp = post_order(client, user, world.body((world.rice, 1), activity_id=other_day.pk))
    assert resp.status_code == 422 and resp.json()["code"] == "validation_error"

    unserved = PlaceFactory(street=world.street, name="远处场地")
    far = ActivityFactory(street=world.street, place=unserved, start=start, end=start + dt.timedelta(hours=1))
    BookingFactory(activity=far, user=user, status="checked_in")
    resp = post_order(client, user, world.body((world.rice, 1), activity_id=far.pk))
    assert resp.json()["code"] == "destination_not_served"


def test_home_delivery_only_for_registered_residents_with_compound_coordinates(client, world):
    user = world.resident()
    resp = post_order(client, user, world.body((world.soup, 1), home=True))
    assert resp.status_code == 403 and resp.json()["code"] == "not_eligible"

    compound = Compound.objects.create(
        street=world.street,
        external_id="C1",
        name="兰溪小区",
        address="兰溪路1号",
        geometry={"type": "Point", "coordinates": [121.39, 31.25]},
        lat=31.25,
        lng=121.39,
    )
    profile = MealProfile.objects.create(
        user=user, street=world.street, home_delivery=False, compound=compound, home_address="兰溪路1号3室"
    )
    assert post_order(client, user, world.body((world.soup, 1), home=True)).json()["code"] == "not_eligible"
    profile.home_delivery = True
    profile.save()
    resp = post_order(client, user, world.body((world.soup, 1), home=True))
    assert resp.status_code == 201, resp.content
    order = Order.objects.get(pk=resp.json()["order_id"])
    assert (order.destination_type, order.home_address, order.home_lat, order.home_lng) == (
        "home",
        "兰溪路1号3室",
        31.25,
        121.39,
    )
    world.kitchen.home_delivery = False
    world.kitchen.save()
    assert post_order(client, user, world.body((world.soup, 1), home=True)).json()["code"] == "destination_not_served"


# -------------------------------------------------------------------------------------------- refusals


def test_sold_out_names_the_dish_and_what_is_left(client, world):
    user = world.resident(balance_fen=100_000)
    assert post_order(client, user, world.body((world.fish, 2))).status_code == 201
    resp = post_order(client, user, world.body((world.soup, 1), (world.fish, 2)))
    assert resp.status_code == 409
    problem = resp.json()
    assert problem["code"] == "sold_out" and problem["dish"] == "清蒸鱼" and problem["remaining"] == 1
    assert "清蒸鱼" in problem["detail"] and "1" in problem["detail"]
    # nothing of the refused order stays: no soup taken, no charge, no order
    assert (sold(world.fish), sold(world.soup)) == (2, 0)
    assert Order.objects.count() == 1 and wallet_balance(user=user) == 100_000 - 4400
    assert post_order(client, user, world.body((world.fish, 1))).status_code == 201
    again = post_order(client, user, world.body((world.fish, 1))).json()
    assert again["code"] == "sold_out" and again["remaining"] == 0 and sold(world.fish) == 3


def test_cut_off_just_before_is_open_at_and_after_is_closed(world):
    user = world.resident(balance_fen=100_000)
    cutoff = world.menu.cutoff_at
    body = world.body((world.soup, 1))
    order = order_services.order_create(user=user, now=cutoff - dt.timedelta(microseconds=1), **body)
    assert order.status == "placed"
    for now in (cutoff, cutoff + dt.timedelta(seconds=1)):
        with pytest.raises(order_services.Problem) as exc:
            order_services.order_create(user=user, now=now, **body)
        assert exc.value.code == "after_cutoff"


def test_after_cutoff_through_the_api_and_on_a_locked_menu(client, world):
    user = world.resident()
    world.menu.cutoff_at = timezone.now() - dt.timedelta(seconds=1)
    world.menu.save()
    resp = post_order(client, user, world.body((world.soup, 1)))
    assert resp.status_code == 409 and resp.json()["code"] == "after_cutoff"
    world.menu.cutoff_at = timezone.now() + dt.timedelta(hours=1)
    world.menu.status = "locked"
    world.menu.save()
    assert post_order(client, user, world.body((world.soup, 1))).json()["code"] == "after_cutoff"


def test_insufficient_balance_charges_nothing_and_takes_no_portion(client, world):
    user = world.resident(balance_fen=1499)
    resp = post_order(client, user, world.body((world.rice, 1)))
    assert resp.status_code == 402
    problem = resp.json()
    assert problem["code"] == "insufficient_balance" and problem["balance_fen"] == 1499
    assert problem["needed_fen"] == 1500
    assert sold(world.rice) == 0 and Order.objects.count() == 0 and wallet_balance(user=user) == 1499
    broke = world.resident(balance_fen=0)
    assert post_order(client, broke, world.body((world.rice, 1))).json()["code"] == "insufficient_balance"


def test_elder_set_meal_needs_60_and_a_birth_year(client, world):
    elder_set = MenuItemFactory(menu=world.menu, dish__name="长者套餐", price_fen=1000, is_elder_discount_set=True)
    young = world.resident(birth_year=timezone.localdate().year - 45)
    unknown = world.resident(birth_year=None)
    elder = world.resident(birth_year=timezone.localdate().year - 60)
    for user in (young, unknown):
        resp = post_order(client, user, world.body((elder_set, 1)))
        assert resp.status_code == 403 and resp.json()["code"] == "not_eligible"
    assert post_order(client, elder, world.body((elder_set, 1))).status_code == 201


def test_menu_not_available(client, world):
    user = world.resident()
    # no such menu item
    assert post_order(
        client, user, world.body((world.soup, 1)) | {"items": [{"menu_item_id": 999999, "quantity": 1}]}
    ).json()["code"] == ("menu_not_available")
    # the item is on another date's menu
    body = world.body((world.soup, 1))
    body["date"] = (world.menu.date + dt.timedelta(days=1)).isoformat()
    resp = post_order(client, user, body)
    assert resp.status_code == 404 and resp.json()["code"] == "menu_not_available"
    body = world.body((world.soup, 1)) | {"slot": "dinner"}
    assert post_order(client, user, body).json()["code"] == "menu_not_available"
    # a draft menu
    world.menu.status = "draft"
    world.menu.save()
    assert post_order(client, user, world.body((world.soup, 1))).json()["code"] == "menu_not_available"
    assert wallet_balance(user=user) == 10_000


def test_items_from_two_menus_are_refused(client, world):
    other_kitchen = KitchenFactory(street=world.street, serves=[world.meal_point])
    other_menu = MenuFactory(kitchen=other_kitchen, date=world.menu.date)
    noodles = MenuItemFactory(menu=other_menu, dish__name="阳春面", price_fen=800)
    user = world.resident()
    resp = post_order(client, user, world.body((world.soup, 1), (noodles, 1)))
    assert resp.status_code == 422 and resp.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[]",
        b'"text"',
        b'{"date": "2026-13-40", "slot": "lunch", "destination": {"place_id": 1}, "items": [{"menu_item_id": 1}]}',
        b'{"date": 20261201, "slot": "lunch", "destination": {"place_id": 1}, "items": []}',
        b'{"date": "2026-12-01", "slot": "supper", "destination": {"place_id": 1}, "items": [{"menu_item_id": 1}]}',
        b'{"date": "2026-12-01", "slot": "lunch", "destination": {}, "items": [{"menu_item_id": 1}]}',
        b'{"date": "2026-12-01", "slot": "lunch", "destination": {"place_id": 1, "home": true}, '
        b'"items": [{"menu_item_id": 1}]}',
        b'{"date": "2026-12-01", "slot": "lunch", "destination": {"home": false}, "items": [{"menu_item_id": 1}]}',
        b'{"date": "2026-12-01", "slot": "lunch", "destination": "home", "items": [{"menu_item_id": 1}]}',
        b'{"date": "2026-12-01", "slot": "lunch", "destination": {"place_id": "x"}, "items": [{"menu_item_id": 1}]}',
        b'{"date": "2026-12-01", "slot": "lunch", "destination": {"place_id": 1}, "items": "rice"}',
        b'{"date": "2026-12-01", "slot": "lunch", "destination": {"place_id": 1}, "items": [{"quantity": 1}]}',
        b'{"date": "2026-12-01", "slot": "lunch", "destination": {"place_id": 1}, '
        b'"items": [{"menu_item_id": 1, "quantity": 0}]}',
        b'{"date": "2026-12-01", "slot": "lunch", "destination": {"place_id": 1}, '
        b'"items": [{"menu_item_id": 1, "quantity": 11}]}',
        b'{"date": "2026-12-01", "slot": "lunch", "destination": {"place_id": 1}, '
        b'"items": [{"menu_item_id": 1, "quantity": "many"}]}',
        b'{"date": "2026-12-01", "slot": "lunch", "destination": {"place_id": 1}, '
        b'"items": [{"menu_item_id": 1, "half": "maybe"}]}',
    ],
)
def test_malformed_input_is_a_validation_problem_never_a_500(client, world, raw):
    user = world.resident()
    for path in ("/api/v1/meals/orders", "/api/v1/meals/quote"):
        resp = client.post(
            path, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex, **auth(user)
        )
        unparseable = raw == b"{not json"  # 400: not JSON at all; 422: JSON, but not an order
        assert resp.status_code == (400 if unparseable else 422), (path, raw, resp.content)
        assert resp.json()["code"] == "validation_error"
    assert Order.objects.count() == 0 and wallet_balance(user=user) == 10_000


def test_merged_duplicates_may_not_pass_ten(client, world):
    user = world.resident(balance_fen=100_000)
    resp = post_order(client, user, world.body((world.soup, 6), (world.soup, 5)))
    assert resp.status_code == 422 and resp.json()["code"] == "validation_error"
    assert post_order(client, user, world.body((world.soup, 6), (world.soup, 4))).status_code == 201
    assert sold(world.soup) == 10


def test_half_portion_of_a_dish_without_one_is_refused(client, world):
    user = world.resident()
    resp = post_order(client, user, world.body((world.fish, 1, True)))
    assert resp.status_code == 422 and resp.json()["code"] == "validation_error"


def test_ordering_needs_sign_in_and_an_idempotency_key(client, world):
    user = world.resident()
    resp = post_order(client, user, world.body((world.soup, 1)), headers={})
    assert resp.status_code == 401 and resp.json()["code"] == "not_authenticated"
    resp = post_order(client, user, world.body((world.soup, 1)), key=False)
    assert resp.status_code == 422 and resp.json()["code"] == "validation_error"
    assert resp.json()["errors"][0]["field"] == "Idempotency-Key"
    assert Order.objects.count() == 0


# ----------------------------------------------------------------------------------------- idempotency


def test_same_key_same_order_one_charge(client, world):
    user = world.resident()
    body = world.body((world.rice, 1))
    first = post_order(client, user, body, key="tap-1")
    second = post_order(client, user, body, key="tap-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"
    assert Order.objects.filter(user=user).count() == 1 and sold(world.rice) == 1
    assert WalletEntry.objects.filter(kind="charge", wallet__user=user).count() == 1
    assert wallet_balance(user=user) == 10_000 - 1500
    third = post_order(client, user, body, key="tap-2")
    assert third.json()["order_id"] != first.json()["order_id"]


def test_a_key_reused_with_another_order_is_refused_not_replayed(client, world):
    """An Idempotency-Key means one request: the same key with other items is a client bug, answered 422
    `idempotency_key_reused`, and neither order's answer is swapped for the other's (issue 13 item 3)."""
    user = world.resident()
    first = post_order(client, user, world.body((world.rice, 1)), key="tap-1")
    assert first.status_code == 201
    other = post_order(client, user, world.body((world.fish, 2)), key="tap-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert Order.objects.filter(user=user).count() == 1 and sold(world.fish) == 0
    # The same order again, its JSON keys in another order, is still the same request: replayed.
    body = world.body((world.rice, 1))
    reordered = json.dumps(dict(reversed(list(body.items()))))
    again = client.post(
        "/api/v1/meals/orders", reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="tap-1", **auth(user)
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"


def test_a_refusal_is_replayed_too(client, world):
    user = world.resident(balance_fen=100)
    first = post_order(client, user, world.body((world.rice, 1)), key="k")
    wallet_topup_amount = 10_000
    from linli.meals.services.wallet import wallet_topup

    wallet_topup(user=user, amount_fen=wallet_topup_amount, actor=None)
    second = post_order(client, user, world.body((world.rice, 1)), key="k")
    assert first.json()["code"] == second.json()["code"] == "insufficient_balance"
    assert Order.objects.count() == 0


# ---------------------------------------------------------------------------------------------- cancel


def test_resident_cancels_before_cutoff_full_refund_portions_back(client, world):
    PricingTierFactory(street=world.street, name="60+九折", min_age=60, value=10)
    user = world.resident()
    created = post_order(client, user, world.body((world.rice, 2), (world.fish, 1))).json()
    assert wallet_balance(user=user) == 10_000 - created["total_fen"]
    resp = client.delete(f"/api/v1/meals/orders/{created['order_id']}?reason=改主意", **auth(user))
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["status"] == "cancelled"
    assert [(e["from_status"], e["to_status"]) for e in body["timeline"]] == [("", "placed"), ("placed", "cancelled")]
    assert wallet_balance(user=user) == 10_000
    refund = WalletEntry.objects.get(order_id=created["order_id"], kind="refund")
    assert refund.amount_fen == created["total_fen"]
    assert (sold(world.rice), sold(world.fish)) == (0, 0)
    # twice: refused, no second refund
    again = client.delete(f"/api/v1/meals/orders/{created['order_id']}", **auth(user))
    assert again.status_code == 409 and again.json()["code"] == "order_invalid_transition"
    assert WalletEntry.objects.filter(order_id=created["order_id"], kind="refund").count() == 1
    assert OutboxSmsBackend.outbox == []  # the resident cancelled themselves: no SMS


def test_resident_cannot_cancel_after_cutoff_staff_can_refund(client, world, django_capture_on_commit_callbacks):
    user = world.resident()
    created = post_order(client, user, world.body((world.rice, 1))).json()
    world.menu.cutoff_at = timezone.now() - dt.timedelta(minutes=1)
    world.menu.save()
    resp = client.delete(f"/api/v1/meals/orders/{created['order_id']}", **auth(user))
    assert resp.status_code == 409 and resp.json()["code"] == "after_cutoff"
    order = Order.objects.get(pk=created["order_id"])
    order_transition(order=order, to_status="locked", note="cut-off")
    assert client.delete(f"/api/v1/meals/orders/{order.pk}", **auth(user)).json()["code"] == "after_cutoff"
    assert wallet_balance(user=user) == 10_000 - 1500

    staff = world.resident(balance_fen=0)
    RoleAssignment.objects.create(user=staff, street=world.street, role="station_staff")
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.delete(f"/api/v1/meals/orders/{order.pk}?reason=厨房停电", **auth(staff))
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "refunded"
    assert wallet_balance(user=user) == 10_000 and sold(world.rice) == 0
    assert len(OutboxSmsBackend.outbox) == 1
    sms = OutboxSmsBackend.outbox[0]
    assert sms.phone == user.phone and "15.00" in sms.message and "厨房停电" in sms.message


def test_staff_cannot_refund_a_delivered_order_and_other_streets_staff_see_nothing(client, world):
    user = world.resident()
    created = post_order(client, user, world.body((world.rice, 1))).json()
    outsider = world.resident(balance_fen=0)
    other = build_world(code="otherjie")
    RoleAssignment.objects.create(user=outsider, street=other.street, role="admin")
    stranger = world.resident(balance_fen=0)
    for who in (outsider, stranger):
        assert client.get(f"/api/v1/meals/orders/{created['order_id']}", **auth(who)).status_code == 404
        assert client.delete(f"/api/v1/meals/orders/{created['order_id']}", **auth(who)).status_code == 404
    assert Order.objects.get(pk=created["order_id"]).status == "placed"

    admin = world.resident(balance_fen=0)
    RoleAssignment.objects.create(user=admin, street=world.street, role="admin")
    assert client.get(f"/api/v1/meals/orders/{created['order_id']}", **auth(admin)).status_code == 200
    order = Order.objects.get(pk=created["order_id"])
    for status in ("locked", "in_production", "delivered"):
        order_transition(order=order, to_status=status)
    resp = client.delete(f"/api/v1/meals/orders/{order.pk}", **auth(admin))
    assert resp.status_code == 409 and resp.json()["code"] == "order_invalid_transition"
    assert wallet_balance(user=user) == 10_000 - 1500


def test_kitchen_operator_may_read_but_not_cancel(client, world):
    user = world.resident()
    created = post_order(client, user, world.body((world.rice, 1))).json()
    operator = world.resident(balance_fen=0)
    RoleAssignment.objects.create(user=operator, street=world.street, role="kitchen_operator")
    assert client.get(f"/api/v1/meals/orders/{created['order_id']}", **auth(operator)).status_code == 200
    resp = client.delete(f"/api/v1/meals/orders/{created['order_id']}", **auth(operator))
    assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"


# ----------------------------------------------------------------------------------------------- lists


def test_my_meal_orders_upcoming_and_past(client, world):
    user = world.resident(balance_fen=100_000)
    upcoming = post_order(client, user, world.body((world.soup, 1))).json()["order_id"]
    past_world = build_world(code="pastjie", date=timezone.localdate() - dt.timedelta(days=2))
    wallet_topup(user=user, amount_fen=1000, actor=None, street=past_world.street)  # that street's wallet pays
    past_order = order_services.order_create(
        user=user, now=past_world.menu.cutoff_at - dt.timedelta(hours=5), **past_world.body((past_world.soup, 1))
    )
    someone_else = world.resident()
    post_order(client, someone_else, world.body((world.soup, 1)))

    def ids(query=""):
        return [o["order_id"] for o in client.get(f"/api/v1/me/meal-orders{query}", **auth(user)).json()]

    assert ids() == [upcoming, past_order.pk]
    assert ids("?when=upcoming") == [upcoming]
    assert ids("?when=past") == [past_order.pk]
    assert client.get("/api/v1/me/meal-orders?when=soon", **auth(user)).json()["code"] == "validation_error"
    # A page at a time (years of lunches stay one answer's size): the latest first, then the next page
    assert ids("?page_size=1") == [upcoming]
    assert ids("?page_size=1&page=2") == [past_order.pk]
    assert ids("?page_size=1&page=3") == []
    assert client.get("/api/v1/me/meal-orders?page_size=101", **auth(user)).json()["code"] == "validation_error"


def test_wallet_row_equals_ledger_after_a_day_of_orders(client, world):
    user = world.resident(balance_fen=20_000)
    a = post_order(client, user, world.body((world.rice, 2))).json()
    post_order(client, user, world.body((world.soup, 3))).json()
    client.delete(f"/api/v1/meals/orders/{a['order_id']}", **auth(user))
    wallet = Wallet.objects.get(user=user)
    entries = list(WalletEntry.objects.filter(wallet=wallet).order_by("at", "id"))
    assert wallet.balance_fen == sum(e.amount_fen for e in entries) == entries[-1].balance_after_fen == 20_000 - 1500
