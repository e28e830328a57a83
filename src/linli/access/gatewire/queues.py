"""Command and reply queues for gates on the HTTP transport (controllers without MQTT).

`open_http_gate` puts the signed command in the gate's queue and blocks on the command's reply list; the
controller's long-poll (`http_api`) takes the command from the queue, and its `opened`/`refused` report, posted to
`http_api`, is pushed on the reply list, which wakes the waiting request whichever web process serves it. A command
still unanswered when the request gives up ("queued") is remembered with its tap, so a later report is recorded on
the tap by `http_api`.

Production: Redis lists (`settings.REDIS_URL`), BLPOP for both waits, every key with a short expiry so nothing
outlives its command. Embedded mode (no Redis; one process serves everything): the same lists in memory.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from typing import Any, Protocol

import redis
from django.conf import settings

from linli.access.gatewire import protocol
from linli.access.gatewire.client import OpenResult

QUEUE_TTL_SECONDS = protocol.COMMAND_TTL_SECONDS + 2
REPLY_TTL_SECONDS = 30
LATE_REPORT_SECONDS = 60  # a queued command's report this late is still recorded on its tap
MAX_POLL_WAIT_SECONDS = 25
MAX_COMMANDS_PER_POLL = 50


class CommandQueue(Protocol):
    def push_command(self, public_id: str, command: dict[str, Any]) -> None: ...

    def pop_commands(self, public_id: str, wait: float) -> list[dict[str, Any]]: ...

    def push_reply(self, command_id: str, payload: bytes) -> None: ...

    def wait_reply(self, command_id: str, timeout: float) -> bytes | None: ...

    def remember_late(self, command_id: str, tap_id: int) -> None: ...

    def take_late(self, command_id: str) -> int | None: ...


def _as_list(value: Any) -> list[bytes]:
    """redis-py's LPOP answers None, one value, or a list (with a count)."""
    if value is None:
        return []
    return [bytes(v) for v in value] if isinstance(value, list) else [bytes(value)]


def _unexpired(raw: list[bytes], now: float) -> list[dict[str, Any]]:
    commands = []
    for item in raw:
        command = json.loads(item)
        if command.get("exp", 0) >= protocol.now_ms(now):
            commands.append(command)
    return commands


class RedisCommandQueue:
    def __init__(self, url: str, prefix: str = "linli:gatewire") -> None:
        # A blocking read waits up to MAX_POLL_WAIT_SECONDS: the socket must wait longer than that.
        self.redis = redis.Redis.from_url(
            url, socket_timeout=MAX_POLL_WAIT_SECONDS + 10, socket_connect_timeout=2, health_check_interval=30
        )
        self.prefix = prefix

    def _cmd_key(self, public_id: str) -> str:
        return f"{self.prefix}:cmd:{public_id}"

    def _reply_key(self, command_id: str) -> str:
        return f"{self.prefix}:reply:{command_id}"

    def push_command(self, public_id: str, command: dict[str, Any]) -> None:
        key = self._cmd_key(public_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.rpush(key, protocol.encode(command))
        pipe.expire(key, QUEUE_TTL_SECONDS)
        pipe.execute()

    def pop_commands(self, public_id: str, wait: float) -> list[dict[str, Any]]:
        key = self._cmd_key(public_id)
        deadline = time.monotonic() + wait
        while True:
            raw = _as_list(self.redis.lpop(key, MAX_COMMANDS_PER_POLL))
            remaining = deadline - time.monotonic()
            if not raw and remaining > 0:
                first: Any = self.redis.blpop([key], timeout=remaining)
                if first is not None:
                    raw = [bytes(first[1]), *_as_list(self.redis.lpop(key, MAX_COMMANDS_PER_POLL - 1))]
            commands = _unexpired(raw, time.time())
            if commands or deadline - time.monotonic() <= 0:
                return commands

    def push_reply(self, command_id: str, payload: bytes) -> None:
        key = self._reply_key(command_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.rpush(key, payload)
        pipe.expire(key, REPLY_TTL_SECONDS)
        pipe.execute()

    def wait_reply(self, command_id: str, timeout: float) -> bytes | None:
        if timeout <= 0:
            return None
        got: Any = self.redis.blpop([self._reply_key(command_id)], timeout=timeout)
        return None if got is None else bytes(got[1])

    def remember_late(self, command_id: str, tap_id: int) -> None:
        self.redis.set(f"{self.prefix}:late:{command_id}", tap_id, ex=LATE_REPORT_SECONDS)

    def take_late(self, command_id: str) -> int | None:
        got = self.redis.getdel(f"{self.prefix}:late:{command_id}")
        return None if got is None else int(got)


class LocalCommandQueue:
    """The same lists in this process's memory, for the embedded mode where one process serves everything."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._lists: dict[str, deque[tuple[float, bytes]]] = defaultdict(deque)

    def _push(self, key: str, payload: bytes, ttl: float) -> None:
        with self._cond:
            now = time.monotonic()
            for stale in [k for k, items in self._lists.items() if items and items[-1][0] < now]:
                del self._lists[stale]
            self._lists[key].append((now + ttl, payload))
            self._cond.notify_all()

    def _pop(self, key: str, count: int, wait: float) -> list[bytes]:
        deadline = time.monotonic() + wait
        with self._cond:
            while True:
                now = time.monotonic()
                items = self._lists.get(key)
                taken: list[bytes] = []
                while items and len(taken) < count:
                    expires, payload = items.popleft()
                    if expires >= now:
                        taken.append(payload)
                if taken or now >= deadline:
                    return taken
                self._cond.wait(deadline - now)

    def push_command(self, public_id: str, command: dict[str, Any]) -> None:
        self._push(f"cmd:{public_id}", protocol.encode(command), QUEUE_TTL_SECONDS)

    def pop_commands(self, public_id: str, wait: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + wait
        while True:
            raw = self._pop(f"cmd:{public_id}", MAX_COMMANDS_PER_POLL, max(deadline - time.monotonic(), 0))
            commands = _unexpired(raw, time.time())
            if commands or time.monotonic() >= deadline:
                return commands

    def push_reply(self, command_id: str, payload: bytes) -> None:
        self._push(f"reply:{command_id}", payload, REPLY_TTL_SECONDS)

    def wait_reply(self, command_id: str, timeout: float) -> bytes | None:
        got = self._pop(f"reply:{command_id}", 1, max(timeout, 0))
        return got[0] if got else None

    def remember_late(self, command_id: str, tap_id: int) -> None:
        self._push(f"late:{command_id}", str(tap_id).encode(), LATE_REPORT_SECONDS)

    def take_late(self, command_id: str) -> int | None:
        got = self._pop(f"late:{command_id}", 1, 0)
        return int(got[0]) if got else None


_queues: dict[str, CommandQueue] = {}
_queues_lock = threading.Lock()


def command_queue() -> CommandQueue:
    """The process's queue: Redis when settings.REDIS_URL is set, else in memory."""
    url = getattr(settings, "REDIS_URL", "") or ""
    queue = _queues.get(url)
    if queue is None:
        with _queues_lock:
            queue = _queues.get(url)
            if queue is None:
                queue = RedisCommandQueue(url) if url else LocalCommandQueue()
                _queues[url] = queue
    return queue


def open_http_gate(
    *, gate_public_id: str, command_key: bytes, tap_id: int, timeout: float, queue: CommandQueue | None = None
) -> OpenResult:
    """Queue the open command for the controller's next poll and wait up to `timeout` for its report."""
    queue = queue or command_queue()
    deadline = time.monotonic() + max(timeout, 0.0)
    command = protocol.make_open_command(gate=gate_public_id, command_key=command_key, tap=tap_id, now=time.time())
    command_id = command["id"]
    try:
        queue.push_command(gate_public_id, command)
        while (remaining := deadline - time.monotonic()) > 0:
            payload = queue.wait_reply(command_id, remaining)
            if payload is None:
                break
            try:
                event = protocol.check_event(payload, command_key=command_key, now=time.time(), gate=gate_public_id)
            except protocol.EventInvalid:
                continue
            if event.command != command_id:
                continue
            if event.type == "opened":
                return OpenResult(opened=True, command_id=command_id, outcome="opened")
            if event.type == "refused":
                return OpenResult(opened=False, command_id=command_id, outcome=f"refused:{event.reason}")
        queue.remember_late(command_id, tap_id)  # its report, when the controller polls later, goes to the tap
    except redis.RedisError:
        return OpenResult(opened=False, command_id=command_id, outcome="broker_down")
    return OpenResult(opened=False, command_id=command_id, outcome="queued")
