"""The activities' fast paths: plain-SQL twins of step-by-step services, with the same name and signature.

    booking_write   PostgreSQL: `bookings.booking_write` in ONE statement (see below)

The convention (docs/architecture.md, "Fast paths"): a domain's fast paths live in `services/fast.py`; each
shadows a step-by-step function of the domain's services with the same name and signature, which stays the
reference (and the path on the other backends); every INSERT here names every column of its table (checked at
import); and `tests/test_fast.py` runs both on the same PostgreSQL database with generated inputs and asserts
the same answers and rows.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from django.db import IntegrityError, connection, transaction

from linli.activities.models import Activity, Booking, BookingEvent, BookingSource, BookingStatus
from linli.activities.services.booking_checks import (
    LIVE_IN,
    CodeCollision,
    activity_full,
    already_booked,
    limit_reached,
    new_booking_code,
)
from linli.core import rawsql

# The whole booking in ONE statement on PostgreSQL (one round trip, no BEGIN/COMMIT of its own): the per-person
# check, the seat (else a waitlist place), the booking row and its event. The lock order is every other
# writer's: the activity row first (UPDATE), the booking rows after it. Data-modifying CTEs run exactly once;
# `wait` runs only when `seat` took nothing (its uncorrelated NOT EXISTS is a one-time filter), so the activity
# row changes at most once. Under concurrency each UPDATE re-checks its condition on the newest row version
# (READ COMMITTED), so `booked` never passes the capacity; a second live booking of the same person fails on
# the partial unique index and the whole statement, seat included, is undone. The per-person limit is read in
# the statement's snapshot, as `_booking_create_once` reads it in its transaction's.
_BOOK_ONE_STATEMENT = """
WITH gate AS (
    SELECT COUNT(*) AS live, COALESCE(SUM(CASE WHEN b.activity_id = %(activity)s THEN 1 ELSE 0 END), 0) AS here
    FROM {booking} b JOIN {activity} a ON a.id = b.activity_id
    WHERE b.user_id = %(user)s AND b.status IN ({live}) AND a.street_id = %(street)s AND a.{end} > %(now)s
), pass AS (
    SELECT (NOT %(check_limit)s) OR (here = 0 AND live < %(limit)s) AS ok FROM gate
), seat AS (
    UPDATE {activity} SET booked = booked + 1
    WHERE id = %(activity)s AND (capacity IS NULL OR booked < capacity) AND (SELECT ok FROM pass)
    RETURNING 'confirmed'::varchar AS status
), wait AS (
    UPDATE {activity} SET waitlisted = waitlisted + 1
    WHERE id = %(activity)s AND %(may_wait)s AND waitlisted < waitlist_capacity AND (SELECT ok FROM pass)
        AND NOT EXISTS (SELECT 1 FROM seat)
    RETURNING 'waitlisted'::varchar AS status
), taken AS (
    SELECT status FROM seat UNION ALL SELECT status FROM wait
), ins AS (
    INSERT INTO {booking} (activity_id, user_id, status, source, code, created_at, confirmed_at, waitlisted_at,
        cancelled_at, checked_in_at, reminded_day_before_at, reminded_two_hours_at)
    SELECT %(activity)s, %(user)s, status, %(source)s, %(code)s, %(now)s,
        CASE WHEN status = 'confirmed' THEN %(now)s END, CASE WHEN status = 'waitlisted' THEN %(now)s END,
        NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz
    FROM taken
    RETURNING id, status
), ev AS (
    INSERT INTO {event} (booking_id, at, actor_id, from_status, to_status, note)
    SELECT id, %(now)s, %(actor)s, '', status, %(source)s FROM ins
    RETURNING id
)
SELECT gate.live, gate.here, (SELECT id FROM ins), (SELECT status FROM ins), (SELECT COUNT(*) FROM ev) FROM gate
"""


@cache
def _book_one_statement_sql(vendor: str) -> str:
    qn = connection.ops.quote_name
    return _BOOK_ONE_STATEMENT.format(
        activity=qn(Activity._meta.db_table),
        booking=qn(Booking._meta.db_table),
        event=qn(BookingEvent._meta.db_table),
        live=LIVE_IN,
        end=qn("end"),
    )


def booking_write(*, activity: Activity, user: Any, source: str, actor: Any, now: datetime) -> Booking:
    """PostgreSQL: `bookings.booking_write` in one statement (the same checks, refusals and rows)."""
    app = source == BookingSource.APP
    street = activity.street if app else None
    code = new_booking_code()
    params = {
        "activity": activity.pk,
        "user": user.pk,
        "street": activity.street_id,
        "now": now,
        "check_limit": app,
        "limit": street.booking_limit if street is not None else 0,
        "may_wait": source != BookingSource.WALK_IN,
        "source": source,
        "code": code,
        "actor": actor.pk if getattr(actor, "pk", None) else user.pk,
    }
    sql = _book_one_statement_sql(connection.vendor)
    try:
        if connection.in_atomic_block:  # e.g. under an Idempotency-Key: a failure must not poison the outer block
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
                row = cursor.fetchone()
        else:  # autocommit: the statement is its own transaction
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                row = cursor.fetchone()
    except IntegrityError as exc:  # the whole statement (the seat too) was undone
        msg = str(exc)
        if "(code)" in msg or "booking_code" in msg:
            raise CodeCollision from None
        raise already_booked() from None
    assert row is not None
    live, here, booking_id, status, _events = row
    if booking_id is None:
        if here:  # a live booking of this person here (for staff too: the step-by-step path hits the index)
            raise already_booked()
        if street is not None and live >= street.booking_limit:
            raise limit_reached(street, int(live))
        raise activity_full(source)
    booking = Booking(
        pk=booking_id,
        activity=activity,
        user=user,
        status=status,
        source=source,
        code=code,
        created_at=now,
        confirmed_at=now if status == BookingStatus.CONFIRMED else None,
        waitlisted_at=now if status == BookingStatus.WAITLISTED else None,
    )
    booking._state.adding = False
    return booking


rawsql.insert_sql_check(_book_one_statement_sql(connection.vendor), where="activities.services.fast")
