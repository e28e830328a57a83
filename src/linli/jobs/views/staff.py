"""Station workers' pages (the survey form, a seeker's matches with their reasons, the pipeline board), the station
head's dashboard, and the employer's page (post jobs, candidates, answer: works on a phone). Thin views over
`linli.jobs.selectors`, services and `selectors_dashboard`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from linli.core.auth import request_user
from linli.core.charts import bar_chart
from linli.core.db import replica_reads
from linli.core.downloads import CSV_TYPE, attachment_response
from linli.core.errors import Problem
from linli.core.i18n import choice_label
from linli.core.models import Street
from linli.core.pages import login_redirect, problem_message, staff_street_choice
from linli.core.spreadsheets import csv_bytes
from linli.jobs import selectors, selectors_dashboard
from linli.jobs.forms import SeekerForm
from linli.jobs.models import Application, AppStatus, HoursKind, RefusalReason, Shift
from linli.jobs.services import matching, pipeline, seekers
from linli.jobs.services.jobs import JobValues, job_create
from linli.jobs.services.pipeline_states import PIPELINE_TRANSITIONS
from linli.jobs.taxonomy import OCCUPATIONS
from linli.jobs.views.public import match_rows

BOARD = (AppStatus.SUGGESTED, AppStatus.APPLIED, AppStatus.CONTACTED, AppStatus.INTERVIEW, AppStatus.OFFER,
         AppStatus.HIRED)  # fmt: skip


def _forbidden(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return render(request, "jobs/forbidden.html", {}, status=403)


def _street(request: HttpRequest, roles: Any = selectors.STAFF_ROLES) -> tuple[Street | None, list[Street], Any]:
    return staff_street_choice(request, lambda user: selectors.staff_streets(user, roles=roles), _forbidden)


def _moves(app: Application) -> list[tuple[str, Any]]:
    return [(s, AppStatus(s).label) for s in AppStatus.values if s in PIPELINE_TRANSITIONS[app.status]]


def timeline_rows(app: Application) -> list[dict[str, Any]]:
    """The timeline as people read it: each step's label, who recorded it, the note."""
    return [{"at": e.at, "label": choice_label(AppStatus, e.to_status), "note": e.note,
             "actor": e.actor.display_name if e.actor else ""} for e in pipeline.application_timeline(app)]  # fmt: skip


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request)
    if denied:
        return denied
    assert street is not None
    q = request.GET.get("q", "")[:50]
    rows = [selectors.seeker_row(s) for s in selectors.seeker_list(street=street, q=q)[:300]]
    apps = list(selectors.applications_of_street(street).filter(status__in=BOARD)[:400])
    columns = [{"status": s, "label": AppStatus(s).label, "apps": [a for a in apps if a.status == s]} for s in BOARD]
    return render(request, "jobs/board.html", {"street": street, "streets": streets, "rows": rows, "q": q,
                                               "columns": columns, "tab": "board"})  # fmt: skip


@require_http_methods(["GET", "POST"])
def seeker_new(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request)
    if denied:
        return denied
    assert street is not None
    user = request_user(request)
    form = SeekerForm(request.POST or None, street=street, initial={"max_minutes": 15})
    problem = None
    if request.method == "POST" and form.is_valid():
        try:
            seeker = seekers.seeker_save(street=street, values=form.values(), actor=user)
            return HttpResponseRedirect(reverse("jobs:seeker", args=[seeker.pk]))
        except Problem as exc:
            problem = problem_message(exc)
    return render(request, "jobs/seeker_new.html", {"form": form, "street": street, "streets": streets,
                                                    "problem": problem, "tab": "new"})  # fmt: skip


@require_http_methods(["GET", "POST"])
def seeker_page(request: HttpRequest, seeker_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    try:
        seeker = selectors.seeker_for_staff(user=user, seeker_id=seeker_id)
        if not selectors.is_staff(user, street=seeker.street):
            raise Problem("not_found")
    except Problem:
        return _forbidden(request)
    problem = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "suggest":
                job = selectors.job_public(job_id=int(request.POST.get("job", "0") or 0))
                pipeline.application_create(seeker=seeker, job=job, actor=user)
            else:
                app = selectors.application_for(user=user, application_id=int(request.POST.get("application") or 0))
                if app.seeker_id != seeker.pk:
                    raise Problem("not_found")
                pipeline.application_move(application=app, to=request.POST.get("to", ""), actor=user,
                                          reason=request.POST.get("reason", ""), note=request.POST.get("note", ""))  # fmt: skip
            return HttpResponseRedirect(reverse("jobs:seeker", args=[seeker.pk]))
        except (Problem, ValueError) as exc:
            problem = problem_message(exc if isinstance(exc, Problem) else Problem("not_found"))
    seekers.seeker_viewed(seeker=seeker, actor=user)
    apps = list(selectors.applications_of_seeker(seeker))
    return render(request, "jobs/seeker.html", {
        "seeker": seeker, "street": seeker.street, "matches": match_rows(matching.seeker_matches(seeker, limit=20)),
        "applications": [{"app": a, "moves": _moves(a), "timeline": timeline_rows(a),
                          "reasons": matching.reasons_text(a.reasons)} for a in apps],
        "suggested": {a.job_id for a in apps}, "refusals": RefusalReason.choices, "problem": problem,
        "occupations": [OCCUPATIONS[c].name for c in seeker.occupations if c in OCCUPATIONS],
        "shifts": [Shift(s).label for s in seeker.shifts],
    })  # fmt: skip


@require_GET
@replica_reads()  # an export/report: may read a replica (linli.core.db)
def dashboard(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request, selectors.HEAD_ROLES)
    if denied:
        return denied
    assert street is not None
    data = selectors_dashboard.dashboard(street=street, today=timezone.localdate())
    if request.GET.get("format") == "csv":
        body = csv_bytes(header=["month", "placements", "station"],
                         rows=[[m, n, ""] for m, n in data["placements"]]
                         + [["", r["placements"], r["name"]] for r in data["stations"]])  # fmt: skip
        name = f"jobs-{street.code}.csv"
        return attachment_response(body, content_type=CSV_TYPE, ascii_name=name, name=name)
    chart = bar_chart(title=gettext("每月上岗人数"), labels=[m for m, _n in data["placements"]],
                      series=[(gettext("上岗"), [n for _m, n in data["placements"]])])  # fmt: skip
    return render(request, "jobs/dashboard.html", {"street": street, "streets": streets, "data": data,
                                                   "chart": chart, "tab": "dashboard"})  # fmt: skip


@require_http_methods(["GET", "POST"])
def employer_page(request: HttpRequest) -> HttpResponse:
    """The employer's phone page: its jobs, post a job, candidates and the answer (interview, offer, hire, no)."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    employers = list(selectors.employers_of(user))
    if not employers:
        return _forbidden(request)
    employer = employers[0]
    problem = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "post":
                p = request.POST
                job_create(employer=employer, actor=user, values=JobValues(
                    title=p.get("title", ""), occupation=p.get("occupation", ""), lat=float(p.get("lat") or "nan"),
                    lng=float(p.get("lng") or "nan"), hours_kind=p.get("hours_kind", ""), shifts=p.getlist("shifts"),
                    valid_through=dt.date.fromisoformat(p.get("valid_through") or "1900-01-01"),
                    address=p.get("address", ""), openings=int(p.get("openings") or 1)))  # fmt: skip
            else:
                app = selectors.application_for(user=user, application_id=int(request.POST.get("application") or 0))
                pipeline.application_move(application=app, to=request.POST.get("to", ""), actor=user,
                                          reason=request.POST.get("reason", ""))  # fmt: skip
            return HttpResponseRedirect(reverse("jobs:employer"))
        except (Problem, ValueError) as exc:
            problem = problem_message(exc if isinstance(exc, Problem) else Problem("validation_error"))
    apps = list(selectors.applications_of_employer(employer)[:200])
    return render(request, "jobs/employer.html", {
        "employer": employer, "jobs": employer.jobs.order_by("-created_at")[:50], "problem": problem,
        "candidates": [{"app": a, "moves": _moves(a)} for a in apps], "refusals": RefusalReason.choices,
        "occupations": [(c, o.name) for c, o in OCCUPATIONS.items()], "hours_kinds": HoursKind.choices,
        "shift_choices": Shift.choices, "today": timezone.localdate() + dt.timedelta(days=30),
    })  # fmt: skip


urlpatterns = [
    path("staff/jobs/", board, name="board"),
    path("staff/jobs/seekers/new/", seeker_new, name="seeker_new"),
    path("staff/jobs/seekers/<int:seeker_id>/", seeker_page, name="seeker"),
    path("staff/jobs/dashboard/", dashboard, name="dashboard"),
    path("jobs/employer/", employer_page, name="employer"),
]
