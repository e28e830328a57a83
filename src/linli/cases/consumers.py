"""Live updates of a street's cases for its staff: the console joins `ws/cases/<street>/` and gets `case.changed`.

Only signed-in case staff of the street may connect (session auth: linli.asgi wraps websockets in channels'
AuthMiddlewareStack). Anyone else is accepted and closed at once with code 4403 (so a browser learns why and stops
retrying). On connect the socket joins the groups the user may see (see linli.cases.services.push):

    cases.<street>.hq              safety officers and admins (every case of the street), superusers
    cases.<street>.grid.<grid_id>  a grid worker: each grid they hold (the push goes to a case's grid and its
                                   ancestors, so a workstation's worker hears of its units' cases too)
    cases.<street>.role.<role>     each role held in the street besides grid_worker (categories name the roles
                                   told of their cases; a grid worker hears only of their grids)

A user in several groups gets one copy of each change (recent changes are remembered and repeats dropped).

Nothing is lost when the socket drops (Redis restarting, a network change): the console keeps a cursor, the
latest change time it saw (`hello` gives the server's time at subscription, each change its `updated_at`), and
reconnects with `?since=<cursor>`; after subscribing, the consumer replays from the database every case of the
user's changed since then (`selectors.cases_changed_since`, with a minute of overlap for transactions that
committed late) before live changes. If the channel layer cannot subscribe (Redis away), the socket is closed
with 1013 (try again later) and the console retries with back-off, showing "正在重新连接".
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from linli.cases.selectors import CASE_STAFF_ROLES, STREET_WIDE_ROLES, cases_changed_since
from linli.cases.services.push import case_summary
from linli.core.cache import REDIS_DOWN_ERRORS
from linli.core.models import Role, RoleAssignment, Street, User

logger = logging.getLogger("linli.cases.consumers")

CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN = 1013  # the channel layer could not subscribe (Redis away): the console retries
SEEN_MAX = 256
CATCH_UP_OVERLAP = timedelta(seconds=60)  # a change written before, committed after, the console's cursor
CATCH_UP_MAX_AGE = timedelta(days=2)  # an older cursor (a laptop asleep for days) reloads the page instead


def since_of(scope: dict[str, Any], now: datetime) -> datetime | None:
    """The `since` cursor of the socket's query string (ISO 8601), or None (first connection, or nonsense)."""
    raw = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("since", [""])[0]
    try:
        since = datetime.fromisoformat(raw.replace(" ", "+")) if raw else None
    except ValueError:
        return None
    if since is None:
        return None
    if since.tzinfo is None:
        since = timezone.make_aware(since)
    return max(min(since, now), now - CATCH_UP_MAX_AGE)


def missed_changes(user: Any, street_code: str, since: datetime) -> list[dict[str, Any]]:
    """(event, summary) of every case the user hears of that changed since `since` (minus the overlap)."""
    street = Street.objects.filter(code=street_code).first()
    if street is None or not isinstance(user, User):
        return []
    start = since - CATCH_UP_OVERLAP
    return [
        {"event": "created" if case.created_at >= since else "updated", "case": case_summary(case)}
        for case in cases_changed_since(user=user, street=street, since=start)
    ]


def groups_for(user: Any, street_code: str) -> list[str]:
    """The channel groups `user` may join for the street; empty when they are no case staff there."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    street = Street.objects.filter(code=street_code).first()
    if street is None:
        return []
    prefix = f"cases.{street.code}"
    if user.is_superuser:
        return [f"{prefix}.hq"]
    held = list(
        RoleAssignment.objects.filter(user=user, street=street, role__in=CASE_STAFF_ROLES).values_list(
            "role", "grid_id"
        )
    )
    groups: list[str] = []
    if any(role in STREET_WIDE_ROLES for role, _grid in held):
        groups.append(f"{prefix}.hq")
    for role, grid_id in held:
        if role == Role.GRID_WORKER:
            if grid_id:
                groups.append(f"{prefix}.grid.{grid_id}")
        else:
            groups.append(f"{prefix}.role.{role}")
    return list(dict.fromkeys(groups))


class CasesConsumer(AsyncJsonWebsocketConsumer):
    """`ws/cases/<street_code>/`: relays {"type": "case.changed", "event", "case"} to staff (read-only)."""

    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        self.seen: OrderedDict[tuple[Any, ...], None] = OrderedDict()
        code = self.scope["url_route"]["kwargs"]["street_code"]
        user = self.scope.get("user")
        groups = await database_sync_to_async(groups_for)(user, code)
        await self.accept()
        if not groups:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        try:
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
                self.groups_joined.append(group)
        except REDIS_DOWN_ERRORS as exc:
            logger.info("console subscription refused, the channel layer is away: %s", exc.__class__.__name__)
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        now = timezone.now()  # subscribed: later changes arrive live, earlier ones are in the database
        since = since_of(self.scope, now)
        await self.send_json({"type": "hello", "street": code, "cursor": now.isoformat()})
        if since is not None:
            missed = await database_sync_to_async(missed_changes)(user, code, since)
            for change in missed:
                await self.case_changed(change)
            await self.send_json({"type": "caught_up", "count": len(missed), "cursor": now.isoformat()})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """As channels runs a consumer, but the channel layer going away under a live socket (Redis stopped)
        closes it with 1013 instead of failing it: the console reconnects and catches up by its cursor."""
        try:
            await super().__call__(scope, receive, send)
        except REDIS_DOWN_ERRORS as exc:
            logger.info("console socket closed, the channel layer went away: %s", exc.__class__.__name__)
            with contextlib.suppress(Exception):  # the socket may be gone already
                await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN})

    async def disconnect(self, close_code: int) -> None:
        groups, self.groups_joined = self.groups_joined, []
        try:
            for group in groups:
                await self.channel_layer.group_discard(group, self.channel_name)
        except REDIS_DOWN_ERRORS:
            pass  # Redis away: its group memberships expire by themselves

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The stream is one-way; a ping keeps proxies from closing an idle socket.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def case_changed(self, event: dict[str, Any]) -> None:
        case = event.get("case") or {}
        key = (
            case.get("id"),
            event.get("event"),
            case.get("status"),
            case.get("updated_at"),
            case.get("reports_count"),
        )
        if key in self.seen:
            return  # the same change through a second group
        self.seen[key] = None
        if len(self.seen) > SEEN_MAX:
            self.seen.popitem(last=False)
        await self.send_json({"type": "case.changed", "event": event.get("event", ""), "case": case})
