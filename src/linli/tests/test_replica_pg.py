"""The read replica, against a real PostgreSQL streaming replica (hot standby; `.ci/run` starts one with
tools/pg-replica.sh and sets LINLI_DATABASE_REPLICA_URL): exports and reports read from it, writes go to the
primary, and a read that must see the user's own write stays on the primary.

Each test pauses the replica's WAL replay (`pg_wal_replay_pause()`), so a row written afterwards exists only on
the primary until replay resumes: a read that misses it came from the replica. Skipped without a replica outside
CI; a failure in CI (LINLI_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test import Client

from linli.cases.services.reports import report_create
from linli.cases.tests.factories import IN_A1, IN_B, build_world
from linli.core.db import PIN_COOKIE, REPLICA, read_alias, replica_reads
from linli.core.models import Street
from linli.core.testing import require_postgres

# Without a replica configured the alias does not exist (and the fixture skips, or fails in CI).
DATABASES = ["default", REPLICA] if REPLICA in settings.DATABASES else ["default"]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, databases=DATABASES)]


def _replica_sql(sql: str) -> Any:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0] if cursor.description else None


def _wait_until(check: Any, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"the replica did not {what} within {timeout:.0f} s")
        time.sleep(0.05)


def _replica_has_street(code: str) -> bool:
    return Street.objects.using(REPLICA).filter(code=code).exists()


@pytest.fixture
def replica(settings: Any, tmp_path: Any) -> Iterator[None]:
    require_postgres("read-replica tests")
    if REPLICA not in settings.DATABASES:
        message = (
            "LINLI_DATABASE_REPLICA_URL is not set: the read-replica tests need a streaming replica "
            "(tools/pg-replica.sh start 5542 /tmp/linli-replica; LINLI_DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:5542/test)"
        )
        if os.environ.get("LINLI_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes", "on"}:
            pytest.fail(message)
        pytest.skip(message)
    settings.LINLI_REPLICA_READS = True  # the test plugin turns replica reads off for every other test
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    # The test database was created on the primary a moment ago: wait until the replica has replayed that.
    deadline = time.monotonic() + 30
    while True:
        try:
            assert _replica_sql("select pg_is_in_recovery()") is True
            break
        except Exception:
            connections[REPLICA].close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    try:
        yield
    finally:
        _replica_sql("select pg_wal_replay_resume()")
        connections[REPLICA].close()


def _pause_replay_after(code: str) -> None:
    """Wait until the replica has the street `code`, then stop its replay: later writes stay primary-only."""
    _wait_until(lambda: _replica_has_street(code), f"replay street {code}")
    _replica_sql("select pg_wal_replay_pause()")
    _wait_until(lambda: _replica_sql("select pg_get_wal_replay_pause_state()") == "paused", "pause its replay")


def test_marked_reads_go_to_the_replica_and_writes_to_the_primary(replica: None) -> None:
    Street.objects.create(code="before", name="复制前街道")
    _pause_replay_after("before")
    Street.objects.create(code="after", name="复制后街道")  # on the primary only, while replay is paused

    assert read_alias() == "default" and set(Street.objects.values_list("code", flat=True)) >= {"before", "after"}
    with replica_reads():
        assert read_alias() == REPLICA
        with connections[read_alias()].cursor() as cursor:
            cursor.execute("select pg_is_in_recovery()")
            assert cursor.fetchone()[0] is True
        codes = set(Street.objects.values_list("code", flat=True))
        assert "before" in codes and "after" not in codes  # read from the replica, which has not replayed it
        # A write inside the block goes to the primary (the replica would refuse it: read-only), and pins: the
        # block's later reads see it.
        Street.objects.create(code="inside", name="块内写入街道")
        assert read_alias() == "default"
        assert set(Street.objects.values_list("code", flat=True)) >= {"after", "inside"}
    with replica_reads():  # a new block outside a request: not pinned by the last one's write
        assert "after" not in set(Street.objects.values_list("code", flat=True))
        with transaction.atomic():  # inside a transaction on the primary: its own rows must be visible
            assert read_alias() == "default"
            assert Street.objects.filter(code="after").exists()

    _replica_sql("select pg_wal_replay_resume()")
    _wait_until(lambda: _replica_has_street("inside"), "catch up after resuming")
    with replica_reads():
        assert {"after", "inside"} <= set(Street.objects.values_list("code", flat=True))


def test_an_export_reads_the_replica_but_a_user_who_just_wrote_sees_their_write(replica: None) -> None:
    world = build_world("fubenjie")
    admin, other = world.people["admin"], world.people["safety"]
    report_create(street=world.street, category="fire_passage", lat=IN_A1[0], lng=IN_A1[1], reporter=world.rider)
    _pause_replay_after("fubenjie")
    # Replay is paused after the street (and maybe before the first case): a second case is primary-only.
    fresh = report_create(
        street=world.street, category="corridor_clutter", lat=IN_B[0], lng=IN_B[1], reporter=world.rider
    ).case
    url = f"/api/v1/cases/export.csv?street={world.street.code}"

    def signed_in(user: Any) -> Client:
        client = Client()
        client.force_login(user)  # a session row on the primary; the session is read there (no replica_reads)
        return client

    def exported_ids(client: Client) -> set[str]:
        resp = client.get(url)
        assert resp.status_code == 200, resp.content
        return {line.split(",")[0] for line in resp.content.decode("utf-8-sig").splitlines()[1:]}

    reader = signed_in(other)
    assert str(fresh.pk) not in exported_ids(reader)  # the export came from the replica
    # The export wrote its audit record (on the primary): that browser's next reads stay on the primary a while.
    assert reader.cookies[PIN_COOKIE].value == "1"
    assert int(reader.cookies[PIN_COOKIE]["max-age"]) == settings.LINLI_REPLICA_PIN_SECONDS
    assert str(fresh.pk) in exported_ids(reader)

    # The admin moves the fresh case (a write on the primary): their next export must show it, though the replica
    # still has not replayed the case at all.
    admin_client = signed_in(admin)
    resp = admin_client.post(f"/api/v1/cases/{fresh.pk}/transitions", {"to_status": "accepted"})
    assert resp.status_code == 200, resp.content
    assert admin_client.cookies[PIN_COOKIE].value == "1"
    assert str(fresh.pk) in exported_ids(admin_client)
    # Someone who wrote nothing lately reads the replica, still behind.
    assert str(fresh.pk) not in exported_ids(signed_in(other))

    _replica_sql("select pg_wal_replay_resume()")
    _wait_until(lambda: str(fresh.pk) in exported_ids(signed_in(other)), "show the fresh case to another reader")
