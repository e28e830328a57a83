"""Bulk loading for the synthetic city: rows of a model written with PostgreSQL's COPY (psycopg `cursor.copy`), or
with `executemany` on SQLite (the slow path, for small cities and the tests).

A `Table` takes rows as tuples of the attribute values it was given columns for; every other concrete field gets
its default once (a callable default is called once: the generator passes anything that must differ per row).
Primary keys are given by the generator (`Loader.ids(model)` continues after the table's largest id), so rows of
other tables can point at them before anything is written; the sequences are moved past them at the end.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.management.color import no_style
from django.db import connections, models
from django.db.models.fields import NOT_PROVIDED, AutoFieldMixin

FLUSH_ROWS = 20_000


class Loader:
    """The rows of every table the generator writes, flushed in batches to one database connection."""

    def __init__(self, using: str = "default", *, now: dt.datetime) -> None:
        self.using = using
        self.connection = connections[using]
        self.postgres = self.connection.vendor == "postgresql"
        self.now = now
        self.tables: dict[type[models.Model], Table] = {}
        self.next_ids: dict[type[models.Model], int] = {}
        self.written: dict[str, int] = {}
        self.deferred_indexes: list[str] = []  # CREATE INDEX statements of the indexes dropped for the load

    def table(self, model: type[models.Model], columns: Sequence[str]) -> Table:
        """The one writer of `model` (its columns fixed by the first call)."""
        table = self.tables.get(model)
        if table is None:
            table = self.tables[model] = Table(self, model, columns)
        elif list(columns) != table.columns:
            raise ValueError(f"{model.__name__}: columns {columns} differ from {table.columns}")
        return table

    def ids(self, model: type[models.Model], n: int = 1) -> int:
        """The first of `n` fresh primary keys of `model` (after the largest id already in the table)."""
        if model not in self.next_ids:
            with self.connection.cursor() as cursor:
                pk = model._meta.pk
                assert pk is not None
                cursor.execute(f"SELECT MAX({pk.column}) FROM {model._meta.db_table}")  # noqa: S608 - model names
                self.next_ids[model] = (cursor.fetchone()[0] or 0) + 1
        first = self.next_ids[model]
        self.next_ids[model] = first + n
        return first

    def flush(self) -> None:
        for table in self.tables.values():
            table.flush()

    def defer_indexes(self, model: type[models.Model]) -> None:
        """PostgreSQL: drops the table's plain indexes (not those of its primary key and unique constraints) until
        `finish`, which builds them again: one sort per index instead of an index insert per row, the usual way to
        bulk-load. Holds the table's lock until the transaction ends."""
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND i.schemaname = "
                "current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
                "AND c.conrelid = %s::regclass)",
                [model._meta.db_table, model._meta.db_table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                # A partitioned table's index reads "ON ONLY parent": built again without ONLY, on every partition.
                self.deferred_indexes.append(definition.replace(" ON ONLY ", " ON ", 1))

    def finish(self) -> dict[str, int]:
        """Writes what is left, builds the deferred indexes and moves every sequence past the ids given. Returns
        rows written per table."""
        self.flush()
        sql = self.connection.ops.sequence_reset_sql(no_style(), list(self.tables))
        with self.connection.cursor() as cursor:
            if self.deferred_indexes:
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in [*self.deferred_indexes, *sql]:
                cursor.execute(statement)
        self.deferred_indexes = []
        return dict(sorted(self.written.items()))


class Table:
    def __init__(self, loader: Loader, model: type[models.Model], columns: Sequence[str]) -> None:
        self.loader = loader
        self.model = model
        self.columns = list(columns)
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(self.columns) - set(fields)
        if unknown:
            raise ValueError(f"{model.__name__}: no such columns {sorted(unknown)}")
        self.fields = [fields[c] for c in self.columns]
        self.json_at = [i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)]
        # Columns not given take their default; an auto primary key not given is the database's to number.
        self.extra_fields = [
            f for name, f in fields.items() if name not in self.columns and not isinstance(f, AutoFieldMixin)
        ]
        self.extra = [self._default(f) for f in self.extra_fields]
        self.rows: list[tuple] = []
        self.deferred = False

    def _default(self, field: models.Field) -> Any:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return self.loader.now
        if field.default is not NOT_PROVIDED:
            return field.get_default()
        if field.null:
            return None
        if field.blank and isinstance(field, models.CharField | models.TextField | models.FileField):
            return ""
        raise ValueError(f"{self.model.__name__}.{field.attname} needs a value (no default)")

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= FLUSH_ROWS:
            self.flush()

    def extend(self, rows: Iterable[tuple]) -> None:
        for row in rows:
            self.add(row)

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        if self.loader.postgres:
            if not self.deferred and len(rows) >= FLUSH_ROWS:  # a big table: its indexes are built after the load
                self.loader.defer_indexes(self.model)
                self.deferred = True
            self._copy(rows)
        else:
            self._insert(rows)
        table = self.model._meta.db_table
        self.loader.written[table] = self.loader.written.get(table, 0) + len(rows)

    def _copy(self, rows: list[tuple]) -> None:
        names = [f.column for f in self.fields] + [f.column for f in self.extra_fields]
        extra = tuple(json.dumps(v, ensure_ascii=False) if isinstance(f, models.JSONField) else v
                      for f, v in zip(self.extra_fields, self.extra, strict=True))  # fmt: skip
        json_at = self.json_at
        columns = ", ".join(f'"{n}"' for n in names)
        with self.loader.connection.cursor() as wrapper:
            cursor = wrapper.cursor  # psycopg's own cursor: COPY is not part of Django's API
            with cursor.copy(f'COPY "{self.model._meta.db_table}" ({columns}) FROM STDIN') as copy:
                write = copy.write_row
                if json_at:
                    for row in rows:
                        values = list(row)
                        for i in json_at:
                            values[i] = json.dumps(values[i], ensure_ascii=False)
                        write((*values, *extra))
                else:
                    for row in rows:
                        write((*row, *extra))

    def _insert(self, rows: list[tuple]) -> None:
        connection = self.loader.connection
        fields = self.fields + self.extra_fields
        extra = tuple(self.extra)
        names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {connection.ops.quote_name(self.model._meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
        prepared = [
            [f.get_db_prep_save(v, connection) for f, v in zip(fields, (*row, *extra), strict=True)] for row in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, prepared)
