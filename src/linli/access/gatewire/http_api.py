"""The HTTP interface for gate controllers without MQTT, mounted at `/api/v1/access/gates/`.

`GET {public_id}/commands?wait=N` long-polls the gate's queue (up to 25 s) and returns the signed open commands
waiting for it; `POST {public_id}/events` takes one signed event (`opened`, `refused`, `heartbeat`). Every request
carries `Authorization: Gate <public_id>:<unix ts>:<base64url HMAC(command_key, "<public_id>:<ts>")>` (±60 s).
Thin: authenticate, call the queue / recorder, answer. An answered poll counts as a heartbeat (throttled).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import redis
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from pydantic import Field

from linli.access.gatewire import protocol, queues
from linli.access.gatewire.recorder import write_gate_times
from linli.access.models import Gate
from linli.access.services.tap_results import tap_command_result
from linli.core.errors import Problem
from linli.core.schemas import problems

router = Router(tags=["gate controllers 门禁控制器"])

POLL_HEARTBEAT_EVERY_SECONDS = 30


class GateAuth:
    """The gate this request is signed for: (public_id, command_key, last_heartbeat_at)."""

    def __init__(self, public_id: str, command_key: bytes, last_heartbeat_at: dt.datetime | None) -> None:
        self.public_id = public_id
        self.command_key = command_key
        self.last_heartbeat_at = last_heartbeat_at


def _authenticate(request: HttpRequest, public_id: str) -> GateAuth:
    header = request.headers.get("Authorization")
    row = None
    if protocol.is_public_id(public_id):
        row = (
            Gate.objects.filter(public_id=public_id, active=True)
            .values_list("command_key", "last_heartbeat_at")
            .first()
        )
    try:
        if row is None:
            raise protocol.AuthInvalid("no such active gate")
        command_key = bytes(row[0])
        protocol.check_http_auth(header, public_id=public_id, command_key=command_key, now=time.time())
    except protocol.AuthInvalid as exc:
        raise Problem(
            "not_authenticated",
            detail=_("门禁控制器签名无效"),  # the same answer for every cause
        ) from exc
    return GateAuth(public_id, command_key, row[1])


def _queue_down() -> Problem:
    """The command queue's store (Redis) is unreachable: the controller retries shortly."""
    return Problem("server_error", detail=_("门禁指令队列暂不可用"), status=503)


class PollQuery(Schema):
    wait: int = Field(0, ge=0, le=queues.MAX_POLL_WAIT_SECONDS, description="long-poll seconds (0-25)")


class CommandsOut(Schema):
    commands: list[dict[str, Any]] = Field(
        ..., description='signed open commands: {"v":1,"id","gate","action":"open","exp","tap","mac"}'
    )


class GateEventIn(Schema):
    v: int
    type: str = Field(..., description="opened | refused | heartbeat")
    gate: str
    command: str | None = None
    reason: str | None = None
    at: int = Field(..., description="unix milliseconds, the controller's clock")
    mac: str


class GateEventOut(Schema):
    accepted: bool
    type: str


@router.get("{public_id}/commands", response=CommandsOut, auth=None, summary="Long-poll a gate's open commands")
@problems("not_authenticated", ("server_error", 503))
def gate_commands(request: HttpRequest, public_id: str, query: Query[PollQuery]) -> dict[str, Any]:
    gate = _authenticate(request, public_id)
    now = time.time()
    stale = gate.last_heartbeat_at is None or gate.last_heartbeat_at.timestamp() < now - POLL_HEARTBEAT_EVERY_SECONDS
    if stale:  # a signed poll is a sign of life
        write_gate_times({public_id: (now, now)})
    try:
        commands = queues.command_queue().pop_commands(public_id, float(query.wait))
    except redis.RedisError as exc:
        raise _queue_down() from exc
    return {"commands": commands}


@router.post("{public_id}/events", response=GateEventOut, auth=None, summary="Report a gate event")
@problems("not_authenticated", ("server_error", 503))
def gate_event(request: HttpRequest, public_id: str, payload: GateEventIn) -> dict[str, Any]:
    gate = _authenticate(request, public_id)
    now = time.time()
    raw = payload.model_dump()
    try:
        event = protocol.check_event(raw, command_key=gate.command_key, now=now, gate=public_id)
    except protocol.EventInvalid as exc:
        raise Problem("validation_error", detail=format_lazy(_("门禁事件签名无效（{error}）"), error=exc)) from exc
    if event.command is not None:
        try:
            queue = queues.command_queue()
            queue.push_reply(event.command, protocol.encode(raw))
            late_tap = queue.take_late(event.command)
        except redis.RedisError as exc:
            raise _queue_down() from exc
        if late_tap is not None:  # the tap was answered "queued": its row gets the result now
            outcome = "opened" if event.type == "opened" else f"refused:{event.reason}"
            tap_command_result(
                tap_id=late_tap, command_id=event.command, outcome=outcome, opened=event.type == "opened"
            )
    write_gate_times({public_id: (now if event.type == "heartbeat" else None, now)})
    return {"accepted": True, "type": event.type}
