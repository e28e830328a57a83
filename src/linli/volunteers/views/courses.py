"""Classes by volunteers: the teacher's page (propose a course, follow its sessions' bookings, waitlist and
attendance, and the hours credited) and station staff's review (approve into activities, or decline)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.models import Street, User
from linli.core.pages import login_redirect, problem_message
from linli.volunteers import selectors
from linli.volunteers.models import Course, CourseStatus
from linli.volunteers.services import courses
from linli.volunteers.views.common import post_int, staff_page

SH = ZoneInfo("Asia/Shanghai")


@require_http_methods(["GET", "POST"])
def teacher(request: HttpRequest) -> HttpResponse:
    """我来授课: a volunteer proposes a weekly class at a station; approved, residents book it as an activity."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    volunteer = selectors.volunteer_of(request_user(request))
    if volunteer is None:
        return HttpResponseRedirect(reverse("volunteers:home"))
    problem = None
    if request.method == "POST":
        try:
            day = dt.date.fromisoformat(request.POST.get("day", ""))
            start = dt.datetime.combine(day, dt.time.fromisoformat(request.POST.get("start", "")), tzinfo=SH)
            courses.course_propose(
                teacher=volunteer, station_id=post_int(request, "station"), title=request.POST.get("title", ""),
                first_start=start, minutes=post_int(request, "minutes", 90), sessions=post_int(request, "sessions", 4),
                capacity=post_int(request, "capacity", 20), description=request.POST.get("description", ""),
            )  # fmt: skip
            return HttpResponseRedirect(reverse("volunteers:courses") + "?done=proposed")
        except (Problem, ValueError) as exc:
            problem = problem_message(exc if isinstance(exc, Problem) else Problem("validation_error"))
    return render(request, "volunteers/courses.html", {
        "volunteer": volunteer, "courses": selectors.courses_of_teacher(volunteer), "problem": problem,
        "done": request.GET.get("done", ""), "stations": selectors.stations_of(volunteer.street),
        "default_day": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
    })  # fmt: skip


def _course(request: HttpRequest, street: Street) -> Course:
    course = Course.objects.select_related("station__street", "station__place", "teacher__user").filter(
        pk=post_int(request, "course"), station__street=street).first()  # fmt: skip
    if course is None:
        raise Problem("not_found")
    return course


def _approve(request: HttpRequest, street: Street, user: User) -> None:
    courses.course_approve(course=_course(request, street), actor=user)


def _decline(request: HttpRequest, street: Street, user: User) -> None:
    courses.course_decline(course=_course(request, street), actor=user, note=request.POST.get("note", ""))


@require_http_methods(["GET", "POST"])
def review(request: HttpRequest) -> HttpResponse:
    page, response = staff_page(
        request, url_name="volunteers:courses_review", actions={"approve": _approve, "decline": _decline}
    )
    if page is None:
        return response  # type: ignore[return-value]
    return render(request, "volunteers/courses_review.html", page.context(
        courses=selectors.courses_for_staff(page.user, page.street), proposed=CourseStatus.PROPOSED,
    ))  # fmt: skip
