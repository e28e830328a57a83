"""The access domain's fast paths: plain SQL for the statements every tap runs (bench/bench_gate_tap.py: 200
taps/s). They have no step-by-step twin left in the services (the ORM version was replaced; `tests/test_fast.py`
keeps it as the reference the plain SQL is checked against).

Building a statement through the ORM costs more CPU than the database spends answering it (see
linli/core/rawsql.py), and the tap ran four: the gate with its compound and policy, the rider's credentials, the
Tap insert and the command's result. Here they are three, written once per database backend from the models' own
metadata (columns follow migrations; only identifiers are interpolated, values are parameters):

    context   the active gate by public id, its compound's name and place, its policy, and the rider's credential
              of the gate's street with its partner, in one row (LEFT JOINs: no policy, no credential there)
    insert    the Tap row (every column written: checked at import)
    result    the open command's result on the tap, never overwriting an `opened`

Nothing is cached between taps: the credential is read on every tap, so a suspension takes effect at the next one.
The rarer rider verified only by other streets costs one more read (`other_credentials`).
Works on PostgreSQL and SQLite, and returns ordinary model instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Field, Model

from linli.access.models import AccessPolicy, Decision, Gate, Partner, RiderCredential, Tap
from linli.core import rawsql
from linli.core.models import Compound

# The compound's and partner's columns the tap uses (the rest, e.g. a compound's geometry, are never read here).
COMPOUND_FIELDS = ("id", "street", "name", "lat", "lng")
PARTNER_FIELDS = ("id", "street", "code", "name")
TAP_FIELDS = (
    "at",
    "street",
    "compound",
    "gate",
    "rider",
    "credential",
    "decision",
    "reason",
    "lat",
    "lng",
    "distance_m",
    "command_id",
    "outcome",
    "opened",
)


@dataclass
class TapContext:
    gate: Gate  # with `compound` (the fields of COMPOUND_FIELDS) attached
    policy: AccessPolicy | None
    credential: RiderCredential | None  # the rider's credential of the gate's street, with `partner` attached


def _cols(model: type[Any], alias: str, names: tuple[str, ...]) -> str:
    return ", ".join(f"{alias}.{rawsql.column(model, name)}" for name in names)


@cache
def _sql(vendor: str) -> dict[str, str]:
    """The statements, built once per database backend."""
    c = rawsql.column
    gate, compound, policy = rawsql.table(Gate), rawsql.table(Compound), rawsql.table(AccessPolicy)
    credential, partner, tap = rawsql.table(RiderCredential), rawsql.table(Partner), rawsql.table(Tap)
    result_set = (
        f"UPDATE {tap} SET {c(Tap, 'command_id')} = %s, {c(Tap, 'outcome')} = %s, {c(Tap, 'opened')} = %s "  # noqa: S608
        f"WHERE {c(Tap, 'id')} = %s AND {c(Tap, 'decision')} = %s AND {c(Tap, 'opened')} = %s"
    )
    return {
        "context": (
            f"SELECT {rawsql.select_list(Gate, 'g')}, {rawsql.select_list(AccessPolicy, 'p')}, "  # noqa: S608
            f"{rawsql.select_list(RiderCredential, 'r')}, {_cols(Compound, 'c', COMPOUND_FIELDS)}, "
            f"{_cols(Partner, 'pa', PARTNER_FIELDS)} "
            f"FROM {gate} g JOIN {compound} c ON c.{c(Compound, 'id')} = g.{c(Gate, 'compound')} "
            f"LEFT JOIN {policy} p ON p.{c(AccessPolicy, 'compound')} = g.{c(Gate, 'compound')} "
            f"LEFT JOIN {credential} r ON r.{c(RiderCredential, 'street')} = g.{c(Gate, 'street')} "
            f"AND r.{c(RiderCredential, 'user')} = %s "
            f"LEFT JOIN {partner} pa ON pa.{c(Partner, 'id')} = r.{c(RiderCredential, 'partner')} "
            f"WHERE g.{c(Gate, 'public_id')} = %s AND g.{c(Gate, 'active')} = %s"
        ),
        "other_credentials": (
            f"SELECT {rawsql.select_list(RiderCredential, 'r')}, {_cols(Partner, 'pa', PARTNER_FIELDS)} "  # noqa: S608
            f"FROM {credential} r JOIN {partner} pa ON pa.{c(Partner, 'id')} = r.{c(RiderCredential, 'partner')} "
            f"WHERE r.{c(RiderCredential, 'user')} = %s "
            f"ORDER BY r.{c(RiderCredential, 'verified_at')} DESC, r.{c(RiderCredential, 'id')} DESC LIMIT 20"
        ),
        "result": result_set,
        "result_for_command": f"{result_set} AND {c(Tap, 'command_id')} IN ('', %s)",
    }


@cache
def _attnames(model: type[Model], names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(name, attribute name) of these concrete fields: "street" -> "street_id"."""
    out = []
    for name in names:
        field = model._meta.get_field(name)
        assert isinstance(field, Field)
        out.append((name, field.attname))
    return tuple(out)


def _partial(model: type[Model], names: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    """An instance with only these fields loaded (the others deferred), as `.only()` gives."""
    return model.from_db(DEFAULT_DB_ALIAS, [attname for _, attname in _attnames(model, names)], list(values))


def _credential_with_partner(row: tuple[Any, ...]) -> RiderCredential:
    width = rawsql.column_count(RiderCredential)
    credential = rawsql.instances(row[:width], RiderCredential)[0]
    assert isinstance(credential, RiderCredential)
    credential.partner = _partial(Partner, PARTNER_FIELDS, row[width : width + len(PARTNER_FIELDS)])
    return credential


def tap_context(*, public_id: str, user_id: int) -> TapContext | None:
    """The active gate `public_id` with its compound, policy and the rider's credential of its street (one
    statement); None when no active gate has that id."""
    row = rawsql.fetch_one(_sql(connection.vendor)["context"], [user_id, public_id, True])
    if row is None:
        return None
    n_gate, n_policy = rawsql.column_count(Gate), rawsql.column_count(AccessPolicy)
    n_credential = rawsql.column_count(RiderCredential)
    gate = rawsql.instances(row[:n_gate], Gate)[0]
    assert isinstance(gate, Gate)
    at = n_gate
    policy = None
    if row[at] is not None:  # the policy's id: no row means the defaults
        found = rawsql.instances(row[at : at + n_policy], AccessPolicy)[0]
        assert isinstance(found, AccessPolicy)
        policy = found
    at += n_policy
    credential_cols = row[at : at + n_credential]
    at += n_credential
    gate.compound = _partial(Compound, COMPOUND_FIELDS, row[at : at + len(COMPOUND_FIELDS)])
    at += len(COMPOUND_FIELDS)
    credential = None
    if credential_cols[0] is not None:
        credential = _credential_with_partner(credential_cols + row[at : at + len(PARTNER_FIELDS)])
    return TapContext(gate=gate, policy=policy, credential=credential)


def rider_credentials(user_id: int) -> list[RiderCredential]:
    """The rider's credentials of every street with their partners, newest verification first (at most 20)."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(connection.vendor)["other_credentials"], [user_id])
        rows = cursor.fetchall()
    return [_credential_with_partner(row) for row in rows]


def tap_insert(tap: Tap) -> Tap:
    """INSERT the new tap in one plain statement and give it its primary key, as save() would."""
    values = {name: getattr(tap, attname) for name, attname in _attnames(Tap, TAP_FIELDS)}
    tap.pk = rawsql.insert(Tap, values)
    tap._state.adding = False
    tap._state.db = DEFAULT_DB_ALIAS
    return tap


def tap_result_set(*, tap_id: int, command_id: str, outcome: str, opened: bool) -> bool:
    """Record an open command's result on an allowed tap not yet opened (for `command_id`, when given, or one
    without a command yet); whether a row changed."""
    sql = _sql(connection.vendor)
    params: list[Any] = [command_id, outcome[:40], opened, tap_id, Decision.ALLOW.value, False]
    if command_id:
        params.append(command_id)
    with connection.cursor() as cursor:
        cursor.execute(sql["result_for_command"] if command_id else sql["result"], params)
        return cursor.rowcount > 0


# Every column of Tap but the primary key is written (a new column with a database default would be silently
# left to it otherwise), and the partial models' fields exist: checked at import, so a migration that changes them
# fails loudly here.
rawsql.insert_fields_check(Tap, TAP_FIELDS, where="access.services.fast")
for _model, _names in ((Compound, COMPOUND_FIELDS), (Partner, PARTNER_FIELDS)):
    _lost = set(_names) - {f.name for f in _model._meta.concrete_fields}
    if _lost:
        raise RuntimeError(f"access.services.fast: {_model.__name__} lost {sorted(_lost)}")
