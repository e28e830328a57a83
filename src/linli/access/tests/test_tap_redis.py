"""The tap's rate limits on Django's Redis cache, as in production (the other tap tests use the in-memory cache):
one script call per hit through one client kept with the cache, the window and its retry-after, reset, and both
of the tap's limits (attempts per minute, entries per hour)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.test import override_settings

from linli.access.services import policy as policy_services
from linli.access.services.taps import TAPS_PER_MINUTE, tap_decide
from linli.access.tests.factories import build_access_world
from linli.core import ratelimit

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_cache() -> Iterator[Any]:
    import redis

    try:
        redis.Redis.from_url(REDIS).ping()
    except redis.RedisError:
        pytest.fail("Redis is not running on 127.0.0.1:6379")
    prefix = f"test-acc-{secrets.token_hex(4)}"  # other helpers' tests share this Redis
    backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS, "KEY_PREFIX": prefix}
    with override_settings(CACHES={"default": backend}):
        yield caches["default"]
        client = redis.Redis.from_url(REDIS)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_a_hit_is_one_script_call_on_one_kept_client(redis_cache: Any) -> None:
    script = ratelimit._redis_script(redis_cache)
    assert ratelimit._redis_script(redis_cache) is script  # not a new client per hit
    assert [ratelimit.hit("t", 2, 60) for _ in range(2)] == [(True, 0), (True, 0)]
    allowed, retry_after = ratelimit.hit("t", 2, 60)
    assert not allowed and 55 <= retry_after <= 60
    key = redis_cache.make_and_validate_key("linli:rl:t")
    client = script.registered_client
    assert int(client.get(key)) == 3 and 55_000 <= client.pttl(key) <= 60_000
    ratelimit.reset("t")
    assert ratelimit.hit("t", 2, 60) == (True, 0)


def test_the_window_ends_and_counting_starts_again(redis_cache: Any) -> None:
    assert ratelimit.hit("short", 1, 1) == (True, 0)
    assert ratelimit.hit("short", 1, 1) == (False, 1)
    time.sleep(1.1)
    assert ratelimit.hit("short", 1, 1) == (True, 0)


@pytest.mark.django_db
def test_the_taps_limits_on_redis(redis_cache: Any, settings: Any) -> None:
    settings.LINLI_ACCESS_OPEN_TIMEOUT = 0.1
    world = build_access_world()
    token = world.token(world.gx)
    policy_services.policy_set(compound=world.x, actor=None, max_per_hour=1)
    assert tap_decide(user=world.rider, gate_token=token).decision == "allow"
    assert tap_decide(user=world.rider, gate_token=token).reason == "rate_limited"  # the hour's entry is used
    for _ in range(TAPS_PER_MINUTE - 1):
        tap_decide(user=world.nobody, gate_token=token)
    assert tap_decide(user=world.nobody, gate_token=token).reason == "rider_unverified"
    assert tap_decide(user=world.nobody, gate_token=token).reason == "rate_limited"  # attempts per minute
    assert tap_decide(user=world.rider_mt, gate_token=token).decision == "allow"  # each rider has their own
