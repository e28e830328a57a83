"""Plain-SQL reads of whole model instances for the hottest request paths.

Building a SELECT through the ORM costs about a millisecond of CPU on the 2-core machine, more than the
database takes to answer it. The one-tap booking path reads a token with its user and an activity with its
street on every request, so those reads are written here once: the columns come from the models' own
metadata (so they follow migrations), only identifiers are interpolated, and values are parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connection, connections, models


@cache
def _columns(model: type[models.Model]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(column names, attribute names) of the model's concrete fields, in field order."""
    fields = list(model._meta.concrete_fields)
    return tuple(str(f.column) for f in fields), tuple(f.attname for f in fields)


# Everything below that depends on the database backend is cached per backend (`vendor`): these helpers run on
# every booking, and rebuilding the same strings and converter lists cost a fifth of the path's CPU (cProfile).


def select_list(model: type[models.Model], alias: str) -> str:
    return _select_list(connection.vendor, model, alias)


@cache
def _select_list(vendor: str, model: type[models.Model], alias: str) -> str:
    qn = connection.ops.quote_name
    return ", ".join(f"{alias}.{qn(c)}" for c in _columns(model)[0])


def table(model: type[models.Model]) -> str:
    return _table(connection.vendor, model)


@cache
def _table(vendor: str, model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[models.Model], field: str) -> str:
    return _column(connection.vendor, model, field)


@cache
def _column(vendor: str, model: type[models.Model], field: str) -> str:
    f = model._meta.get_field(field)
    assert isinstance(f, models.Field) and f.column, f"{model.__name__}.{field} is not a concrete column"
    return connection.ops.quote_name(f.column)


@cache
def _converters(alias: str, vendor: str, model: type[models.Model]) -> tuple[tuple[int, tuple[Any, ...], Any], ...]:
    """The columns that need converting: (index, the backend's and the field's converters, the expression they
    expect), as the ORM does. Most columns need none (psycopg already returns Python values)."""
    conn = connections[alias]
    out = []
    for i, f in enumerate(model._meta.concrete_fields):
        col = f.get_col(model._meta.db_table)
        converters = tuple(conn.ops.get_db_converters(col) + col.get_db_converters(conn))
        if converters:
            out.append((i, converters, col))
    return tuple(out)


def instances(row: tuple[Any, ...], *models_: type[models.Model]) -> list[models.Model]:
    """Split one row of `select_list(m1, ...), select_list(m2, ...)` into model instances (with converters)."""
    conn = connections[DEFAULT_DB_ALIAS]
    out: list[models.Model] = []
    offset = 0
    for model in models_:
        _cols, attnames = _columns(model)
        values = list(row[offset : offset + len(attnames)])
        offset += len(attnames)
        for i, converters, expression in _converters(conn.alias, conn.vendor, model):
            for converter in converters:
                values[i] = converter(values[i], expression, conn)
        out.append(model.from_db(conn.alias, list(attnames), values))
    return out


def fetch_one(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetch_all(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def field_converter(model: type[models.Model], name: str) -> Any:
    """value -> Python value of the column of field `name` read by a raw cursor, as the ORM converts it (SQLite
    gives datetimes as text, PostgreSQL as datetimes already: there it is the identity)."""
    conn = connections[DEFAULT_DB_ALIAS]
    return _field_converter(conn.alias, conn.vendor, model, name)


@cache
def _field_converter(alias: str, vendor: str, model: type[models.Model], name: str) -> Any:
    conn = connections[alias]
    f = model._meta.get_field(name)
    assert isinstance(f, models.Field), f"{model.__name__}.{name} is not a concrete field"
    col = f.get_col(model._meta.db_table)
    converters = tuple(conn.ops.get_db_converters(col) + col.get_db_converters(conn))
    if not converters:
        return _identity

    def convert(value: Any) -> Any:
        for converter in converters:
            value = converter(value, col, conn)
        return value

    return convert


def _identity(value: Any) -> Any:
    return value


def insert(model: type[models.Model], values: dict[str, Any]) -> int:
    """INSERT one row (values by field name, prepared by the fields themselves) and return its primary key."""
    conn = connections[DEFAULT_DB_ALIAS]
    sql, fields = _insert_sql(conn.vendor, model, tuple(values))
    params = [f.get_db_prep_save(values[f.name], conn) for f in fields]
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        assert row is not None  # RETURNING always answers one row
        return int(row[0])


@cache
def _insert_sql(vendor: str, model: type[models.Model], names: tuple[str, ...]) -> tuple[str, tuple[models.Field, ...]]:
    insert_fields_check(model, names, where="rawsql.insert")
    qn = connection.ops.quote_name
    fields = tuple(f for f in (model._meta.get_field(name) for name in names) if isinstance(f, models.Field))
    if len(fields) != len(names):
        raise ValueError(f"not all of {sorted(names)} are concrete fields of {model.__name__}")
    cols = ", ".join(qn(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table(model)} ({cols}) VALUES ({marks}) RETURNING {qn(model._meta.pk.column)}"  # noqa: S608
    return sql, fields


def columns(model: type[models.Model], names: tuple[str, ...]) -> str:
    """The quoted columns of the fields `names`, comma-separated (for an INSERT's column list)."""
    return _columns_list(connection.vendor, model, names)


@cache
def _columns_list(vendor: str, model: type[models.Model], names: tuple[str, ...]) -> str:
    return ", ".join(_column(vendor, model, name) for name in names)


def typed_marks(model: type[models.Model], names: tuple[str, ...], prefix: str) -> str:
    """Named placeholders `%(<prefix><name>)s::<column type>` for the fields `names`, comma-separated.

    For `INSERT ... SELECT` and `VALUES` lists inside a larger statement: there PostgreSQL does not take a
    parameter's type from the target column (as a plain `INSERT ... VALUES` does), so each one is cast to it."""
    return _typed_marks(connection.vendor, model, names, prefix)


@cache
def _typed_marks(vendor: str, model: type[models.Model], names: tuple[str, ...], prefix: str) -> str:
    out = []
    for name in names:
        f = model._meta.get_field(name)
        assert isinstance(f, models.Field) and f.column, f"{model.__name__}.{name} is not a concrete column"
        db_type = str(f.db_type(connection))
        if db_type.startswith("varchar("):
            db_type = "varchar"  # no length: a too long value fails on the column as in a plain INSERT, not cut
        out.append(f"%({prefix}{name})s::{db_type}")
    return ", ".join(out)


# Field types whose values survive a round trip through JSON unchanged (see `json_row`).
_JSON_NATIVE = {
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "CharField", "TextField",
    "BooleanField", "JSONField", "ForeignKey", "OneToOneField",
}  # fmt: skip


def json_row(model: type[models.Model], alias: str) -> str:
    """PostgreSQL: `json_build_array(<alias>.<every column>)`, to fetch a model's rows inside another query's
    row (e.g. `json_agg(json_build_array(...))` in a scalar subquery), read back with `from_json_rows`. Only for
    models whose columns are all JSON-native (numbers, text, booleans, JSON): dates or decimals would come back
    as strings, so other models are refused."""
    return _json_row(connection.vendor, model, alias)


@cache
def _json_row(vendor: str, model: type[models.Model], alias: str) -> str:
    odd = [f.name for f in model._meta.concrete_fields if f.get_internal_type() not in _JSON_NATIVE]
    if odd:
        raise ValueError(f"{model.__name__} has columns that do not survive JSON: {odd}")
    qn = connection.ops.quote_name
    return "json_build_array(" + ", ".join(f"{alias}.{qn(c)}" for c in _columns(model)[0]) + ")"


def from_json_rows(model: type[models.Model], rows: list[list[Any]] | None) -> list[models.Model]:
    """Instances from the decoded JSON arrays of `json_row` (None, as `json_agg` gives for no rows: [])."""
    attnames = list(_columns(model)[1])
    return [model.from_db(DEFAULT_DB_ALIAS, attnames, list(row)) for row in rows or []]


def column_count(*models_: type[models.Model]) -> int:
    """How many columns `select_list` gives for these models together (to slice a joined row)."""
    return sum(len(_columns(model)[0]) for model in models_)


def insert_many(model: type[models.Model], names: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """INSERT rows (values by field name: `names`, every column but the primary key) as one multi-row statement,
    in the given order; their ids are not read back (append-only rows such as events)."""
    if not rows:
        return
    conn = connections[DEFAULT_DB_ALIAS]
    sql, fields = _insert_many_sql(conn.vendor, model, names, len(rows))
    params = [f.get_db_prep_save(row[f.name], conn) for row in rows for f in fields]
    with conn.cursor() as cursor:
        cursor.execute(sql, params)


@cache
def _insert_many_sql(
    vendor: str, model: type[models.Model], names: tuple[str, ...], n_rows: int
) -> tuple[str, tuple[models.Field, ...]]:
    insert_fields_check(model, names, where="rawsql.insert_many")
    fields = tuple(f for f in (model._meta.get_field(name) for name in names) if isinstance(f, models.Field))
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = f"INSERT INTO {table(model)} ({columns(model, names)}) VALUES {', '.join([one] * n_rows)}"  # noqa: S608
    return sql, fields


def row_defaults(model: type[models.Model], **values: Any) -> dict[str, Any]:
    """A new row by field name: every concrete field but the primary key at its model default (None without
    one), then `values` (foreign keys by id). For an INSERT that names every column, as `insert` requires."""
    out = {f.name: (f.get_default() if f.has_default() else None) for f in _insert_fields(model)}
    unknown = set(values) - set(out)
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    out.update(values)
    return out


# --------------------------------------------------------------------------- every INSERT names every column
#
# A fast path that leaves a column out of its INSERT leaves it to the column's database default, or NULL: a
# migration adding a column with a model default would then be silently broken on the fast path only. So every
# fast path's INSERT names every column but the primary key, and says so at import (`insert_fields_check` for the
# field tuples it writes, `insert_sql_check` for SQL written out), and `insert` checks its field set too.


def _insert_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def insert_fields_check(model: type[models.Model], names: Iterable[str], *, where: str) -> None:
    """Raise unless `names` (field names or columns) are exactly the concrete fields of `model` but its primary
    key."""
    by_name = {f.name: f for f in _insert_fields(model)}
    by_column = {str(f.column): f for f in by_name.values()}
    given = list(names)
    seen = {(by_name.get(n) or by_column.get(n) or n) for n in given}
    missing = sorted(f.name for f in by_name.values() if f not in seen)
    unknown = sorted(n for n in given if n not in by_name and n not in by_column)
    if missing or unknown or len(given) != len(seen):
        raise RuntimeError(
            f"{where}: an INSERT into {model._meta.db_table} must name every column but the primary key "
            f"(missing {missing}, unknown {unknown}, {len(given) - len(seen)} named twice); "
            "did a migration change the model?"
        )


_INSERT_INTO = re.compile(r'INSERT\s+INTO\s+"?(?P<table>[\w.]+)"?\s*\((?P<cols>[^)]*)\)', re.IGNORECASE)


def insert_sql_check(sql: str, *, where: str) -> None:
    """Raise unless every `INSERT INTO <table> (<columns>)` of `sql` names every column of its table but the
    primary key (tables of installed models; call at import with the statement as built)."""
    tables = {m._meta.db_table: m for m in apps.get_models()}
    found = 0
    for match in _INSERT_INTO.finditer(sql):
        model = tables.get(match["table"])
        if model is None:
            raise RuntimeError(f"{where}: INSERT into an unknown table {match['table']}")
        cols = [c.strip().strip('"').strip("`") for c in match["cols"].split(",") if c.strip()]
        insert_fields_check(model, cols, where=where)
        found += 1
    if not found:
        raise RuntimeError(f"{where}: no INSERT to check")
