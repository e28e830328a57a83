"""Monthly partitions and retention of the append-only tables (linli.core.partitions), with a controlled clock (the
`now` every maintenance function takes): partitions made ahead, exactly the months older than the retention
detached, SQLite's batched deletes, idempotency keys expiring, and the conversion migrations keeping every row.

The PostgreSQL tests run in `make test-pg` (CI's second pass); they make and drop partitions of 2019-2020, far from
the months the rest of the suite writes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import RequestFactory
from django.utils import timezone

from linli.access.models import Tap
from linli.assistant.models import AskLog
from linli.cases.tests.factories import CaseFactory
from linli.core import partitions
from linli.core.idempotency import idempotent
from linli.core.models import AuditLog, IdempotencyKey, SmsCode
from linli.core.testing import require_postgres
from linli.core.tests.factories import UserFactory

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 12) -> datetime:
    return datetime(y, m, d, h, tzinfo=SH)


def tap(when: datetime, reason: str = "test") -> Tap:
    return Tap.objects.create(at=when, decision="deny", reason=reason)


def where(table: str, row_id: int) -> str:
    """The partition a row of `table` lives in."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [row_id])  # noqa: S608
        return cursor.fetchone()[0]


def relkind(table: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return row[0] if row else None


def drop_tables_like(prefix: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE %s AND relkind = 'r'", [prefix + "%"])
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP TABLE IF EXISTS "{name}"')


# ------------------------------------------------------------------------------------------- both engines


def test_every_append_only_table_is_registered_and_nothing_points_into_a_partitioned_one():
    tables = {e.table for e in partitions.registered()}
    assert {"access_tap", "assistant_asklog", "core_auditlog", "cases_caseevent", "core_idempotencykey"} <= tables
    by_table = {m._meta.db_table: m for m in apps.get_models()}
    for entry in partitions.registered():
        model = by_table[entry.table]
        assert model._meta.get_field(entry.column).get_internal_type() == "DateTimeField"
        if entry.partitioned:
            # A foreign key needs a unique `id`; on a partitioned table only (id, time) is.
            pointing = [f"{r.related_model._meta.label}.{r.field.name}" for r in model._meta.related_objects]
            assert pointing == [], f"{entry.table} is partitioned, yet {pointing} point into it"


def test_month_arithmetic_follows_the_business_zone():
    # 2027-01-31 20:00 UTC is already February in Shanghai.
    start = partitions.month_start(datetime(2027, 1, 31, 20, tzinfo=ZoneInfo("UTC")))
    assert start == datetime(2027, 2, 1, tzinfo=SH)
    assert partitions.add_months(start, 11) == datetime(2028, 1, 1, tzinfo=SH)
    assert partitions.partition_name("access_tap", start) == "access_tap_p202702"


@pytest.mark.django_db
def test_idempotency_key_answers_its_retries_until_it_expires_then_runs_anew(settings):
    settings.LINLI_IDEMPOTENCY_TTL_HOURS = 24
    user = UserFactory()
    runs: list[int] = []

    def request():
        req = RequestFactory().post("/api/v1/things", data="{}", content_type="application/json")
        req.META["HTTP_IDEMPOTENCY_KEY"] = "k-1"
        req.user = user
        return idempotent(req, scope="things", run=lambda: (runs.append(1) or 201, {"n": len(runs)}))

    assert json.loads(request().content) == {"n": 1}
    key = IdempotencyKey.objects.get(user=user, key="k-1")
    IdempotencyKey.objects.filter(pk=key.pk).update(created_at=timezone.now() - timedelta(hours=23))
    replay = request()
    assert replay["Idempotent-Replayed"] == "true" and json.loads(replay.content) == {"n": 1}
    assert len(runs) == 1

    IdempotencyKey.objects.filter(pk=key.pk).update(created_at=timezone.now() - timedelta(hours=25))
    fresh = request()
    assert "Idempotent-Replayed" not in fresh and json.loads(fresh.content) == {"n": 2}
    assert len(runs) == 2
    assert IdempotencyKey.objects.filter(user=user, key="k-1").count() == 1


@pytest.mark.django_db
def test_expired_idempotency_keys_and_sign_in_codes_are_purged(settings):
    settings.LINLI_IDEMPOTENCY_TTL_HOURS = 24
    settings.LINLI_RETENTION_SMS_CODES_DAYS = 1
    user = UserFactory()
    now = at(2027, 3, 10)
    old = IdempotencyKey.objects.create(user=user, scope="s", key="old", created_at=now - timedelta(hours=25))
    young = IdempotencyKey.objects.create(user=user, scope="s", key="young", created_at=now - timedelta(hours=23))
    code_old = SmsCode.objects.create(
        phone="13800000000", digest="x", created_at=now - timedelta(days=2), expires_at=now
    )
    code_new = SmsCode.objects.create(
        phone="13800000000", digest="y", created_at=now - timedelta(hours=1), expires_at=now
    )

    dry = partitions.retention_apply(now=now, dry_run=True, only=["idempotency keys", "sms codes"])
    assert dry.deleted == {"core_idempotencykey": 1, "core_smscode": 1}
    assert IdempotencyKey.objects.filter(pk=old.pk).exists()

    report = partitions.retention_apply(now=now, only=["idempotency keys", "sms codes"])
    assert report.deleted == {"core_idempotencykey": 1, "core_smscode": 1}
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [young.pk]
    assert list(SmsCode.objects.values_list("pk", flat=True)) == [code_new.pk]
    assert not SmsCode.objects.filter(pk=code_old.pk).exists()


@pytest.mark.django_db
def test_sqlite_retention_deletes_old_rows_in_batches_and_keeps_the_rest(settings):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite keeps plain tables; PostgreSQL drops partitions (tests below)")
    settings.LINLI_RETENTION_TAPS_DAYS = 180
    settings.LINLI_RETENTION_QUESTIONS_DAYS = 90
    settings.LINLI_RETENTION_BATCH = 3  # seven old taps: three batches
    now = at(2027, 6, 30)
    cutoff = now - timedelta(days=180)
    old = [tap(cutoff - timedelta(days=d, minutes=1)) for d in range(7)]
    kept = [tap(cutoff + timedelta(minutes=1)), tap(now)]
    ask_old = AskLog.objects.create(
        question="q", normalized="q", intent="x", answer="a", backend="offline", created_at=now - timedelta(days=91)
    )
    ask_new = AskLog.objects.create(
        question="q", normalized="q", intent="x", answer="a", backend="offline", created_at=now - timedelta(days=89)
    )

    assert partitions.partitions_ensure(now=now).created == []  # nothing to make on SQLite
    report = partitions.maintain(now=now)
    assert report is not None
    assert report.deleted == {"access_tap": 7, "assistant_asklog": 1}
    assert sorted(Tap.objects.values_list("pk", flat=True)) == sorted(t.pk for t in kept)
    assert not Tap.objects.filter(pk__in=[t.pk for t in old]).exists()
    assert list(AskLog.objects.values_list("pk", flat=True)) == [ask_new.pk]
    assert not AskLog.objects.filter(pk=ask_old.pk).exists()
    record = AuditLog.objects.get(action="retention.run")
    assert record.data["deleted"] == {"access_tap": 7, "assistant_asklog": 1}
    assert record.data["dry_run"] is False


@pytest.mark.django_db
def test_the_command_dry_run_changes_nothing_and_the_run_is_audit_logged(settings):
    settings.LINLI_RETENTION_TAPS_DAYS = 180
    now = timezone.now()
    old = tap(now - timedelta(days=400))  # on PostgreSQL: the default partition (no month made that far back)
    out = StringIO()
    call_command("retention", "run", "--dry-run", "--table", "taps", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["dry_run"] is True and data["deleted"]
    assert Tap.objects.filter(pk=old.pk).exists()
    assert not AuditLog.objects.filter(action="retention.run").exists()

    call_command("retention", "run", "--table", "taps", stdout=StringIO())
    assert not Tap.objects.filter(pk=old.pk).exists()
    record = AuditLog.objects.get(action="retention.run")
    assert sum(record.data["deleted"].values()) == 1

    status = StringIO()
    call_command("retention", "status", "--json", stdout=status)
    rows = {r["table"]: r for r in json.loads(status.getvalue())}
    assert rows["access_tap"]["retention"] == "180 days"
    assert rows["core_idempotencykey"]["retention"] == "24 hours"
    assert rows["cases_caseevent"]["retention"] == "forever"
    assert rows["access_tap"]["partitioned"] is (connection.vendor == "postgresql")


# ---------------------------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg(transactional_db: Any) -> Any:
    require_postgres("partition tests")
    yield
    drop_tables_like("access_tap_p2019")
    drop_tables_like("access_tap_p2020")


@pytest.mark.postgres
def test_after_the_migrations_every_registered_table_is_partitioned_with_its_time_in_the_key(pg):
    for entry in partitions.registered():
        if not entry.partitioned:
            assert relkind(entry.table) == "r"
            continue
        assert relkind(entry.table) == "p", entry.table
        names = [p.name for p in partitions.partitions(entry.table)]
        assert partitions.partition_name(entry.table, partitions.month_start(timezone.now())) in names
        assert f"{entry.table}_default" in names
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'p'",
                [entry.table],
            )
            assert cursor.fetchone()[0] == f"PRIMARY KEY (id, {entry.column})"
            cursor.execute(
                "SELECT attidentity FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = 'id'",
                [entry.table],
            )
            assert cursor.fetchone()[0] == "d"  # GENERATED BY DEFAULT AS IDENTITY, as Django made it


@pytest.mark.postgres
def test_partitions_are_made_ahead_and_strays_move_out_of_the_default_partition(pg, settings):
    settings.LINLI_PARTITIONS_AHEAD_MONTHS = 3
    assert partitions.is_partitioned("access_tap")
    now = at(2020, 2, 15)
    settings.LINLI_RETENTION_TAPS_DAYS = 180
    stray = tap(at(2020, 4, 2))  # no partition for April 2020 yet: the default one takes it
    loaded = tap(at(2019, 11, 5))  # a back-dated row within the retention: it gets its month too
    expired = tap(at(2019, 1, 5))  # older than the retention: left for retention to delete, no partition made
    assert where("access_tap", stray.pk) == "access_tap_default"

    report = partitions.partitions_ensure(now=now, only=["taps"])
    assert report.created == [
        "access_tap_p201911",
        "access_tap_p202002",
        "access_tap_p202003",
        "access_tap_p202004",
        "access_tap_p202005",
    ]
    assert where("access_tap", stray.pk) == "access_tap_p202004"
    assert where("access_tap", loaded.pk) == "access_tap_p201911"
    assert where("access_tap", expired.pk) == "access_tap_default"
    # Before a bulk load of history: every month from `since`.
    since = partitions.partitions_ensure(now=now, only=["taps"], since=at(2019, 12, 20))
    assert since.created == ["access_tap_p201912", "access_tap_p202001"]
    assert Tap.objects.get(pk=stray.pk).reason == "test"
    landed = tap(at(2020, 3, 31, 23))  # 23:00 in Shanghai on the last day of March: March's partition
    assert where("access_tap", landed.pk) == "access_tap_p202003"
    assert partitions.partitions_ensure(now=now, only=["taps"]).created == []  # made once


@pytest.mark.postgres
@pytest.mark.parametrize("keep_detached", [False, True])
def test_retention_detaches_exactly_the_months_older_than_the_setting(pg, settings, keep_detached):
    settings.LINLI_RETENTION_TAPS_DAYS = 180
    settings.LINLI_RETENTION_KEEP_DETACHED = keep_detached
    settings.LINLI_PARTITIONS_AHEAD_MONTHS = 0
    for month in range(1, 13):
        partitions.ensure_month("access_tap", "at", datetime(2019, month, 1, tzinfo=SH))
    rows = {month: tap(at(2019, month, 10)) for month in range(1, 13)}
    stray = tap(at(2018, 6, 1))  # before every month: in the default partition, older than the cutoff
    now = at(2019, 12, 20)  # cutoff 2019-06-23: January-May end before it; June holds it and stays whole

    dry = partitions.retention_apply(now=now, dry_run=True, only=["taps"])
    assert [d["partition"] for d in dry.detached] == [f"access_tap_p2019{m:02d}" for m in range(1, 6)]
    assert Tap.objects.filter(pk=rows[1].pk).exists()

    report = partitions.maintain(now=now, only=["taps"])
    assert report is not None
    assert [d["partition"] for d in report.detached] == [f"access_tap_p2019{m:02d}" for m in range(1, 6)]
    assert all(d["rows"] == 1 and d["dropped"] is (not keep_detached) for d in report.detached)
    assert report.deleted == {"access_tap_default": 1}
    attached = {p.name for p in partitions.partitions("access_tap")}
    for month in range(1, 13):
        name = f"access_tap_p2019{month:02d}"
        gone = month <= 5
        assert (name in attached) is not gone
        assert Tap.objects.filter(pk=rows[month].pk).exists() is not gone
        if gone:
            assert relkind(name) == ("r" if keep_detached else None)  # kept as a plain table, or dropped
    assert not Tap.objects.filter(pk=stray.pk).exists()
    record = AuditLog.objects.get(action="retention.run")
    assert [d["partition"] for d in record.data["detached"]] == [f"access_tap_p2019{m:02d}" for m in range(1, 6)]
    # Newer months (the suite's own, made by the migration) are untouched.
    assert partitions.partition_name("access_tap", partitions.month_start(timezone.now())) in attached


# The migrations that partition a table, each with the one before it, and how to make a row of it.
CONVERSIONS = [
    ("access", "0001_initial", "0002_partition_by_month", "access_tap", "at"),
    ("assistant", "0002_ask_log_asker", "0003_partition_by_month", "assistant_asklog", "created_at"),
    ("core", "0006_roles_employment_building_head", "0007_partition_by_month", "core_auditlog", "at"),
    ("cases", "0001_initial", "0002_partition_by_month", "cases_caseevent", "at"),
]


def _rows(table: str, column: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608
        return cursor.fetchall()


def _insert_rows(table: str, column: str, moments: list[datetime]) -> None:
    """Rows of every kind of table, written with plain SQL (the historical model may differ from today's)."""
    with connection.cursor() as cursor:
        for i, moment in enumerate(moments):
            if table == "access_tap":
                cursor.execute(
                    "INSERT INTO access_tap (at, decision, reason, command_id, outcome, opened) "
                    "VALUES (%s, 'deny', %s, '', '', false)",
                    [moment, f"r{i}"],
                )
            elif table == "assistant_asklog":
                cursor.execute(
                    "INSERT INTO assistant_asklog (public_id, created_at, question, normalized, lang, had_location, "
                    "intent, answer, cards, confidence, backend, latency_ms, asker_session, feedback_comment, "
                    "review_note) VALUES (gen_random_uuid(), %s, %s, 'q', 'zh-hans', false, 'x', 'a', '[]', 0, "
                    "'offline', 0, '', '', '')",
                    [moment, f"q{i}"],
                )
            elif table == "core_auditlog":
                cursor.execute(
                    "INSERT INTO core_auditlog (at, action, object_type, object_id, data) VALUES (%s, %s, '', '', '{}')",
                    [moment, f"a{i}"],
                )
            else:
                cursor.execute("SELECT max(id) FROM cases_case")
                case_id = cursor.fetchone()[0]
                cursor.execute(
                    "INSERT INTO cases_caseevent (case_id, at, action, from_status, to_status, note, data) "
                    "VALUES (%s, %s, 'transition', '', 'open', '', '{}')",
                    [case_id, moment],
                )


@pytest.mark.postgres
@pytest.mark.parametrize(("app", "before", "after", "table", "column"), CONVERSIONS)
def test_the_conversion_migration_keeps_every_row_both_ways(pg, app, before, after, table, column):
    now = timezone.now()
    executor = MigrationExecutor(connection)
    executor.migrate([(app, before)])
    try:
        assert relkind(table) == "r"
        if table == "cases_caseevent":
            CaseFactory()  # the case the timeline rows belong to
        moments = [at(2019, 11, 3), at(2020, 1, 31, 23), now - timedelta(days=40), now, now + timedelta(days=400)]
        _insert_rows(table, column, moments)
        before_rows = _rows(table, column)
        assert len(before_rows) == len(moments)

        executor.loader.build_graph()
        executor.migrate([(app, after)])
        assert relkind(table) == "p"
        assert _rows(table, column) == before_rows  # every row, same ids, same values
        ids = [r[0] for r in before_rows]
        expected = [
            f"{table}_p201911",
            f"{table}_p202001",  # 23:00 on 31 January in Shanghai
            partitions.partition_name(table, partitions.month_start(moments[2])),
            partitions.partition_name(table, partitions.month_start(now)),
            partitions.partition_name(table, partitions.month_start(moments[4])),  # every month that has rows
        ]
        assert [where(table, i) for i in ids] == expected
        # A write after the migration: the next id, in this month's partition.
        _insert_rows(table, column, [now])
        newest = _rows(table, column)[-1]
        assert newest[0] > max(ids)
        assert where(table, newest[0]) == partitions.partition_name(table, partitions.month_start(now))

        executor.loader.build_graph()
        executor.migrate([(app, before)])  # and back: one plain table with every row
        assert relkind(table) == "r"
        assert [r[0] for r in _rows(table, column)] == [*ids, newest[0]]
        _insert_rows(table, column, [now])
        assert _rows(table, column)[-1][0] > newest[0]
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        assert relkind(table) == "p"
        drop_tables_like(f"{table}_p2019")
        drop_tables_like(f"{table}_p2020")


@pytest.mark.django_db
def test_celery_beat_runs_the_maintenance_every_six_hours(settings):
    from linli.core.tasks import partitions_maintain

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "core.partitions_maintain"]
    assert entries and entries[0]["schedule"] == 6 * 3600.0
    settings.LINLI_RETENTION_TAPS_DAYS = 180
    now = timezone.now()
    old = tap(now - timedelta(days=400))
    result = partitions_maintain.delay(now_iso=now.isoformat()).get()
    assert result["dry_run"] is False and sum(result["deleted"].values()) >= 1
    assert not Tap.objects.filter(pk=old.pk).exists()
    assert AuditLog.objects.filter(action="retention.run").count() == 1
