"""The cases' fast paths: plain SQL for the statements every hazard report runs (bench/bench_dispatch.py: 50
reports/s).

    grids_containing   the twin of `linli.core.gis.grids_containing` (same name and signature; the step-by-step
                       ORM version stays the reference and serves the non-hot callers: a split, the imports);
                       `tests/test_fast.py` checks that both answer the same for generated points

Building a statement through the ORM costs more CPU than the database spends answering it (see
linli/core/rawsql.py), and a report runs about a dozen: street, category, grids at the point, the category lock,
the merge search, the case, the report, its photo and the timeline. They are written here once, from the models'
own metadata (columns follow migrations; only identifiers are interpolated, values are parameters), and return
ordinary model instances, so the rest of the report path (push summary, SMS, answers) is unchanged.
Works on PostgreSQL and SQLite (`FOR UPDATE` only where the database has it; SQLite serialises writers anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, models
from shapely.geometry import Point, shape

from linli.cases.models import Case, CaseCategory, CaseEvent, CasePhoto, Report
from linli.core import rawsql
from linli.core.models import GRID_LEVEL_DEPTH, Grid, GridLevel, IdempotencyKey, Role, RoleAssignment, Street, User

M = TypeVar("M", bound=models.Model)


def _one(sql: str, params: list[Any], model: type[M]) -> M | None:
    row = rawsql.fetch_one(sql, params)
    if row is None:
        return None
    obj = rawsql.instances(row, model)[0]
    assert isinstance(obj, model)
    return obj


@cache
def _sql(vendor: str) -> dict[str, str]:
    """The statements, built once per database backend."""
    c = rawsql.column
    street, category, grid, case = (rawsql.table(m) for m in (Street, CaseCategory, Grid, Case))
    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return {
        "street": f"SELECT {rawsql.select_list(Street, 's')} FROM {street} s WHERE s.{c(Street, 'code')} = %s",  # noqa: S608
        "category": (
            f"SELECT {rawsql.select_list(CaseCategory, 'k')} FROM {category} k "  # noqa: S608
            f"WHERE k.{c(CaseCategory, 'street')} = %s AND k.{c(CaseCategory, 'code')} = %s "
            f"AND k.{c(CaseCategory, 'is_active')}"
        ),
        "lock_category": f"SELECT 1 FROM {category} WHERE {c(CaseCategory, 'id')} = %s{for_update}",  # noqa: S608
        "grids_at": (
            f"SELECT {rawsql.select_list(Grid, 'g')} FROM {grid} g WHERE g.{c(Grid, 'street')} = %s "  # noqa: S608
            f"AND g.{c(Grid, 'min_lat')} <= %s AND g.{c(Grid, 'max_lat')} >= %s "
            f"AND g.{c(Grid, 'min_lng')} <= %s AND g.{c(Grid, 'max_lng')} >= %s"
        ),
        "key_answered": (
            f"SELECT 1 FROM {rawsql.table(IdempotencyKey)} WHERE {c(IdempotencyKey, 'user')} = %s "  # noqa: S608
            f"AND {c(IdempotencyKey, 'scope')} = %s AND {c(IdempotencyKey, 'key')} = %s "
            f"AND {c(IdempotencyKey, 'status')} IS NOT NULL"
        ),
        "has_grids": f"SELECT 1 FROM {grid} WHERE {c(Grid, 'street')} = %s LIMIT 1",  # noqa: S608
        "merge_box": (
            f"SELECT {c(Case, 'id')}, {c(Case, 'lat')}, {c(Case, 'lng')}, {c(Case, 'created_at')} "  # noqa: S608
            f"FROM {case} WHERE {c(Case, 'category')} = %s AND {c(Case, 'status')} IN ({{statuses}}) "
            f"AND {c(Case, 'lat')} >= %s AND {c(Case, 'lat')} <= %s AND {c(Case, 'lng')} >= %s "
            f"AND {c(Case, 'lng')} <= %s"
        ),
    }


def street_by_code(code: str) -> Street | None:
    return _one(_sql(connection.vendor)["street"], [code], Street)


def category_by_code(street_id: int, code: str) -> CaseCategory | None:
    return _one(_sql(connection.vendor)["category"], [street_id, code], CaseCategory)


def category_lock(category_id: int) -> None:
    """Take the category row's lock (inside the report's transaction): reports of one category serialise."""
    rawsql.fetch_one(_sql(connection.vendor)["lock_category"], [category_id])


def grids_containing(*, street: Street, lat: float, lng: float) -> list[Grid]:
    """linli.core.gis.grids_containing in plain SQL: every grid of the street whose polygon holds the point
    (boundary included), shallowest first."""
    sql = _sql(connection.vendor)["grids_at"]
    with connection.cursor() as cursor:
        cursor.execute(sql, [street.pk, lat, lat, lng, lng])
        rows = cursor.fetchall()
    point = Point(lng, lat)
    hits: list[Grid] = []
    for row in rows:
        grid = rawsql.instances(row, Grid)[0]
        assert isinstance(grid, Grid)
        if shape(grid.geometry).covers(point):
            hits.append(grid)
    hits.sort(key=lambda g: (GRID_LEVEL_DEPTH[GridLevel(g.level)], g.external_id))
    return hits


def idempotency_answered(*, user_id: int, scope: str, key: str) -> bool:
    return rawsql.fetch_one(_sql(connection.vendor)["key_answered"], [user_id, scope, key]) is not None


def role_holders(*, street_id: int, roles: Sequence[str], grid_ids: Sequence[int]) -> list[tuple[RoleAssignment, User]]:
    """The street's role assignments of active people, with their user: those of `roles`, and the grid workers of
    `grid_ids` (an urgent report's SMS receivers, in one statement)."""
    ra, user = rawsql.table(RoleAssignment), rawsql.table(User)
    c = rawsql.column
    conds = []
    params: list[Any] = [street_id]
    if roles:
        conds.append(f"r.{c(RoleAssignment, 'role')} IN ({', '.join(['%s'] * len(roles))})")
        params += list(roles)
    if grid_ids:
        conds.append(
            f"(r.{c(RoleAssignment, 'role')} = %s AND r.{c(RoleAssignment, 'grid')} IN "
            f"({', '.join(['%s'] * len(grid_ids))}))"
        )
        params += [Role.GRID_WORKER, *grid_ids]
    if not conds:
        return []
    sql = (
        f"SELECT {rawsql.select_list(RoleAssignment, 'r')}, {rawsql.select_list(User, 'u')} "  # noqa: S608
        f"FROM {ra} r JOIN {user} u ON u.{c(User, 'id')} = r.{c(RoleAssignment, 'user')} "
        f"WHERE r.{c(RoleAssignment, 'street')} = %s AND u.{c(User, 'is_active')} AND ({' OR '.join(conds)}) "
        f"ORDER BY r.{c(RoleAssignment, 'id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = []
    for row in rows:
        assignment, person = rawsql.instances(row, RoleAssignment, User)
        assert isinstance(assignment, RoleAssignment) and isinstance(person, User)
        out.append((assignment, person))
    return out


def street_has_grids(street_id: int) -> bool:
    return rawsql.fetch_one(_sql(connection.vendor)["has_grids"], [street_id]) is not None


def cases_in_box(
    *, category_id: int, statuses: Sequence[str], lat0: float, lat1: float, lng0: float, lng1: float
) -> list[tuple[int, float, float, datetime]]:
    """(id, lat, lng, created_at) of the category's cases in these statuses inside the box."""
    sql = _sql(connection.vendor)["merge_box"].replace("{statuses}", ", ".join(["%s"] * len(statuses)))
    conn = connection
    created = Case._meta.get_field("created_at")
    with conn.cursor() as cursor:
        cursor.execute(sql, [category_id, *statuses, lat0, lat1, lng0, lng1])
        rows = cursor.fetchall()
    converters = conn.ops.get_db_converters(created.get_col(Case._meta.db_table))  # type: ignore[union-attr]
    out = []
    for cid, clat, clng, at in rows:
        for converter in converters:
            at = converter(at, created, conn)
        out.append((int(cid), float(clat), float(clng), at))
    return out


def insert(obj: M, names: tuple[str, ...]) -> M:
    """INSERT the instance's `names` fields in one plain statement and give it its primary key, as save() would
    for a new row (no signals are sent; Linli uses none)."""
    model = type(obj)
    meta = model._meta
    values = {name: getattr(obj, meta.get_field(name).attname) for name in names}  # type: ignore[union-attr]
    obj.pk = rawsql.insert(model, values)
    obj._state.adding = False
    obj._state.db = DEFAULT_DB_ALIAS
    return obj


def insert_many(objs: Sequence[models.Model], names: tuple[str, ...]) -> None:
    """INSERT the instances' `names` fields as one multi-row statement, rows in the given order (their ids are
    not read back: for append-only rows such as timeline events)."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {rawsql.table(model)} ({rawsql.columns(model, names)}) "  # noqa: S608 - identifiers only
        f"VALUES {', '.join([row] * len(objs))}"
    )
    params = [
        f.get_db_prep_save(getattr(obj, f.attname), connection)  # type: ignore[union-attr]
        for obj in objs
        for f in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


CASE_FIELDS = (
    "street",
    "category",
    "status",
    "lat",
    "lng",
    "address",
    "description",
    "grid",
    "queue",
    "assignee",
    "merged_into",
    "reports_count",
    "created_at",
    "updated_at",
    "dispatched_at",
    "accepted_at",
    "resolved_at",
    "verified_at",
    "closed_at",
    "response_due_at",
    "resolution_due_at",
    "reminded_at",
    "escalated_at",
    "resolution_note",
    "closing_note",
    "reject_reason",
)
REPORT_FIELDS = (
    "street",
    "case",
    "category",
    "reporter",
    "source",
    "open311_client",
    "token",
    "lat",
    "lng",
    "address",
    "description",
    "contact_name",
    "contact_email",
    "contact_phone",
    "device_id",
    "attributes",
    "created_at",
)
PHOTO_FIELDS = ("case", "report", "kind", "image", "width", "height", "created_at")
EVENT_FIELDS = ("case", "at", "actor", "action", "from_status", "to_status", "note", "data")


# Every INSERT here names every column but the primary key (a new column would otherwise be left to its
# database default on the report path only): checked at import.
for _model, _names in (
    (Case, CASE_FIELDS),
    (Report, REPORT_FIELDS),
    (CasePhoto, PHOTO_FIELDS),
    (CaseEvent, EVENT_FIELDS),
):
    rawsql.insert_fields_check(_model, _names, where="cases.services.fast")
