"""The pages: the tap page (sign-in redirect keeps `t`, the no-JavaScript path, the rider's pass), the managers'
home, the 我的 page's links per role, and English."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.test import Client

from linli.access.models import Tap
from linli.access.tests.factories import build_access_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings: Any) -> Any:
    cache.clear()
    settings.LINLI_ACCESS_OPEN_TIMEOUT = 0.1
    return build_access_world()


def client_for(user: Any, **extra: Any) -> Client:
    client = Client(**extra)
    client.force_login(user)
    return client


def test_signed_out_tap_page_goes_to_sign_in_and_keeps_the_token(world: Any) -> None:
    token = world.token(world.gx)
    resp = Client().get(f"/access/tap/?t={token}")
    assert resp.status_code == 302
    assert resp["Location"] == f"/login/?next={quote(f'/access/tap/?t={token}')}"
    assert not Tap.objects.exists()


def test_tap_page_without_javascript_posts_the_same_decision(world: Any) -> None:
    token = world.token(world.gx)
    c = client_for(world.rider)
    page = c.get(f"/access/tap/?t={token}")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-state="pending"' in html and 'id="tap-config"' in html
    assert not Tap.objects.exists()  # opening the page decides nothing; the script (or the button) does
    answer = c.post("/access/tap/", {"t": token})
    html = answer.content.decode()
    assert 'data-decision="allow"' in html and "张召" in html
    denied = client_for(world.rider_susp).post("/access/tap/", {"t": token}).content.decode()
    assert 'data-decision="deny"' in denied and 'data-reason="rider_suspended"' in denied


def test_the_riders_own_pass_page(world: Any) -> None:
    html = client_for(world.rider).get("/access/tap/").content.decode()
    assert "张召" in html and "饿了么" in html and 'data-status="verified"' in html
    assert 'id="no-credential"' in client_for(world.nobody).get("/access/tap/").content.decode()


def test_home_lists_only_my_compounds(world: Any) -> None:
    html = client_for(world.pm_x).get("/access/").content.decode()
    assert "幸福小区" in html and "和谐小区" not in html and world.gx.public_id in html
    assert 'id="audit-link"' in html
    staff = client_for(world.station).get("/access/").content.decode()
    assert "骑手认证" in staff and "幸福小区" not in staff


def test_workbench_links_per_role(world: Any) -> None:
    assert "/access/" in client_for(world.pm_x).get("/me/").content.decode()
    rider_me = client_for(world.rider).get("/me/").content.decode()
    assert "/access/tap/" in rider_me and "/access/audit/" not in rider_me
    assert "/access/staff/riders/" in client_for(world.station).get("/me/").content.decode()
    assert "/access/audit/" in client_for(world.safety).get("/me/").content.decode()


def test_english_tap_answer_and_page(world: Any) -> None:
    c = client_for(world.nobody, HTTP_ACCEPT_LANGUAGE="en")
    html = c.post("/access/tap/", {"t": world.token(world.gx)}).content.decode()
    assert "You are not a verified rider yet" in html


def test_the_access_log_speaks_words_not_codes(world: Any) -> None:
    from linli.access.models import Decision
    from linli.access.services.taps import tap_decide

    tap_decide(user=world.rider_susp, gate_token=world.token(world.gx))
    allowed = tap_decide(user=world.rider, gate_token=world.token(world.gx))
    Tap.objects.filter(pk=allowed.tap.pk).update(outcome="refused:expired")
    Tap.objects.create(gate=world.gx, street=world.street, compound=world.x, decision=Decision.ALLOW, outcome="opened")
    for page in ("/access/audit/", f"/access/gates/{world.gx.public_id}/"):
        html = client_for(world.pm_x).get(page).content.decode()
        assert "拒绝 · 已暂停" in html and "门禁拒绝：指令已过期，请核对门禁时钟" in html and "已开门" in html, page
        assert ">rider_suspended<" not in html and ">opened<" not in html and ">refused:expired<" not in html
    audit = client_for(world.pm_x).get("/access/audit/").content.decode()
    assert '<option value="rider_suspended" >已暂停</option>' in audit  # the reason filter, in words


def test_the_display_code_scales_to_the_screen(world: Any) -> None:
    from linli.access.services.gates import gate_display_link_create, gate_qr

    svg = gate_qr(world.gx)["svg"]
    assert svg.startswith("<svg") and "viewBox=" in svg.split(">")[0] and " width=" not in svg.split(">")[0]
    key = gate_display_link_create(gate=world.gx, actor=None)
    html = Client().get(f"/access/display/{key}/").content.decode()
    assert 'id="qr"' in html and "viewBox=" in html
