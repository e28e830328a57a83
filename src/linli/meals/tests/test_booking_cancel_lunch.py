"""Cancelling a booking with a lunch ordered to its venue: the cancel form asks what to do with the lunch (cancel
it with a refund, or send it to a meal point the kitchen serves, the usual one first); after the cut-off it says
the lunch still comes; without a choice the lunch stays."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from linli.activities.models import Booking, BookingStatus
from linli.activities.services.bookings import booking_cancel, booking_create
from linli.core.testing import with_fragments
from linli.meals.models import Menu, Order, OrderStatus
from linli.meals.services.wallet import wallet_balance
from linli.meals.tests.factories_resident import activity_on_menu_day, client_for, text

pytestmark = pytest.mark.django_db


def _booked_with_lunch(meals):
    activity = activity_on_menu_day(meals, place=meals.venue, end=dt.time(11, 30))
    user = meals.resident()
    booking = booking_create(activity=activity, user=user, source="app")
    client = client_for(user)
    form = meals.form((meals.lion, 1), destination=f"activity:{activity.pk}", action="order")
    form["activity"] = str(activity.pk)
    assert client.post(f"/meals/p/{meals.venue.pk}/", form).status_code == 302
    return booking, Order.objects.get(user=user), client


def test_the_cancel_form_asks_about_the_lunch_and_moves_it_to_a_meal_point(meals):
    booking, order, client = _booked_with_lunch(meals)
    url = f"/me/bookings/{booking.pk}/cancel/"
    page = with_fragments(client, text(client.get(url)))
    start = page.index('<form method="post" class="confirm__actions">')
    form = page[start : page.index("</form>", start)]
    assert f'name="lunch_{order.pk}" value="cancel" required' in form
    assert f'value="move:{meals.point.pk}"' in form and "真金路助餐点" in form
    assert f'value="move:{meals.venue.pk}"' not in form  # not back to the venue itself
    resp = client.post(url, {f"lunch_{order.pk}": f"move:{meals.point.pk}"})
    assert resp.status_code == 302
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED and order.destination_type == "place"
    assert order.destination_place_id == meals.point.pk and order.activity_id is None
    assert order.events.filter(note__contains="真金路助餐点").exists()


def test_choosing_cancel_cancels_the_lunch_with_a_refund(meals):
    booking, order, client = _booked_with_lunch(meals)
    before = wallet_balance(user=order.user)
    client.post(f"/me/bookings/{booking.pk}/cancel/", {f"lunch_{order.pk}": "cancel"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert wallet_balance(user=order.user) == before + order.total_fen


def test_a_point_the_kitchen_does_not_serve_cancels_nothing(meals):
    booking, order, client = _booked_with_lunch(meals)
    resp = client.post(f"/me/bookings/{booking.pk}/cancel/", {f"lunch_{order.pk}": f"move:{meals.unserved.pk}"})
    assert resp.status_code == 409
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED
    order.refresh_from_db()
    assert order.destination_place_id == meals.venue.pk


def test_without_a_choice_the_lunch_stays(meals):
    booking, order, _client = _booked_with_lunch(meals)
    booking_cancel(booking=booking, actor=order.user, reason="api")
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED and order.destination_place_id == meals.venue.pk


def test_after_the_cutoff_the_form_says_the_lunch_still_comes(meals):
    booking, order, client = _booked_with_lunch(meals)
    Menu.objects.filter(pk=order.menu_id).update(cutoff_at=timezone.now() - dt.timedelta(minutes=1))
    page = with_fragments(client, text(client.get(f"/me/bookings/{booking.pk}/cancel/")))
    assert "仍会送到「第一居民区党群服务站」" in page and not re.search(r'name="lunch_\d+"', page)
    assert client.post(f"/me/bookings/{booking.pk}/cancel/", {f"lunch_{order.pk}": "cancel"}).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_no_lunch_no_question(meals):
    activity = activity_on_menu_day(meals, place=meals.venue, end=dt.time(11, 30))
    user = meals.resident()
    booking = booking_create(activity=activity, user=user, source="app")
    client = client_for(user)
    assert 'id="cancel-lunch"' not in with_fragments(client, text(client.get(f"/me/bookings/{booking.pk}/cancel/")))
