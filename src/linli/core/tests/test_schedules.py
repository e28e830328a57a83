"""Each periodic task sent once per period however many schedulers run (core.schedules), against the real Redis.
The two-node test (src/linli/tests/test_two_nodes_pg.py) races two real beats; these are the claim's rules."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from celery import current_app
from celery.beat import ScheduleEntry
from celery.schedules import crontab, schedule

from linli.core import schedules

REDIS_URL = os.environ.get("LINLI_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def redis_settings(settings: Any) -> Any:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 - any failure to reach it means "not available"
        message = f"Redis is not answering at {REDIS_URL} ({exc})"
        if os.environ.get("LINLI_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes", "on"}:
            pytest.fail(message)
        pytest.skip(message)
    settings.REDIS_URL = REDIS_URL
    return settings


def test_without_redis_every_claim_succeeds(settings: Any) -> None:
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    assert schedules.claim_run("x", 60) and schedules.claim_run("x", 60)


def test_one_claim_per_period_among_racing_schedulers(redis_settings: Any) -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"
    barrier = threading.Barrier(8)
    won: list[bool] = []

    def scheduler() -> None:
        barrier.wait(5)
        won.append(schedules.claim_run(name, 1.0))

    threads = [threading.Thread(target=scheduler) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(won) == [False] * 7 + [True]
    time.sleep(0.95)  # the claim lapses at 90 % of the interval: the next period is anyone's
    assert schedules.claim_run(name, 1.0)


def test_the_beat_scheduler_sends_an_entry_only_when_it_wins(redis_settings: Any, monkeypatch: Any) -> None:
    sent: list[str] = []
    monkeypatch.setattr(
        schedules.PersistentScheduler, "apply_entry", lambda self, entry, producer=None: sent.append(entry.name)
    )
    name = f"entry-{uuid.uuid4().hex[:8]}"
    entry = ScheduleEntry(name=name, task="cases.sla_sweep", schedule=schedule(timedelta(seconds=60)), app=current_app)
    beats = [schedules.SingleSendScheduler.__new__(schedules.SingleSendScheduler) for _ in range(2)]
    for beat in beats:
        beat.apply_entry(entry)
    assert sent == [name]


def test_interval_of_each_kind_of_schedule() -> None:
    assert schedules.interval_of(15.0) == 15.0
    assert schedules.interval_of(schedule(timedelta(minutes=5))) == 300.0
    assert schedules.interval_of(crontab(minute="*/10")) == 60.0
