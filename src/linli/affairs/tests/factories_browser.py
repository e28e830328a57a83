"""The resident's walk of issue 16's browser test, shared with the window queue's browser test (which goes on
from the booked appointment: check in by QR, call, hall screen, served). Needs the live server and the browser
fixtures of `linli.core.testing.plugin`; the caller's test is `pytest.mark.django_db(transaction=True)`."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from linli.affairs.models import Appointment, PreReview
from linli.affairs.tests.factories import SlotFactory, build_world
from linli.core.testing.browser import shoot_elder_too, signed_in_page, signed_in_phone


def _photo(color: tuple[int, int, int]) -> dict[str, Any]:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), color).save(out, format="JPEG")
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def walk_to_booked_appointment(live_server: Any, browser_context_factory: Any) -> tuple[Any, Any, Appointment]:
    """The resident's walk up to a booked appointment; (world, resident page, appointment)."""
    world = build_world()
    slot = SlotFactory(resource=world.window, places=2)
    base = live_server.url
    resident = signed_in_phone(browser_context_factory, live_server, world.resident)

    # Finds the affair by typing residents' words (htmx swaps the results while typing).
    resident.goto(f"{base}/s/{world.street.code}/affairs/")
    resident.fill("#q", "补办社保卡")
    resident.wait_for_selector(".affair-item[data-item-code='SB001']")
    shoot_elder_too(resident, live_server, "affairs-search-phone")
    resident.click(".affair-item[data-item-code='SB001'] a")
    resident.wait_for_selector("#materials")
    assert "居民身份证" in resident.inner_text("#materials")

    # Pre-reviews two photos taken with the phone's camera.
    resident.click("#prereview-start")
    inputs = resident.locator("#prereview-form input[type=file]")
    assert inputs.count() == 2 and inputs.first.get_attribute("capture") == "environment"
    inputs.nth(0).set_input_files(_photo((200, 60, 40)))
    inputs.nth(1).set_input_files(_photo((40, 60, 200)))
    resident.click("#prereview-submit")
    resident.wait_for_selector("#prereview[data-status='submitted']")
    pr = PreReview.objects.get(user=world.resident)

    # The clerk accepts the ID card and flags the photo.
    clerk = signed_in_page(browser_context_factory, live_server, world.clerk)
    clerk.goto(f"{base}/staff/affairs/prereviews/{pr.pk}/")
    first, second = list(pr.files.order_by("material__position"))
    clerk.click(f"label[for='r{first.pk}-accepted']")
    clerk.click(f"label[for='r{second.pk}-needs_correction']")
    clerk.fill(f"#reason_{second.pk}", "照片太暗，请在光线好的地方重拍")
    clerk.click("#review-submit")
    clerk.wait_for_url("**/staff/affairs/prereviews/**")

    # The resident corrects only the flagged photo.
    resident.goto(f"{base}/me/affairs/prereviews/{pr.pk}/")
    assert "照片太暗" in resident.inner_text("#prereview")
    corrections = resident.locator("#correction-form input[type=file]")
    assert corrections.count() == 1
    corrections.first.set_input_files(_photo((220, 220, 200)))
    resident.click("#correction-submit")
    resident.wait_for_selector("#prereview[data-status='submitted']")

    # The clerk approves the corrected photo.
    clerk.goto(f"{base}/staff/affairs/prereviews/{pr.pk}/")
    corrected = pr.files.get(superseded_at__isnull=True, material=second.material)
    clerk.click(f"label[for='r{corrected.pk}-accepted']")
    clerk.click("#review-submit")
    clerk.wait_for_url("**/staff/affairs/prereviews/**")

    # Approved: the resident books a slot and gets the QR code.
    resident.goto(f"{base}/me/affairs/prereviews/{pr.pk}/")
    resident.wait_for_selector("#prereview[data-status='approved']")
    resident.click("#book-after-approval")
    resident.wait_for_selector("#prereview-approved")
    resident.click(f"button[data-slot='{slot.pk}']")
    resident.wait_for_selector("#booked-notice")
    shoot_elder_too(resident, live_server, "affairs-appointment-phone")
    appointment = Appointment.objects.get(user=world.resident)
    assert appointment.prereview_id == pr.pk and appointment.status == "booked"
    assert resident.locator(".ticket__qr svg").is_visible()
    assert resident.inner_text("#appointment-code") == appointment.code
    return world, resident, appointment
