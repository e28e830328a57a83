"""In-process periodic work for the embedded mode (no Celery beat, no broker).

Production runs `celery -A linli worker --beat`, which reads settings.CELERY_BEAT_SCHEDULE. The embedded
`linli serve` starts this scheduler instead: one daemon thread that runs the same tasks, by name, at the same
intervals, in process. The tasks are idempotent, so a task that overruns or a restart does no harm.

Domains that need a long-running helper in the embedded mode (the gate listener of access) register its start
function with `embedded_service_register` from their AppConfig.ready(); `linli serve` starts them all.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import close_old_connections

from linli.core.schedules import claim_run

logger = logging.getLogger("linli.background")


def _due_entries() -> list[tuple[str, str, float]]:
    entries = []
    for name, entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).items():
        schedule = entry.get("schedule")
        if isinstance(schedule, int | float) and schedule > 0:
            entries.append((name, entry["task"], float(schedule)))
        else:
            logger.warning("embedded scheduler: entry %s has no interval in seconds; skipped", name)
    return entries


_embedded_services: dict[str, Callable[[], Any]] = {}


def embedded_service_register(name: str, start: Callable[[], Any]) -> None:
    """A helper the embedded `linli serve` starts in process (production runs it as its own service)."""
    _embedded_services[name] = start


def start_embedded_services() -> list[str]:
    """Start every registered helper; returns their names."""
    for start in _embedded_services.values():
        start()
    return list(_embedded_services)


def run_task(name: str) -> Any:
    app = current_app  # the project's Celery app (linli/__init__.py loads linli.celery first)
    app.loader.import_default_modules()
    task = app.tasks[name]
    return task.apply().get()


def start_embedded_scheduler(stop: threading.Event | None = None, tick: float = 5.0) -> threading.Thread:
    stop = stop or threading.Event()
    entries = _due_entries()
    next_run = {name: time.monotonic() + min(interval, 30.0) for name, _, interval in entries}

    def loop() -> None:
        while not stop.wait(tick):
            now = time.monotonic()
            for name, task, interval in entries:
                if now < next_run[name]:
                    continue
                next_run[name] = now + interval
                if not claim_run(name, interval):  # another scheduler ran it this period (core.schedules)
                    continue
                try:
                    close_old_connections()
                    result = run_task(task)
                    logger.info("embedded scheduler: %s -> %s", task, result)
                except Exception:  # one failing task must not stop the others or the server
                    logger.exception("embedded scheduler: %s failed", task)
                finally:
                    close_old_connections()

    thread = threading.Thread(target=loop, name="linli-scheduler", daemon=True)
    thread.start()
    return thread
