"""Each periodic task sent once per period, however many schedulers run (several app nodes, each with
`celery worker --beat`).

Celery beat alone has no coordination: two beats send every due task twice. `SingleSendScheduler` (settings'
CELERY_BEAT_SCHEDULER) is Celery's own persistent scheduler that, before it sends a due entry, claims the entry in
Redis for 90 % of its interval (`SET key NX PX`, atomic on the server); a scheduler that finds the entry claimed
skips it, and the next period goes to whichever scheduler claims first. If one node dies, another sends the entry
within one interval. The embedded scheduler (`core.background`) claims the same way.

The guarantee is about sending: a sent task is taken from the broker by one worker. The tasks themselves are
idempotent besides (each SLA reminder, each activity reminder is claimed by a conditional UPDATE in the database),
so a task that runs twice after all (a worker lost mid-task and the message redelivered) does no double work.
Without Redis (the embedded mode: one process is the only scheduler) every claim succeeds.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta
from typing import Any

import redis
from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger("linli.schedules")

CLAIM_FRACTION = 0.9  # of the interval: a claim lapses just before the entry's next period
KEY_PREFIX = "linli:schedule"

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def _redis() -> redis.Redis | None:
    url = getattr(settings, "REDIS_URL", "") or ""
    if not url:
        broker = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
        url = broker if broker.startswith(("redis://", "rediss://")) else ""
    if not url:
        return None
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        return client


def node_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_run(name: str, interval_seconds: float) -> bool:
    """True when this scheduler may send `name` now: nobody sent it within the last 90 % of its interval."""
    client = _redis()
    if client is None:
        return True
    ttl_ms = max(int(interval_seconds * CLAIM_FRACTION * 1000), 100)
    try:
        return bool(client.set(f"{KEY_PREFIX}:{name}", node_name(), nx=True, px=ttl_ms))
    except redis.RedisError as exc:
        # Redis away: send anyway (the tasks are idempotent); a missed reminder is worse than a repeated sweep.
        logger.warning("schedule claim for %s failed (%s); sending without it", name, exc)
        return True


def interval_of(schedule: Any) -> float:
    """Seconds between an entry's runs: a number, a celery `schedule(run_every)`, else a minute (crontab)."""
    if isinstance(schedule, int | float):
        return float(schedule)
    run_every = getattr(schedule, "run_every", None)
    if isinstance(run_every, timedelta):
        return run_every.total_seconds()
    return 60.0


class SingleSendScheduler(PersistentScheduler):
    """Celery's persistent beat scheduler, sending each due entry only when it wins the entry's claim."""

    def apply_entry(self, entry: Any, producer: Any = None) -> None:
        if not claim_run(entry.name, interval_of(entry.schedule)):
            logger.info("Scheduler: %s not sent: another scheduler sent it this period", entry.name)
            return
        super().apply_entry(entry, producer=producer)
