"""Jobs API: public job search (schema.org-ready), staff surveys and matches with reasons, employers posting
jobs, the pipeline. Thin: parse, check permission (selectors), call a service, return."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Router

from linli.core.auth import request_user, require_user
from linli.core.errors import Problem, field_error
from linli.core.i18n import choice_label
from linli.core.idempotency import idempotent
from linli.core.schemas import problems
from linli.core.selectors import street_get
from linli.jobs import selectors
from linli.jobs.models import Application, AppStatus, Course, Enrollment, EnrollmentStatus, Job, Seeker
from linli.jobs.schemas import (
    ApplicationIn,
    ApplicationOut,
    AssessmentIn,
    AssessmentOut,
    AttendanceIn,
    CourseIn,
    CourseOut,
    EmployerIn,
    EmployerOut,
    EnrollIn,
    EnrollmentOut,
    JobIn,
    JobOut,
    MatchOut,
    MoveIn,
    SeekerIn,
    SeekerOut,
)
from linli.jobs.services import courses, employers, matching, pipeline, seekers
from linli.jobs.services.jobs import JobValues, job_create
from linli.jobs.taxonomy import OCCUPATIONS

router = Router(tags=["jobs 就业"])


def job_out(job: Job) -> dict[str, Any]:
    occupation = OCCUPATIONS.get(job.occupation)
    return {
        "id": job.pk, "street": job.street.code, "employer": job.employer.name, "title": job.title,
        "occupation": job.occupation, "occupation_label": str(occupation.name) if occupation else "",
        "hours_kind": job.hours_kind, "shifts": list(job.shifts), "address": job.address, "lat": job.lat,
        "lng": job.lng, "pay_min_fen": job.pay_min_fen, "pay_max_fen": job.pay_max_fen, "openings": job.openings,
        "valid_through": job.valid_through, "url": reverse("jobs:job", args=[job.pk]),
    }  # fmt: skip


def _near(near: str) -> tuple[float, float] | None:
    if not near:
        return None
    try:
        lat_s, lng_s = near.split(",")
        lat, lng = float(lat_s), float(lng_s)
    except ValueError:
        lat = lng = float("nan")
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise Problem("bad_coordinates", errors=[field_error("near", _("应为 纬度,经度"))])
    return lat, lng


@router.get("/jobs", response=list[JobOut], auth=None, summary="岗位 Open jobs of a street")
@problems("unknown_street", "bad_coordinates")
def job_list(request: HttpRequest, street: str, q: str = "", occupation: str = "", near: str = "",
             minutes: int = 15) -> list[dict[str, Any]]:  # fmt: skip
    """`near=lat,lng` with `minutes`: jobs within that many minutes' walk (straight line × detour factor)."""
    if not 1 <= minutes <= 120:
        raise Problem("validation_error", errors=[field_error("minutes", _("路程应在 1 到 120 分钟之间"))])
    st = street_get(code=street)
    jobs = selectors.job_search(street=st, q=q[:50], occupation=occupation[:20], near=_near(near), minutes=minutes)
    return [job_out(j) for j in jobs[:200]]


@router.get("/jobs/{int:job_id}", response=JobOut, auth=None, summary="岗位 One job")
@problems("not_found")
def job_detail(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return job_out(selectors.job_public(job_id=job_id))


def _match_out(m: matching.Match, title: str, name: str) -> dict[str, Any]:
    return {"job_id": m.job_id, "seeker_id": m.seeker_id, "title": title, "name": name, "score": m.score,
            "minutes": m.minutes, "reasons": matching.reasons_text(m.reasons)}  # fmt: skip


@router.get("/jobs/{int:job_id}/matches", response=list[MatchOut], auth=require_user,
            summary="岗位的匹配求职者 Seekers for a job (staff)")  # fmt: skip
@problems("not_found", "permission_denied")
def job_matches(request: HttpRequest, job_id: int) -> list[dict[str, Any]]:
    user = request_user(request)
    job = selectors.job_public(job_id=job_id)
    if not selectors.is_staff(user, street=job.street):
        raise Problem("not_found")
    found = matching.job_matches(job)
    names = dict(Seeker.objects.filter(pk__in=[m.seeker_id for m in found]).values_list("id", "name"))
    return [_match_out(m, job.title, names.get(m.seeker_id, "")) for m in found]


@router.get("/jobs/seekers/{int:seeker_id}/matches", response=list[MatchOut], auth=require_user,
            summary="求职者的匹配岗位 Jobs for a seeker, with reasons (staff, or the person)")  # fmt: skip
@problems("not_found", "jobs_no_home")
def seeker_matches(request: HttpRequest, seeker_id: int) -> list[dict[str, Any]]:
    user = request_user(request)
    seeker = selectors.seeker_for_staff(user=user, seeker_id=seeker_id)
    seekers.seeker_viewed(seeker=seeker, actor=user, what="matches")
    found = matching.seeker_matches(seeker)
    jobs = {j.pk: j for j in Job.objects.filter(pk__in=[m.job_id for m in found]).select_related("employer")}
    return [_match_out(m, jobs[m.job_id].title, jobs[m.job_id].employer.name) for m in found]


@router.get("/jobs/seekers", response=list[SeekerOut], auth=require_user, summary="求职者 Seekers (staff, masked)")
@problems("unknown_street", "permission_denied")
def seeker_list(request: HttpRequest, street: str, q: str = "") -> list[dict[str, Any]]:
    user = request_user(request)
    st = street_get(code=street)
    selectors.staff_require(user, street=st)
    return [selectors.seeker_row(s) for s in selectors.seeker_list(street=st, q=q[:50])[:500]]


@router.post("/jobs/seekers", response={201: SeekerOut}, auth=require_user, summary="需求摸排 A needs survey")
@problems("unknown_street", "permission_denied", "idempotency_key_reused")
def seeker_create(request: HttpRequest, payload: SeekerIn) -> Any:
    """Employment staff of the street survey a resident (with their consent). Send an `Idempotency-Key`."""
    user = request_user(request)
    st = street_get(code=payload.street)
    selectors.staff_require(user, street=st)
    values = seekers.SeekerValues(**payload.dict(exclude={"street"}))

    def run() -> tuple[int, dict[str, Any]]:
        seeker = seekers.seeker_save(street=st, values=values, actor=user)
        return 201, selectors.seeker_row(seeker)

    return idempotent(request, scope="jobs_seeker", run=run)


@router.post("/jobs/employers", response={201: EmployerOut}, auth=require_user,
             summary="登记用人单位 Register an employer")  # fmt: skip
@problems("unknown_street", "credit_code_invalid", "jobs_employer_exists")
def employer_create(request: HttpRequest, payload: EmployerIn) -> tuple[int, dict[str, Any]]:
    """Staff register a verified employer; anyone else registers their own (verified later by staff)."""
    user = request_user(request)
    st = street_get(code=payload.street)
    staff = selectors.is_staff(user, street=st)
    values = employers.EmployerValues(**payload.dict(exclude={"street"}))
    employer = employers.employer_register(street=st, values=values, actor=user, verify=staff,
                                           member=None if staff else user)  # fmt: skip
    return 201, {"id": employer.pk, "name": employer.name, "credit_code": employer.credit_code,
                 "verified": employer.verified_at is not None}  # fmt: skip


@router.post("/jobs", response={201: JobOut}, auth=require_user, summary="发布岗位 Post a job")
@problems("not_found", "jobs_employer_unverified")
def job_post(request: HttpRequest, payload: JobIn) -> tuple[int, dict[str, Any]]:
    """Staff of the street (a job from an employer's call) or a member of the verified employer."""
    user = request_user(request)
    employer = selectors.employer_for_member(user=user, employer_id=payload.employer_id)
    values = JobValues(**payload.dict(exclude={"employer_id"}))
    job = job_create(employer=employer, values=values, actor=user)
    return 201, job_out(job)


def application_out(app: Application) -> dict[str, Any]:
    return {
        "id": app.pk, "seeker_id": app.seeker_id, "job_id": app.job_id, "status": app.status,
        "status_label": str(choice_label(AppStatus, app.status)), "refusal_reason": app.refusal_reason,
        "reasons": matching.reasons_text(app.reasons),
        "timeline": [{"at": e.at.isoformat(), "action": e.action, "from_status": e.from_status,
                      "to_status": e.to_status, "note": e.note} for e in pipeline.application_timeline(app)],
    }  # fmt: skip


@router.post("/jobs/applications", response={201: ApplicationOut}, auth=require_user,
             summary="推荐或申请 Suggest a job to a seeker, or apply")  # fmt: skip
@problems("not_found", "jobs_job_closed", "jobs_application_exists")
def application_create(request: HttpRequest, payload: ApplicationIn) -> tuple[int, dict[str, Any]]:
    """Staff suggest; the seeker themself applies."""
    user = request_user(request)
    seeker = selectors.seeker_for_staff(user=user, seeker_id=payload.seeker_id)
    job = selectors.job_public(job_id=payload.job_id)
    own = seeker.user_id == user.pk and not selectors.is_staff(user, street=seeker.street)
    app = pipeline.application_create(seeker=seeker, job=job, actor=user, applied=own, note=payload.note)
    return 201, application_out(app)


@router.get("/jobs/applications/{int:application_id}", response=ApplicationOut, auth=require_user,
            summary="求职进展 An application and its timeline")  # fmt: skip
@problems("not_found")
def application_detail(request: HttpRequest, application_id: int) -> dict[str, Any]:
    return application_out(selectors.application_for(user=request_user(request), application_id=application_id))


@router.post("/jobs/applications/{int:application_id}/moves", response=ApplicationOut, auth=require_user,
             summary="记录进展 Record a step")  # fmt: skip
@problems("not_found", "jobs_application_invalid_transition", "jobs_refusal_reason_required", "jobs_already_placed")
def application_move(request: HttpRequest, application_id: int, payload: MoveIn) -> dict[str, Any]:
    user = request_user(request)
    app = selectors.application_for(user=user, application_id=application_id)
    pipeline.application_move(application=app, to=payload.to, actor=user, note=payload.note, reason=payload.reason)
    return application_out(app)


def course_out(c: Course) -> dict[str, Any]:
    return {"id": c.pk, "street": c.street.code, "title": c.title, "venue": c.venue.name, "first_start": c.first_start,
            "class_hours": c.class_hours, "sessions": c.sessions, "capacity": c.capacity,
            "seats_left": courses.seats_left(c), "min_attendance": c.min_attendance, "pass_mark": c.pass_mark,
            "job_ids": sorted(c.jobs.values_list("pk", flat=True)), "activity_ids": list(c.activity_ids)}  # fmt: skip


def enrollment_out(e: Enrollment) -> dict[str, Any]:
    url = courses.certificate_url(e) if e.status == EnrollmentStatus.PASSED else ""
    return {"id": e.pk, "course_id": e.course_id, "seeker_id": e.seeker_id, "status": e.status,
            "attended": sorted(courses.attended_sessions(e)), "score": e.score, "certificate_url": url}  # fmt: skip


def _enrollment_for_staff(user: Any, enrollment_id: int) -> Enrollment:
    e = Enrollment.objects.select_related("course__street", "seeker").filter(pk=enrollment_id).first()
    if e is None or not selectors.is_staff(user, street=e.course.street):
        raise Problem("not_found")
    return e


@router.get("/jobs/courses", response=list[CourseOut], auth=None, summary="培训课程 Training courses of a street")
@problems("unknown_street")
def course_list(request: HttpRequest, street: str) -> list[dict[str, Any]]:
    st = street_get(code=street)
    return [course_out(c) for c in Course.objects.filter(street=st).select_related("street", "venue")[:200]]


@router.post("/jobs/courses", response={201: CourseOut}, auth=require_user,
             summary="新建培训课程 Create a course (its sessions become activities)")  # fmt: skip
@problems("unknown_street", "permission_denied")
def course_create(request: HttpRequest, payload: CourseIn) -> tuple[int, dict[str, Any]]:
    user = request_user(request)
    st = street_get(code=payload.street)
    selectors.staff_require(user, street=st)
    values = courses.CourseValues(**payload.dict(exclude={"street"}))
    return 201, course_out(courses.course_create(street=st, values=values, actor=user))


@router.post("/jobs/courses/{int:course_id}/enrollments", response={201: EnrollmentOut}, auth=require_user,
             summary="报名培训 Enrol a seeker (a booking of every session)")  # fmt: skip
@problems("not_found", "jobs_enrolled_already", "jobs_phone_required", "activity_full", "booking_closed",
          "booking_limit_reached")  # fmt: skip
def enrollment_create(request: HttpRequest, course_id: int, payload: EnrollIn) -> tuple[int, dict[str, Any]]:
    """Staff of the street enrol a seeker; a resident enrols themself (their own seeker id)."""
    user = request_user(request)
    course = Course.objects.select_related("street").filter(pk=course_id).first()
    if course is None:
        raise Problem("not_found")
    seeker = selectors.seeker_for_staff(user=user, seeker_id=payload.seeker_id)
    return 201, enrollment_out(courses.enrollment_add(course=course, seeker=seeker, actor=user))


@router.post("/jobs/enrollments/{int:enrollment_id}/attendance", response=EnrollmentOut, auth=require_user,
             summary="记录出勤 Mark a session attended (staff)")  # fmt: skip
@problems("not_found")
def attendance_mark(request: HttpRequest, enrollment_id: int, payload: AttendanceIn) -> dict[str, Any]:
    user = request_user(request)
    e = _enrollment_for_staff(user, enrollment_id)
    return enrollment_out(courses.attendance_mark(enrollment=e, activity_id=payload.session_id,
                                                  present=payload.present, actor=user))  # fmt: skip


@router.post("/jobs/enrollments/{int:enrollment_id}/assessment", response=AssessmentOut, auth=require_user,
             summary="实操考核 Record the practical assessment; a pass proposes interviews (staff)")  # fmt: skip
@problems("not_found", "jobs_attendance_short", "jobs_assessed_already")
def assessment_record(request: HttpRequest, enrollment_id: int, payload: AssessmentIn) -> dict[str, Any]:
    user = request_user(request)
    e = _enrollment_for_staff(user, enrollment_id)
    apps = courses.assessment_record(enrollment=e, score=payload.score, actor=user)
    return {"enrollment": enrollment_out(e), "interviews": [a.pk for a in apps]}
