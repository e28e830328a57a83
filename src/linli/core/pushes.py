"""Sending to channel-layer groups from synchronous code (services, after COMMIT), for any domain.

One long-lived event loop per process in a daemon thread carries the sends to a network channel layer
(channels_redis keeps its connection pools per event loop: `async_to_sync` would pay a fresh loop and a fresh Redis
connection per send). The in-memory layer of the embedded mode and the tests is sent to in one `async_to_sync`
call (from another thread when the caller's thread runs an event loop). While Redis is away the send is skipped
(`core.cache.redis_state`): nothing waits on it, and the receivers catch up from the database when they reconnect.
A failure is logged and reported by the return value, never raised: the write that caused the send is saved.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from linli.core.cache import REDIS_DOWN_ERRORS, redis_state

logger = logging.getLogger("linli.core.pushes")

SEND_TIMEOUT_S = 5.0


class _LayerLoop:
    """The process's event loop for a network channel layer; created lazily and per process id (a gunicorn worker
    forked from a master that imported this module gets its own thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid() or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="linli-pushes-layer", daemon=True).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop


_layer_loop = _LayerLoop()


async def _send_all(layer: Any, groups: list[str], message: dict[str, Any]) -> None:
    await asyncio.gather(*(layer.group_send(group, message) for group in groups))


def group_send(groups: list[str], message: dict[str, Any], *, what: str = "push") -> bool:
    """Send `message` to every group; whether it went (False: no layer, Redis away, or an error, logged)."""
    if not groups:
        return True
    try:
        layer = get_channel_layer()
        if layer is None:
            return False
        if isinstance(layer, InMemoryChannelLayer):
            send = async_to_sync(_send_all)
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                send(layer, groups, message)
            else:  # a thread that runs an event loop (a test driving a browser): send from another thread
                with concurrent.futures.ThreadPoolExecutor(1) as pool:
                    pool.submit(send, layer, groups, message).result(timeout=SEND_TIMEOUT_S)
            return True
        if not redis_state.available():
            return False
        future = asyncio.run_coroutine_threadsafe(_send_all(layer, groups, message), _layer_loop.get())
        try:
            future.result(timeout=SEND_TIMEOUT_S)
        except (*REDIS_DOWN_ERRORS, concurrent.futures.TimeoutError) as exc:  # type: ignore[misc]
            future.cancel()
            redis_state.failed(what, exc)
            return False
        redis_state.succeeded()
        return True
    except Exception:  # noqa: BLE001 - a push failure must not break anything: the write is saved
        logger.exception("%s to %s failed", what, groups)
        return False
