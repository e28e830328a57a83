"""Classes taught by volunteers: a teacher proposes a course at a station; station staff approve it and its
sessions become activities (booking, waitlist and check-in are activities'); after each session, if anyone was
checked in, the teacher's hours are credited once (the session's length)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.activities.models import Activity, ActivityStatus, BookingStatus, Category
from linli.activities.services.activities import activity_create
from linli.core.errors import Problem, field_error
from linli.core.models import User
from linli.volunteers.models import Course, TransferKind, Volunteer
from linli.volunteers.services import ledger
from linli.volunteers.services.profiles import require_staff


def course_propose(
    *, teacher: Volunteer, station_id: int, title: str, first_start: datetime, minutes: int = 90, sessions: int = 4,
    capacity: int = 20, description: str = "",
) -> Course:  # fmt: skip
    station = (
        teacher.stations.filter(pk=station_id).first()
        or teacher.street.volunteer_stations.filter(pk=station_id).first()
    )
    if station is None:
        raise Problem("not_found")
    errors = []
    if not (title or "").strip() or len(title) > 120:
        errors.append(field_error("title", _("请填写课程名称")))
    if not 30 <= int(minutes) <= 240 or not 1 <= int(sessions) <= 20 or not 1 <= int(capacity) <= 200:
        errors.append(field_error("sessions", _("课时、次数或人数不正确")))
    if timezone.is_naive(first_start) or first_start <= timezone.now():
        errors.append(field_error("first_start", _("开课时间必须在将来")))
    if errors:
        raise Problem("validation_error", errors=errors)
    return Course.objects.create(
        station=station, teacher=teacher, title=title.strip(), description=description[:2000], first_start=first_start,
        minutes=minutes, sessions=sessions, capacity=capacity,
    )  # fmt: skip


@transaction.atomic
def course_approve(*, course: Course, actor: User) -> list[Activity]:
    """One published activity per weekly session at the station's place, the teacher named as organiser."""
    station = course.station
    require_staff(actor, station.street)
    if course.approved_at is not None:
        return list(Activity.objects.filter(pk__in=course.activity_ids))
    if station.place is None:
        raise Problem("validation_error", errors=[field_error("station", _("驿站还没有关联地图点位"))])
    made = []
    for i in range(course.sessions):
        start = course.first_start + timedelta(weeks=i)
        made.append(
            activity_create(
                street=station.street,
                place=station.place,
                title=course.title,
                start=start,
                end=start + timedelta(minutes=course.minutes),
                capacity=course.capacity,
                category=Category.CULTURE,
                description=course.description,
                organiser=f"志愿者 {course.teacher.name}",
                status=ActivityStatus.PUBLISHED,
                external_id=f"volunteer-course-{course.pk}-{i + 1}",
                tags=["志愿者授课"],
                actor=actor,
            )  # fmt: skip
        )
    Course.objects.filter(pk=course.pk).update(approved_at=timezone.now(), activity_ids=[a.pk for a in made])
    course.refresh_from_db()
    return made


def class_hours_credit(*, now: datetime | None = None) -> int:
    """Credit teachers for sessions that ended with at least one attendee checked in (idempotent: one transfer
    per session). Run by the beat; returns the number of new credits."""
    now = now or timezone.now()
    credited = 0
    for course in Course.objects.filter(approved_at__isnull=False).select_related("station", "teacher"):
        ended = Activity.objects.filter(pk__in=course.activity_ids, end__lte=now).exclude(
            status=ActivityStatus.CANCELLED
        )
        for activity in ended:
            if not activity.bookings.filter(status=BookingStatus.CHECKED_IN).exists():
                continue
            minutes = int((activity.end - activity.start).total_seconds() // 60)
            if ledger.credit_hours(
                station=course.station, owner=course.teacher, minutes=minutes, kind=TransferKind.CLASS,
                ref=f"class:{activity.pk}", memo=course.title,
            ):  # fmt: skip
                credited += 1
    return credited
