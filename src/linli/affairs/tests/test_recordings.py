"""Remote-window recordings' retention (PIPL minimisation): a street keeps them 30 days unless it sets another
number; the beat task deletes older files and their names, logs each deletion, and keeps the session's log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.affairs import tasks
from linli.affairs.models import RemotePolicy, RemoteSession, RemoteSessionStatus
from linli.affairs.services import remote
from linli.affairs.tests.factories_queue import build_queue_world
from linli.core.errors import Problem
from linli.core.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Any:
    return build_queue_world()


def _recorded_call(world: Any, *, ended: dt.datetime, street: Any = None) -> RemoteSession:
    """A call that had recording on, with two chunks uploaded, ended at `ended`."""
    RemotePolicy.objects.update_or_create(street=world.street, defaults={"recording_enabled": True})
    session = remote.remote_session_open(resource=world.remote, actor=world.remote_staff)
    session = remote.remote_session_answer(session=session, clerk=world.clerks[0], counter=world.counters[0])
    remote.remote_recording_append(session=session, actor=world.clerks[0], seq=0, chunk=b"\x1a\x45\xdf\xa3webm")
    remote.remote_recording_append(session=session, actor=world.clerks[0], seq=1, chunk=b"more")
    session = remote.remote_session_end(session=session, actor=world.clerks[0])
    RemoteSession.objects.filter(pk=session.pk).update(ended_at=ended, created_at=ended - dt.timedelta(minutes=10))
    session.refresh_from_db()
    return session


def test_default_retention_is_thirty_days() -> None:
    assert RemotePolicy().recording_retention_days == 30


def test_purge_deletes_files_older_than_the_retention_and_keeps_the_log(world: Any) -> None:
    now = timezone.now()
    old = _recorded_call(world, ended=now - dt.timedelta(days=31))
    path = Path(old.recording_file.path)
    assert path.exists() and old.recording_bytes == 12
    # A controlled clock: at "now" the 31-day-old recording is past the default 30 days.
    assert remote.remote_recordings_purge(now=now) == 1
    old.refresh_from_db()
    assert not path.exists() and old.recording_file.name == "" and old.recording_deleted_at == now
    assert old.status == RemoteSessionStatus.ENDED and old.duration_seconds >= 0 and old.events.count() >= 3
    log = AuditLog.objects.get(action="affairs.recording_purge")
    assert log.street == world.street and log.actor is None and log.data["retention_days"] == 30
    assert remote.remote_recordings_purge(now=now) == 0  # once
    # The street's administrators no longer get a file.
    from django.test import Client

    c = Client()
    c.force_login(world.head)
    assert c.get(reverse("affairs:remote_recording", args=[old.pk])).status_code == 404


def test_a_recording_younger_than_the_retention_stays_until_its_day(world: Any) -> None:
    ended = timezone.now()
    session = _recorded_call(world, ended=ended)
    assert remote.remote_recordings_purge(now=ended + dt.timedelta(days=29, hours=23)) == 0
    session.refresh_from_db()
    assert session.recording_file and Path(session.recording_file.path).exists()
    assert remote.remote_recordings_purge(now=ended + dt.timedelta(days=30, minutes=1)) == 1
    session.refresh_from_db()
    assert not session.recording_file and session.recording_deleted_at is not None


def test_the_street_sets_its_own_retention(world: Any, client: Any) -> None:
    ended = timezone.now()
    _recorded_call(world, ended=ended)
    client.force_login(world.head)
    skills = reverse("affairs:skills") + f"?street={world.street.code}"
    page = client.get(skills).content.decode()
    assert 'name="recording_retention_days"' in page and 'value="30"' in page
    client.post(
        skills,
        {"action": "recording", "recording_enabled": "1", "recording_notice": "录像", "recording_retention_days": "7"},
    )
    assert RemotePolicy.objects.get(street=world.street).recording_retention_days == 7
    bad = client.post(skills, {"action": "recording", "recording_enabled": "1", "recording_retention_days": "0"})
    assert bad.status_code == 422 and RemotePolicy.objects.get(street=world.street).recording_retention_days == 7
    assert remote.remote_recordings_purge(now=ended + dt.timedelta(days=6)) == 0
    assert remote.remote_recordings_purge(now=ended + dt.timedelta(days=7, minutes=1)) == 1
    with pytest.raises(Problem) as exc:
        remote.remote_policy_set(
            street=world.street, recording_enabled=True, notice="", actor=world.head, retention_days=366
        )
    assert exc.value.code == "validation_error"


def test_no_upload_after_the_recording_was_deleted(world: Any) -> None:
    session = _recorded_call(world, ended=timezone.now() - dt.timedelta(days=40))
    assert tasks.purge_recordings() == 1  # the beat task, on the real clock
    session.refresh_from_db()
    with pytest.raises(Problem):
        remote.remote_recording_append(session=session, actor=world.clerks[0], seq=0, chunk=b"again")
    session.refresh_from_db()
    assert not session.recording_file


def test_the_task_is_on_the_beat_schedule(settings: Any) -> None:
    assert any(e["task"] == "affairs.purge_recordings" for e in settings.CELERY_BEAT_SCHEDULE.values())
