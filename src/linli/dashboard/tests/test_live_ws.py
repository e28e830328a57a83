"""Live dashboards over WebSocket: a change committed by a domain's service reaches the open dashboards of its grid
and of the grid's ancestors (not a sibling's), a burst of changes costs a few recomputations, not one per change
and dashboard, and nobody may watch a grid out of their reach (4403). In-memory channel layer; on_commit really
runs (transaction=True)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.cache import cache

from linli.cases.models import Case, CaseStatus
from linli.cases.services.workflow import case_transition
from linli.cases.tests.factories import CaseFactory
from linli.core.models import Role
from linli.core.tests.factories import UserFactory
from linli.dashboard.attribution import attribution_forget
from linli.dashboard.consumers import live_hub
from linli.dashboard.tests.factories import grid_tree_build, staff

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _env(settings, tmp_path):  # noqa: ANN001, ANN202
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    cache.clear()
    attribution_forget()


def run(coro_fn) -> None:  # noqa: ANN001
    """Run a coroutine on its own event loop in a fresh thread (other tests may leave a loop in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro_fn()).result()


def _app():  # noqa: ANN202
    from linli.dashboard.routing import websocket_urlpatterns

    return URLRouter(websocket_urlpatterns)


async def _open(user, grid_id: int) -> WebsocketCommunicator:  # noqa: ANN001
    comm = WebsocketCommunicator(_app(), f"/ws/dashboard/live/{grid_id}/")
    comm.scope["user"] = user
    connected, _ = await comm.connect()
    assert connected
    return comm


async def _picture(comm: WebsocketCommunicator, timeout: float = 3) -> dict:
    while True:
        msg = await comm.receive_json_from(timeout=timeout)
        if msg["type"] == "live":
            return msg["picture"]


def _world():  # noqa: ANN202
    t = grid_tree_build()
    lat, lng = t.unit_point(0)
    cases = [
        CaseFactory(street=t.street, grid=t.units[0], status=CaseStatus.DISPATCHED, lat=lat, lng=lng) for _ in range(12)
    ]
    return t, cases


def test_a_change_reaches_its_grid_and_the_ancestors_only() -> None:
    t, cases = _world()
    hq_admin = staff(t.street, Role.ADMIN)
    unit_worker = staff(t.street, Role.GRID_WORKER, grid=t.units[0])
    sibling_worker = staff(t.street, Role.GRID_WORKER, grid=t.units[1])

    async def scenario() -> None:
        hq = await _open(hq_admin, t.hq.pk)
        unit = await _open(unit_worker, t.units[0].pk)
        sibling = await _open(sibling_worker, t.units[1].pk)
        assert (await hq.receive_json_from())["type"] == "hello"
        assert (await _picture(hq))["cases"]["by_status"]["dispatched"] == 12  # the current picture first
        assert (await _picture(unit))["cases"]["open"] == 12
        assert (await _picture(sibling))["cases"]["open"] == 0

        await database_sync_to_async(case_transition)(case=cases[0], to_status=CaseStatus.ACCEPTED, actor=hq_admin)
        for comm in (hq, unit):
            picture = await _picture(comm)
            assert picture["cases"]["by_status"]["accepted"] == 1
            assert picture["cases"]["by_status"]["dispatched"] == 11
        assert await sibling.receive_nothing(timeout=0.6)
        for comm in (hq, unit, sibling):
            await comm.disconnect()

    run(scenario)


def test_a_burst_is_coalesced_into_few_recomputations() -> None:
    t, cases = _world()
    admin = staff(t.street, Role.ADMIN)

    async def scenario() -> None:
        comms = [await _open(admin, t.hq.pk) for _ in range(5)] + [await _open(admin, t.units[0].pk)]
        for comm in comms:
            await _picture(comm)
        hub = live_hub()
        before = hub.computations

        def burst() -> None:
            for case in cases:
                case_transition(case=Case.objects.get(pk=case.pk), to_status=CaseStatus.ACCEPTED, actor=admin)

        await database_sync_to_async(burst)()
        for comm in comms:  # every dashboard ends on the final numbers ...
            picture = await _picture(comm)
            while picture["cases"]["by_status"]["accepted"] != 12:
                picture = await _picture(comm)
        # ... after a handful of recomputations for 12 changes × 6 dashboards (one per window, not per message).
        assert 1 <= hub.computations - before <= 6
        for comm in comms:
            await comm.disconnect()
        assert not hub.subs

    run(scenario)


def test_nobody_watches_a_grid_out_of_reach() -> None:
    t, _cases = _world()
    worker = staff(t.street, Role.GRID_WORKER, grid=t.units[0])

    async def scenario() -> None:
        for user, grid in ((worker, t.hq), (worker, t.units[1]), (UserFactory(), t.hq), (None, t.hq)):
            comm = WebsocketCommunicator(_app(), f"/ws/dashboard/live/{grid.pk}/")
            if user is not None:
                comm.scope["user"] = await database_sync_to_async(lambda u=user: u)()
            connected, _ = await comm.connect()
            assert connected
            assert await comm.receive_output(timeout=2) == {"type": "websocket.close", "code": 4403}

    run(scenario)
