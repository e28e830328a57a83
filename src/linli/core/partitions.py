"""Monthly partitions of the append-only tables and their retention (PostgreSQL declarative partitioning).

The tables that only grow (gate taps, timelines, the audit log, the assistant's question log) are, on PostgreSQL,
`PARTITION BY RANGE (<time column>)` with one partition per calendar month of the business zone
(`<table>_pYYYYMM`) and a DEFAULT partition (`<table>_default`) that catches a row outside every month made so far
(a back-dated import, a clock far off): a write never fails for want of a partition. `partitions_ensure` creates
the current month and `LINLI_PARTITIONS_AHEAD_MONTHS` ahead (moving any rows the default partition holds for
them); retention detaches the months wholly older than the table's retention and drops them (or keeps them as
plain tables, `LINLI_RETENTION_KEEP_DETACHED=1`, for an archive dump). On SQLite (the embedded mode) the same
tables stay plain and retention deletes old rows in batches.

How Django sees such a table: its model keeps `id` as the primary key; in the database the primary key is
`(id, <time column>)` (PostgreSQL requires every unique constraint of a partitioned table to hold the partition
key) and `id` stays an identity column, so ids are still unique and every query by id, every ORDER BY and every
ForeignKey *out of* the table works unchanged. No table may hold a ForeignKey *into* a partitioned table (the
referenced `id` alone is not a unique constraint there); `tests/test_partitions.py` checks it.

Migrations convert a table with `convert_to_partitioned` (and back with `convert_to_plain`), in the migration's
transaction: the rows are copied with their ids, the names of the primary key, constraints and indexes are kept.

Plain DDL from a periodic Celery task, not pg_partman: the extension would have to be installed on every
PostgreSQL server and in CI, and what it would do here (create months ahead, detach old ones) is a few statements.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.utils import timezone

# ------------------------------------------------------------------------------------------------ registry


@dataclass(frozen=True)
class Retained:
    """A table whose old rows go: `column` holds the time, `setting` the retention in `unit`s (0: keep forever).
    `partitioned`: monthly partitions on PostgreSQL (the others are purged by batched DELETE everywhere)."""

    name: str
    table: str
    column: str
    setting: str
    unit: str = "days"  # days | hours
    partitioned: bool = True
    why: str = ""

    def describe(self) -> str:
        """The retention as the setting says it: "180 days", "24 hours", "forever"."""
        amount = float(getattr(settings, self.setting, 0) or 0)
        unit = self.unit[:-1] if amount == 1 else self.unit
        return f"{amount:g} {unit}" if amount > 0 else "forever"

    def retention(self) -> timedelta | None:
        amount = float(getattr(settings, self.setting, 0) or 0)
        if amount <= 0:
            return None
        return timedelta(hours=amount) if self.unit == "hours" else timedelta(days=amount)


_registry: dict[str, Retained] = {}


def register(entry: Retained) -> None:
    """Domains register their append-only tables from `AppConfig.ready()` (core never imports them)."""
    _registry[entry.table] = entry


def registered() -> list[Retained]:
    return sorted(_registry.values(), key=lambda e: e.table)


# ----------------------------------------------------------------------------------------- month arithmetic


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_start(moment: datetime) -> datetime:
    local = timezone.localtime(moment, _zone())
    return datetime(local.year, local.month, 1, tzinfo=_zone())


def add_months(start: datetime, months: int) -> datetime:
    index = start.year * 12 + (start.month - 1) + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=_zone())


def partition_name(table: str, start: datetime) -> str:
    return f"{table}_p{start.year:04d}{start.month:02d}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _literal(moment: datetime) -> str:
    return "'" + moment.isoformat() + "'"


# --------------------------------------------------------------------------------------------- inspection


def is_partitioned(table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)",
            [_q(table)],
        )
        row = cursor.fetchone()
    return bool(row and row[0] == "p")


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None: the default partition
    rows: int | None = None

    @property
    def end(self) -> datetime | None:
        return add_months(self.start, 1) if self.start is not None else None


def partitions(table: str, *, count_rows: bool = False) -> list[Partition]:
    """The table's attached partitions (the months in order, then the default one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [_q(table)],
        )
        names = [r[0] for r in cursor.fetchall()]
    pattern = re.compile(rf"^{re.escape(table)}_p(\d{{4}})(\d{{2}})$")
    months: list[Partition] = []
    default: list[Partition] = []
    for name in names:
        rows = _count(name) if count_rows else None
        match = pattern.match(name)
        if match:
            start = datetime(int(match[1]), int(match[2]), 1, tzinfo=_zone())
            months.append(Partition(name, start, rows))
        else:
            default.append(Partition(name, None, rows))
    return sorted(months, key=lambda p: p.start or datetime.min.replace(tzinfo=_zone())) + default


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {_q(table)}")  # noqa: S608 - an identifier from the catalogue
        return int(cursor.fetchone()[0])


@dataclass
class _Shape:
    """What a table carries besides its columns, read from the catalogue before a conversion."""

    primary: tuple[str, list[str]] | None = None  # (constraint name, columns)
    uniques: list[tuple[str, list[str]]] = field(default_factory=list)
    foreign: list[tuple[str, str]] = field(default_factory=list)  # (name, definition)
    indexes: list[str] = field(default_factory=list)  # CREATE INDEX statements, the table's name as {table}
    identity: str | None = None  # the identity column, if any


def _shape(table: str) -> _Shape:
    shape = _Shape()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE confrelid = to_regclass(%s) AND contype = 'f'",
            [_q(table)],
        )
        referencing = [r[0] for r in cursor.fetchall()]
        if referencing:
            raise ValueError(f"{table} is referenced by foreign keys {referencing}: it cannot be partitioned")
        cursor.execute(
            "SELECT c.conname, c.contype, pg_get_constraintdef(c.oid), c.conindid, "
            "ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o) "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) "
            "FROM pg_constraint c WHERE c.conrelid = to_regclass(%s) AND c.contype IN ('p', 'u', 'f')",
            [_q(table)],
        )
        constraint_indexes = set()
        for name, kind, definition, index_oid, columns in cursor.fetchall():
            if kind == "p":
                shape.primary = (name, list(columns))
            elif kind == "u":
                shape.uniques.append((name, list(columns)))
            else:
                shape.foreign.append((name, definition))
            if index_oid:
                constraint_indexes.add(index_oid)
        cursor.execute(
            "SELECT x.indexrelid, pg_get_indexdef(x.indexrelid), x.indisunique FROM pg_index x "
            "WHERE x.indrelid = to_regclass(%s)",
            [_q(table)],
        )
        for index_oid, definition, unique in cursor.fetchall():
            if index_oid in constraint_indexes:
                continue
            if unique:
                raise ValueError(f"{table} has a unique index outside a constraint: {definition}")
            # "CREATE INDEX name ON [ONLY] schema.table USING ..." -> with the table's name as a placeholder.
            shape.indexes.append(re.sub(r" ON (ONLY )?\S+ USING ", " ON {table} USING ", definition, count=1))
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attidentity <> ''",
            [_q(table)],
        )
        row = cursor.fetchone()
        shape.identity = row[0] if row else None
    return shape


def _restore(table: str, shape: _Shape, *, key: Callable[[list[str]], list[str]], max_id: int | None) -> list[str]:
    """Statements that give the (new) table back its identity, keys, indexes and foreign keys, names kept."""
    sql: list[str] = []
    if shape.identity:
        start = (max_id or 0) + 1
        sql.append(
            f"ALTER TABLE {_q(table)} ALTER COLUMN {_q(shape.identity)} "
            f"ADD GENERATED BY DEFAULT AS IDENTITY (START WITH {start})"
        )
    if shape.primary:
        name, columns = shape.primary
        cols = ", ".join(_q(c) for c in key(columns))
        sql.append(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} PRIMARY KEY ({cols})")
    for name, columns in shape.uniques:
        cols = ", ".join(_q(c) for c in key(columns))
        sql.append(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} UNIQUE ({cols})")
    sql.extend(statement.replace("{table}", _q(table)) for statement in shape.indexes)
    sql.extend(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}" for name, definition in shape.foreign)
    return sql


def _execute(statements: Iterable[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


# ------------------------------------------------------------------------------------------- conversions


def convert_to_partitioned(table: str, column: str, *, now: datetime | None = None) -> None:
    """Turn the plain table into one partitioned by month on `column`, keeping every row (same ids), the primary
    key's, constraints' and indexes' names. One transaction; a no-op on SQLite or when already partitioned."""
    if connection.vendor != "postgresql" or is_partitioned(table):
        return
    now = now or timezone.now()
    old = f"{table}__plain"
    with transaction.atomic():
        _execute([f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE"])
        shape = _shape(table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT date_trunc('month', {_q(column)}, %s) FROM {_q(table)} "  # noqa: S608
                f"WHERE {_q(column)} IS NOT NULL",
                [settings.TIME_ZONE],
            )
            months = {month_start(r[0]) for r in cursor.fetchall()}
            cursor.execute(f"SELECT max(id) FROM {_q(table)}")  # noqa: S608
            max_id = cursor.fetchone()[0]
        _execute(
            [
                f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}",
                f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                f"INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE ({_q(column)})",
                f"CREATE TABLE {_q(default_name(table))} PARTITION OF {_q(table)} DEFAULT",
            ]
        )
        current = month_start(now)
        months |= {add_months(current, n) for n in range(_ahead() + 1)}
        _execute(_create_month(table, start) for start in sorted(months))
        _execute(
            [
                f"INSERT INTO {_q(table)} SELECT * FROM {_q(old)}",  # noqa: S608 - the same columns, same order
                f"DROP TABLE {_q(old)}",
            ]
        )

        def with_time(columns: list[str]) -> list[str]:
            return columns if column in columns else [*columns, column]

        _execute(_restore(table, shape, key=with_time, max_id=max_id))
        _execute([f"ANALYZE {_q(table)}"])


def convert_to_plain(table: str, column: str) -> None:
    """The reverse of `convert_to_partitioned`: one plain table with every row of every attached partition
    (detached ones are left alone), `id` alone the primary key again."""
    if connection.vendor != "postgresql" or not is_partitioned(table):
        return
    old = f"{table}__parted"
    with transaction.atomic():
        _execute([f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE"])
        shape = _shape(table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT max(id) FROM {_q(table)}")  # noqa: S608
            max_id = cursor.fetchone()[0]
        _execute(
            [
                f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}",
                f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                "INCLUDING STORAGE INCLUDING COMMENTS)",
                f"INSERT INTO {_q(table)} SELECT * FROM {_q(old)}",  # noqa: S608
                f"DROP TABLE {_q(old)} CASCADE",  # its partitions with it
            ]
        )

        def without_time(columns: list[str]) -> list[str]:
            return [c for c in columns if c != column] if len(columns) > 1 and columns[-1] == column else columns

        _execute(_restore(table, shape, key=without_time, max_id=max_id))


def migration_operations(table: str, column: str) -> list[Any]:
    """The operations of a migration that partitions `table` by month on `column` (SQLite: nothing happens)."""
    from django.db import migrations

    def forward(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            convert_to_partitioned(table, column)

    def backward(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            convert_to_plain(table, column)

    return [migrations.RunPython(forward, backward, elidable=False)]


# ------------------------------------------------------------------------------------------- maintenance


def _ahead() -> int:
    return int(getattr(settings, "LINLI_PARTITIONS_AHEAD_MONTHS", 3))


def _create_month(table: str, start: datetime) -> str:
    end = add_months(start, 1)
    return (
        f"CREATE TABLE {_q(partition_name(table, start))} PARTITION OF {_q(table)} "
        f"FOR VALUES FROM ({_literal(start)}) TO ({_literal(end)})"
    )


def ensure_month(table: str, column: str, start: datetime) -> bool:
    """Create the month's partition unless it exists; rows the default partition holds for that month move into
    it (PostgreSQL refuses a new partition while the default one has rows of its range). True: created."""
    name = partition_name(table, start)
    if any(p.name == name for p in partitions(table)):
        return False
    end = add_months(start, 1)
    default = default_name(table)
    between = f"{_q(column)} >= {_literal(start)} AND {_q(column)} < {_literal(end)}"
    with transaction.atomic():
        _execute(["SET LOCAL lock_timeout = '10s'"])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_q(default)} WHERE {between})")  # noqa: S608
            strays = bool(cursor.fetchone()[0])
        if not strays:
            _execute([_create_month(table, start)])
            return True
        _execute(
            [
                f"CREATE TABLE {_q(name)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
                f"INSERT INTO {_q(name)} SELECT * FROM {_q(default)} WHERE {between}",  # noqa: S608
                f"DELETE FROM {_q(default)} WHERE {between}",  # noqa: S608
                f"ALTER TABLE {_q(table)} ATTACH PARTITION {_q(name)} "
                f"FOR VALUES FROM ({_literal(start)}) TO ({_literal(end)})",
            ]
        )
    return True


@dataclass
class Report:
    """What one maintenance run did (or, dry, would do), per table: the audit record's `data`."""

    dry_run: bool
    now: str
    created: list[str] = field(default_factory=list)
    detached: list[dict[str, Any]] = field(default_factory=list)
    deleted: dict[str, int] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "now": self.now,
            "created": self.created,
            "detached": self.detached,
            "deleted": self.deleted,
            "kept": self.kept,
        }


def _entries(only: Iterable[str] | None) -> list[Retained]:
    chosen = set(only or ())
    return [e for e in registered() if not chosen or e.table in chosen or e.name in chosen]


def partitions_ensure(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    report: Report | None = None,
    only: Iterable[str] | None = None,
    since: datetime | None = None,
) -> Report:
    """Every registered partitioned table (or those `only` names) gets its partitions for this month (or every month
    from `since`, before a bulk load of history) and the months ahead, and one for each month its default partition
    holds rows of."""
    now = now or timezone.now()
    report = report or Report(dry_run=dry_run, now=now.isoformat())
    first = month_start(since) if since is not None else month_start(now)
    for entry in _entries(only):
        if not entry.partitioned or not is_partitioned(entry.table):
            continue
        existing = {p.name for p in partitions(entry.table)}
        months = []
        start = first
        while start <= add_months(month_start(now), _ahead()):
            months.append(start)
            start = add_months(start, 1)
        # Months the default partition holds rows of (a back-dated load) get their own partition, unless retention
        # is about to drop them anyway.
        retention = entry.retention()
        cutoff = now - retention if retention is not None else None
        months += [m for m in _months_in_default(entry) if cutoff is None or add_months(m, 1) > cutoff]
        for start in sorted(set(months)):
            if partition_name(entry.table, start) in existing:
                continue
            if dry_run or ensure_month(entry.table, entry.column, start):
                report.created.append(partition_name(entry.table, start))
    return report


def _months_in_default(entry: Retained) -> list[datetime]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', {_q(entry.column)}, %s) FROM {_q(default_name(entry.table))} "  # noqa: S608
            f"WHERE {_q(entry.column)} IS NOT NULL",
            [settings.TIME_ZONE],
        )
        return [month_start(r[0]) for r in cursor.fetchall()]


def _batch_delete(table: str, column: str, cutoff: datetime, *, batch: int, dry_run: bool) -> int:
    """Delete the rows older than `cutoff`, `batch` at a time, each batch its own transaction (SQLite's writer
    lock, PostgreSQL's row locks are held briefly). Returns how many rows went (would go, dry)."""
    prep = connection.ops.adapt_datetimefield_value(cutoff)
    with connection.cursor() as cursor:
        if dry_run:
            cursor.execute(f"SELECT count(*) FROM {_q(table)} WHERE {_q(column)} < %s", [prep])  # noqa: S608
            return int(cursor.fetchone()[0])
        total = 0
        while True:
            with transaction.atomic():
                cursor.execute(
                    f"DELETE FROM {_q(table)} WHERE id IN (SELECT id FROM {_q(table)} "  # noqa: S608
                    f"WHERE {_q(column)} < %s ORDER BY id LIMIT %s)",
                    [prep, batch],
                )
                deleted = cursor.rowcount
            total += max(deleted, 0)
            if deleted < batch:
                return total


def retention_apply(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    report: Report | None = None,
    only: Iterable[str] | None = None,
) -> Report:
    """Drop what every registered table keeps past its retention.

    PostgreSQL, partitioned: the months that end on or before `now - retention` are detached, then dropped (or
    kept as plain tables with LINLI_RETENTION_KEEP_DETACHED); the month that holds the cutoff stays whole, so a
    row lives at least its retention and less than a month longer. Stray rows in the default partition older
    than the cutoff are deleted. Elsewhere (SQLite, plain tables): rows older than the cutoff deleted in batches.
    """
    now = now or timezone.now()
    report = report or Report(dry_run=dry_run, now=now.isoformat())
    keep_detached = bool(getattr(settings, "LINLI_RETENTION_KEEP_DETACHED", False))
    batch = int(getattr(settings, "LINLI_RETENTION_BATCH", 5000))
    for entry in _entries(only):
        retention = entry.retention()
        if retention is None:
            report.kept[entry.table] = "forever"
            continue
        cutoff = now - retention
        report.kept[entry.table] = cutoff.isoformat()
        if entry.partitioned and is_partitioned(entry.table):
            for part in partitions(entry.table):
                if part.start is None:
                    n = _batch_delete(part.name, entry.column, cutoff, batch=batch, dry_run=dry_run)
                    if n:
                        report.deleted[part.name] = n
                    continue
                assert part.end is not None
                if part.end > cutoff:
                    continue
                # Counted only for the months that go (the audit record says how many rows): one scan each, once.
                report.detached.append(
                    {
                        "table": entry.table,
                        "partition": part.name,
                        "rows": _count(part.name),
                        "dropped": not keep_detached,
                    }
                )
                if not dry_run:
                    with transaction.atomic():
                        _execute(
                            [
                                "SET LOCAL lock_timeout = '10s'",
                                f"ALTER TABLE {_q(entry.table)} DETACH PARTITION {_q(part.name)}",
                            ]
                        )
                        if not keep_detached:
                            _execute([f"DROP TABLE {_q(part.name)}"])
        else:
            n = _batch_delete(entry.table, entry.column, cutoff, batch=batch, dry_run=dry_run)
            if n:
                report.deleted[entry.table] = n
    return report


# ---------------------------------------------------------------------------------------------- one run

_LOCK_KEY = 0x4C494E4C49  # "LINLI": one maintenance run at a time across every node (a PostgreSQL advisory lock)


def maintain(*, now: datetime | None = None, dry_run: bool = False, only: Iterable[str] | None = None) -> Report | None:
    """Partitions ahead, then retention, then one audit record (`retention.run`) of what was created, detached or
    deleted. None: another node's run holds the lock (PostgreSQL)."""
    from linli.core.services import audit_log

    now = now or timezone.now()
    report = Report(dry_run=dry_run, now=now.isoformat())
    locked = connection.vendor == "postgresql"
    if locked:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY])
            if not cursor.fetchone()[0]:
                return None
    try:
        partitions_ensure(now=now, dry_run=dry_run, report=report, only=only)
        retention_apply(now=now, dry_run=dry_run, report=report, only=only)
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])
    if not dry_run:
        data = report.as_dict()
        data.pop("kept")  # the cutoffs are settings; the record says what changed
        audit_log(actor=None, action="retention.run", data=data)
    return report


def register_timelines(*models: Any) -> None:
    """A domain's append-only event timelines (`at`): partitioned by month, kept as long as the record they tell
    (LINLI_RETENTION_TIMELINES_DAYS, 0 by default); they go with their record by cascade."""
    for model in models:
        register(Retained("timelines", model._meta.db_table, "at", "LINLI_RETENTION_TIMELINES_DAYS"))
