"""Classes taught by volunteers (issue 20 item 4): a volunteer teacher proposes a course at a station of their
street; station staff approve it (or decline it, with a note) and its weekly sessions become published
activities (booking, waitlist and check-in are activities', through its services); after each session that had
at least one attendee checked in, the teacher's hours are credited once (the session's length), by the beat."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.activities.models import Activity, ActivityStatus, BookingStatus, Category
from linli.activities.services.activities import activity_create
from linli.core.errors import Problem, field_error
from linli.core.models import User
from linli.core.notifications import notify_user
from linli.core.services import audit_log
from linli.volunteers.models import Course, CourseStatus, TransferKind, Volunteer
from linli.volunteers.services import ledger
from linli.volunteers.services.profiles import require_staff

TAG = "志愿者授课"


def course_propose(
    *, teacher: Volunteer, station_id: int, title: str, first_start: datetime, minutes: int = 90, sessions: int = 4,
    capacity: int = 20, description: str = "",
) -> Course:  # fmt: skip
    station = teacher.street.volunteer_stations.filter(pk=station_id).first()
    if station is None:
        raise Problem("not_found")
    errors = []
    if not (title or "").strip() or len(title) > 120:
        errors.append(field_error("title", _("请填写课程名称")))
    if not 30 <= int(minutes) <= 240:
        errors.append(field_error("minutes", _("每次课 30 到 240 分钟")))
    if not 1 <= int(sessions) <= 20:
        errors.append(field_error("sessions", _("课次在 1 到 20 之间")))
    if not 1 <= int(capacity) <= 200:
        errors.append(field_error("capacity", _("人数在 1 到 200 之间")))
    if timezone.is_naive(first_start) or first_start <= timezone.now():
        errors.append(field_error("first_start", _("开课时间必须在将来")))
    if errors:
        raise Problem("validation_error", errors=errors)
    course = Course.objects.create(
        station=station, teacher=teacher, title=title.strip(), description=description[:2000], first_start=first_start,
        minutes=int(minutes), sessions=int(sessions), capacity=int(capacity),
    )  # fmt: skip
    audit_log(actor=teacher.user, street=teacher.street, action="volunteer.course_propose", obj=course)
    return course


def _decide(course: Course, actor: User, status: str, note: str = "") -> None:
    """Proposed → approved or declined, once (a conditional UPDATE: two staff clicking together decide once)."""
    require_staff(actor, course.station.street)
    moved = Course.objects.filter(pk=course.pk, status=CourseStatus.PROPOSED).update(
        status=status, decided_by=actor, note=note[:200],
        approved_at=timezone.now() if status == CourseStatus.APPROVED else None,
    )  # fmt: skip
    if not moved:
        raise Problem("course_already_decided")


@transaction.atomic
def course_approve(*, course: Course, actor: User) -> list[Activity]:
    """One published activity per weekly session at the station's place, the teacher named as organiser; the
    activities take bookings and keep a waitlist like any other."""
    station = course.station
    if station.place is None:
        raise Problem("validation_error", errors=[field_error("station", _("驿站还没有关联地图点位"))])
    _decide(course, actor, CourseStatus.APPROVED)
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
                organiser=f"志愿者 {course.teacher.name[:1]}老师",
                status=ActivityStatus.PUBLISHED,
                external_id=f"volunteer-course-{course.pk}-{i + 1}",
                tags=[TAG],
                actor=actor,
            )  # fmt: skip
        )
    Course.objects.filter(pk=course.pk).update(activity_ids=[a.pk for a in made])
    course.refresh_from_db()
    audit_log(actor=actor, street=station.street, action="volunteer.course_approve", obj=course)
    notify_user(
        user=course.teacher.user,
        message_zh=f"【邻里】您申请的「{course.title}」已通过审核，共 {course.sessions} 次课，居民可以预约了。",
        message_en=f"[Linli] Your class '{course.title}' was approved: {course.sessions} sessions, open for booking.",
    )  # fmt: skip
    return made


def course_decline(*, course: Course, actor: User, note: str = "") -> Course:
    _decide(course, actor, CourseStatus.DECLINED, note)
    course.refresh_from_db()
    audit_log(actor=actor, street=course.station.street, action="volunteer.course_decline", obj=course)
    return course


def class_hours_credit(*, now: datetime | None = None) -> int:
    """Credit teachers for sessions that ended with at least one attendee checked in (idempotent: one transfer
    per session, ref "class:<activity>"). Run by the beat; returns the number of new credits."""
    now = now or timezone.now()
    credited = 0
    courses = Course.objects.filter(status=CourseStatus.APPROVED).select_related("station__street", "teacher")
    for course in courses:
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
