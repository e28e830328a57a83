"""Live updates of a street's service points: browsers join `places.<street code>` and get `place.changed`."""

from __future__ import annotations

import contextlib
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from linli.core.cache import REDIS_DOWN_ERRORS

CLOSE_TRY_AGAIN = 1013


class PlacesConsumer(AsyncJsonWebsocketConsumer):
    """`ws/places/<street_code>/`: relays {"type": "place.changed", "ids": [...]} to the browser (read-only)."""

    group_name = ""

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["street_code"]
        await self.accept()
        try:
            await self.channel_layer.group_add(f"places.{code}", self.channel_name)
        except REDIS_DOWN_ERRORS:  # the channel layer is away (Redis restarting): the client retries later
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        self.group_name = f"places.{code}"

    async def disconnect(self, close_code: int) -> None:
        if self.group_name:
            with contextlib.suppress(*REDIS_DOWN_ERRORS):
                await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The stream is one-way; a ping keeps proxies from closing an idle socket.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def place_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "place.changed", "ids": list(event.get("ids", []))})
