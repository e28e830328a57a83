"""Redis going away degrades Linli, it does not break it.

`ResilientRedisCache` is Django's Redis cache whose failures (Redis stopped, restarting, unreachable) read as a
miss and write as nothing: the places index and the holiday table then check their version a little more often,
nothing else changes. `redis_state` remembers, per process, that Redis failed: for `RETRY_AFTER_SECONDS` nobody in
the process tries it again (a request does not pay a refused connection per call), the outage is logged once
when it starts and once when Redis answers again. The rate limiter (`core.ratelimit`) and the case pushes
(`cases.services.push`) share the same state.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("linli.redis")

RETRY_AFTER_SECONDS = 1.0
# What "Redis is away" looks like from redis-py (sync and asyncio): refused or dropped connections, time-outs,
# a server still loading its data after a restart, a read-only replica during a fail-over.
REDIS_DOWN_ERRORS: tuple[type[BaseException], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.BusyLoadingError,
    redis.ReadOnlyError,
    OSError,
)


class RedisState:
    """Per process: is Redis believed away, since when, and was that logged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._retry_at = 0.0
        self._down_since: float | None = None

    def available(self) -> bool:
        """False for RETRY_AFTER_SECONDS after a failure: callers use their fallback without trying Redis."""
        return time.monotonic() >= self._retry_at

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, what: str, exc: BaseException) -> None:
        with self._lock:
            self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
            if self._down_since is not None:
                return
            self._down_since = time.monotonic()
        logger.warning(
            "Redis unavailable (%s: %s): rate limits are per process, live pushes wait, consoles catch up later",
            what,
            exc.__class__.__name__,
        )

    def succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            logger.warning(
                "Redis is back after %.1f s: shared rate limits and live pushes resume", time.monotonic() - since
            )

    def reset(self) -> None:
        """Forget any outage (tests)."""
        with self._lock:
            self._retry_at, self._down_since = 0.0, None


redis_state = RedisState()


class ResilientRedisCache(RedisCache):
    """Django's Redis cache that reads a miss and writes nothing while Redis is away (see the module)."""

    def _guard(self, what: str, call: Any, fallback: Any) -> Any:
        if not redis_state.available():
            return fallback
        try:
            result = call()
        except REDIS_DOWN_ERRORS as exc:
            redis_state.failed(f"cache {what}", exc)
            return fallback
        redis_state.succeeded()
        return result

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._guard("get", lambda: super(ResilientRedisCache, self).get(key, default, version), default)

    def get_many(self, keys: Any, version: Any = None) -> Any:
        return self._guard("get_many", lambda: super(ResilientRedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: Any = None) -> Any:
        return self._guard("has_key", lambda: super(ResilientRedisCache, self).has_key(key, version), False)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:  # type: ignore[override]
        return self._guard("add", lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), False)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:  # type: ignore[override]
        return self._guard("set", lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), None)

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:  # type: ignore[override]
        return self._guard(
            "set_many", lambda: super(ResilientRedisCache, self).set_many(data, timeout, version), list(data)
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:  # type: ignore[override]
        return self._guard("touch", lambda: super(ResilientRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key: Any, version: Any = None) -> Any:
        return self._guard("delete", lambda: super(ResilientRedisCache, self).delete(key, version), False)

    def delete_many(self, keys: Any, version: Any = None) -> Any:
        return self._guard("delete_many", lambda: super(ResilientRedisCache, self).delete_many(keys, version), None)

    def clear(self) -> Any:
        return self._guard("clear", lambda: super(ResilientRedisCache, self).clear(), False)
