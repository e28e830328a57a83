"""Voice's plain SQL (docs/architecture.md, "Fast paths").

    tallies_upsert   one INSERT ... ON CONFLICT DO UPDATE adding a response's increments to a survey's counters
                     (`Tally`), on SQLite and PostgreSQL alike. The ORM has no increment-on-conflict: it read the
                     counters and wrote them back with `bulk_update`, whose CASE WHEN per row and column cost
                     30-40 ms of CPU for a 20-question answer, 35 times an activity booking
                     (bench/bench_voice_results.py, "answering"). The reference is `tallies.tallies_rebuild`,
                     which recounts the answers with GROUP BY; `tests/test_tallies.py` holds them equal.

Every INSERT here names every column of its table but the primary key (checked at import).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection

from linli.core import rawsql
from linli.voice.models import Tally

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
