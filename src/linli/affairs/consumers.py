"""WebSockets of the affairs centre (served by uvicorn under /ws/, mounted by linli.routing).

`ws/affairs/hall/<place id>/` — the hall screen and the ticket pages of a centre: `hall.call` (a number called to
a window) and `queue.changed` (the waiting count). Read-only and public: it carries ticket numbers, window numbers
and item names, never a person. Joins the group `affairs.hall.<place id>` (services.queue).

`ws/affairs/remote/<room>/` — WebRTC signalling of one remote session between its two browsers: the remote
point that opened it and the clerk who answered. Anyone else is accepted and closed at once with 4403. Messages
`{"type": "signal", "data": {...}}` (an SDP description or an ICE candidate) go to the other side untouched;
the server adds nothing and keeps nothing but the session log. `{"type": "hello"}` tells the other side this
one is here (the clerk then makes the offer); `{"type": "connected"}` from the clerk's browser (media flowing)
starts the call's clock; a side's socket closing ends an active session.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from linli.affairs.models import RemoteSession, RemoteSessionStatus
from linli.affairs.services import remote as remote_services
from linli.affairs.services.queue import hall_group
from linli.core.cache import REDIS_DOWN_ERRORS

logger = logging.getLogger("linli.affairs.consumers")

CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN = 1013
MAX_SIGNAL_BYTES = 64 * 1024  # an SDP offer with two video tracks is a few kB


class HallConsumer(AsyncJsonWebsocketConsumer):
    """`ws/affairs/hall/<place_id>/`: relays `hall.call` and `queue.changed` to screens and phones."""

    group_name = ""

    async def connect(self) -> None:
        place_id = self.scope["url_route"]["kwargs"]["place_id"]
        await self.accept()
        try:
            await self.channel_layer.group_add(hall_group(int(place_id)), self.channel_name)
        except REDIS_DOWN_ERRORS:
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        self.group_name = hall_group(int(place_id))
        await self.send_json({"type": "hello"})

    async def disconnect(self, close_code: int) -> None:
        if self.group_name:
            with contextlib.suppress(*REDIS_DOWN_ERRORS):
                await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def hall_call(self, event: dict[str, Any]) -> None:
        await self.send_json(dict(event))

    async def queue_changed(self, event: dict[str, Any]) -> None:
        await self.send_json(dict(event))


def _session_and_side(room: str, user: Any) -> tuple[int | None, str, str]:
    session = RemoteSession.objects.filter(room=room).first()
    if session is None or session.status in (RemoteSessionStatus.ENDED, RemoteSessionStatus.CANCELLED):
        return None, "", ""
    return session.pk, remote_services.remote_side_of(session, user), session.status


def _end(session_id: int, user: Any, reason: str) -> None:
    session = RemoteSession.objects.filter(pk=session_id).first()
    if session is not None and session.status == RemoteSessionStatus.ACTIVE:
        remote_services.remote_session_end(session=session, actor=user, reason=reason)


class RemoteSignalConsumer(AsyncJsonWebsocketConsumer):
    """`ws/affairs/remote/<room>/`: the signalling relay between the two sides of one remote session."""

    group_name = ""
    side = ""
    session_id: int | None = None

    async def connect(self) -> None:
        room = self.scope["url_route"]["kwargs"]["room"]
        user = self.scope.get("user")
        session_id, side, _status = await database_sync_to_async(_session_and_side)(room, user)
        await self.accept()
        if session_id is None or not side:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.session_id, self.side = session_id, side
        try:
            await self.channel_layer.group_add(f"affairs.remote.{room}", self.channel_name)
        except REDIS_DOWN_ERRORS:
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        self.group_name = f"affairs.remote.{room}"
        await self.send_json({"type": "welcome", "side": side})

    async def disconnect(self, close_code: int) -> None:
        if not self.group_name:
            return
        with contextlib.suppress(*REDIS_DOWN_ERRORS):
            await self.relay({"type": "bye"})
            await self.channel_layer.group_discard(self.group_name, self.channel_name)
        if self.session_id is not None:
            try:
                await database_sync_to_async(_end)(self.session_id, self.scope.get("user"), f"{self.side}-closed")
            except Exception:  # the log is best effort here; the hang-up button ends it properly
                logger.exception("could not end remote session %s", self.session_id)

    async def relay(self, message: dict[str, Any]) -> None:
        await self.channel_layer.group_send(
            self.group_name,
            {"type": "remote.relay", "sender": self.channel_name, "side": self.side, "message": message},
        )

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind in ("hello", "signal", "bye"):
            message: dict[str, Any] = {"type": kind}
            if kind == "signal":
                message["data"] = content.get("data")
            if kind == "hello":
                message["reply"] = bool(content.get("reply"))
            await self.relay(message)
        elif kind == "connected" and self.side == "clerk" and self.session_id is not None:
            await database_sync_to_async(remote_services.remote_session_connected)(
                session_id=self.session_id, actor=self.scope.get("user")
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if text_data is not None and len(text_data) > MAX_SIGNAL_BYTES:
            return  # no SDP is that large: dropped
        await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)

    async def remote_relay(self, event: dict[str, Any]) -> None:
        if event.get("sender") == self.channel_name:
            return  # not back to the sender
        await self.send_json({**event.get("message", {}), "from": event.get("side", "")})
