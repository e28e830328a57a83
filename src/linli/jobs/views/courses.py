"""Training pages: the station's courses (create one linked to jobs; enrol seekers, mark attendance, record the
assessment), the resident's courses (enrol, the certificate), the certificate PDF and its public check."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from linli.core.auth import request_user
from linli.core.downloads import attachment_response
from linli.core.errors import Problem
from linli.core.pages import login_redirect, problem_message
from linli.jobs import selectors
from linli.jobs.models import Course, Enrollment, EnrollmentStatus, Job, JobStatus, Seeker, Station
from linli.jobs.services import courses
from linli.jobs.taxonomy import OCCUPATIONS
from linli.jobs.views.staff import _forbidden, _street
from linli.places.models import Place


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        raise Problem("validation_error") from None


def _course_values(p: Any) -> courses.CourseValues:
    try:
        start = dt.datetime.fromisoformat(p.get("first_start") or "")
    except ValueError:
        start = dt.datetime(1900, 1, 1)
    if timezone.is_naive(start):
        start = timezone.make_aware(start)
    return courses.CourseValues(
        title=p.get("title", "")[:100], venue_id=_int(p.get("venue")), first_start=start,
        class_hours=_int(p.get("class_hours")), sessions=_int(p.get("sessions")),
        session_minutes=_int(p.get("session_minutes")), capacity=_int(p.get("capacity")),
        pass_mark=_int(p.get("pass_mark") or 60), description=p.get("description", "")[:4000],
        occupation=p.get("occupation", ""), job_ids=[_int(j) for j in p.getlist("jobs")],
        station_id=_int(p.get("station")) or None,
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def course_list(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request)
    if denied:
        return denied
    assert street is not None
    problem = None
    if request.method == "POST":
        try:
            course = courses.course_create(street=street, values=_course_values(request.POST),
                                           actor=request_user(request))  # fmt: skip
            return HttpResponseRedirect(reverse("jobs:course", args=[course.pk]))
        except Problem as exc:
            problem = problem_message(exc)
    rows = [{"course": c, "left": courses.seats_left(c), "enrolled": c.enrollments.count()}
            for c in Course.objects.filter(street=street).select_related("venue").prefetch_related("jobs")[:100]]  # fmt: skip
    start = (timezone.localtime() + dt.timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    return render(request, "jobs/courses.html", {
        "street": street, "streets": streets, "rows": rows, "problem": problem, "tab": "courses",
        "venues": Place.objects.filter(street=street).order_by("name")[:300],
        "stations": Station.objects.filter(street=street),
        "jobs": Job.objects.filter(street=street, status=JobStatus.OPEN).select_related("employer").order_by("title")[:300],
        "occupations": [(c, o.name) for c, o in OCCUPATIONS.items()], "start": start.strftime("%Y-%m-%dT%H:%M"),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def course_page(request: HttpRequest, course_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    course = Course.objects.select_related("street", "venue").filter(pk=course_id).first()
    if course is None or not selectors.is_staff(user, street=course.street):
        return _forbidden(request)
    problem = None
    done = ""
    if request.method == "POST":
        p = request.POST
        try:
            action = p.get("action")
            if action == "enroll":
                seeker = Seeker.objects.filter(pk=_int(p.get("seeker")), street=course.street).first()
                if seeker is None:
                    raise Problem("not_found")
                courses.enrollment_add(course=course, seeker=seeker, actor=user)
            else:
                enrollment = (
                    Enrollment.objects.select_related("seeker", "course")
                    .filter(pk=_int(p.get("enrollment")), course=course)
                    .first()
                )
                if enrollment is None:
                    raise Problem("not_found")
                if action == "attendance":
                    courses.attendance_mark(enrollment=enrollment, activity_id=_int(p.get("session")),
                                            present=p.get("present") == "1", actor=user)  # fmt: skip
                elif action == "assess":
                    proposed = courses.assessment_record(enrollment=enrollment, score=_int(p.get("score")), actor=user)
                    done = f"&proposed={len(proposed)}"
                else:
                    raise Problem("validation_error")
            return HttpResponseRedirect(f"{reverse('jobs:course', args=[course.pk])}?done={action}{done}")
        except Problem as exc:
            problem = problem_message(exc)
    sessions = courses.course_sessions(course)
    rows: list[dict[str, Any]] = []
    for e in course.enrollments.select_related("seeker").order_by("id"):
        attended = courses.attended_sessions(e)
        rows.append({"e": e, "sessions": [(s, s.pk in attended) for s in sessions], "count": len(attended)})
    enrolled = {r["e"].seeker_id for r in rows}
    return render(request, "jobs/course.html", {
        "course": course, "street": course.street, "sessions": sessions, "rows": rows, "problem": problem,
        "left": courses.seats_left(course), "jobs": course.jobs.select_related("employer"), "tab": "courses",
        "candidates": [s for s in selectors.seeker_list(street=course.street)[:500] if s.pk not in enrolled],
        "done": request.GET.get("done", ""), "proposed": request.GET.get("proposed", ""),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def my_courses(request: HttpRequest) -> HttpResponse:
    """The resident's courses: those open at their street (enrol with one tap) and their own, with the
    certificate once passed."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    seeker = selectors.seeker_of_user(user)
    problem = None
    if request.method == "POST" and seeker is not None:
        try:
            course = Course.objects.filter(pk=_int(request.POST.get("course")), street=seeker.street).first()
            if course is None:
                raise Problem("not_found")
            courses.enrollment_add(course=course, seeker=seeker, actor=user)
            return HttpResponseRedirect(f"{reverse('jobs:my_courses')}?done=enrolled")
        except Problem as exc:
            problem = problem_message(exc)
    mine = list(Enrollment.objects.filter(seeker__user=user).select_related("course__venue").order_by("-id"))
    taken = {e.course_id for e in mine}
    open_courses = []
    if seeker is not None:
        for c in Course.objects.filter(street=seeker.street, first_start__gt=timezone.now()).select_related("venue"):
            if c.pk not in taken:
                open_courses.append({"course": c, "left": courses.seats_left(c),
                                     "jobs": [j.title for j in c.jobs.all()[:5]]})  # fmt: skip
    return render(request, "jobs/my_courses.html", {
        "seeker": seeker, "mine": mine, "open": open_courses, "problem": problem, "done": request.GET.get("done", ""),
        "passed": EnrollmentStatus.PASSED,
    })  # fmt: skip


@require_GET
def certificate(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    """The certificate PDF: for the person, and the street's employment staff."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    e = Enrollment.objects.select_related("course__street", "seeker").filter(pk=enrollment_id).first()
    if e is None or not (e.seeker.user_id == user.pk or selectors.is_staff(user, street=e.course.street)):
        return _forbidden(request)
    if e.status != EnrollmentStatus.PASSED:
        return render(request, "404.html", status=404)
    name = f"certificate-{e.pk}.pdf"
    return attachment_response(courses.certificate_pdf(e), content_type="application/pdf", ascii_name=name, name=name)


@require_GET
def certificate_check(request: HttpRequest, token: str) -> HttpResponse:
    try:
        cert = courses.certificate_verify(token)
    except Problem:
        return render(request, "jobs/certificate_check.html", {"cert": None}, status=404)
    return render(request, "jobs/certificate_check.html", {"cert": cert})


urlpatterns = [
    path("staff/jobs/courses/", course_list, name="courses"),
    path("staff/jobs/courses/<int:course_id>/", course_page, name="course"),
    path("jobs/courses/", my_courses, name="my_courses"),
    path("jobs/courses/enrollments/<int:enrollment_id>/certificate.pdf", certificate, name="certificate"),
    path("jobs/certificates/<str:token>/", certificate_check, name="certificate_check"),
]
