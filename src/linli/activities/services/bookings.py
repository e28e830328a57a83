"""Bookings: the one-tap booking path, cancellation with waitlist promotion, and the state machine.

Concurrency lives in the database. Seats and waitlist places are taken with conditional UPDATEs
(`... SET booked = booked + 1 WHERE booked < capacity`); one live booking per person is a partial unique index.
Every transaction that changes an activity's counters updates the activity row FIRST and the booking rows
after it, so all of them queue on the same row lock in the same order (no deadlocks, no lost seats).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.activities import hooks
from linli.activities.models import (
    Activity,
    ActivityStatus,
    Booking,
    BookingEvent,
    BookingSource,
    BookingStatus,
)
from linli.activities.services import fast, notify
from linli.activities.services.booking_checks import (  # noqa: F401 - STAFF_ROLES, new_booking_code: re-exported
    LIVE_IN,
    STAFF_ROLES,
    CodeCollision,
    activity_full,
    already_booked,
    check_audience,
    check_window,
    is_staff_for,
    limit_reached,
    new_booking_code,
)
from linli.core import rawsql
from linli.core.errors import Problem
from linli.core.hooks import change_announce
from linli.core.transitions import StateMachine, event_row, refusal

logger = logging.getLogger("linli.activities")

# The booking state machine: from status -> the statuses it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    BookingStatus.CONFIRMED: frozenset({BookingStatus.CANCELLED, BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW}),
    BookingStatus.WAITLISTED: frozenset({BookingStatus.CONFIRMED, BookingStatus.CANCELLED}),
    BookingStatus.CHECKED_IN: frozenset(),
    BookingStatus.NO_SHOW: frozenset({BookingStatus.CHECKED_IN}),
    BookingStatus.CANCELLED: frozenset(),
}

# The timestamp column stamped when a booking enters a status.
_STAMP: dict[str, str] = {
    BookingStatus.CONFIRMED: "confirmed_at",
    BookingStatus.CANCELLED: "cancelled_at",
    BookingStatus.CHECKED_IN: "checked_in_at",
}

# Seat-holding statuses: `Activity.booked` counts bookings in these; `Activity.waitlisted` counts waitlisted ones.
SEAT_STATUSES = frozenset({BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW})

# A BookingEvent row, every column (the event of a new booking and of each transition).
EVENT_FIELDS = ("booking", "at", "actor", "from_status", "to_status", "note")


def _counter_delta(from_status: str, to_status: str) -> tuple[int, int]:
    """(booked delta, waitlisted delta) of a transition."""
    booked = int(to_status in SEAT_STATUSES) - int(from_status in SEAT_STATUSES)
    waitlisted = int(to_status == BookingStatus.WAITLISTED) - int(from_status == BookingStatus.WAITLISTED)
    return booked, waitlisted


_invalid_transition = refusal(
    "booking_invalid_transition",
    BookingStatus,
    _("预约 {code} 当前为「{status}」，不能改为「{to_status}」"),
    code=lambda booking: booking.code,
)


MACHINE = StateMachine(
    model=Booking,
    table=TRANSITIONS,
    refused=_invalid_transition,
    stamps=_STAMP,
    event_model=BookingEvent,
    event_fields=EVENT_FIELDS,
    event_row=event_row("booking"),
)


@transaction.atomic
def booking_transition(
    *, booking: Booking, to_status: str, actor: Any = None, note: str = "", now: datetime | None = None
) -> Booking:
    """Move `booking` to `to_status` if the transition table allows it, keep the activity's counters right and
    record a BookingEvent (`linli.core.transitions`). A concurrent change of the same booking makes this raise
    (nothing is written)."""
    now = now or timezone.now()
    from_status = MACHINE.check(booking, to_status)

    # Activity row first (lock order: activity, then booking).
    d_booked, d_wait = _counter_delta(from_status, to_status)
    if d_booked or d_wait:
        qs = Activity.objects.filter(pk=booking.activity_id)
        if d_booked > 0:
            qs = qs.filter(Q(capacity__isnull=True) | Q(booked__lt=F("capacity")))
        if d_booked < 0:
            qs = qs.filter(booked__gte=-d_booked)
        if d_wait < 0:
            qs = qs.filter(waitlisted__gte=-d_wait)
        if not qs.update(booked=F("booked") + d_booked, waitlisted=F("waitlisted") + d_wait):
            if d_booked > 0:
                raise Problem("activity_full", detail=_("没有空余名额"))
            # A decrement found nothing to release: this booking object is stale (already moved elsewhere).
            current = Booking.objects.filter(pk=booking.pk).values_list("status", flat=True).first() or "?"
            if current != from_status:
                raise _invalid_transition(booking, current, to_status)
            logger.error("activity %s counters out of step with booking %s", booking.activity_id, booking.pk)

    moved = MACHINE.move(booking, to_status, actor=actor, note=note, now=now)
    _announce(booking, f"booking.{to_status}")
    return moved


def _announce(booking: Booking, kind: str) -> None:
    """Tell live views (core.hooks) that a booking of the activity's venue changed."""
    street_id: int | None
    place_id: int | None
    if Booking.activity.is_cached(booking):
        street_id, place_id = booking.activity.street_id, booking.activity.place_id
    else:
        row = Activity.objects.filter(pk=booking.activity_id).values_list("street_id", "place_id").first()
        street_id, place_id = row if row else (None, None)
    change_announce(domain="activities", kind=kind, street_id=street_id, place_id=place_id)


# ------------------------------------------------------------------------------------------- create


def booking_create(
    *,
    activity: Activity,
    user: Any,
    source: str = BookingSource.APP,
    actor: Any = None,
    now: datetime | None = None,
) -> Booking:
    """Book a seat (or a waitlist place) for `user`.

    Residents booking for themselves (`source="app"`) pass the booking window, the audience and the per-person
    limit. Staff adding a walk-in (`source="walk_in"`) or booking for someone (`"staff"`) skip those checks but
    need a staff role in the street; walk-ins only take free seats (no waitlist).

    On PostgreSQL all of it is one statement (`fast.booking_write`): the seat (or waitlist place) is taken by a
    conditional UPDATE of the activity row, then the booking row and its event are inserted; the partial unique
    index refuses a second live booking of the same person and undoes the whole statement. Elsewhere (SQLite, whose
    writers are serialised) one transaction inserts the row and its event first and takes the seat last
    (`booking_write`). Any refusal leaves nothing written.
    """
    now = now or timezone.now()
    if source not in BookingSource.values:
        raise Problem("validation_error", detail=format_lazy(_("预约来源 {source} 无效"), source=repr(source)))
    if activity.status != ActivityStatus.PUBLISHED:
        cancelled = activity.status == ActivityStatus.CANCELLED
        raise Problem(
            "booking_closed",
            detail=_("该活动已取消") if cancelled else _("该活动尚未发布"),
        )
    if source == BookingSource.APP:
        check_window(activity, now)
        check_audience(activity, user, now)
    elif actor is None or not is_staff_for(actor, activity.street):
        raise Problem(
            "permission_denied",
            detail=_("只有本街道的工作人员可以代为登记"),
        )
    elif now >= activity.end:
        raise Problem("booking_closed", detail=_("活动已结束"))
    create = fast.booking_write if connection.vendor == "postgresql" else booking_write
    for _attempt in range(5):
        try:
            booking = create(activity=activity, user=user, source=source, actor=actor, now=now)
        except CodeCollision:
            continue
        change_announce(
            domain="activities",
            kind=f"booking.{booking.status}",
            street_id=activity.street_id,
            place_id=activity.place_id,
        )
        return booking
    raise RuntimeError("could not draw a unique booking code")


# The booking path's statements in plain SQL: through the ORM, building these few queries cost more CPU than
# everything else a booking does (bench/bench_booking_storm.py, cProfile of the view). Identifiers only are
# interpolated; values go as parameters.
def _sql(template: str) -> str:
    qn = connection.ops.quote_name
    return template.format(
        activity=qn(Activity._meta.db_table), booking=qn(Booking._meta.db_table), live=LIVE_IN, end=qn("end")
    )


# The seat is taken only while one is free: the database decides, under concurrency, in one statement.
_TAKE_SEAT = "UPDATE {activity} SET booked = booked + 1 WHERE id = %s AND (capacity IS NULL OR booked < capacity)"
_TAKE_WAITLIST_PLACE = (
    "UPDATE {activity} SET waitlisted = waitlisted + 1 WHERE id = %s AND waitlisted < waitlist_capacity"
)
_LIVE_COUNTS = (
    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN b.activity_id = %s THEN 1 ELSE 0 END), 0) "
    "FROM {booking} b JOIN {activity} a ON a.id = b.activity_id "
    "WHERE b.user_id = %s AND b.status IN ({live}) AND a.street_id = %s AND a.{end} > %s"
)


def _take(template: str, activity_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(_sql(template), [activity_id])
        return cursor.rowcount == 1


def _live_booking_counts(*, user_id: int, street_id: int, activity_id: int, now: datetime) -> dict[str, int]:
    """The person's live bookings of activities not yet over in the street, and whether one is for this one."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(_LIVE_COUNTS), [activity_id, user_id, street_id, now])
        live, here = cursor.fetchone()
    return {"live": int(live), "here": int(here)}


@transaction.atomic
def booking_write(*, activity: Activity, user: Any, source: str, actor: Any, now: datetime) -> Booking:
    if source == BookingSource.APP:
        street = activity.street
        counts = _live_booking_counts(user_id=user.pk, street_id=activity.street_id, activity_id=activity.pk, now=now)
        if counts["here"]:
            raise already_booked()
        if counts["live"] >= street.booking_limit:
            raise limit_reached(street, counts["live"])

    # Insert first, optimistically confirmed; the seat is taken last (see the docstring), and the event once the
    # status is known (event rows are never rewritten).
    try:
        values = rawsql.row_defaults(
            Booking,
            activity=activity.pk,
            user=user.pk,
            status=BookingStatus.CONFIRMED,
            source=source,
            code=new_booking_code(),
            created_at=now,
            confirmed_at=now,
        )
        booking_id = rawsql.insert(Booking, values)
    except IntegrityError as exc:  # raised on: leaving `atomic` rolls the whole transaction back
        msg = str(exc)
        if "(code)" in msg or "booking.code" in msg:
            raise CodeCollision from None
        raise already_booked() from None
    booking = Booking(
        pk=booking_id,
        activity=activity,
        user=user,
        status=values["status"],
        source=source,
        code=values["code"],
        created_at=now,
        confirmed_at=now,
    )
    booking._state.adding = False

    if not _take(_TAKE_SEAT, activity.pk):
        if source == BookingSource.WALK_IN or not _take(_TAKE_WAITLIST_PLACE, activity.pk):
            raise activity_full(source)
        Booking.objects.filter(pk=booking.pk).update(
            status=BookingStatus.WAITLISTED, waitlisted_at=now, confirmed_at=None
        )
        booking.status, booking.waitlisted_at, booking.confirmed_at = BookingStatus.WAITLISTED, now, None
    actor_id = actor.pk if getattr(actor, "pk", None) else user.pk
    rawsql.insert_many(
        BookingEvent,
        EVENT_FIELDS,
        [
            {
                "booking": booking_id,
                "at": now,
                "actor": actor_id,
                "from_status": "",
                "to_status": booking.status,
                "note": source,
            }
        ],
    )
    return booking


# ------------------------------------------------------------------------------------------- cancel


def waitlist_promote(*, activity: Activity, actor: Any = None, now: datetime | None = None, limit: int = 1) -> int:
    """Confirm up to `limit` waitlisted bookings in waitlist order while seats are free; tell each person.

    Call inside the transaction that freed the seat(s), after the activity row was updated (it is locked)."""
    now = now or timezone.now()
    promoted = 0
    while promoted < limit:
        candidate = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(activity_id=activity.pk, status=BookingStatus.WAITLISTED)
            .order_by("waitlisted_at", "id")
            .first()
        )
        if candidate is None:
            break
        try:
            with transaction.atomic():
                booking_transition(
                    booking=candidate, to_status=BookingStatus.CONFIRMED, actor=actor, note="候补转正 promoted", now=now
                )
        except Problem as problem:
            if problem.code == "activity_full":
                break
            continue  # changed under us (cancelled meanwhile): try the next in line
        promoted += 1
        zh, en = notify.promoted_message(activity)
        notify.notify_user(user=candidate.user, message_zh=zh, message_en=en)
    return promoted


@transaction.atomic
def booking_cancel(
    *,
    booking: Booking,
    actor: Any,
    reason: str = "",
    now: datetime | None = None,
    choices: Mapping[str, str] | None = None,
) -> Booking:
    """Cancel a booking. The booker may cancel before the activity's cancellation deadline (default: its start);
    the street's staff always. A freed seat goes at once to the first person on the waitlist, who is told.
    `choices` (the cancel form's fields) go to the domains hooked in with `hooks.booking_cancel_register`
    (meals: what to do with a lunch ordered to the venue)."""
    now = now or timezone.now()
    activity = booking.activity
    is_owner = actor is not None and getattr(actor, "pk", None) == booking.user_id
    is_staff = actor is not None and is_staff_for(actor, activity.street)
    if not (is_owner or is_staff):
        raise Problem("permission_denied", detail=_("不能取消他人的预约"))
    MACHINE.check(booking, BookingStatus.CANCELLED)
    if not is_staff:
        deadline = activity.cancel_deadline or activity.start
        if now >= deadline:
            local = timezone.localtime(deadline)
            raise Problem(
                "cancel_deadline_passed",
                detail=format_lazy(
                    _("取消截止时间为 {deadline}，如需取消请联系工作人员"), deadline=f"{local:%Y-%m-%d %H:%M}"
                ),
                extra={"cancel_deadline": deadline.isoformat()},
            )
    was_seat = booking.status in SEAT_STATUSES
    booking_transition(booking=booking, to_status=BookingStatus.CANCELLED, actor=actor, note=reason, now=now)
    hooks.booking_cancelled(booking=booking, actor=actor, choices=choices or {}, now=now)
    if was_seat and activity.status == ActivityStatus.PUBLISHED and now < activity.end:
        waitlist_promote(activity=activity, actor=actor, now=now, limit=1)
    return booking


# ---------------------------------------------------------------------------------------- reminders

REMINDER_STAMPS = {"day_before": "reminded_day_before_at", "two_hours": "reminded_two_hours_at"}


def booking_reminders_send(*, now: datetime | None = None) -> int:
    """Send the day-before and two-hours-before reminders that are due; return how many were sent.

    Idempotent and safe with several workers: each reminder is claimed by a conditional UPDATE of its timestamp
    (`... WHERE reminded_..._at IS NULL`), in its own transaction, and the SMS goes out after that commit.
    Day-before: activities starting within 24 hours but more than 2 hours away; two-hours: within 2 hours.
    """

    now = now or timezone.now()
    windows = {
        "day_before": (now + timedelta(hours=2), now + timedelta(hours=24)),
        "two_hours": (now, now + timedelta(hours=2)),
    }
    sent = 0
    for kind, (after, until) in windows.items():
        stamp = REMINDER_STAMPS[kind]
        due = (
            Booking.objects.filter(
                status=BookingStatus.CONFIRMED,
                activity__status=ActivityStatus.PUBLISHED,
                activity__start__gt=after,
                activity__start__lte=until,
                **{f"{stamp}__isnull": True},
            )
            .select_related("user", "activity", "activity__place")
            .order_by("activity__start", "id")
        )
        for booking in due.iterator(chunk_size=500):
            with transaction.atomic():
                claimed = Booking.objects.filter(
                    pk=booking.pk, status=BookingStatus.CONFIRMED, **{f"{stamp}__isnull": True}
                ).update(**{stamp: now})
                if not claimed:
                    continue  # another worker got it, or it was cancelled meanwhile
                zh, en = notify.reminder_message(booking.activity, booking, kind=kind)
                notify.notify_user(user=booking.user, message_zh=zh, message_en=en)
            sent += 1
    return sent
