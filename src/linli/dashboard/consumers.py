"""Live dashboards over WebSocket: `ws/dashboard/live/<grid_id>/` sends {"type": "live", "picture": ...} whenever the
grid's live picture changes (the page and the big screen update in place, no reload).

Only a signed-in user who may see the grid (`selectors.grid_visible_get`: the street HQ's staff see every grid, a
worker their grid and the grids below it) is kept; anyone else is accepted and closed at once with 4403, so the
browser learns why and stops retrying. If the channel layer cannot subscribe (Redis away) the socket closes with
1013 and the page retries with back-off. Nothing is lost while a socket is down: every (re)connection gets the
current picture first.

Coalescing (`LiveHub`, one per event loop, i.e. per WebSocket process): the "changed" notices of
`services.live.change_heard` only mark a street's grids dirty. The hub recomputes a street's snapshot at most
once per `WINDOW` (the first change of a quiet street at once, a burst's later ones together at the window's end),
derives the picture of each dirty grid that has open dashboards in this process, and sends it to each of them.
Counts that move with the clock alone (the SLA clock, "the last hour", gates going offline) are refreshed every
`TICK` seconds while dashboards are open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from linli.core.cache import REDIS_DOWN_ERRORS
from linli.core.errors import Problem
from linli.core.models import Grid
from linli.dashboard.selectors import grid_visible_get
from linli.dashboard.selectors_live import StreetLive, grid_picture, street_live
from linli.dashboard.services.live import live_group

logger = logging.getLogger("linli.dashboard.consumers")

CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN = 1013
WINDOW_S = 0.1  # at most one recomputation of a street per window (per WebSocket process)
HEARD_MAX = 1024
TICK_S = 30.0  # clock-driven counts (SLA, last hour, gates offline) refresh this often while dashboards are open


def _pictures(
    street_id: int, grid_ids: list[int], domains: set[str] | None, previous: StreetLive | None
) -> tuple[StreetLive, dict[int, dict[str, Any]]]:
    """The street's snapshot (only the changed domains read again) and each grid's picture (in a worker thread)."""
    snap = street_live(street_id, domains=domains, previous=previous)
    known = snap.attribution.tree.grids
    return snap, {gid: grid_picture(snap, gid) for gid in grid_ids if gid in known}


def live_message(picture: dict[str, Any]) -> str:
    """The {"type": "live", "picture": ...} frame, as JSON text (the picture's times are ISO strings already)."""
    return json.dumps({"type": "live", "picture": picture}, ensure_ascii=False, separators=(",", ":"))


class LiveHub:
    """The open live dashboards of one event loop, by street and grid, and their coalesced refreshes."""

    def __init__(self) -> None:
        self.subs: dict[int, dict[int, set[LiveConsumer]]] = {}
        self.pending: dict[int, set[int]] = {}
        self.pending_domains: dict[int, set[str] | None] = {}  # None: every domain
        self.snaps: dict[int, StreetLive] = {}
        self.last: dict[int, float] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.ticker: asyncio.Task[None] | None = None
        self.computations = 0  # how many snapshots were read (tests and the benchmark look)
        self.heard: OrderedDict[str, None] = OrderedDict()  # notices handled lately (each arrives once per socket)

    def first_time(self, notice_id: str) -> bool:
        """Whether this process has not handled the notice yet (its copies to the other sockets are then skipped)."""
        if notice_id in self.heard:
            return False
        self.heard[notice_id] = None
        if len(self.heard) > HEARD_MAX:
            self.heard.popitem(last=False)
        return True

    def join(self, consumer: LiveConsumer, street_id: int, grid_id: int) -> None:
        self.subs.setdefault(street_id, {}).setdefault(grid_id, set()).add(consumer)
        if self.ticker is None or self.ticker.done():
            self.ticker = asyncio.get_running_loop().create_task(self._tick())
        snap = self.snaps.get(street_id)  # the current picture, first thing: from the street's snapshot if held
        if snap is not None and grid_id in snap.attribution.tree.grids:
            asyncio.get_running_loop().create_task(consumer.picture_send(live_message(grid_picture(snap, grid_id))))
        else:
            self.dirty(street_id, [grid_id])

    def leave(self, consumer: LiveConsumer, street_id: int, grid_id: int) -> None:
        grids = self.subs.get(street_id, {})
        grids.get(grid_id, set()).discard(consumer)
        if grid_id in grids and not grids[grid_id]:
            del grids[grid_id]
        if street_id in self.subs and not grids:
            del self.subs[street_id]
            for state in (self.pending, self.pending_domains, self.last, self.snaps):
                state.pop(street_id, None)  # type: ignore[attr-defined]
        if not self.subs and self.ticker is not None:
            self.ticker.cancel()
            self.ticker = None

    def dirty(self, street_id: int, grid_ids: Iterable[int], domain: str | None = None) -> None:
        """Grids of the street whose picture changed (through `domain`'s rows; None: any, or the clock): refresh
        those with open dashboards here, coalesced."""
        open_here = self.subs.get(street_id)
        if not open_here:
            return
        wanted = {gid for gid in grid_ids if gid in open_here}
        if not wanted:
            return
        self.pending.setdefault(street_id, set()).update(wanted)
        if domain is None or street_id not in self.snaps:
            self.pending_domains[street_id] = None
        elif street_id not in self.pending_domains or self.pending_domains[street_id] is not None:
            self.pending_domains.setdefault(street_id, set()).add(domain)  # type: ignore[union-attr]
        task = self.tasks.get(street_id)
        if task is None or task.done():
            self.tasks[street_id] = asyncio.get_running_loop().create_task(self._refresh(street_id))

    async def _refresh(self, street_id: int) -> None:
        while self.pending.get(street_id):
            wait = self.last.get(street_id, 0.0) + WINDOW_S - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)  # a burst's later changes wait for the window's end, together
            grid_ids = sorted(self.pending.pop(street_id, set()))
            domains = self.pending_domains.pop(street_id, None)
            self.last[street_id] = time.monotonic()
            if not grid_ids:
                continue
            try:
                snap, pictures = await database_sync_to_async(_pictures)(
                    street_id, grid_ids, domains, self.snaps.get(street_id)
                )
            except Exception:  # noqa: BLE001 - one failed read must not stop later refreshes
                logger.exception("live picture of street %s failed", street_id)
                continue
            self.computations += 1
            if street_id in self.subs:
                self.snaps[street_id] = snap
            for gid, picture in pictures.items():
                text = live_message(picture)  # serialised once per grid, not once per open dashboard
                for consumer in list(self.subs.get(street_id, {}).get(gid, ())):
                    await consumer.picture_send(text)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            for street_id, grids in list(self.subs.items()):
                self.dirty(street_id, list(grids))


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LiveHub] = weakref.WeakKeyDictionary()


def live_hub() -> LiveHub:
    """The hub of the running event loop (one WebSocket process runs one loop; tests may run several)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = LiveHub()
    return hub


def grid_for(user: Any, grid_id: int) -> Grid | None:
    """The grid if `user` may see it, else None."""
    grid = Grid.objects.filter(pk=grid_id).select_related("street").first()
    if grid is None:
        return None
    try:
        return grid_visible_get(user, street=grid.street, grid_id=grid.pk)
    except Problem:
        return None


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """`ws/dashboard/live/<grid_id>/`: one grid's live picture, pushed (read-only)."""

    street_id: int | None = None
    grid_id: int | None = None
    group: str = ""

    async def connect(self) -> None:
        grid_id = int(self.scope["url_route"]["kwargs"]["grid_id"])
        grid = await database_sync_to_async(grid_for)(self.scope.get("user"), grid_id)
        await self.accept()
        if grid is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        try:
            await self.channel_layer.group_add(live_group(grid.pk), self.channel_name)
        except REDIS_DOWN_ERRORS as exc:
            logger.info("dashboard subscription refused, the channel layer is away: %s", exc.__class__.__name__)
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        self.group, self.street_id, self.grid_id = live_group(grid.pk), grid.street_id, grid.pk
        await self.send_json({"type": "hello", "grid": grid.pk})
        live_hub().join(self, grid.street_id, grid.pk)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """As channels runs a consumer, but the channel layer going away under a live socket closes it with 1013
        (the page reconnects and gets the current picture) instead of failing it."""
        try:
            await super().__call__(scope, receive, send)
        except REDIS_DOWN_ERRORS as exc:
            logger.info("dashboard socket closed, the channel layer went away: %s", exc.__class__.__name__)
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN})

    async def disconnect(self, close_code: int) -> None:
        if self.street_id is not None and self.grid_id is not None:
            live_hub().leave(self, self.street_id, self.grid_id)
        group, self.group = self.group, ""
        if group:
            with contextlib.suppress(*REDIS_DOWN_ERRORS):
                await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The stream is one-way; a ping keeps proxies from closing an idle socket.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def dashboard_changed(self, event: dict[str, Any]) -> None:
        street_id = event.get("street")
        notice = event.get("id")
        hub = live_hub()
        if isinstance(notice, str) and not hub.first_time(notice):
            return  # another socket of this process brought the same notice: its grids are marked already
        if isinstance(street_id, int):
            domain = event.get("domain")
            grids = [g for g in event.get("grids", []) if isinstance(g, int)]
            hub.dirty(street_id, grids, domain if isinstance(domain, str) else None)

    async def picture_send(self, text: str) -> None:
        with contextlib.suppress(Exception):  # a socket closing meanwhile: its disconnect cleans up
            await self.send(text_data=text)
