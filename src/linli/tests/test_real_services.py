"""The production arrangement's moving parts against the real services on 127.0.0.1: live updates through the Redis
channel layer (two separate layers, as gunicorn's and uvicorn's processes have), and periodic work run by a real
Celery worker taking tasks from a Redis broker.

Without Redis these skip loudly; with LINLI_REQUIRE_SERVICES=1 (CI) a missing service fails them. The Celery test
needs a database the worker process can open too, so it runs in the PostgreSQL pass (`make test-pg`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.utils import timezone

REDIS_URL = os.environ.get("LINLI_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _require_services() -> bool:
    return os.environ.get("LINLI_REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes", "on"}


def _skip_or_fail(message: str) -> None:
    message = f"!!! SKIPPED: {message}. Set LINLI_REQUIRE_SERVICES=1 to make this a failure (CI does). !!!"
    if _require_services():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 - any failure to reach it means "not available"
        _skip_or_fail(f"Redis is not answering at {REDIS_URL} ({exc})")
    return REDIS_URL


def run(coro_fn) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro_fn()).result()


def _close_worker_thread_connections() -> None:
    """PostgreSQL: the async worker thread's own session would keep the test database from being dropped. SQLite's
    in-memory test database is one connection shared by every thread: leave it open."""
    for conn in connections.all(initialized_only=True):
        if conn.vendor != "sqlite":
            conn.close()


@pytest.mark.django_db(transaction=True)
def test_place_change_reaches_a_websocket_client_through_redis(redis_url, settings):
    """A write reaches a client connected through the Redis channel layer, also after the socket sat idle."""
    from channels.db import database_sync_to_async
    from channels.layers import channel_layers
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator

    from linli.places.services import place_update
    from linli.places.tests.factories import PlaceFactory, StreetFactory
    from linli.routing import websocket_urlpatterns
    from linli.settings import redis_channel_layer

    prefix = f"linli-test-{uuid.uuid4().hex[:8]}"
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(redis_url, prefix=prefix)}
    channel_layers.backends.clear()
    street = StreetFactory(code="redisjie")
    place = PlaceFactory(street=street, external_id="R1")

    async def scenario():
        listener = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/places/redisjie/")
        connected, _ = await listener.connect()
        assert connected
        # Idle longer than redis-py's default 5 s read timeout: the consumer must still be listening.
        await asyncio.sleep(6.5)
        await database_sync_to_async(place_update)(place=place, name="经由Redis")
        message = await listener.receive_json_from(timeout=5)
        assert message == {"type": "place.changed", "ids": [place.pk]}
        await listener.disconnect()
        await database_sync_to_async(_close_worker_thread_connections)()

    try:
        run(scenario)
    finally:
        channel_layers.backends.clear()


def _wait_for_other_sessions_to_end(timeout: float = 15.0) -> None:
    """The worker's server session outlives its process by a moment; the test database can only be dropped
    once it has gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_sends_due_reminders_from_the_redis_broker(redis_url, tmp_path):
    """`celery worker` in its own process takes `activities.send_reminders` from Redis and does the work in the
    shared PostgreSQL database (the reminder is claimed there, exactly once)."""
    if connection.vendor != "postgresql":
        if os.environ.get("LINLI_DATABASE_URL", "").startswith("postgres"):
            pytest.fail("LINLI_DATABASE_URL names PostgreSQL but the test connection is not PostgreSQL")
        pytest.skip("the Celery worker test needs PostgreSQL (the worker opens the test database): `make test-pg`")
    from celery import Celery

    from linli.activities.models import Booking
    from linli.activities.services.bookings import booking_create
    from linli.activities.tests.factories import ActivityFactory, UserFactory

    start = timezone.now() + dt.timedelta(hours=5)
    activity = ActivityFactory(start=start, end=start + dt.timedelta(hours=1))
    booking = booking_create(activity=activity, user=UserFactory())

    db = connection.settings_dict
    db_url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    queue = f"linli-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "LINLI_DATABASE_URL": db_url,
        "LINLI_CELERY_BROKER_URL": redis_url,
        "LINLI_SMS_BACKEND": "linli.core.sms.ConsoleSmsBackend",
        "LINLI_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "linli.settings",
    }
    env.pop("LINLI_REDIS_URL", None)
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "linli",
            "worker",
            "-Q",
            queue,
            "-c",
            "1",
            "--pool",
            "solo",
            "-l",
            "INFO",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        client = Celery(
            "linli-test-client", broker=redis_url, backend=None, set_as_current=False
        )  # not the project app
        client.conf.task_default_queue = queue
        client.send_task("activities.send_reminders", queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            booking.refresh_from_db()
            if booking.reminded_day_before_at is not None or worker.poll() is not None:
                break
            time.sleep(0.3)
        booking.refresh_from_db()
        assert booking.reminded_day_before_at is not None, "the worker did not run the task in time"
        # Running it again claims nothing twice.
        client.send_task("activities.send_reminders", queue=queue)
        time.sleep(2)
        assert Booking.objects.filter(pk=booking.pk, reminded_two_hours_at__isnull=True).exists()
    finally:
        worker.terminate()
        try:
            out, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            out, _ = worker.communicate()
        _wait_for_other_sessions_to_end()
    assert "activities.send_reminders" in out and "succeeded" in out, out[-3000:]
    assert django_settings.CELERY_BEAT_SCHEDULE["activities-send-reminders"]["task"] == "activities.send_reminders"
