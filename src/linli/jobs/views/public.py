"""The resident's pages (phone first, elder mode): my profile (the needs survey online), jobs near me with the
reasons, apply, my applications; and the public job page with its schema.org JobPosting."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods

from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.pages import login_redirect, problem_message
from linli.jobs import selectors
from linli.jobs.forms import SeekerForm
from linli.jobs.jsonld import job_posting_script
from linli.jobs.models import Job
from linli.jobs.services import matching, pipeline, seekers
from linli.jobs.taxonomy import OCCUPATIONS


def match_rows(found: list[matching.Match]) -> list[dict[str, Any]]:
    jobs = {j.pk: j for j in Job.objects.filter(pk__in=[m.job_id for m in found]).select_related("employer")}
    return [{"job": jobs[m.job_id], "match": m, "reasons": matching.reasons_text(m.reasons)} for m in found]


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    seeker = selectors.seeker_of_user(user)
    problem = None
    if request.method == "POST" and seeker is not None:
        try:
            job = selectors.job_public(job_id=int(request.POST.get("job", "0") or 0))
            pipeline.application_create(seeker=seeker, job=job, actor=user, applied=True)
            return HttpResponseRedirect(f"{reverse('jobs:home')}?done=applied")
        except (Problem, ValueError) as exc:
            problem = problem_message(exc if isinstance(exc, Problem) else Problem("not_found"))
    context: dict[str, Any] = {"seeker": seeker, "problem": problem, "done": request.GET.get("done", "")}
    if seeker is not None:
        context["matches"] = match_rows(matching.seeker_matches(seeker, limit=20))
        context["applications"] = list(selectors.applications_of_seeker(seeker))
        context["applied"] = {a.job_id for a in context["applications"]}
    return render(request, "jobs/home.html", context)


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The needs survey, filled by the resident (the street of their home compound)."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    seeker = selectors.seeker_of_user(user)
    street = seeker.street if seeker else getattr(user, "home_street", None)
    if street is None:
        from_code = request.GET.get("street") or request.POST.get("street") or ""
        street = selectors.street_for_profile(from_code)
    form = SeekerForm(request.POST or None, street=street, initial=_initial(seeker, user))
    problem = None
    if request.method == "POST" and form.is_valid():
        try:
            seekers.seeker_save(street=street, values=form.values(), actor=user, seeker=seeker, user=user)
            return HttpResponseRedirect(reverse("jobs:home"))
        except Problem as exc:
            problem = problem_message(exc)
    return render(request, "jobs/profile.html", {"form": form, "problem": problem, "street": street})


def _initial(seeker: Any, user: Any) -> dict[str, Any]:
    if seeker is None:
        return {"name": getattr(user, "display_name", ""), "max_minutes": 15}
    return {"name": seeker.name, "phone": seeker.phone, "compound": seeker.compound_id, "station": seeker.station_id,
            "occupations": seeker.occupations, "skills": seeker.skills, "experience_years": seeker.experience_years,
            "education": seeker.education, "hours": seeker.hours, "shifts": seeker.shifts,
            "max_minutes": seeker.max_minutes, "travel_mode": seeker.travel_mode, "constraints": seeker.constraints,
            "accommodations": seeker.accommodations, "health_notes": seeker.health_notes,
            "benefits": seeker.benefits, "consent": True}  # fmt: skip


@require_GET
def job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        job = selectors.job_public(job_id=job_id)
    except Problem:
        return render(request, "404.html", status=404)
    url = request.build_absolute_uri(reverse("jobs:job", args=[job.pk]))
    occupation = OCCUPATIONS.get(job.occupation)
    seeker = selectors.seeker_of_user(request_user(request)) if request.user.is_authenticated else None
    reasons: list[dict[str, Any]] = []
    if seeker is not None and seeker.street_id == job.street_id and seeker.lat is not None:
        router = matching.travel.Router(matching.travel.graph_for(job.street_id), seeker.lat, seeker.lng or 0.0,
                                        seeker.travel_mode, 24 * 60)  # fmt: skip
        reasons = matching.reasons_text(
            matching.evaluate(seeker, matching.job_row(job), router.trip(job.lat, job.lng)).reasons
        )
    return render(request, "jobs/job.html", {
        "job": job, "jsonld": job_posting_script(job, url=url), "occupation": occupation, "reasons": reasons,
        "essential": [matching.skill_label(s) for s in job.skills_essential],
        "optional": [matching.skill_label(s) for s in job.skills_optional],
    })  # fmt: skip


urlpatterns = [
    path("jobs/", home, name="home"),
    path("jobs/profile/", profile, name="profile"),
    path("jobs/<int:job_id>/", job_page, name="job"),
]
