"""Issue 5's "done when" in a real browser (Debian Chromium via Playwright).

A rider reports a blocked fire passage with a photo on the phone page; the grid worker's console, open in a second
browser context, shows it within a second without a reload; the worker accepts, starts and resolves it with an
after photo; the safety officer verifies and closes it; the rider sees it closed on "my reports" with the
after photo and has gained sentinel points.

pytest-django's live server speaks WSGI only, so these tests run the ASGI application (pages, API and /ws/, as
the embedded `linli serve` does) under uvicorn: the `asgi_live_server` fixture of `linli.core.testing.plugin`.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image

from linli.cases.models import Case, CaseStatus, SentinelPoints
from linli.cases.tests.factories import IN_A1, build_world
from linli.core.testing.browser import PHONE, shoot, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png(colour: tuple[int, int, int], name: str) -> dict[str, Any]:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, format="PNG")
    return {"name": name, "mimeType": "image/png", "buffer": out.getvalue()}


def test_rider_reports_worker_sees_it_live_resolves_officer_closes_rider_sees_points(
    asgi_live_server, browser_context_factory
):
    server = asgi_live_server
    world = build_world()
    points = world.categories["fire_passage"].points

    # The grid worker of unit A1 has the console open (desktop).
    console = signed_in_page(browser_context_factory, server, world.gw_unit)
    console.goto(f"{server.url}/staff/cases/?street=casejie")
    console.wait_for_selector("body[data-live='1']")  # subscribed over the WebSocket
    console.evaluate("() => { window.__sameDocument = true; }")
    assert console.locator("#case-rows tr").count() == 0

    # The rider reports on the phone page: category, a photo from the camera, the location from the browser.
    phone = signed_in_page(
        browser_context_factory,
        server,
        world.rider,
        geolocation={"latitude": IN_A1[0], "longitude": IN_A1[1]},
        permissions=["geolocation"],
        **PHONE,
    )
    phone.goto(f"{server.url}/s/casejie/report/")
    phone.click("label[for=cat-fire_passage]")
    phone.set_input_files("#photos", [png((200, 40, 40), "passage.png")])
    phone.wait_for_selector("#photo-previews img")
    phone.click("#locate")
    phone.wait_for_function("() => document.getElementById('lat').value !== ''")
    phone.fill("#description", "两辆电动车堵住了3号楼消防通道")
    shoot(phone, "cases-report")
    phone.click("#report-submit")
    phone.wait_for_selector("#report-result")
    case = Case.objects.get()
    assert f"#{case.pk}" in phone.inner_text("#report-result")
    assert case.grid == world.grids["a1"] and case.photos.count() == 1

    # The console shows the new case within a second, without a reload, with the unread badge.
    row = f"#case-rows tr[data-case-id='{case.pk}']"
    console.wait_for_selector(row, timeout=1000)
    assert console.evaluate("() => window.__sameDocument === true")
    assert "消防通道堵塞" in console.inner_text(row)
    assert console.inner_text("#live-count") == "1" and console.title().startswith("(1) ")
    assert console.inner_text("#case-count") == "共 1 件"
    shoot(console, "cases-console")

    # The worker accepts, starts and resolves with an after photo.
    console.click(f"{row} a.case-link")
    console.wait_for_selector("#do-accepted")
    console.click("#do-accepted")
    console.wait_for_selector("#case-status[data-status='accepted']")
    console.click("#do-in_progress")
    console.wait_for_selector("#case-status[data-status='in_progress']")
    console.set_input_files("#resolve-photos", [png((40, 160, 60), "cleared.png")])
    console.fill("#resolve-note", "已联系车主挪走，通道畅通")
    console.click("#do-resolved")
    console.wait_for_selector("#case-status[data-status='resolved']")
    assert console.locator("#photos-after img").count() == 1
    assert not console.locator("#do-verified").count()  # verifying is the safety officer's
    shoot(console, "cases-case")

    # The safety officer verifies and closes with a note for the reporter.
    officer = signed_in_page(browser_context_factory, server, world.safety)
    officer.goto(f"{server.url}/staff/cases/{case.pk}/")
    officer.click("#do-verified")
    officer.wait_for_selector("#case-status[data-status='verified']")
    officer.fill("#close-note", "消防通道已恢复畅通，感谢您的上报")
    officer.click("#do-closed")
    officer.wait_for_selector("#case-status[data-status='closed']")

    # The rider sees it closed, with the closing note and the after photo, and has gained points.
    phone.goto(f"{server.url}/me/reports/")
    card = f".report-card[data-case-id='{case.pk}']"
    phone.wait_for_selector(f"{card}[data-status='closed']")
    assert "消防通道已恢复畅通" in phone.inner_text(card)
    phone.wait_for_function(
        "(sel) => { const img = document.querySelector(sel); return img && img.complete && img.naturalWidth > 0; }",
        arg=f"{card} .photo-row--after img",
    )
    assert phone.get_attribute("#points-total", "data-points") == str(points)
    shoot(phone, "cases-my-reports")
    assert SentinelPoints.objects.get(user=world.rider).points == points
    assert Case.objects.get().status == CaseStatus.CLOSED
    for page in (console, phone, officer):
        assert page.errors == [], page.errors


def test_console_refuses_the_socket_to_non_staff_and_elder_mode_report_page(asgi_live_server, browser_context_factory):
    server = asgi_live_server
    world = build_world()
    page = signed_in_page(browser_context_factory, server, world.rider, **PHONE)
    # A rider on the report page in elder mode: big single-column buttons.
    page.context.add_cookies([{"name": "linli_elder", "value": "1", "url": server.url}])
    page.goto(f"{server.url}/s/casejie/report/")
    page.wait_for_selector("html.elder")
    widths = page.evaluate(
        "() => Array.from(document.querySelectorAll('.category-button')).map(b => b.getBoundingClientRect().width)"
    )
    assert len(widths) == len(world.categories) and min(widths) > 300
    shoot(page, "cases-report-elder")
    # The rider's browser cannot subscribe to the street's cases (closed with 4403).
    code = page.evaluate(
        """(url) => new Promise((resolve) => {
            const ws = new WebSocket(url);
            ws.onclose = (e) => resolve(e.code);
            setTimeout(() => resolve(-1), 5000);
        })""",
        server.url.replace("http://", "ws://") + "/ws/cases/casejie/",
    )
    assert code == 4403
    assert page.errors == [], page.errors


def test_live_rows_follow_the_consoles_grid_overdue_and_text_filters_and_keep_the_counts(
    asgi_live_server, browser_context_factory
):
    import httpx

    from linli.cases.tests.factories import IN_A_ONLY, IN_B
    from linli.core.services import token_create

    server = asgi_live_server
    world = build_world()
    token = token_create(user=world.rider)

    def post(category: str, at: tuple[float, float], description: str) -> int:
        resp = httpx.post(
            f"{server.url}/api/v1/reports",
            data={"street": "casejie", "category": category, "lat": str(at[0]), "lng": str(at[1]),
                  "description": description},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )  # fmt: skip
        assert resp.status_code == 201, resp.text
        return int(resp.json()["case_id"])

    # The safety officer (who sees the whole street) filters: workstation B's grid, text "电动车".
    console = signed_in_page(browser_context_factory, server, world.safety)
    console.goto(f"{server.url}/staff/cases/?street=casejie&grid=casejie-b&q=电动车")
    console.wait_for_selector("body[data-live='1']")
    # A second console shows only overdue cases: a new case is never overdue.
    overdue = signed_in_page(browser_context_factory, server, world.safety)
    overdue.goto(f"{server.url}/staff/cases/?street=casejie&overdue=1")
    overdue.wait_for_selector("body[data-live='1']")
    assert console.inner_text("#case-count") == "共 0 件"

    elsewhere = post("ebike_indoor_charging", IN_A_ONLY, "电动车停在楼道")  # grid A: not shown
    other_text = post("corridor_clutter", IN_B, "纸箱堆在二楼")  # grid B, text does not match: not shown
    wanted = post("ebike_indoor_charging", IN_B, "有人把电动车推进楼道充电")  # both match: shown
    row = f"#case-rows tr[data-case-id='{wanted}']"
    console.wait_for_selector(row, timeout=2000)
    # Pushes arrive in order on one socket: the two earlier ones were seen and left out.
    for case_id in (elsewhere, other_text):
        assert console.locator(f"#case-rows tr[data-case-id='{case_id}']").count() == 0
    assert console.locator("#case-rows tr").count() == 1
    assert console.inner_text("#case-count") == "共 1 件"
    assert " ".join(console.text_content("#grid-summary").split()) == "B工作站 · 1 件"
    # The time left is labelled like the server's rows (views/console.py time_formats, handed to the script).
    sla = console.inner_text(f"{row} .case-row__sla")
    assert re.fullmatch(r"剩 \d+小时\d+分", sla), sla
    # The overdue-only console received the same pushes and showed none of them.
    assert overdue.locator("#case-rows tr").count() == 0 and overdue.inner_text("#case-count") == "共 0 件"

    # A case of the list rejected by staff leaves the open-cases list, and the counts follow.
    resp = httpx.post(
        f"{server.url}/api/v1/cases/{wanted}/transitions",
        data={"to_status": "rejected", "reason": "不属于本街道管辖"},
        headers={"Authorization": f"Bearer {token_create(user=world.safety)}"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    console.wait_for_selector(row, state="detached", timeout=2000)
    assert console.inner_text("#case-count") == "共 0 件"
    assert console.locator("#grid-summary li").count() == 0
    for page in (console, overdue):
        assert page.errors == [], page.errors


def test_phone_page_reports_from_a_place_chosen_in_the_list_without_coordinates(
    asgi_live_server, browser_context_factory
):
    from linli.cases.models import Report
    from linli.core.models import Compound

    server = asgi_live_server
    world = build_world()
    compound = Compound.objects.create(
        street=world.street,
        external_id="c-sun",
        name="阳光小区",
        address="长寿路 100 弄",
        geometry={"type": "Point", "coordinates": [IN_A1[1], IN_A1[0]]},
        lat=IN_A1[0],
        lng=IN_A1[1],
    )
    phone = signed_in_page(browser_context_factory, server, world.rider, **PHONE)  # no geolocation permission
    phone.goto(f"{server.url}/s/casejie/report/")
    assert not phone.is_visible("#lat")  # coordinates are never asked for
    phone.click("label[for=cat-corridor_clutter]")
    phone.select_option("#spot", f"compound:{compound.pk}")
    phone.wait_for_function("() => document.getElementById('location-status').textContent !== ''")
    phone.fill("#address", "5号楼二楼楼道")
    phone.click("#report-submit")
    phone.wait_for_selector("#report-result")
    report = Report.objects.get(reporter=world.rider)
    assert (report.lat, report.lng) == IN_A1 and report.address == "阳光小区 5号楼二楼楼道"
    assert report.case.grid == world.grids["a1"]
    assert phone.errors == [], phone.errors


def test_a_big_phone_photo_is_scaled_down_in_the_browser_before_upload(asgi_live_server, browser_context_factory):
    """A 12-megapixel camera photo leaves the phone at most 2,048 px on its long side: a smaller upload on a mobile
    connection, fewer pixels for the server to decode. The server still re-encodes what arrives."""
    import random

    from linli.cases.models import CasePhoto, Report

    server = asgi_live_server
    world = build_world()
    rnd = random.Random(7)
    big = Image.new("RGB", (4000, 3000))
    big.putdata([(rnd.randrange(256), (x * 7) % 256, 90) for x in range(4000 * 3000)])  # noise: compresses poorly
    raw = io.BytesIO()
    big.save(raw, format="JPEG", quality=70)
    original = raw.getvalue()
    assert len(original) > 3_000_000

    phone = signed_in_page(
        browser_context_factory,
        server,
        world.rider,
        geolocation={"latitude": IN_A1[0], "longitude": IN_A1[1]},
        permissions=["geolocation"],
        **PHONE,
    )
    phone.goto(f"{server.url}/s/casejie/report/")
    phone.click("label[for=cat-corridor_clutter]")
    phone.set_input_files("#photos", [{"name": "IMG_0001.JPG", "mimeType": "image/jpeg", "buffer": original}])
    phone.wait_for_selector("#photo-previews img")
    phone.click("#locate")
    phone.wait_for_function("() => document.getElementById('lat').value !== ''")
    with phone.expect_request(lambda r: "/api/v1/reports" in r.url and r.method == "POST") as posted:
        phone.click("#report-submit")
    sent = int(posted.value.all_headers().get("content-length", "0"))  # the multipart body as it left the phone
    assert 0 < sent < len(original) // 2, (sent, len(original))
    phone.wait_for_selector("#report-result")
    report = Report.objects.get(reporter=world.rider)
    photo = CasePhoto.objects.get(report=report)
    with photo.image.open("rb") as fh, Image.open(fh) as stored:
        assert max(stored.size) == 2048 and stored.size[0] > stored.size[1]  # landscape kept, long side 2,048
    assert phone.errors == [], phone.errors
