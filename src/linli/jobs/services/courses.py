"""Training that ends in a job (培训结束即就业): a course's sessions are activities at a venue (activities' capacity,
booking and waitlist: a seeker enrolled is booked on every session, all or nothing); staff mark attendance (a
session the person was checked in at through activities counts too); the practical assessment decides; passing
proposes an interview at each of the employers' jobs linked to the course (a pipeline step recorded as
`course_passed`); the certificate is a PDF with a QR code whose link anyone can open to check it (a signed token:
nothing to store)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import segno
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageDraw, ImageFont

from linli.activities.models import Activity, ActivityStatus, Booking, BookingStatus, Category
from linli.activities.services.activities import activity_create
from linli.activities.services.bookings import booking_create
from linli.core.errors import Problem, field_error
from linli.core.i18n import local_name
from linli.core.models import Street, User
from linli.core.services import audit_log, user_get_or_create
from linli.jobs.models import (
    Application,
    AppStatus,
    Course,
    Enrollment,
    EnrollmentStatus,
    Job,
    JobStatus,
    Seeker,
    Station,
)
from linli.jobs.services import pipeline
from linli.jobs.taxonomy import OCCUPATIONS, SKILLS
from linli.places.models import Place

SALT = "linli.jobs.certificate"
FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
# The steps before an interview: passing the course moves these to an interview (later steps are left alone).
BEFORE_INTERVIEW = (AppStatus.SUGGESTED, AppStatus.APPLIED, AppStatus.CONTACTED)


@dataclass
class CourseValues:
    title: str
    venue_id: int
    first_start: datetime
    class_hours: int = 20
    sessions: int = 4
    session_minutes: int = 300
    capacity: int = 12
    min_attendance: int | None = None
    pass_mark: int = 60
    description: str = ""
    occupation: str = ""
    skills: list[str] = field(default_factory=list)
    job_ids: list[int] = field(default_factory=list)
    station_id: int | None = None


def _errors(v: CourseValues, street: Street, now: datetime) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    if not v.title.strip():
        errors.append(field_error("title", _("请填写课程名称")))
    if not 1 <= v.class_hours <= 500:
        errors.append(field_error("class_hours", _("课时应在 1 到 500 之间")))
    if not 1 <= v.sessions <= 60:
        errors.append(field_error("sessions", _("上课次数应在 1 到 60 之间")))
    if not 30 <= v.session_minutes <= 600:
        errors.append(field_error("session_minutes", _("每次时长应在 30 到 600 分钟之间")))
    if not 1 <= v.capacity <= 200:
        errors.append(field_error("capacity", _("名额应在 1 到 200 之间")))
    if v.min_attendance is not None and not 1 <= v.min_attendance <= v.sessions:
        errors.append(field_error("min_attendance", _("至少出勤次数不能超过上课次数")))
    if not 1 <= v.pass_mark <= 100:
        errors.append(field_error("pass_mark", _("及格分应在 1 到 100 之间")))
    if timezone.is_naive(v.first_start) or v.first_start <= now:
        errors.append(field_error("first_start", _("开课时间必须在将来")))
    if v.occupation and v.occupation not in OCCUPATIONS:
        errors.append(field_error("occupation", format_lazy(_("不认识的选项 {value}"), value=v.occupation)))
    for s in v.skills:
        if s not in SKILLS:
            errors.append(field_error("skills", format_lazy(_("不认识的选项 {value}"), value=s)))
    if not Place.objects.filter(pk=v.venue_id, street=street).exists():
        errors.append(field_error("venue_id", _("本街道没有这个上课地点")))
    if v.station_id is not None and not Station.objects.filter(pk=v.station_id, street=street).exists():
        errors.append(field_error("station_id", _("本街道没有这个就业服务站")))
    found = set(Job.objects.filter(pk__in=v.job_ids, street=street).values_list("pk", flat=True))
    if set(v.job_ids) - found:
        errors.append(field_error("job_ids", _("关联的岗位不在本街道")))
    return errors


@transaction.atomic
def course_create(*, street: Street, values: CourseValues, actor: User | None, now: datetime | None = None) -> Course:
    """The course and one published activity per weekly session at the venue (skills training)."""
    now = now or timezone.now()
    errors = _errors(values, street, now)
    if errors:
        raise Problem("validation_error", errors=errors)
    venue = Place.objects.get(pk=values.venue_id)
    course = Course.objects.create(
        street=street, station_id=values.station_id, title=values.title.strip(), description=values.description,
        occupation=values.occupation, skills=list(dict.fromkeys(values.skills)), class_hours=values.class_hours,
        venue=venue, capacity=values.capacity, first_start=values.first_start,
        session_minutes=values.session_minutes, sessions=values.sessions,
        min_attendance=values.min_attendance or max(1, -(-values.sessions * 4 // 5)), pass_mark=values.pass_mark,
        created_by=actor, created_at=now,
    )  # fmt: skip
    course.jobs.set(values.job_ids)
    made = []
    for i in range(values.sessions):
        start = values.first_start + timedelta(weeks=i)
        made.append(
            activity_create(
                street=street,
                place=venue,
                title=f"{course.title}（第{i + 1}次课）",
                start=start,
                end=start + timedelta(minutes=values.session_minutes),
                capacity=values.capacity,
                category=Category.SKILLS_TRAINING,
                description=values.description,
                organiser=str(_("就业服务站")),
                status=ActivityStatus.PUBLISHED,
                external_id=f"jobs-course-{course.pk}-{i + 1}",
                tags=["就业培训"],
                actor=None,
                waitlist_capacity=0,
            )  # fmt: skip
        )
    course.activity_ids = [a.pk for a in made]
    course.save(update_fields=["activity_ids"])
    audit_log(actor=actor, action="jobs.course.create", street=street, obj=course,
              data={"sessions": len(made), "jobs": values.job_ids})  # fmt: skip
    return course


def course_sessions(course: Course) -> list[Activity]:
    return list(Activity.objects.filter(pk__in=course.activity_ids).order_by("start"))


def seats_left(course: Course) -> int:
    return max(0, course.capacity - course.enrollments.exclude(status=EnrollmentStatus.WITHDRAWN).count())


@transaction.atomic
def enrollment_add(*, course: Course, seeker: Seeker, actor: User | None, now: datetime | None = None) -> Enrollment:
    """Enrol a seeker: a booking of every session through activities (their seats; all or nothing). The person's
    account is the seeker's own, or the one of their phone number (as a walk-in's)."""
    now = now or timezone.now()
    if seeker.street_id != course.street_id:
        raise Problem("not_found")
    if Enrollment.objects.filter(course=course, seeker=seeker).exists():
        raise Problem("jobs_enrolled_already")
    sessions = course_sessions(course)
    if not sessions or sessions[0].start <= now:
        raise Problem("booking_closed", detail=_("课程已开课，不能再报名"))
    user = seeker.user
    if user is None:
        if not seeker.phone:
            raise Problem("jobs_phone_required", errors=[field_error("phone", _("报名培训需要求职者的手机号"))])
        user = user_get_or_create(phone=seeker.phone, display_name=seeker.name)
    for activity in sessions:
        booking = booking_create(activity=activity, user=user, now=now)
        if booking.status != BookingStatus.CONFIRMED:  # no waitlist on a course: the last seat is gone
            raise Problem("activity_full", detail=_("课程名额已满"))
    enrollment = Enrollment.objects.create(course=course, seeker=seeker, created_at=now)
    audit_log(actor=actor, action="jobs.course.enroll", street=course.street, obj=enrollment)
    return enrollment


def attended_sessions(enrollment: Enrollment) -> set[int]:
    """Sessions marked by staff, and those the person was checked in at through activities."""
    checked = set()
    user_id = enrollment.seeker.user_id
    if user_id is None and enrollment.seeker.phone:
        user_id = (
            User.objects.filter(phone__endswith=enrollment.seeker.phone[-11:]).values_list("pk", flat=True).first()
        )
    if user_id is not None:
        checked = set(
            Booking.objects.filter(
                activity_id__in=enrollment.course.activity_ids, user_id=user_id, status=BookingStatus.CHECKED_IN
            ).values_list("activity_id", flat=True)
        )
    return checked | {int(a) for a in enrollment.attended}


@transaction.atomic
def attendance_mark(*, enrollment: Enrollment, activity_id: int, present: bool, actor: User | None) -> Enrollment:
    if activity_id not in enrollment.course.activity_ids:
        raise Problem("not_found")
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    marked = {int(a) for a in enrollment.attended}
    marked = marked | {activity_id} if present else marked - {activity_id}
    enrollment.attended = sorted(marked)
    enrollment.save(update_fields=["attended"])
    return enrollment


@transaction.atomic
def assessment_record(
    *, enrollment: Enrollment, score: int, actor: User | None, now: datetime | None = None
) -> list[Application]:
    """The practical assessment. Attendance short of the course's minimum refuses it; a pass proposes an interview
    at each open job linked to the course (a new application, or an earlier step moved on). Returns them."""
    now = now or timezone.now()
    if not 0 <= score <= 100:
        raise Problem("validation_error", errors=[field_error("score", _("分数应在 0 到 100 之间"))])
    fresh = Enrollment.objects.select_for_update().select_related("course__street", "seeker").get(pk=enrollment.pk)
    enrollment.status, enrollment.attended = fresh.status, fresh.attended  # the caller's object follows
    course = fresh.course
    if enrollment.status != EnrollmentStatus.ENROLLED:
        raise Problem("jobs_assessed_already")
    attended = len(attended_sessions(enrollment) & set(course.activity_ids))
    if attended < course.min_attendance:
        raise Problem(
            "jobs_attendance_short",
            detail=format_lazy(
                _("出勤 {attended} 次，至少要 {needed} 次才能参加考核"), attended=attended, needed=course.min_attendance
            ),  # fmt: skip
        )
    passed = score >= course.pass_mark
    enrollment.score, enrollment.assessed_at, enrollment.assessed_by = score, now, actor
    enrollment.status = EnrollmentStatus.PASSED if passed else EnrollmentStatus.FAILED
    enrollment.save(update_fields=["score", "assessed_at", "assessed_by", "status"])
    audit_log(actor=actor, action="jobs.course.assess", street=course.street, obj=enrollment,
              data={"score": score, "passed": passed})  # fmt: skip
    if not passed:
        return []
    proposed = []
    note = str(format_lazy(_("培训「{course}」考核通过，推荐面试"), course=course.title))
    seeker = enrollment.seeker
    for job in course.jobs.filter(status=JobStatus.OPEN, valid_through__gte=timezone.localdate(now)).order_by("id"):
        app = Application.objects.filter(seeker=seeker, job=job).first()
        if app is None:
            app = pipeline.application_create(seeker=seeker, job=job, actor=actor, note=note, now=now,
                                              source="course")  # fmt: skip
        if app.status in BEFORE_INTERVIEW:
            pipeline.application_move(application=app, to=AppStatus.INTERVIEW, actor=actor, note=note, now=now,
                                      action="course_passed")  # fmt: skip
            proposed.append(app)
    return proposed


# ---------------------------------------------------------------------------------------------- certificate


@dataclass(frozen=True)
class Certificate:
    enrollment_id: int
    name: str
    course: str
    class_hours: int
    score: int
    street: str
    issued: str


def certificate_token(enrollment: Enrollment) -> str:
    if enrollment.status != EnrollmentStatus.PASSED or enrollment.assessed_at is None:
        raise Problem("not_found")
    payload = {"e": enrollment.pk, "d": timezone.localdate(enrollment.assessed_at).isoformat()}
    return signing.dumps(payload, salt=SALT, compress=True)


def certificate_verify(token: str) -> Certificate:
    """The certificate a verification link names (the name masked); not_found when forged or withdrawn."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise Problem("not_found") from None
    e = Enrollment.objects.select_related("course__street", "seeker").filter(pk=data.get("e")).first()
    if e is None or e.status != EnrollmentStatus.PASSED or e.score is None:
        raise Problem("not_found")
    name = e.seeker.name[:1] + "*" * max(1, len(e.seeker.name) - 1)
    street = str(local_name(e.course.street))
    return Certificate(e.pk, name, e.course.title, e.course.class_hours, e.score, street, data["d"])


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def certificate_url(enrollment: Enrollment) -> str:
    site = str(getattr(settings, "LINLI_SITE_URL", "") or "http://127.0.0.1:8000")
    return f"{site}/jobs/certificates/{certificate_token(enrollment)}/"


def certificate_pdf(enrollment: Enrollment) -> bytes:
    """One A4 page: the person, the course, its class hours, the assessment, and the verification QR code."""
    url = certificate_url(enrollment)
    course = enrollment.course
    page = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
    draw = ImageDraw.Draw(page)
    draw.rectangle((40, 40, 1200, 1714), outline=(29, 78, 216), width=6)
    draw.text((620, 220), "职业技能培训合格证明", font=_font(80), fill=(29, 78, 216), anchor="mm")
    draw.text((620, 320), "Certificate of vocational training", font=_font(40), fill=(60, 60, 60), anchor="mm")
    lines = [
        f"{enrollment.seeker.name} 同志",
        f"参加{course.street.name}「{course.title}」培训",
        f"共 {course.class_hours} 课时，实操考核 {enrollment.score} 分，考核合格",
        f"{course.class_hours} class hours, practical assessment passed",
    ]
    for i, line in enumerate(lines):
        draw.text((140, 480 + i * 90), line, font=_font(44), fill="black")
    qr_png = io.BytesIO()
    segno.make(url, error="m").save(qr_png, kind="png", scale=8, border=2)
    qr = Image.open(io.BytesIO(qr_png.getvalue())).convert("RGB").resize((360, 360))
    page.paste(qr, (800, 1240))
    issued = timezone.localdate(enrollment.assessed_at) if enrollment.assessed_at else timezone.localdate()
    draw.text((140, 1300), course.street.name, font=_font(44), fill="black")
    draw.text((140, 1370), f"{issued:%Y-%m-%d}", font=_font(40), fill="black")
    draw.text((140, 1560), "扫码核验 scan to verify", font=_font(32), fill=(90, 90, 90))
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=150.0)
    return out.getvalue()
