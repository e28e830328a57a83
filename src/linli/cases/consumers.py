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
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from linli.cases.selectors import CASE_STAFF_ROLES, STREET_WIDE_ROLES
from linli.core.models import Role, RoleAssignment, Street

CLOSE_FORBIDDEN = 4403
SEEN_MAX = 256


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
        groups = await database_sync_to_async(groups_for)(self.scope.get("user"), code)
        await self.accept()
        if not groups:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        await self.send_json({"type": "hello", "street": code})

    async def disconnect(self, close_code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []

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
