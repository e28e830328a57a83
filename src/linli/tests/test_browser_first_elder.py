"""Issue 15's "done when", in a real browser at phone size: a new elderly resident signs in with an SMS code, is
told the elders' activity needs a birth year and goes straight to where it is set, comes back and books, orders
lunch to the venue at the elder price, has the session expire before ordering, signs in again and finishes the
order with the basket kept."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from linli.activities.models import Booking, BookingStatus
from linli.activities.tests.factories import ActivityFactory
from linli.core import ratelimit
from linli.core.models import User
from linli.core.sms import OutboxSmsBackend
from linli.core.testing.browser import PHONE, watch_errors
from linli.meals.models import Order
from linli.meals.services.wallet import wallet_topup
from linli.meals.tests.factories import (
    KitchenFactory,
    MenuFactory,
    MenuItemFactory,
    PlaceFactory,
    PricingTierFactory,
    StreetFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_NUMBER = "13900001948"


def sign_in(page, server) -> None:
    """On the sign-in page: type the phone, take the code from the SMS outbox, type it."""
    page.fill("#id_phone", PHONE_NUMBER)
    before = len(OutboxSmsBackend.outbox)
    page.click("form:has(#id_phone) button[type=submit]")
    page.wait_for_selector("#id_code")
    sent = [m for m in OutboxSmsBackend.outbox[before:] if m.phone.endswith(PHONE_NUMBER)]
    code = re.search(r"\b(\d{6})\b", sent[-1].message).group(1)
    page.fill("#id_code", code)
    page.click("form:has(#id_code) button[type=submit]")


def test_new_elder_books_orders_at_the_elder_price_and_finishes_after_the_session_expires(
    live_server, browser_context_factory, settings
):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    OutboxSmsBackend.clear()
    now = timezone.localtime()
    day = now.date() + dt.timedelta(days=1)
    street = StreetFactory(code="firstjie", name="初见街道")
    venue = PlaceFactory(street=street, kind="party_service_station", name="第一居民区党群服务站")
    point = PlaceFactory(street=street, kind="meal_point", name="真金路助餐点")
    kitchen = KitchenFactory(street=street, place__name="万里中央厨房", serves=[venue, point])
    menu = MenuFactory(kitchen=kitchen, date=day)
    lion = MenuItemFactory(menu=menu, dish__name="红烧狮子头", price_fen=1200, half_price_fen=None, sort_order=1)
    PricingTierFactory(street=street, name="70岁以上八折", min_age=70, value=20)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 30)))
    activity = ActivityFactory(
        street=street,
        place=venue,
        title="长者太极拳",
        audience="elderly",
        start=start,
        end=start + dt.timedelta(hours=2),
    )

    context = browser_context_factory(**PHONE)
    page = watch_errors(context.new_page())
    # Signs in for the first time (the account is made), from the activity page.
    page.goto(f"{live_server.url}/login/?next=/activities/{activity.pk}/")
    sign_in(page, live_server)
    page.wait_for_url(f"**/activities/{activity.pk}/")
    user = User.objects.get(phone__endswith=PHONE_NUMBER)
    wallet_topup(user=user, amount_fen=5000, actor=None)

    # Booking asks for the birth year and links to the field; saving comes back here.
    page.click("#book")
    page.wait_for_selector("#problem[data-code=audience_mismatch]")
    assert all("403" in e for e in page.errors)  # the refusal page answers 403, which the console notes
    page.errors.clear()
    page.click("#problem-fix")
    page.wait_for_selector("#id_birth_year")
    page.fill("#id_birth_year", str(now.year - 76))
    page.click("#settings button[type=submit]")
    page.wait_for_url(f"**/activities/{activity.pk}/")
    page.click("#book")
    page.wait_for_selector("#booking-status")
    assert Booking.objects.get(user=user, activity=activity).status == BookingStatus.CONFIRMED

    # Lunch to the venue: the bill shows the elder tier (12.00 - 20% = 9.60).
    page.goto(f"{live_server.url}/meals/p/{venue.pk}/?date={day.isoformat()}&slot=lunch&activity={activity.pk}")
    page.wait_for_selector("#menu-form")
    page.click(f"#add-{lion.pk}")
    page.wait_for_selector("#bill-total[data-fen='960']")
    assert "70岁以上八折" in page.inner_text("#bill")

    # The session expires before the order is placed (the server forgets it; the browser keeps its cookies).
    Session.objects.all().delete()
    page.click("#place-order")
    page.wait_for_selector("#id_phone")
    assert "/login/" in page.url and not Order.objects.filter(user=user).exists()

    # Signing in again (hours later in life: the one-a-minute resend limit is long gone) brings the resident back
    # to the order, with the basket kept.
    settings.LINLI_SMS_RESEND_SECONDS = 1
    ratelimit.reset(f"sms:resend:+86{PHONE_NUMBER}")
    sign_in(page, live_server)
    page.wait_for_url(f"**/meals/p/{venue.pk}/**")
    page.wait_for_selector("#bill-total[data-fen='960']")
    page.click("#place-order")
    page.wait_for_selector("#placed-notice")
    order = Order.objects.get(user=user)
    assert (order.list_fen, order.total_fen, order.activity_id) == (1200, 960, activity.pk)
    assert page.errors == []
