"""Responders' live consoles: `ws/care/<street>/` gets `care.call` (and `care.alert`) messages.

Only signed-in care staff of the street may connect (others are accepted and closed with 4403). The socket joins
`care.<street>.user.<id>` (the calls pushed to this responder) and, for care leads, `care.<street>.lead`. Nothing
is lost while a socket is down (Redis restarting): on every connection the consumer sends each open call of the
street from the database (`"event": "open"`) after subscribing, so a console that reconnects sees every call
still waiting, and those it missed. If the layer cannot subscribe the socket closes with 1013 (try again)."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from linli.care.selectors import CARE_ROLES, LEAD_ROLES, calls_open
from linli.care.services.push import call_summary, lead_group, presence_join, presence_leave, user_group
from linli.core.cache import REDIS_DOWN_ERRORS
from linli.core.models import RoleAssignment, Street

logger = logging.getLogger("linli.care.consumers")

CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN = 1013


def groups_for(user: Any, street_code: str) -> list[str]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    street = Street.objects.filter(code=street_code).first()
    if street is None:
        return []
    if user.is_superuser:
        return [user_group(street.code, user.pk), lead_group(street.code)]
    roles = set(
        RoleAssignment.objects.filter(user=user, street=street, role__in=CARE_ROLES).values_list("role", flat=True)
    )
    if not roles:
        return []
    groups = [user_group(street.code, user.pk)]
    if roles & set(LEAD_ROLES):
        groups.append(lead_group(street.code))
    return groups


def open_call_summaries(street_code: str) -> list[dict[str, Any]]:
    street = Street.objects.filter(code=street_code).first()
    return [call_summary(c) for c in calls_open(street=street)] if street else []


class CareConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]
    user_id: int | None = None

    async def connect(self) -> None:
        self.groups_joined = []
        code = self.scope["url_route"]["kwargs"]["street_code"]
        groups = await database_sync_to_async(groups_for)(self.scope.get("user"), code)
        await self.accept()
        if not groups:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        try:
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
                self.groups_joined.append(group)
        except REDIS_DOWN_ERRORS as exc:
            logger.info("care console subscription refused: %s", exc.__class__.__name__)
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        user = self.scope.get("user")
        self.user_id = getattr(user, "pk", None)
        if self.user_id:
            await database_sync_to_async(presence_join)(self.user_id)
        await self.send_json({"type": "hello", "street": code, "cursor": timezone.now().isoformat()})
        for summary in await database_sync_to_async(open_call_summaries)(code):
            await self.send_json({"type": "care.call", "event": "open", "call": summary})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except REDIS_DOWN_ERRORS as exc:
            logger.info("care console closed, the channel layer went away: %s", exc.__class__.__name__)
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN})

    async def disconnect(self, close_code: int) -> None:
        if getattr(self, "user_id", None):
            await database_sync_to_async(presence_leave)(self.user_id)
            self.user_id = None
        groups, self.groups_joined = self.groups_joined, []
        try:
            for group in groups:
                await self.channel_layer.group_discard(group, self.channel_name)
        except REDIS_DOWN_ERRORS:
            pass

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def care_call(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "care.call", "event": event.get("event", ""), "call": event.get("call") or {}})

    async def care_alert(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "care.alert", "alert": event.get("alert") or {}})
