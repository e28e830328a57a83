"""Issue 22's "done when" in a real browser (Debian Chromium via Playwright), against the ASGI application under
uvicorn (`asgi_live_server`: pages, API and /ws/ as the embedded `linli serve` runs them).

1. A grid worker's console resolves a case while the street HQ's dashboard and the unit's dashboard are open in two
   other browser contexts: both show the new numbers within a second, without a reload; the HQ then drills down
   from the street to the workstation (clicking it on the map) and to the unit (clicking its row).
2. The big screen runs for five minutes at 1920×1080: its panels rotate through all four, changes arrive live, a
   dropped WebSocket reconnects by itself, the page's DOM does not grow, and the console stays free of errors.
   (The one long test; CI runs it once, in `make test`.)
"""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from PIL import Image

from linli.cases.models import Case, CaseStatus
from linli.cases.services.workflow import case_transition
from linli.cases.tests.factories import CaseFactory
from linli.core.models import Role
from linli.core.testing.browser import shoot, signed_in_page
from linli.dashboard.tests.factories import grid_tree_build, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png(colour: tuple[int, int, int], name: str) -> dict[str, Any]:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, format="PNG")
    return {"name": name, "mimeType": "image/png", "buffer": out.getvalue()}


def _world(n: int = 3, status: str = CaseStatus.IN_PROGRESS):  # noqa: ANN202
    t = grid_tree_build()
    lat, lng = t.unit_point(0)
    cases = [CaseFactory(street=t.street, grid=t.units[0], status=status, lat=lat, lng=lng) for _ in range(n)]
    return t, cases


def _number(page: Any, key: str) -> str:
    return page.inner_text(f"[data-k='{key}']")


def test_worker_resolves_a_case_hq_and_unit_dashboards_update_within_a_second_hq_drills_down(
    asgi_live_server, browser_context_factory
):
    server = asgi_live_server
    t, cases = _world()
    hq_admin = staff(t.street, Role.ADMIN)
    worker = staff(t.street, Role.GRID_WORKER, grid=t.units[0])

    hq = signed_in_page(browser_context_factory, server, hq_admin)
    hq.goto(f"{server.url}/dashboard/live/?grid={t.hq.pk}")
    unit = signed_in_page(browser_context_factory, server, worker)
    unit.goto(f"{server.url}/dashboard/live/?grid={t.units[0].pk}")
    for page in (hq, unit):
        page.wait_for_selector("body[data-live='1']")  # subscribed over the WebSocket
        page.wait_for_function("() => window.linliLive.updates >= 1")
        page.evaluate("() => { window.__sameDocument = true; }")
        assert _number(page, "cases.by_status.in_progress") == "3"
        assert _number(page, "cases.by_status.resolved") == "0"

    # The worker's console: the case page, resolved with an after photo and a note.
    console = signed_in_page(browser_context_factory, server, worker)
    console.goto(f"{server.url}/staff/cases/{cases[0].pk}/")
    console.set_input_files("#resolve-photos", [png((40, 160, 60), "cleared.png")])
    console.fill("#resolve-note", "已清理，通道畅通")
    console.click("#do-resolved")
    console.wait_for_selector("#case-status[data-status='resolved']")
    assert Case.objects.get(pk=cases[0].pk).status == CaseStatus.RESOLVED

    # Both dashboards show it within a second of the console's answer, without a reload.
    for page in (hq, unit):
        page.wait_for_function(
            "() => document.querySelector(\"[data-k='cases.by_status.resolved']\").textContent === '1'", timeout=1000
        )
        assert _number(page, "cases.by_status.in_progress") == "2"
        assert page.evaluate("() => window.__sameDocument === true")
    shoot(hq, "dashboard-live")

    # The HQ drills down: the west workstation on the map, then its first unit's row.
    west, u11 = t.stations[0], t.units[0]
    hq.click(f"#live-map path[data-grid='{west.pk}']")
    hq.wait_for_url(f"**/dashboard/live/?grid={west.pk}")
    assert west.name in hq.inner_text("[data-grid-name]")
    hq.wait_for_selector("body[data-live='1']")
    hq.click(f".live-children tr[data-grid='{u11.pk}'] a")
    hq.wait_for_url(f"**/dashboard/live/?grid={u11.pk}")
    assert [a.strip() for a in hq.inner_text("[data-path]").split("\n") if a.strip()] == [
        t.hq.name,
        west.name,
        u11.name,
    ]
    assert _number(hq, "cases.open") == "3"
    for page in (hq, unit, console):
        assert page.errors == [], page.errors


def test_big_screen_runs_five_minutes_rotating_reconnecting_without_growing(asgi_live_server, browser_context_factory):
    server = asgi_live_server
    t, cases = _world(n=12, status=CaseStatus.ACCEPTED)
    admin = staff(t.street, Role.ADMIN)
    screen = signed_in_page(browser_context_factory, server, admin, viewport={"width": 1920, "height": 1080})

    sockets: list[Any] = []

    def proxy(ws: Any) -> None:  # every socket of the page goes through here, so the test can drop one
        ws.connect_to_server()
        sockets.append(ws)

    screen.route_web_socket("**/ws/dashboard/live/**", proxy)
    screen.goto(f"{server.url}/dashboard/screen/?grid={t.hq.pk}")
    screen.wait_for_selector("body[data-live='1']")
    screen.wait_for_function("() => window.linliLive.updates >= 1")
    nodes_at_start = screen.evaluate("() => document.getElementsByTagName('*').length")
    shoot(screen, "dashboard-screen")

    panels_seen: set[int] = set()
    moved = 0
    dropped = False
    started = time.monotonic()
    while time.monotonic() - started < 300:
        elapsed = time.monotonic() - started
        panels_seen.add(screen.evaluate("() => window.linliLive.panel"))
        if moved < len(cases) and elapsed > 20 * (moved + 1):
            case_transition(case=Case.objects.get(pk=cases[moved].pk), to_status=CaseStatus.REJECTED, actor=admin,
                            reason="重复上报")  # fmt: skip
            moved += 1
            screen.wait_for_function(
                "(n) => document.querySelector(\"[data-screen] [data-k='cases.open']\").textContent === String(n)",
                arg=len(cases) - moved,
                timeout=2000,
            )
        if not dropped and elapsed > 150:  # the network drops the socket: the screen reconnects by itself
            sockets[-1].close(code=1011)
            dropped = True
            screen.wait_for_function("() => window.linliLive.closes >= 1 && window.linliLive.connected", timeout=10_000)
        screen.wait_for_timeout(1000)

    state = screen.evaluate("() => window.linliLive")
    assert state["rotations"] >= 19  # one every 15 s
    assert panels_seen == {0, 1, 2, 3}
    assert state["closes"] == 1 and state["connected"] and len(sockets) == 2
    assert moved >= 12 and screen.inner_text("[data-screen] [data-k='cases.open']") == "0"
    # Every update replaced what it showed: the page holds as many elements as it did at the start.
    assert abs(screen.evaluate("() => document.getElementsByTagName('*').length") - nodes_at_start) <= 30
    assert screen.errors == [], screen.errors
