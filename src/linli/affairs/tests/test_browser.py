"""Issue 16's "done when", the resident's part, in a real browser (Chromium via Playwright, the live server):
a resident finds "补办社保卡" by typing it, pre-reviews two photos, gets one flagged, corrects it, is approved and
books a slot; the appointment page shows the QR code to check in with.

The window queue continues from there (check in by QR, the clerk calls the number, the hall screen, "served"):
`factories_browser.walk_to_booked_appointment` returns the world, the resident's page and the appointment.
With LINLI_SCREENSHOTS=1 the phone-size pages are saved into docs/screenshots/.
"""

from __future__ import annotations

from typing import Any

import pytest

from linli.affairs.tests.factories_browser import walk_to_booked_appointment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_find_prereview_correct_approve_book(live_server: Any, browser_context_factory: Any) -> None:
    _world, _resident, appointment = walk_to_booked_appointment(live_server, browser_context_factory)
    # The window queue's test goes on from here: check in by QR (appointment_qr_payload / the code), the clerk
    # calls the number (the hall screen shows it) and records "served" (appointment_complete).
    assert appointment.status == "booked"
