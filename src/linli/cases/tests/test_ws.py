"""Live console updates: a case change made through the services reaches the staff connected to
ws/cases/<street>/ who may see it — a grid worker hears of their grid's cases and not of another grid's — and
nobody else may connect (closed with 4403). In-memory channel layer; on_commit really runs (transaction=True)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import Client, override_settings

from linli.cases.models import CaseStatus
from linli.cases.services.reports import report_create
from linli.cases.services.workflow import case_transition
from linli.cases.tests.factories import IN_A1, IN_B, build_world
from linli.core.models import Role, RoleAssignment
from linli.core.tests.factories import UserFactory

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _env(settings, tmp_path):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHANNEL_LAYERS = IN_MEMORY
    cache.clear()


def run(coro_fn) -> None:
    """Run a coroutine on its own event loop in a fresh thread (other tests may leave a loop in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro_fn()).result()


def _app():
    from linli.cases.routing import websocket_urlpatterns

    return URLRouter(websocket_urlpatterns)


async def connect(user, street="casejie", app=None, headers=None) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(app or _app(), f"/ws/cases/{street}/", headers=headers or [])
    if user is not None:
        comm.scope["user"] = user
    connected, _ = await comm.connect()
    assert connected
    return comm


async def refused(comm: WebsocketCommunicator) -> bool:
    out = await comm.receive_output(timeout=2)
    return out == {"type": "websocket.close", "code": 4403}


async def hello(comm: WebsocketCommunicator) -> None:
    assert (await comm.receive_json_from(timeout=2))["type"] == "hello"


def report(world, at, code="corridor_clutter", reporter=None):
    return report_create(street=world.street, category=code, lat=at[0], lng=at[1], reporter=reporter or world.rider)


def test_grid_worker_hears_of_their_grids_cases_only():
    world = build_world()

    async def scenario():
        unit = await connect(world.gw_unit)
        station = await connect(world.gw_ws)  # workstation A, parent of unit A1
        other = await connect(world.gw_b)
        for comm in (unit, station, other):
            await hello(comm)

        rep = await database_sync_to_async(report)(world, IN_A1)
        for comm in (unit, station):
            msg = await comm.receive_json_from(timeout=2)
            assert msg["type"] == "case.changed" and msg["event"] == "created"
            assert msg["case"]["id"] == rep.case_id and msg["case"]["status"] == CaseStatus.DISPATCHED
            assert msg["case"]["grid"]["external_id"] == "casejie-a1"
            assert "reporter" not in msg["case"]
        assert await other.receive_nothing(timeout=0.3)

        rep_b = await database_sync_to_async(report)(world, IN_B, reporter=world.rider2)
        msg = await other.receive_json_from(timeout=2)
        assert msg["case"]["id"] == rep_b.case_id
        assert await unit.receive_nothing(timeout=0.3)
        assert await station.receive_nothing(timeout=0.3)

        # A transition of the A1 case reaches the A1 workers as an update.
        case = rep.case
        await database_sync_to_async(case_transition)(case=case, to_status=CaseStatus.ACCEPTED, actor=world.gw_unit)
        msg = await unit.receive_json_from(timeout=2)
        assert msg["event"] == "accepted" and msg["case"]["status"] == "accepted"
        assert await other.receive_nothing(timeout=0.3)

        await unit.send_json_to({"type": "ping"})
        assert await unit.receive_json_from(timeout=2) == {"type": "pong"}
        for comm in (unit, station, other):
            await comm.disconnect()

    run(scenario)


def test_safety_officer_hears_every_case_once():
    world = build_world()

    async def scenario():
        safety = await connect(world.safety)
        admin = await connect(world.admin)
        await hello(safety)
        await hello(admin)
        # fire_passage names safety_officer among its roles: the officer is in the hq and the role group.
        rep = await database_sync_to_async(report)(world, IN_B, code="fire_passage")
        for comm in (safety, admin):
            msg = await comm.receive_json_from(timeout=2)
            assert msg["case"]["id"] == rep.case_id
            assert await comm.receive_nothing(timeout=0.3)  # no duplicate through the second group
        await safety.disconnect()
        await admin.disconnect()

    run(scenario)


def test_anonymous_riders_residents_and_other_streets_are_refused():
    world = build_world()
    other = build_world("otherjie")
    station_staff = UserFactory()
    RoleAssignment.objects.create(user=station_staff, street=world.street, role=Role.STATION_STAFF)

    async def scenario():
        for user, street in [
            (None, "casejie"),
            (world.rider, "casejie"),
            (world.resident, "casejie"),
            (station_staff, "casejie"),
            (other.admin, "casejie"),
            (world.admin, "nowhere"),
        ]:
            comm = await connect(user, street)
            assert await refused(comm), (user, street)

    run(scenario)


def test_session_cookie_signs_the_socket_in():
    """Through channels' AuthMiddlewareStack (as linli.asgi wraps websockets): the browser's session cookie."""
    world = build_world()
    client = Client()
    client.force_login(world.gw_unit)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    app = AuthMiddlewareStack(_app())

    async def scenario():
        comm = await connect(None, app=app, headers=[(b"cookie", cookie)])
        await hello(comm)
        rep = await database_sync_to_async(report)(world, IN_A1)
        assert (await comm.receive_json_from(timeout=2))["case"]["id"] == rep.case_id
        await comm.disconnect()
        anonymous = await connect(None, app=app)
        assert await refused(anonymous)

    run(scenario)


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_bad_path_is_refused():
    async def scenario():
        comm = WebsocketCommunicator(_app(), "/ws/cases/bad%20code!/")
        with pytest.raises(ValueError):  # no route matches
            await comm.connect()

    run(scenario)


def test_a_reconnecting_console_catches_up_by_its_cursor():
    """A console that lost its socket (Redis restarting, a network change) reconnects with `?since=<cursor>` and
    gets every change it missed from the database, then `caught_up` and live pushes; without a cursor, nothing
    old is replayed."""
    from urllib.parse import quote

    from django.utils import timezone

    world = build_world()
    cursor = timezone.now().isoformat()
    missed = [report(world, at).case_id for at in ((31.251, 121.381), (31.253, 121.384), (31.257, 121.391))]

    async def scenario():
        comm = WebsocketCommunicator(_app(), f"/ws/cases/casejie/?since={quote(cursor)}")
        comm.scope["user"] = world.admin
        assert (await comm.connect())[0]
        hello_msg = await comm.receive_json_from(timeout=2)
        assert hello_msg["type"] == "hello" and hello_msg["cursor"] >= cursor
        got = []
        while True:
            msg = await comm.receive_json_from(timeout=2)
            if msg["type"] == "caught_up":
                break
            got.append((msg["event"], msg["case"]["id"]))
        assert sorted({cid for _e, cid in got}) == sorted(set(missed)) and all(e == "created" for e, _ in got)
        assert msg["count"] == len(got)
        await comm.disconnect()
        fresh = await connect(world.admin)  # no cursor: only hello, nothing replayed
        assert (await fresh.receive_json_from(timeout=2))["type"] == "hello"
        assert await fresh.receive_nothing(timeout=0.3)
        await fresh.disconnect()
        outsider = WebsocketCommunicator(_app(), f"/ws/cases/casejie/?since={quote(cursor)}")
        outsider.scope["user"] = world.gw_b  # a grid worker of another grid: none of the missed cases
        assert (await outsider.connect())[0]
        assert (await outsider.receive_json_from(timeout=2))["type"] == "hello"
        caught_up = await outsider.receive_json_from(timeout=2)
        assert caught_up["type"] == "caught_up" and caught_up["count"] == 0
        await outsider.disconnect()

    run(scenario)
