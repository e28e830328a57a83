"""The resident's meals pages with Django's test client: choosing a meal point, a place's menu with the basket
and bill, ordering through the page form, each refusal shown in plain words, "where is my lunch", cancelling,
the wallet, elder mode, tenancy, the links from other pages and the activity page's lunch offer."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from linli.activities.models import BookingStatus
from linli.activities.services.bookings import booking_create
from linli.activities.tests.factories import ActivityFactory
from linli.core.testing import with_fragments
from linli.meals.models import MealProfile, MenuItem, Order, OrderStatus, Wallet
from linli.meals.services import orders as order_services
from linli.meals.services.order_states import order_transition
from linli.meals.services.wallet import wallet_balance
from linli.meals.tests.factories import (
    PlaceFactory,
)
from linli.meals.tests.factories_resident import client_for, text

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------------- choose a meal point


def test_meal_points_list_shows_served_points_with_their_kitchen(meals):
    response = client_for().get("/meals/?street=canjie")
    assert response.status_code == 200
    html = text(response)
    assert "真金路助餐点" in html
    assert "万里中央厨房" in html  # the kitchen that serves it
    assert "没人送的助餐点" not in html  # nobody delivers there: nothing to order
    assert f'href="/meals/p/{meals.point.pk}/"' in html


def test_meal_points_usual_one_first_for_a_resident_who_ordered_there(meals):
    user = meals.resident()
    order_services.order_create(
        user=user,
        date=meals.menu.date,
        slot="lunch",
        destination={"place_id": meals.point.pk},
        items=[{"menu_item_id": meals.greens.pk, "quantity": 1, "half": False}],
    )
    html = text(client_for(user).get("/meals/"))
    assert f'id="usual-point" href="/meals/p/{meals.point.pk}/"' in html
    assert 'id="usual-point"' not in text(client_for(meals.resident()).get("/meals/"))


def test_meal_points_sorted_by_distance_from_origin(meals):
    far = PlaceFactory(street=meals.street, kind="meal_point", name="远处助餐点", lat=31.30, lng=121.45)
    meals.kitchen.serves.add(far)
    html = text(client_for().get("/meals/?street=canjie&from=31.2999,121.4499"))
    assert html.index("远处助餐点") < html.index("真金路助餐点")


# ------------------------------------------------------------------------------------------- the menu


def test_anonymous_can_browse_the_menu_with_prices_tags_allergens_and_remaining(meals):
    response = client_for().get(meals.menu_url)
    assert response.status_code == 200
    html = text(response)
    dish = html.split(f'id="dish-{meals.lion.pk}"')[1].split("</li>")[0]
    assert "红烧狮子头" in dish and "¥12.00" in dish
    assert "半份 ¥7.00" in dish
    assert "软烂" in dish
    assert "大豆" in dish and "蛋类" in dish  # allergens in plain words
    assert "还剩 5 份" in dish
    greens = html.split(f'id="dish-{meals.greens.pk}"')[1].split("</li>")[0]
    assert "少盐" in greens and "不限量" in greens and "半份" not in greens
    assert "长者优惠套餐" in html
    assert 'id="login-to-order"' in html and 'id="place-order"' not in html


def test_day_tabs_cover_today_and_the_next_seven_days(meals):
    html = text(client_for().get(meals.menu_url))
    tabs = re.findall(r'class="day-tab"[^>]*data-date="([0-9-]+)"', html)
    today = timezone.localdate()
    assert tabs == [(today + dt.timedelta(days=n)).isoformat() for n in range(8)]
    assert f'data-date="{meals.menu.date.isoformat()}"' in html


def test_a_day_without_menu_says_so(meals):
    html = text(client_for().get(f"/meals/p/{meals.point.pk}/?date={timezone.localdate().isoformat()}"))
    assert 'id="no-menu"' in html


def test_unknown_place_is_404(meals):
    assert client_for().get("/meals/p/999999/").status_code == 404


def test_add_button_without_javascript_puts_the_dish_in_the_bill_with_discounts(meals):
    user = meals.resident(age=75, balance_fen=3000)
    response = client_for(user).post(f"/meals/p/{meals.point.pk}/", meals.form(add=str(meals.lion.pk), destination=""))
    assert response.status_code == 200
    bill = text(response).split('id="bill"')[1].split('id="quote"')[0]
    assert "红烧狮子头 × 1" in bill
    assert 'id="bill-list">¥12.00' in bill
    assert "70岁以上八折" in bill and "−¥2.40" in bill  # the highest age tier reached, only that one
    assert "九折" not in bill
    assert 'id="bill-total" data-fen="960">¥9.60' in bill
    assert "¥30.00" in bill  # wallet balance shown


def test_quote_for_htmx_returns_only_the_bill(meals):
    user = meals.resident(age=30)
    response = client_for(user).post(
        f"/meals/p/{meals.point.pk}/",
        meals.form((meals.lion, 2), (meals.lion, 1, True), action="quote"),
        HTTP_HX_REQUEST="true",
    )
    html = text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div class="bill" id="bill"')
    assert "<html" not in html
    assert 'data-fen="3100"' in html  # 2 × 12.00 + half 7.00, no discount under 60


def test_order_through_the_page_form_creates_the_order_and_shows_the_pickup_code(meals):
    user = meals.resident(age=75, balance_fen=5000)
    response = client_for(user).post(
        f"/meals/p/{meals.point.pk}/", meals.form((meals.lion, 1), (meals.greens, 2), action="order")
    )
    assert response.status_code == 302
    order = Order.objects.get(user=user)
    assert response["Location"] == f"/me/meals/?placed={order.pk}#order-{order.pk}"
    assert order.destination_place_id == meals.point.pk and order.status == OrderStatus.PLACED
    assert order.list_fen == 2200 and order.total_fen == 1760
    assert wallet_balance(user=user) == 5000 - 1760
    assert MenuItem.objects.get(pk=meals.lion.pk).sold == 1
    page = text(client_for(user).get(response["Location"]))
    assert 'id="placed-notice"' in page
    assert f'id="pickup-{order.pk}">{order.pickup_code}<' in page
    assert "真金路助餐点" in page


def test_anonymous_order_goes_to_sign_in_and_creates_nothing(meals):
    response = client_for().post(f"/meals/p/{meals.point.pk}/", meals.form((meals.greens, 1), action="order"))
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert not Order.objects.exists()


def test_order_with_an_empty_basket_is_refused_on_the_page(meals):
    user = meals.resident()
    response = client_for(user).post(f"/meals/p/{meals.point.pk}/", meals.form(action="order"))
    assert response.status_code == 422
    assert "请先选择菜品" in text(response)
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("case", "status", "code", "words"),
    [
        ("balance", 402, "insufficient_balance", "余额不足"),
        ("sold_out", 409, "sold_out", "只剩 5 份"),
        ("after_cutoff", 409, "after_cutoff", "已过截单时间"),
        ("elder_set_young", 403, "not_eligible", "长者优惠套餐"),
        ("not_served", 409, "destination_not_served", "不送到您选的地点"),
        ("home_not_registered", 403, "not_eligible", "送餐上门"),
    ],
)
def test_each_refusal_is_shown_in_plain_chinese_and_nothing_is_written(meals, case, status, code, words):
    user = meals.resident(age=40 if case == "elder_set_young" else 75, balance_fen=100 if case == "balance" else 50_000)
    form = meals.form((meals.greens, 1), action="order")
    if case == "sold_out":
        form = meals.form((meals.lion, 6), action="order")
    elif case == "after_cutoff":
        type(meals.menu).objects.filter(pk=meals.menu.pk).update(cutoff_at=timezone.now() - dt.timedelta(minutes=1))
    elif case == "elder_set_young":
        form = meals.form((meals.elder_set, 1), action="order")
    elif case == "not_served":
        form["destination"] = f"place:{meals.unserved.pk}"
    elif case == "home_not_registered":
        form["destination"] = "home"
    before = wallet_balance(user=user)
    response = client_for(user).post(f"/meals/p/{meals.point.pk}/", form)
    assert response.status_code == status
    html = text(response)
    assert f'data-code="{code}"' in html
    assert words in html
    assert not Order.objects.exists()
    assert wallet_balance(user=user) == before
    assert MenuItem.objects.get(pk=meals.lion.pk).sold == 0


def test_after_the_cutoff_the_menu_shows_closed_and_no_order_button(meals):
    type(meals.menu).objects.filter(pk=meals.menu.pk).update(cutoff_at=timezone.now() - dt.timedelta(minutes=1))
    html = text(client_for(meals.resident()).get(meals.menu_url))
    assert 'id="closed"' in html
    assert 'id="place-order"' not in html and 'name="add"' not in html


def test_home_delivery_offered_only_to_registered_residents(meals):
    plain = meals.resident()
    assert 'value="home"' not in text(client_for(plain).get(meals.menu_url))
    registered = meals.resident(age=91)
    MealProfile.objects.create(
        user=registered, street=meals.street, hardships=["living_alone"], home_delivery=True, home_address="真金路1号"
    )
    html = text(client_for(registered).get(meals.menu_url))
    assert 'value="home"' in html
    response = client_for(registered).post(
        f"/meals/p/{meals.point.pk}/", meals.form((meals.greens, 1), destination="home", action="order")
    )
    assert response.status_code == 302
    order = Order.objects.get(user=registered)
    assert order.destination_type == "home"
    # 500 list, 90+ not configured here: 70+ takes 100, then the living-alone subsidy 200 of what is left.
    assert order.total_fen == 200


def test_elder_mode_pages(meals):
    user = meals.resident()
    for url in ("/meals/?street=canjie", meals.menu_url, "/me/meals/"):
        html = text(client_for(user, elder=True).get(url))
        assert re.search(r'<html[^>]*class="elder"', html), url
    assert not re.search(r'<html[^>]*class="elder"', text(client_for(user).get(meals.menu_url)))


def test_pages_have_no_inline_scripts(meals):
    user = meals.resident()
    for url in ("/meals/?street=canjie", meals.menu_url, "/me/meals/"):
        html = text(client_for(user).get(url))
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, (url, tag)


# ------------------------------------------------------------------------------- my orders, the wallet


def _order(meals, user, *items, destination=None):
    return order_services.order_create(
        user=user,
        date=meals.menu.date,
        slot="lunch",
        destination=destination or {"place_id": meals.point.pk},
        items=[{"menu_item_id": i.pk, "quantity": 1, "half": False} for i in items or (meals.greens,)],
    )


def test_my_orders_shows_the_steps_with_times_and_the_wallet_ledger(meals):
    user = meals.resident(age=30, balance_fen=2000)
    order = _order(meals, user, meals.lion)
    order_transition(order=order, to_status=OrderStatus.LOCKED, actor=None, note="截单")
    html = text(client_for(user).get("/me/meals/"))
    card = html.split(f'id="order-{order.pk}"')[1].split("</article>")[0]
    assert "已截单" in card
    locked = card.split('data-step="locked"')[1].split("</li>")[0]
    assert re.search(r'step__at">\d\d:\d\d<', locked)
    assert "step--todo" in card.split('data-step="in_production"')[0].rsplit("<li", 1)[1]
    assert f'id="cancel-{order.pk}"' not in card  # locked: too late to cancel
    wallet = html.split('id="wallet"')[1]
    assert 'id="balance">¥8.00' in wallet
    assert "-12.00" in wallet and "+20.00" in wallet


def test_cancel_before_the_cutoff_refunds(meals):
    user = meals.resident(age=30, balance_fen=2000)
    order = _order(meals, user, meals.lion)
    client = client_for(user)
    assert f'id="cancel-{order.pk}"' in text(client.get("/me/meals/"))
    response = client.post(f"/me/meals/orders/{order.pk}/cancel/")
    assert response.status_code == 302 and response["Location"] == "/me/meals/?cancelled=1"
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert wallet_balance(user=user) == 2000
    assert MenuItem.objects.get(pk=meals.lion.pk).sold == 0


def test_cancel_after_the_cutoff_is_refused_on_the_page(meals):
    user = meals.resident(age=30)
    order = _order(meals, user)
    type(meals.menu).objects.filter(pk=meals.menu.pk).update(cutoff_at=timezone.now() - dt.timedelta(minutes=1))
    response = client_for(user).post(f"/me/meals/orders/{order.pk}/cancel/")
    assert response.status_code == 409
    assert 'id="problem"' in text(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_another_users_order_is_404_and_cannot_be_cancelled(meals):
    owner = meals.resident()
    order = _order(meals, owner)
    stranger = meals.resident()
    client = client_for(stranger)
    assert client.get(f"/me/meals/orders/{order.pk}/").status_code == 404
    assert client.post(f"/me/meals/orders/{order.pk}/cancel/").status_code == 404
    assert client.post(f"/me/meals/orders/{order.pk}/collect/").status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    assert str(order.pickup_code) not in text(client.get("/me/meals/"))


def test_my_orders_needs_sign_in(meals):
    response = client_for().get("/me/meals/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def _walk_to(order, *statuses):
    for status in statuses:
        order = order_transition(order=order, to_status=status, actor=None)
    return order


def test_delivered_order_can_be_marked_collected_then_rated(meals):
    user = meals.resident()
    order = _walk_to(
        _order(meals, user),
        OrderStatus.LOCKED,
        OrderStatus.IN_PRODUCTION,
        OrderStatus.OUT_FOR_DELIVERY,
        OrderStatus.DELIVERED,
    )
    client = client_for(user)
    html = text(client.get(f"/me/meals/orders/{order.pk}/"))
    assert f'id="collect-{order.pk}"' in html and f'id="rate-{order.pk}"' not in html
    response = client.post(f"/me/meals/orders/{order.pk}/collect/")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.COLLECTED
    html = text(client.get("/me/meals/"))
    assert f'href="/me/meals/orders/{order.pk}/rate/"' in html
    assert f'id="collect-{order.pk}"' not in html


def test_canteen_order_skips_the_delivery_step(meals):
    user = meals.resident()
    order = _walk_to(_order(meals, user), OrderStatus.LOCKED, OrderStatus.IN_PRODUCTION, OrderStatus.DELIVERED)
    html = text(client_for(user).get(f"/me/meals/orders/{order.pk}/"))
    assert "step--skipped" in html.split('data-step="out_for_delivery"')[0].rsplit("<li", 1)[1]


# ------------------------------------------------------------------------------------- links elsewhere


def test_header_links_to_meals_and_place_page_has_order_button(meals):
    html = text(client_for().get(f"/places/{meals.point.pk}/"))
    assert 'id="nav-meals"' in html
    assert f'href="/meals/p/{meals.point.pk}/"' in html
    other = PlaceFactory(street=meals.street, kind="medical_point", name="助医点")
    assert 'id="order-meal"' not in text(client_for().get(f"/places/{other.pk}/"))


# ------------------------------------------------------------------------- the activity's lunch offer


def _activity_on_menu_day(meals, *, place, end: dt.time, start: dt.time = dt.time(9, 30)):
    day = meals.menu.date
    return ActivityFactory(
        street=meals.street,
        place=place,
        title="书法兴趣班",
        start=timezone.make_aware(dt.datetime.combine(day, start)),
        end=timezone.make_aware(dt.datetime.combine(day, end)),
    )


@pytest.mark.parametrize(
    ("end", "served", "offered"),
    [
        (dt.time(11, 0), True, True),
        (dt.time(12, 15), True, True),
        (dt.time(13, 30), True, True),
        (dt.time(10, 45), True, False),
        (dt.time(13, 45), True, False),
        (dt.time(12, 0), False, False),
    ],
)
def test_lunch_offer_only_for_activities_ending_11_to_13_30_at_a_served_venue(meals, end, served, offered):
    place = meals.venue if served else PlaceFactory(street=meals.street, name="无人送餐的场地")
    activity = _activity_on_menu_day(meals, place=place, end=end)
    user = meals.resident()
    client = client_for(user)
    response = client.post(f"/activities/{activity.pk}/")
    assert response.status_code == 302
    detail = with_fragments(client, text(client.get(response["Location"])))
    mine = with_fragments(client, text(client.get("/me/bookings/")))
    link = f"/meals/p/{place.pk}/?date={meals.menu.date.isoformat()}&amp;slot=lunch&amp;activity={activity.pk}"
    assert (link in detail) is offered
    assert ('id="meal-offer"' in detail) is offered
    assert (link in mine) is offered


def test_no_lunch_offer_without_a_lunch_menu_that_day(meals):
    activity = _activity_on_menu_day(meals, place=meals.venue, end=dt.time(12, 0))
    type(meals.menu).objects.filter(pk=meals.menu.pk).update(slot="dinner")
    user = meals.resident()
    booking_create(activity=activity, user=user, source="app")
    client = client_for(user)
    assert 'id="meal-offer"' not in with_fragments(client, text(client.get(f"/activities/{activity.pk}/")))


def test_no_lunch_offer_for_a_waitlisted_booking(meals):
    activity = _activity_on_menu_day(meals, place=meals.venue, end=dt.time(12, 0))
    type(activity).objects.filter(pk=activity.pk).update(capacity=1)
    booking_create(activity=activity, user=meals.resident(), source="app")
    second = meals.resident()
    booking = booking_create(activity=activity, user=second, source="app")
    assert booking.status == BookingStatus.WAITLISTED
    client = client_for(second)
    assert 'id="meal-offer"' not in with_fragments(client, text(client.get(f"/activities/{activity.pk}/")))


def test_offer_link_preselects_the_activity_and_orders_lunch_to_the_venue(meals):
    activity = _activity_on_menu_day(meals, place=meals.venue, end=dt.time(11, 30))
    user = meals.resident()
    booking_create(activity=activity, user=user, source="app")
    client = client_for(user)
    url = f"/meals/p/{meals.venue.pk}/?date={meals.menu.date.isoformat()}&slot=lunch&activity={activity.pk}"
    html = text(client.get(url))
    assert re.search(rf'value="activity:{activity.pk}" checked', html)
    assert "书法兴趣班" in html
    form = meals.form((meals.greens, 1), destination=f"activity:{activity.pk}", action="order")
    form["activity"] = str(activity.pk)
    response = client.post(f"/meals/p/{meals.venue.pk}/", form)
    assert response.status_code == 302
    order = Order.objects.get(user=user)
    assert order.destination_type == "activity"
    assert order.activity_id == activity.pk and order.destination_place_id == meals.venue.pk
    assert "书法兴趣班" in text(client.get("/me/meals/"))


def test_activity_destination_not_offered_without_a_booking(meals):
    activity = _activity_on_menu_day(meals, place=meals.venue, end=dt.time(11, 30))
    user = meals.resident()
    url = f"/meals/p/{meals.venue.pk}/?date={meals.menu.date.isoformat()}&activity={activity.pk}"
    assert f'value="activity:{activity.pk}"' not in text(client_for(user).get(url))
    assert Wallet.objects.filter(user=user).exists()
