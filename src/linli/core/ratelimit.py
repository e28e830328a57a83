"""A small fixed-window rate limiter on Django's cache (atomic `add` + `incr` on Redis and locmem).

The window starts at the first hit of a key and lasts `window_seconds`; at most `limit` hits are allowed in it.
"""

from __future__ import annotations

import ipaddress
import math
import time

from django.core.cache import cache
from django.http import HttpRequest

_PREFIX = "linli:rl:"


def hit(key: str, limit: int, window_seconds: int) -> tuple[bool, int]:
    """Count one hit on `key`. Return (allowed, retry_after_seconds); retry_after is 0 when allowed."""
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
