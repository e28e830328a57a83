"""A small fixed-window rate limiter on Django's cache (atomic `add` + `incr` on locmem; on Redis one script).

The window starts at the first hit of a key and lasts `window_seconds`; at most `limit` hits are allowed in it.
On Django's Redis cache a hit is one round trip (a Lua script: INCR, and the expiry on the window's first hit),
through one Redis client kept with the cache (Django's cache methods build a new client on every call, which
cost the gate tap more CPU than its database reads).

While Redis is away (stopped, restarting, unreachable) every limit falls back to a per-process limiter with the
same windows (`_LocalWindows`): a report or a gate tap is still answered, never a 500, and the limits hold per
process until Redis answers again (`core.cache.redis_state` logs the outage once and retries after a second).
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

from linli.core.cache import REDIS_DOWN_ERRORS, redis_state

_PREFIX = "linli:rl:"

# KEYS[1] the counter; ARGV[1] the window in ms. Returns {count, ms left in the window}. A counter without an
# expiry (its first hit) gets the window's.
_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}
"""


def _redis_script(backend: RedisCache) -> Any:
    """The hit script bound to one client of this cache's connection pool, made once per cache instance."""
    client = backend._cache  # type: ignore[attr-defined]  # Django's RedisCacheClient, one per cache instance
    script = getattr(client, "linli_ratelimit_script", None)
    if script is None:
        script = client.get_client(write=True).register_script(_HIT_SCRIPT)
        client.linli_ratelimit_script = script
    return script


class _LocalWindows:
    """Fixed windows in this process's memory: the limiter while Redis is away. Bounded: expired windows are
    dropped when the table grows."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window end, hits)

    def hit(self, key: str, limit: int, window_seconds: int) -> tuple[bool, int]:
        now = time.monotonic()
        with self._lock:
            end, count = self._windows.get(key, (0.0, 0))
            if end <= now:
                end, count = now + window_seconds, 0
            count += 1
            self._windows[key] = (end, count)
            if len(self._windows) > self.MAX_KEYS:
                self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
        if count <= limit:
            return True, 0
        return False, max(1, math.ceil(end - now))

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()


_local = _LocalWindows()


def hit(key: str, limit: int, window_seconds: int) -> tuple[bool, int]:
    """Count one hit on `key`. Return (allowed, retry_after_seconds); retry_after is 0 when allowed."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        if redis_state.available():
            redis_key = backend.make_and_validate_key(f"{_PREFIX}{key}")
            try:
                count, left_ms = _redis_script(backend)(keys=[redis_key], args=[int(window_seconds * 1000)])
            except REDIS_DOWN_ERRORS as exc:
                redis_state.failed("rate limit", exc)
            else:
                redis_state.succeeded()
                if int(count) <= limit:
                    return True, 0
                return False, max(1, math.ceil(int(left_ms) / 1000))
        return _local.hit(key, limit, window_seconds)
    count_key = f"{_PREFIX}{key}"
    start_key = f"{count_key}:t"
    now = time.time()
    for _ in range(3):
        if cache.add(count_key, 1, timeout=window_seconds):
            cache.set(start_key, now, timeout=window_seconds)
            count = 1
            break
        try:
            count = cache.incr(count_key)
            break
        except ValueError:  # the key expired between add and incr: start a new window
            continue
    else:  # pragma: no cover - the cache keeps losing the key; fail closed for a moment
        return False, 1
    if count <= limit:
        return True, 0
    start = cache.get(start_key, now)
    retry_after = max(1, math.ceil(start + window_seconds - now))
    return False, retry_after


def reset(key: str) -> None:
    cache.delete_many([f"{_PREFIX}{key}", f"{_PREFIX}{key}:t"])
    with _local._lock:
        _local._windows.pop(key, None)


def client_ip(request: HttpRequest) -> str | None:
    """The address that per-IP limits count by. Behind the local reverse proxy (nginx on the same machine, so
    REMOTE_ADDR is loopback) the proxy's last X-Forwarded-For entry is the client; otherwise REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR") or ""
    if remote in ("127.0.0.1", "::1"):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip() if forwarded else ""
        if last:
            try:
                return str(ipaddress.ip_address(last))
            except ValueError:
                pass
    return remote or None
