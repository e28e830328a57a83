"""Issue 6's "done when" in a real browser (Debian Chromium via Playwright), against a real MQTT broker.

The gate's screen shows the display page (opened by its display link, no sign-in); a gate controller — the
simulator, a real MQTT client against Mosquitto — listens for commands. A verified rider opens the display's current
QR URL on the phone, gets the full-screen green pass with name and live clock, and the controller reports the gate
opened. A suspended rider gets red with the reason in plain words. A signed-out phone is sent to sign in and
keeps the token in `next`.
"""

from __future__ import annotations

import os
import time
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.cache import cache

from linli.access.models import Decision, Tap
from linli.access.services import gates as gate_services
from linli.access.tests.factories import build_access_world
from linli.core.testing.browser import PHONE, shoot, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROKER = os.environ.get("LINLI_MQTT_URL", "mqtt://127.0.0.1:1883")


@pytest.fixture
def controller_factory() -> Any:
    from linli.access.gatewire import GateController

    started: list[Any] = []

    def start(public_id: str, secret: str) -> Any:
        controller = GateController(public_id, secret, BROKER, heartbeat_every=5).start()
        started.append(controller)
        if not controller.wait_connected(5):
            pytest.fail(f"the gate simulator could not reach the MQTT broker at {BROKER}")
        return controller

    yield start
    for controller in started:
        controller.stop()


def test_rider_scans_the_display_gets_green_and_the_gate_opens_suspended_rider_gets_red(
    asgi_live_server: Any,
    browser_context_factory: Any,
    controller_factory: Any,
    axe_audit: Any,
    settings: Any,
) -> None:
    server = asgi_live_server
    settings.LINLI_SITE_URL = server.url
    settings.LINLI_ACCESS_OPEN_TIMEOUT = 3.0  # the web process's MQTT client connects on first use
    cache.clear()
    world = build_access_world()
    gate = world.gx
    controller = controller_factory(gate.public_id, world.secrets[gate.public_id])
    key = gate_services.gate_display_link_create(gate=gate, actor=None)

    # The screen at the gate: the display link, no sign-in.
    screen = browser_context_factory().new_page()
    screen.errors = []
    screen.on("console", lambda m: m.type == "error" and screen.errors.append(m.text))
    screen.on("pageerror", lambda e: screen.errors.append(str(e)))
    screen.goto(f"{server.url}/access/display/{key}/")
    screen.wait_for_selector("#qr svg")
    assert screen.get_attribute("#gate-state", "data-online") == "true"
    qr_url = screen.get_attribute("#qr", "data-url")
    assert qr_url.startswith(f"{server.url}/access/tap/?t=v1.{gate.public_id}.")
    shoot(screen, "access-display")
    assert axe_audit(screen) == []

    # A signed-out phone is sent to sign in, keeping the token.
    anonymous = browser_context_factory(**PHONE).new_page()
    anonymous.goto(qr_url)
    assert "/login/" in anonymous.url and qr_url.split("?t=")[1] in unquote(anonymous.url)

    # The verified rider opens the QR URL: green, with the name, and the gate reports opened.
    phone = signed_in_page(browser_context_factory, server, world.rider, **PHONE)
    phone.goto(qr_url)
    phone.wait_for_selector("#tap-result[data-decision='allow']")
    assert phone.inner_text("#tap-name").startswith("张召")
    assert "幸福小区" in phone.inner_text("#tap-gate")
    phone.wait_for_selector("#tap-opened[data-opened='true']")
    assert phone.evaluate("() => document.body.classList.contains('tap-allow')")
    clock = phone.inner_text("#tap-clock")
    phone.wait_for_function("(c) => document.getElementById('tap-clock').textContent !== c", arg=clock, timeout=3000)
    shoot(phone, "access-tap-green")
    assert axe_audit(phone) == []
    deadline = time.monotonic() + 3
    while not controller.opened and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(controller.opened) == 1
    row = Tap.objects.get(rider=world.rider)
    assert (row.decision, row.opened, row.outcome, row.command_id) == (
        Decision.ALLOW,
        True,
        "opened",
        controller.opened[0],
    )

    # The suspended rider scans the same screen: red, with the reason in words; the gate stays shut.
    red = signed_in_page(browser_context_factory, server, world.rider_susp, **PHONE)
    red.goto(screen.get_attribute("#qr", "data-url"))
    red.wait_for_selector("#tap-result[data-decision='deny']")
    assert red.get_attribute("#tap-result", "data-reason") == "rider_suspended"
    assert "暂停" in red.inner_text("#tap-reason")
    assert red.evaluate("() => document.body.classList.contains('tap-deny')")
    shoot(red, "access-tap-red")
    assert axe_audit(red) == []
    assert len(controller.opened) == 1
    for page in (screen, phone, red):
        assert page.errors == [], page.errors
