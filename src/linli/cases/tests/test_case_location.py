"""Where a case is, in words a worker finds it by: the compound, the road, the nearest place, on the console, in
the SMS and on the case page with a navigate button (linli.places.gazetteer)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from linli.cases.services.reports import report_create
from linli.cases.tests.factories import IN_A1, build_world
from linli.core.models import Compound
from linli.core.sms import OutboxSmsBackend
from linli.places.tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    cache.clear()
    OutboxSmsBackend.clear()
    world = build_world("locjie")
    lat, lng = IN_A1
    d = 0.0005
    ring = [[lng - d, lat - d], [lng + d, lat - d], [lng + d, lat + d], [lng - d, lat + d], [lng - d, lat - d]]
    Compound.objects.create(
        street=world.street,
        external_id="c1",
        name="阳光小区",
        address="上海市普陀区真金路100弄",
        geometry={"type": "Polygon", "coordinates": [ring]},
        lat=lat,
        lng=lng,
    )
    PlaceFactory(street=world.street, name="真金路助餐点", address="上海市普陀区真金路120号", lat=lat + 0.001, lng=lng)
    PlaceFactory(street=world.street, name="真金路驿站", address="上海市普陀区真金路300号", lat=lat - 0.002, lng=lng)
    yield world
    OutboxSmsBackend.clear()


def test_the_urgent_sms_names_the_compound_road_and_nearest_place(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report_create(
            street=world.street,
            category="fire_passage",
            lat=IN_A1[0],
            lng=IN_A1[1],
            reporter=world.rider,
            address="3号楼东侧",
        )
    [sms] = [m.message for m in OutboxSmsBackend.outbox if m.phone == world.gw_unit.phone]
    assert "阳光小区 · 真金路 · 离 真金路助餐点 约 111 米（3号楼东侧）" in sms


def test_the_case_page_and_console_say_where_with_a_navigate_button(world, client):
    r = report_create(
        street=world.street, category="corridor_clutter", lat=IN_A1[0], lng=IN_A1[1], reporter=world.rider
    )
    client.force_login(world.admin)
    page = client.get(f"/staff/cases/{r.case.pk}/").content.decode()
    where = page[page.index('id="case-where"') :]
    assert where.index("阳光小区 · 真金路") < where.index('id="case-navigate"')
    assert 'href="https://uri.amap.com/navigation?to=' in where
    console = client.get("/staff/cases/?street=locjie").content.decode()
    assert '<span class="case-row__spot">阳光小区 · 真金路 · 离 真金路助餐点 约 111 米</span>' in console
