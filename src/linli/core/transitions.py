"""One way to change a status: a `StateMachine` per model (bookings, orders, cases, delivery runs, menus).

A machine holds the model's transition table (from status -> the statuses it may move to), the timestamp column
each status stamps, the Problem a refused move raises (the domain's own code and message) and how its event row
reads. `StateMachine.move()` is the only way the domains change a status:

1. check the table: a move it does not allow raises the domain's Problem and writes nothing;
2. one conditional UPDATE, `... SET status = <to>, <stamp> = <now>, <more> WHERE id = <pk> AND status = <from>`:
   of two racing moves of the same object the second matches no row and raises the same Problem (naming the
   status it found instead), writing nothing;
3. append the event row (an `*Event` row, or an `AuditLog` row for menus and delivery runs). Event rows are never
   updated after they are written: a move that is not sure of its target status yet waits until it is.

On PostgreSQL steps 2 and 3 are one statement (a data-modifying CTE: the event is inserted only from the row the
UPDATE returned), elsewhere two statements in one atomic block. Both are plain SQL built once per model and field
set (see `linli.core.rawsql`): a status change costs what the database takes, not what building it through the
ORM takes. `move_bulk()` moves many objects that are in one status at once (the cut-off lock, a rider's pick-up).

Side effects of a move (refunds, seats given back, notices) stay in the calling service, in the same transaction.

Higher domains that count moves (the dashboard's counters) register a listener with `move_listener_register`: it
is called after the transaction commits with the machine's model and the steps that moved (`Step`: the object,
from, to, when). A listener never runs for a move that rolled back, and its failure never undoes the move.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import format_lazy

from linli.core import rawsql
from linli.core.errors import Problem
from linli.core.i18n import Text, choice_label

M = TypeVar("M", bound=models.Model)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step(Generic[M]):
    """One move, as the event row builder sees it."""

    obj: M
    from_status: str
    to_status: str
    actor_id: int | None
    note: str
    now: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


class StateMachine(Generic[M]):
    """The transition table of `model` and the one helper that moves an object along it (see the module
    docstring). `event_fields` must name every column of `event_model` but its primary key (checked here, when
    the domain's module is imported); `event_row(step)` gives those fields' values (foreign keys as ids)."""

    def __init__(
        self,
        *,
        model: type[M],
        table: Mapping[str, frozenset[str]],
        refused: Callable[[M, str, str], Problem],
        event_model: type[models.Model],
        event_fields: tuple[str, ...],
        event_row: Callable[[Step[M]], dict[str, Any]],
        stamps: Mapping[str, str] | None = None,
        status_field: str = "status",
    ) -> None:
        rawsql.insert_fields_check(event_model, event_fields, where=f"{model.__name__} state machine")
        self.model = model
        self.table = {str(k): frozenset(str(s) for s in v) for k, v in table.items()}
        self.refused = refused
        self.event_model = event_model
        self.event_fields = event_fields
        self.event_row = event_row
        self.stamps = dict(stamps or {})
        self.status_field = status_field

    def allows(self, from_status: str, to_status: str) -> bool:
        return to_status in self.table.get(from_status, frozenset())

    def check(self, obj: M, to_status: str) -> str:
        """The object's status, if the table lets it move to `to_status`; else raise the domain's Problem."""
        from_status = str(getattr(obj, self.status_field))
        if not self.allows(from_status, to_status):
            raise self.refused(obj, from_status, to_status)
        return from_status

    def move(
        self,
        obj: M,
        to_status: str,
        *,
        actor: Any = None,
        note: str = "",
        now: datetime | None = None,
        fields: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> M:
        """Move `obj` from the status it holds to `to_status`: check, conditional UPDATE (the status, the stamp of
        `to_status`, and `fields`), append the event. The object's attributes are updated. `data` reaches the
        event row builder."""
        now = now or timezone.now()
        from_status = self.check(obj, to_status)
        values: dict[str, Any] = {self.status_field: to_status}
        stamp = self.stamps.get(to_status)
        if stamp:
            values[stamp] = now
        values.update(fields or {})
        step = Step(obj, from_status, to_status, _actor_id(actor), note or "", now, data or {})
        event = self._event_values(step)
        if not self._write(obj.pk, from_status, values, event):
            current = (
                self.model._default_manager.filter(pk=obj.pk).values_list(self.status_field, flat=True).first() or "?"
            )
            raise self.refused(obj, str(current), to_status)
        for name, value in values.items():
            setattr(obj, name, value)
        _moved(self.model, [step])
        return obj

    @transaction.atomic
    def move_bulk(
        self,
        objs: Sequence[M],
        *,
        from_status: str,
        to_status: str,
        actor: Any = None,
        note: str = "",
        now: datetime | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> list[M]:
        """Move those of `objs` still in `from_status` to `to_status` at once: their rows are locked in id order,
        one UPDATE, one multi-row insert of the events. Objects in another status are left alone. Returns the
        objects moved. A move the table does not allow raises the domain's Problem (for the first object)."""
        if not objs:
            return []
        if not self.allows(from_status, to_status):
            raise self.refused(objs[0], from_status, to_status)
        now = now or timezone.now()
        manager = self.model._default_manager
        ids = set(
            manager.select_for_update()
            .filter(pk__in=[o.pk for o in objs], **{self.status_field: from_status})
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        moved = sorted((o for o in objs if o.pk in ids), key=lambda o: o.pk)
        if not moved:
            return []
        values: dict[str, Any] = {self.status_field: to_status}
        stamp = self.stamps.get(to_status)
        if stamp:
            values[stamp] = now
        manager.filter(pk__in=[o.pk for o in moved]).update(**values)
        actor_id = _actor_id(actor)
        events = [
            self._event_values(Step(o, from_status, to_status, actor_id, note or "", now, data or {})) for o in moved
        ]
        rawsql.insert_many(self.event_model, self.event_fields, events)
        for o in moved:
            for name, value in values.items():
                setattr(o, name, value)
        if _listeners:
            _moved(self.model, [Step(o, from_status, to_status, actor_id, note or "", now, data or {}) for o in moved])
        return moved

    # ------------------------------------------------------------------------------------------- internals

    def _event_values(self, step: Step[M]) -> dict[str, Any]:
        row = self.event_row(step)
        if len(row) != len(self.event_fields):
            raise RuntimeError(f"{self.event_model.__name__} row {sorted(row)} != {sorted(self.event_fields)}")
        return row

    def _write(self, pk: Any, from_status: str, values: dict[str, Any], event: dict[str, Any]) -> bool:
        """The conditional UPDATE and the event INSERT; whether the row moved (else nothing was written)."""
        names = tuple(values)
        update_params = [_prep(self.model, name, value) for name, value in values.items()]
        event_params = [_prep(self.event_model, name, event[name]) for name in self.event_fields]
        if connection.vendor == "postgresql":
            sql = _move_sql_pg(
                connection.vendor, self.model, names, self.status_field, self.event_model, self.event_fields
            )
            row = rawsql.fetch_one(sql, [*update_params, pk, from_status, *event_params])
            return row is not None
        update, insert = _move_sql(
            connection.vendor, self.model, names, self.status_field, self.event_model, self.event_fields
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(update, [*update_params, pk, from_status])
            if cursor.rowcount != 1:
                return False
            cursor.execute(insert, event_params)
        return True


MoveListener = Callable[[type[models.Model], list[Step[Any]]], None]
_listeners: list[MoveListener] = []


def move_listener_register(listener: MoveListener) -> None:
    """Call `listener(model, steps)` after the commit of every transaction that moved objects of any machine
    (from a higher domain's `AppConfig.ready()`; registering twice is once)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _moved(model: type[models.Model], steps: list[Step[Any]]) -> None:
    for listener in _listeners:
        transaction.on_commit(_runner(listener, model, steps))


def _runner(listener: MoveListener, model: type[models.Model], steps: list[Step[Any]]) -> Callable[[], None]:
    def run() -> None:
        try:
            listener(model, steps)
        except Exception:  # a listener's failure must not reach the caller: the move is committed
            logger.exception("move listener %s failed", getattr(listener, "__name__", listener))

    return run


def refusal(
    code: str, choices: type[models.Choices], message: Text, /, **names: Callable[[Any], Any]
) -> Callable[[Any, str, str], Problem]:
    """The usual `refused` of a machine: Problem `code` whose detail is `message` formatted with `status` and
    `to_status` (the statuses' labels) and each of `names` (a placeholder → a function of the object), and whose
    extra members name both statuses."""

    def refused(obj: Any, from_status: str, to_status: str) -> Problem:
        return Problem(
            code,
            detail=format_lazy(
                message,
                status=choice_label(choices, from_status),
                to_status=choice_label(choices, to_status),
                **{name: read(obj) for name, read in names.items()},
            ),
            extra={"from_status": from_status, "to_status": to_status},
        )

    return refused


def event_row(
    subject: str, /, *, note_max: int = 500, **more: Callable[[Step[Any]], Any]
) -> Callable[[Step[Any]], dict[str, Any]]:
    """The usual `event_row` of a machine: `subject` (the moved object's id), `at`, `actor`, `from_status`,
    `to_status`, `note` (cut to `note_max`), and each of `more` (a column → a function of the step)."""

    def row(step: Step[Any]) -> dict[str, Any]:
        values = {
            subject: step.obj.pk,
            "at": step.now,
            "actor": step.actor_id,
            "from_status": step.from_status,
            "to_status": step.to_status,
            "note": step.note[:note_max],
        }
        values.update({name: read(step) for name, read in more.items()})
        return values

    return row


def _actor_id(actor: Any) -> int | None:
    pk = getattr(actor, "pk", None)
    return int(pk) if pk else None


def _prep(model: type[models.Model], name: str, value: Any) -> Any:
    """A value as the field stores it (a model instance given for a foreign key: its primary key)."""
    f = model._meta.get_field(name)
    assert isinstance(f, models.Field)
    if isinstance(value, models.Model):
        value = value.pk
    return f.get_db_prep_save(value, connection)


def _set_list(model: type[models.Model], names: tuple[str, ...]) -> str:
    return ", ".join(f"{rawsql.column(model, name)} = %s" for name in names)


@cache
def _move_sql_pg(
    vendor: str,
    model: type[models.Model],
    names: tuple[str, ...],
    status_field: str,
    event_model: type[models.Model],
    event_fields: tuple[str, ...],
) -> str:
    qn = connection.ops.quote_name
    pk = qn(model._meta.pk.column)
    marks = ", ".join(f"%s::{_cast(event_model, name)}" for name in event_fields)
    return (
        f"WITH moved AS (UPDATE {rawsql.table(model)} SET {_set_list(model, names)} "  # noqa: S608 - identifiers only
        f"WHERE {pk} = %s AND {rawsql.column(model, status_field)} = %s RETURNING {pk}) "
        f"INSERT INTO {rawsql.table(event_model)} ({rawsql.columns(event_model, event_fields)}) "
        f"SELECT {marks} FROM moved RETURNING {qn(event_model._meta.pk.column)}"
    )


def _cast(model: type[models.Model], name: str) -> str:
    """The column's type for a cast (`INSERT ... SELECT` takes no type from the target column), without length."""
    f = model._meta.get_field(name)
    assert isinstance(f, models.Field)
    db_type = str(f.db_type(connection))
    return "varchar" if db_type.startswith("varchar(") else db_type


@cache
def _move_sql(
    vendor: str,
    model: type[models.Model],
    names: tuple[str, ...],
    status_field: str,
    event_model: type[models.Model],
    event_fields: tuple[str, ...],
) -> tuple[str, str]:
    qn = connection.ops.quote_name
    update = (
        f"UPDATE {rawsql.table(model)} SET {_set_list(model, names)} "  # noqa: S608 - identifiers only
        f"WHERE {qn(model._meta.pk.column)} = %s AND {rawsql.column(model, status_field)} = %s"
    )
    insert = (
        f"INSERT INTO {rawsql.table(event_model)} ({rawsql.columns(event_model, event_fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(event_fields))})"
    )
    return update, insert
