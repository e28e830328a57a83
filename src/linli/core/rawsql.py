"""Plain-SQL reads of whole model instances for the hottest request paths.

Building a SELECT through the ORM costs about a millisecond of CPU on the 2-core machine, more than the
database takes to answer it. The one-tap booking path reads a token with its user and an activity with its
street on every request, so those reads are written here once: the columns come from the models' own
metadata (so they follow migrations), only identifiers are interpolated, and values are parameters.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection, models


@cache
def _columns(model: type[models.Model]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(column names, attribute names) of the model's concrete fields, in field order."""
    fields = list(model._meta.concrete_fields)
    return tuple(str(f.column) for f in fields), tuple(f.attname for f in fields)


def select_list(model: type[models.Model], alias: str) -> str:
    qn = connection.ops.quote_name
    return ", ".join(f"{alias}.{qn(c)}" for c in _columns(model)[0])


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[models.Model], field: str) -> str:
    f = model._meta.get_field(field)
    assert isinstance(f, models.Field) and f.column, f"{model.__name__}.{field} is not a concrete column"
    return connection.ops.quote_name(f.column)


def _converters(model: type[models.Model]) -> list[list[tuple[Any, Any]]]:
    """Per column, the backend's and the field's converters with the expression they expect (as the ORM does)."""
    out = []
    for f in model._meta.concrete_fields:
        col = f.get_col(model._meta.db_table)
        out.append([(c, col) for c in connection.ops.get_db_converters(col) + col.get_db_converters(connection)])
    return out


def instances(row: tuple[Any, ...], *models_: type[models.Model]) -> list[models.Model]:
    """Split one row of `select_list(m1, ...), select_list(m2, ...)` into model instances (with converters)."""
    out: list[models.Model] = []
    offset = 0
    for model in models_:
        _cols, attnames = _columns(model)
        values = list(row[offset : offset + len(attnames)])
        offset += len(attnames)
        for i, converters in enumerate(_converters(model)):
            for converter, expression in converters:
                values[i] = converter(values[i], expression, connection)
        out.append(model.from_db(connection.alias, list(attnames), values))
    return out


def fetch_one(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def insert(model: type[models.Model], values: dict[str, Any]) -> int:
    """INSERT one row (values by field name, prepared by the fields themselves) and return its primary key."""
    qn = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in values]
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields if isinstance(f, models.Field)]
    cols = ", ".join(qn(str(f.column)) for f in fields if isinstance(f, models.Field))
    if len(params) != len(values):
        raise ValueError(f"not all of {sorted(values)} are concrete fields of {model.__name__}")
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table(model)} ({cols}) VALUES ({marks}) RETURNING {qn(model._meta.pk.column)}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        assert row is not None  # RETURNING always answers one row
        return int(row[0])
