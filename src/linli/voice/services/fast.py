"""Voice's plain SQL (docs/architecture.md, "Fast paths").

    tallies_upsert   one INSERT ... ON CONFLICT DO UPDATE adding a response's increments to a survey's counters
                     (`Tally`), on SQLite and PostgreSQL alike. The ORM has no increment-on-conflict: it read the
                     counters and wrote them back with `bulk_update`, whose CASE WHEN per row and column cost
                     30-40 ms of CPU for a 20-question answer, 35 times an activity booking
                     (bench/bench_voice_results.py, "answering"). The reference is `tallies.tallies_rebuild`,
                     which recounts the answers with GROUP BY; `tests/test_tallies.py` holds them equal.

    questions_read   a survey's questions in their order, as `survey.questions.all()` gives them, read with one
                     plain SELECT (no queryset to build per answer).
    response_write   the response's transaction (`surveys.response_write`, the reference) in plain statements: the
                     survey's row lock (PostgreSQL), the one-answer checks, the response, its answer rows in one
                     multi-row INSERT and the counters (`tallies_upsert`). Answers with photos take the reference
                     (a file is saved per photo). `tests/test_fast.py` runs both on the same database with
                     generated answers and compares the answers, the refusals and the rows.

Every INSERT here names every column of its table but the primary key (checked at import).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from linli.core import rawsql
from linli.core.errors import Problem
from linli.voice.models import Answer, Channel, OneAnswer, Question, Response, Survey, Tally

if TYPE_CHECKING:
    from linli.core.models import Compound, User
    from linli.voice.services.answers import Value

COLUMNS = ("survey_id", "question_id", "committee_id", "channel", "bucket", "n", "total", "lo", "hi")
_ONE = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
_UPSERT = """INSERT INTO voice_tally ({columns}) VALUES {values}
ON CONFLICT (survey_id, question_id, committee_id, channel, bucket) DO UPDATE SET
    n = voice_tally.n + excluded.n,
    total = voice_tally.total + excluded.total,
    lo = CASE WHEN excluded.lo IS NULL THEN voice_tally.lo WHEN voice_tally.lo IS NULL THEN excluded.lo
              WHEN excluded.lo < voice_tally.lo THEN excluded.lo ELSE voice_tally.lo END,
    hi = CASE WHEN excluded.hi IS NULL THEN voice_tally.hi WHEN voice_tally.hi IS NULL THEN excluded.hi
              WHEN excluded.hi > voice_tally.hi THEN excluded.hi ELSE voice_tally.hi END"""

rawsql.insert_sql_check(_UPSERT.format(columns=", ".join(COLUMNS), values=_ONE), where="voice.fast.tallies_upsert")
assert Tally._meta.db_table == "voice_tally"  # noqa: S101 - the statement names the table


@cache
def _statement(n_rows: int) -> str:
    return _UPSERT.format(columns=", ".join(COLUMNS), values=", ".join([_ONE] * n_rows))


def tallies_upsert(rows: list[tuple[Any, ...]]) -> None:
    """Add each row's n, total, lo and hi (in COLUMNS order) to its counter, creating it when missing; one
    statement. Call inside the response's transaction."""
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(_statement(len(rows)), [value for row in rows for value in row])


# --------------------------------------------------------------------------------------------- answering


@cache
def _questions_sql(vendor: str) -> str:
    qn = connection.ops.quote_name
    return (
        f"SELECT {rawsql.select_list(Question, 'q')} FROM {rawsql.table(Question)} q "  # noqa: S608 - identifiers
        f"WHERE q.{qn('survey_id')} = %s ORDER BY q.{qn('position')}, q.{qn('id')}"
    )


def questions_read(survey: Survey) -> list[Question]:
    """`list(survey.questions.all())`: the same instances in the same order (Question's ordering), one SELECT."""
    rows = rawsql.fetch_all(_questions_sql(connection.vendor), [survey.pk])
    return [rawsql.instances(row, Question)[0] for row in rows]  # type: ignore[misc]


RESPONSE_NAMES = ("survey", "client_id", "user", "channel", "committee", "compound", "household", "entered_by",
                  "consent", "created_at")  # fmt: skip
ANSWER_NAMES = ("response", "question", "option", "number", "text", "photo")
rawsql.insert_fields_check(Response, RESPONSE_NAMES, where="voice.fast.response_write")
rawsql.insert_fields_check(Answer, ANSWER_NAMES, where="voice.fast.response_write")


@cache
def _one_answer_sql(vendor: str, by: str) -> str:
    qn = connection.ops.quote_name
    where = {
        "user": f"{qn('user_id')} = %s AND {qn('channel')} = %s",
        "household": f"{qn('household')} = %s",
    }[by]
    return f"SELECT 1 FROM {rawsql.table(Response)} WHERE {qn('survey_id')} = %s AND {where} LIMIT 1"  # noqa: S608


@cache
def _answers_sql(vendor: str, n_rows: int) -> str:
    one = "(" + ", ".join(["%s"] * len(ANSWER_NAMES)) + ")"
    columns = rawsql.columns(Answer, ANSWER_NAMES)
    return f"INSERT INTO {rawsql.table(Answer)} ({columns}) VALUES {', '.join([one] * n_rows)}"  # noqa: S608


@cache
def _lock_sql(vendor: str) -> str:
    qn = connection.ops.quote_name
    return f"SELECT {qn('id')} FROM {rawsql.table(Survey)} WHERE {qn('id')} = %s FOR UPDATE"  # noqa: S608


def response_write(
    *,
    survey: Survey,
    user: User | None,
    client_id: uuid.UUID,
    channel: str,
    compound: Compound | None,
    household: str,
    entered_by: User | None,
    consent: bool,
    values: list[Value],
    photos: dict[int, Any],
    now: datetime,
) -> Response:
    """`surveys.response_write` in plain statements (module docstring); the same refusals and rows."""
    from linli.voice.services.tallies import tallies_add  # tallies imports this module

    if photos:
        raise ValueError("answers with photos take surveys.response_write")
    with transaction.atomic():
        if connection.vendor == "postgresql":  # SQLite has no row locks: its writer lock serialises the writes
            rawsql.fetch_one(_lock_sql(connection.vendor), [survey.pk])
        if user is not None and rawsql.fetch_one(
            _one_answer_sql(connection.vendor, "user"), [survey.pk, user.pk, channel]
        ):
            raise Problem("already_answered")
        per_household = survey.one_answer == OneAnswer.HOUSEHOLD or channel == Channel.DOOR
        one_household = _one_answer_sql(connection.vendor, "household")
        if per_household and household and rawsql.fetch_one(one_household, [survey.pk, household]):
            raise Problem("already_answered", detail=_("这一户已经填写过这份问卷"))
        committee_id = compound.committee_id if compound else None
        row = {
            "survey": survey.pk, "client_id": client_id, "user": user.pk if user else None, "channel": channel,
            "committee": committee_id, "compound": compound.pk if compound else None, "household": household,
            "entered_by": entered_by.pk if entered_by else None, "consent": consent, "created_at": now,
        }  # fmt: skip
        response = Response(
            pk=rawsql.insert(Response, row), survey=survey, client_id=client_id, user=user, channel=channel,
            committee_id=committee_id, compound=compound, household=household, entered_by=entered_by,
            consent=consent, created_at=now,
        )  # fmt: skip
        response._state.adding = False
        # Every value is already what the columns take (ids, a small int, a float, text; no photo here), so the
        # rows go in as they are, without a per-value field preparation.
        with connection.cursor() as cursor:
            if values:
                cursor.execute(
                    _answers_sql(connection.vendor, len(values)),
                    [x for v in values for x in (response.pk, v.question.pk, v.option, v.number, v.text, "")],
                )
        tallies_add(response, values)  # the results' counters, in the same transaction
    return response
