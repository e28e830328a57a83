"""The embedded scheduler runs the beat schedule's tasks in process."""

from __future__ import annotations

import threading
import time

import pytest
from celery import current_app

from linli.core import background


def test_every_beat_entry_names_a_registered_task():
    app = current_app  # the project's app: linli/__init__.py loads linli.celery
    assert app.main == "linli"
    app.loader.import_default_modules()
    entries = background._due_entries()
    assert entries, "the beat schedule is empty"
    for _entry, task, interval in entries:
        assert task in app.tasks and interval > 0


@pytest.mark.django_db(transaction=True)
def test_scheduler_runs_due_tasks_and_survives_failures(settings, monkeypatch):
    calls: list[str] = []

    def fake_run(name: str) -> int:
        calls.append(name)
        if len(calls) == 1:
            raise RuntimeError("first run fails")
        return 0

    settings.CELERY_BEAT_SCHEDULE = {"x": {"task": "activities.send_reminders", "schedule": 0.05}}
    monkeypatch.setattr(background, "run_task", fake_run)
    monkeypatch.setattr(background.time, "monotonic", lambda: time.perf_counter() + 60.0)
    stop = threading.Event()
    thread = background.start_embedded_scheduler(stop=stop, tick=0.02)
    deadline = time.time() + 5
    while len(calls) < 2 and time.time() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(2)
    assert calls[:2] == ["activities.send_reminders", "activities.send_reminders"]


@pytest.mark.django_db
def test_run_task_executes_the_real_reminder_task():
    assert background.run_task("activities.send_reminders") == 0  # nothing booked: nothing to send
