"""A new elderly resident's first steps: the elders' activity asks for the birth year and links to where it is
set, "我的" takes it and sends them back, the booking goes through, "我的" names the elder tier, and the lunch to
the venue is at the elder price."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.utils import timezone

from linli.activities.models import Booking, BookingStatus
from linli.core.testing import with_fragments
from linli.meals.models import Order
from linli.meals.tests.factories_resident import activity_on_menu_day, client_for, text

pytestmark = pytest.mark.django_db


def test_new_elder_sets_birth_year_from_the_refusal_books_and_gets_the_elder_price(meals):
    activity = activity_on_menu_day(meals, place=meals.venue, end=dt.time(11, 30))
    type(activity).objects.filter(pk=activity.pk).update(audience="elderly")
    user = meals.resident(age=None)
    client = client_for(user)
    page = f"/activities/{activity.pk}/"

    refused = client.post(page)
    assert refused.status_code == 403
    html = text(refused)
    assert 'data-code="audience_mismatch"' in html
    fix = re.search(r'id="problem-fix" href="([^"]+)"', html)
    assert fix is not None
    assert fix.group(1) == f"/me/?next={quote(page)}#row-birth_year"

    me = with_fragments(client, text(client.get(fix.group(1).split("#")[0])))
    assert 'name="birth_year"' in me and "填写出生年份后，60岁以上自动享受长者价" in me
    saved = client.post("/me/", {"birth_year": str(timezone.localdate().year - 76), "next": page})
    assert saved.status_code == 302 and saved["Location"] == page

    booked = client.post(page)
    assert booked.status_code == 302
    assert Booking.objects.get(user=user, activity=activity).status == BookingStatus.CONFIRMED

    me = with_fragments(client, text(client.get("/me/")))
    tier = re.search(r'<p id="elder-tier-mine" data-tier="(\d+)">([^<]+)</p>', me)
    assert tier is not None and "70岁以上八折" in tier.group(2) and "76" in tier.group(2)

    form = meals.form((meals.lion, 1), destination=f"activity:{activity.pk}", action="order")
    form["activity"] = str(activity.pk)
    assert client.post(f"/meals/p/{meals.venue.pk}/", form).status_code == 302
    order = Order.objects.get(user=user)
    assert (order.list_fen, order.discount_fen, order.total_fen) == (1200, 240, 960)
    assert order.activity_id == activity.pk


def test_elder_set_refusal_links_to_the_birth_year_only_when_it_is_missing(meals):
    client = client_for(meals.resident(age=None))
    html = text(client.post(meals.menu_url, meals.form((meals.elder_set, 1), action="order")))
    assert 'data-code="not_eligible"' in html and 'id="problem-fix"' in html
    young = client_for(meals.resident(age=30))
    html = text(young.post(meals.menu_url, meals.form((meals.elder_set, 1), action="order")))
    assert 'data-code="not_eligible"' in html and 'id="problem-fix"' not in html


def test_me_names_no_tier_below_the_first_age(meals):
    client = client_for(meals.resident(age=45))
    me = with_fragments(client, text(client.get("/me/")))
    assert "长者价从60岁起" in me and "data-tier=" not in me
