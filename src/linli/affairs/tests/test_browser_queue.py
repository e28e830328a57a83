"""Issue 16 item 4 in a real browser: the resident checks in at the kiosk with the appointment's QR, follows the
ticket on the phone (elder mode), the clerk calls the number, the hall screen shows it live and says it, and the
clerk records "served" with the materials checklist and the pre-review's verdict in front of them.

Headless Chromium has no BarcodeDetector: the test puts into the kiosk's form what the camera scanner would have
read from the QR (the appointment's link), as the scanner does.
"""

from __future__ import annotations

import pytest

from linli.affairs.models import AppointmentStatus, PreReviewStatus, QueueTicket, TicketStatus
from linli.affairs.tests.factories_queue import appointment_today, build_queue_world
from linli.core.testing.browser import PHONE, shoot, signed_in_page, watch_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_check_in_by_qr_call_on_the_hall_screen_and_serve(asgi_live_server, browser_context_factory, axe_audit):
    server = asgi_live_server
    world = build_queue_world()
    appt = appointment_today(world, user=world.resident, prereview_status=PreReviewStatus.APPROVED)

    # The hall screen (public) is on, with the voice announcement switched on by the staff.
    hall = watch_errors(browser_context_factory(viewport={"width": 1920, "height": 1080}).new_page())
    hall.goto(f"{server.url}/affairs/centres/{world.centre.pk}/hall/")
    hall.wait_for_selector("#hall-live[data-live='1']")
    hall.click("#voice-on")
    assert hall.get_attribute("#voice-on", "aria-pressed") == "true"

    # The kiosk at the door reads the appointment's QR (its link) and gives A001.
    kiosk = signed_in_page(browser_context_factory, server, world.clerks[1])
    kiosk.goto(f"{server.url}/staff/affairs/centres/{world.centre.pk}/kiosk/")
    kiosk.evaluate(
        "(v) => { document.getElementById('checkin-payload').value = v; document.getElementById('checkin-form').submit(); }",
        f"{server.url}/me/affairs/appointments/{appt.code}/",
    )
    kiosk.wait_for_selector("#ticket-number")
    assert kiosk.inner_text("#ticket-number") == "A001"
    ticket = QueueTicket.objects.get()
    assert ticket.appointment == appt and ticket.prereviewed
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.CHECKED_IN
    hall.wait_for_function("() => document.getElementById('hall-waiting').textContent === '1'")

    # The resident follows the ticket on the phone (the kiosk ticket's QR), in elder mode.
    phone_ctx = browser_context_factory(**PHONE)
    phone_ctx.add_cookies([{"name": "linli_elder", "value": "1", "url": server.url}])
    phone = watch_errors(phone_ctx.new_page())
    phone.goto(f"{server.url}/affairs/t/{ticket.token}/")
    phone.wait_for_selector("html.elder")
    phone.wait_for_selector("body[data-live='1']")
    assert float(phone.evaluate("getComputedStyle(document.body).fontSize").removesuffix("px")) >= 20
    assert "前面还有 0 人" in phone.inner_text("#ticket-status")
    assert axe_audit(phone) == []

    # The clerk at window 2 calls the next number: A001.
    clerk = signed_in_page(browser_context_factory, server, world.clerks[0])
    clerk.goto(f"{server.url}/staff/affairs/window/?counter={world.counters[1].pk}")
    clerk.click("#call-next")
    clerk.wait_for_selector("#current-number")
    assert clerk.inner_text("#current-number") == "A001"
    assert "预审通过" in clerk.inner_text("#prereview-status")
    checklist = clerk.inner_text(".q-checklist")
    assert "居民身份证" in checklist and "近期免冠照片" in checklist

    # The hall screen shows it live (no reload) and says it in Mandarin; the phone tells the resident where to go.
    hall.wait_for_function("() => document.getElementById('now-number').textContent === 'A001'", timeout=2000)
    assert hall.inner_text("#now-counter") == "2号窗口"
    spoken = hall.evaluate("() => window.linliHall.spoken")
    assert spoken == ["请 A零零一 号，到 2 号窗口办理"]
    number_px = float(
        hall.evaluate("getComputedStyle(document.getElementById('now-number')).fontSize").removesuffix("px")
    )
    assert number_px >= 150  # about 4 cm tall on a 1080p 55-inch screen: readable from 5 m
    phone.wait_for_selector("#ticket-status[data-status='called']")
    assert "2号窗口" in phone.inner_text("#ticket-window")
    shoot(hall, "affairs-hall")
    shoot(clerk, "affairs-window")
    shoot(phone, "affairs-ticket-elder")

    # The clerk records "served": ticket, appointment and pre-review are closed.
    clerk.click("#outcome-served")
    clerk.wait_for_selector("#call-next")
    ticket.refresh_from_db()
    appt.refresh_from_db()
    assert ticket.status == TicketStatus.SERVED and appt.status == AppointmentStatus.COMPLETED
    assert appt.prereview.status == PreReviewStatus.COMPLETED
    phone.wait_for_selector("#ticket-status[data-status='served']")
    for page in (hall, kiosk, phone, clerk):
        assert page.errors == [], page.errors


def test_issue_16_done_when_search_prereview_book_then_check_in_call_hall_and_serve(
    asgi_live_server, browser_context_factory
):
    """The whole walk of issue 16's "done when": the resident's part (factories_browser: find "补办社保卡", pre-review
    two photos, one flagged and corrected, approved, book), then on the appointment's day the kiosk reads the QR,
    the clerk calls the number, the hall screen shows it and the clerk records "served"."""
    from datetime import timedelta

    from django.utils import timezone

    from linli.affairs.models import Appointment, Slot
    from linli.affairs.services.appointments import appointment_qr_payload
    from linli.affairs.services.queue import counter_create
    from linli.affairs.tests.factories_browser import walk_to_booked_appointment

    server = asgi_live_server
    world, resident, appointment = walk_to_booked_appointment(server, browser_context_factory)
    # The appointment's day has come: its slot starts in ten minutes.
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=10)
    Slot.objects.filter(pk=appointment.slot_id).update(start=start, end=start + timedelta(minutes=30))
    Appointment.objects.filter(pk=appointment.pk).update(start=start, end=start + timedelta(minutes=30))
    counter = counter_create(place=world.centre, number=3)

    hall = watch_errors(browser_context_factory(viewport={"width": 1920, "height": 1080}).new_page())
    hall.goto(f"{server.url}/affairs/centres/{world.centre.pk}/hall/")
    hall.wait_for_selector("#hall-live[data-live='1']")

    # The kiosk's camera reads the QR shown on the resident's appointment page.
    kiosk = signed_in_page(browser_context_factory, server, world.clerk)
    kiosk.goto(f"{server.url}/staff/affairs/centres/{world.centre.pk}/kiosk/")
    kiosk.evaluate(
        "(v) => { document.getElementById('checkin-payload').value = v; document.getElementById('checkin-form').submit(); }",
        appointment_qr_payload(appointment),
    )
    kiosk.wait_for_selector("#ticket-number")
    assert kiosk.inner_text("#ticket-number") == "A001"
    # The resident's appointment page now shows the queue number.
    resident.goto(f"{server.url}/me/affairs/appointments/{appointment.pk}/")
    assert "A001" in resident.inner_text("#queue-number")

    clerk = signed_in_page(browser_context_factory, server, world.clerk)
    clerk.goto(f"{server.url}/staff/affairs/window/?counter={counter.pk}")
    clerk.click("#call-next")
    clerk.wait_for_selector("#current-number")
    assert clerk.inner_text("#current-number") == "A001"
    assert "预审通过" in clerk.inner_text("#prereview-status")
    hall.wait_for_function("() => document.getElementById('now-number').textContent === 'A001'", timeout=2000)
    assert hall.inner_text("#now-counter") == "3号窗口"

    clerk.click("#outcome-served")
    clerk.wait_for_selector("#call-next")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    assert appointment.prereview.status == PreReviewStatus.COMPLETED
    assert QueueTicket.objects.get(appointment=appointment).status == TicketStatus.SERVED
    for page in (hall, kiosk, clerk):
        assert page.errors == [], page.errors
