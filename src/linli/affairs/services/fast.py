"""The affairs' fast paths: plain-SQL twins of step-by-step services, with the same name and signature.

    appointment_book   PostgreSQL, an online booking by the resident (no staff, no chosen pre-review): one read
                       (the slot, its resource and template, the person's suspension and approved pre-review)
                       and ONE statement (take the place, insert the appointment and its event), instead of the
                       ORM's seven statements (bench/bench_affairs.py)

The convention (docs/architecture.md, "Fast paths"): `services.appointments.appointment_book` stays the
reference and the path for everything else (SQLite, staff bookings, a given pre-review); both share the checks
(`slot_refusal`, the problems); every INSERT here names every column of its table (checked at import); and
`tests/test_fast.py` runs both on the same PostgreSQL database and asserts the same answers and rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.affairs.models import Appointment, Item, PreReview, Resource, Slot
from linli.affairs.services import appointments as reference
from linli.affairs.services.appointments import exists_problem, slot_refusal, suspended_problem
from linli.core import rawsql
from linli.core.errors import Problem
from linli.core.models import User
from linli.places.models import Place

READ_SQL = """
SELECT s.start, s.closed, r.id, r.name, r.kind, r.is_active, r.street_id, r.place_id, p.name,
       COALESCE(t.restricted, false) AND NOT EXISTS (
           SELECT 1 FROM affairs_slottemplate_items ti WHERE ti.slottemplate_id = t.id AND ti.item_id = %(item)s
       ),
       EXISTS (
           SELECT 1 FROM affairs_suspension u WHERE u.street_id = %(street)s AND u.user_id = %(user)s
           AND u.lifted_at IS NULL AND u.ends_at > %(now)s
       ),
       (SELECT pr.id FROM affairs_prereview pr WHERE pr.user_id = %(user)s AND pr.item_id = %(item)s
        AND pr.status = 'approved' ORDER BY pr.approved_at DESC LIMIT 1)
FROM affairs_slot s
JOIN affairs_resource r ON r.id = s.resource_id
JOIN places_place p ON p.id = r.place_id
LEFT JOIN affairs_slottemplate t ON t.id = s.template_id
WHERE s.id = %(slot)s
"""

BOOK_SQL = """
WITH took AS (
    UPDATE affairs_slot SET booked = booked + 1
    WHERE id = %(slot)s AND booked < places AND NOT closed
    RETURNING id, resource_id, start, "end"
), ins AS (
    INSERT INTO affairs_appointment (street_id, item_id, slot_id, resource_id, user_id, prereview_id, code, status,
        source, booked_by_id, start, "end", note, created_at, cancelled_at, checked_in_at, completed_at, no_show_at,
        reminded_day_before_at, reminded_two_hours_at)
    SELECT %(street)s, %(item)s, took.id, took.resource_id, %(user)s, %(prereview)s, %(code)s, 'booked', 'app', NULL,
        took.start, took."end", %(note)s, %(now)s, NULL, NULL, NULL, NULL, NULL, NULL
    FROM took
    RETURNING id, start, "end"
), ev AS (
    INSERT INTO affairs_appointmentevent (appointment_id, at, actor_id, from_status, to_status, note)
    SELECT ins.id, %(now)s, %(user)s, '', 'booked', '' FROM ins
)
SELECT id, start, "end" FROM ins
"""

rawsql.insert_sql_check(BOOK_SQL, where="affairs fast appointment_book")


def appointment_book(
    *,
    slot: Slot | int,
    item: Item,
    user: User,
    booked_by: User | None = None,
    prereview: PreReview | int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Appointment:
    """`services.appointments.appointment_book` on PostgreSQL for a resident's own online booking; the reference
    for everything else."""
    if connection.vendor != "postgresql" or booked_by is not None or prereview is not None or isinstance(slot, Slot):
        return reference.appointment_book(
            slot=slot, item=item, user=user, booked_by=booked_by, prereview=prereview, note=note, now=now
        )
    now = now or timezone.now()
    params: dict[str, Any] = {"slot": slot, "item": item.pk, "street": item.street_id, "user": user.pk, "now": now}
    with connection.cursor() as cursor:
        cursor.execute(READ_SQL, params)
        row = cursor.fetchone()
    if row is None:
        raise Problem("not_found", detail=_("没有这个时段"))
    start, closed, rid, rname, rkind, ractive, rstreet, place_id, place_name, elsewhere, suspended, pr_id = row
    refusal = slot_refusal(
        item=item,
        slot_start=start,
        slot_closed=closed,
        resource_name=rname,
        resource_kind=rkind,
        resource_open=ractive and rstreet == item.street_id,
        restricted_elsewhere=bool(elsewhere),
        now=now,
    )
    if refusal is not None:
        raise refusal
    if suspended:
        raise suspended_problem()
    if not item.prereview:
        pr_id = None
    code = reference._code()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(BOOK_SQL, {**params, "prereview": pr_id, "code": code, "note": note[:300]})
            booked = cursor.fetchone()
    except IntegrityError:
        raise exists_problem(item) from None
    if booked is None:
        raise reference._full(int(slot))
    appointment_id, a_start, a_end = booked
    resource = Resource(id=rid, name=rname, kind=rkind, is_active=ractive, street_id=rstreet, place_id=place_id)
    resource.place = Place(id=place_id, name=place_name, street_id=rstreet)
    appointment = Appointment(
        id=appointment_id,
        street_id=item.street_id,
        item=item,
        slot_id=int(slot),
        resource=resource,
        user=user,
        prereview_id=pr_id,
        code=code,
        status="booked",
        source="app",
        start=a_start,
        end=a_end,
        note=note[:300],
        created_at=now,
    )
    return appointment
