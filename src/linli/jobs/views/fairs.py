"""Job fair pages: the station's fairs (create one with booths), a fair's booths with their on-site matching lists
(record an interview at the booth) and its results; the residents' list of fairs with the booths' jobs and the
registration (the fair's activity)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.pages import login_redirect, problem_message
from linli.jobs import selectors
from linli.jobs.models import Booth, Employer, Fair, Job, Seeker
from linli.jobs.services import fairs, matching
from linli.jobs.views.courses import _int
from linli.jobs.views.staff import _forbidden, _street
from linli.places.models import Place


def _when(value: str) -> dt.datetime:
    try:
        at = dt.datetime.fromisoformat(value or "")
    except ValueError:
        at = dt.datetime(1900, 1, 1)
    return timezone.make_aware(at) if timezone.is_naive(at) else at


@require_http_methods(["GET", "POST"])
def fair_list(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request)
    if denied:
        return denied
    assert street is not None
    problem = None
    if request.method == "POST":
        p = request.POST
        try:
            values = fairs.FairValues(
                title=p.get("title", "")[:100], venue_id=_int(p.get("venue")), start=_when(p.get("start", "")),
                end=_when(p.get("end", "")), capacity=_int(p.get("capacity") or 200),
                employer_ids=[_int(e) for e in p.getlist("employers")],
            )  # fmt: skip
            fair = fairs.fair_create(street=street, values=values, actor=request_user(request))
            return HttpResponseRedirect(reverse("jobs:fair", args=[fair.pk]))
        except Problem as exc:
            problem = problem_message(exc)
    start = (timezone.localtime() + dt.timedelta(days=14)).replace(hour=9, minute=0, second=0, microsecond=0)
    rows = [{"fair": f, "booths": f.booths.count(), "results": sum(r["interviews"] for r in fairs.fair_results(f))}
            for f in Fair.objects.filter(street=street).select_related("venue")[:50]]  # fmt: skip
    return render(request, "jobs/fairs.html", {
        "street": street, "streets": streets, "rows": rows, "problem": problem, "tab": "fairs",
        "venues": Place.objects.filter(street=street).order_by("name")[:300],
        "employers": Employer.objects.filter(street=street, verified_at__isnull=False).order_by("name")[:300],
        "start": start.strftime("%Y-%m-%dT%H:%M"), "end": (start + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def fair_page(request: HttpRequest, fair_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    fair = Fair.objects.select_related("street", "venue").filter(pk=fair_id).first()
    if fair is None or not selectors.is_staff(user, street=fair.street):
        return _forbidden(request)
    problem = None
    if request.method == "POST":
        try:
            seeker = Seeker.objects.filter(pk=_int(request.POST.get("seeker")), street=fair.street).first()
            job = Job.objects.filter(pk=_int(request.POST.get("job")), street=fair.street).first()
            if seeker is None or job is None:
                raise Problem("not_found")
            fairs.fair_interview(fair=fair, seeker=seeker, job=job, actor=user)
            return HttpResponseRedirect(
                f"{reverse('jobs:fair', args=[fair.pk])}?done=interview#booth-{job.employer_id}"
            )
        except Problem as exc:
            problem = problem_message(exc)
    seekers = fairs.registered_seekers(fair)
    booths = []
    for booth in fair.booths.select_related("employer").prefetch_related("jobs").order_by("number"):
        rows = fairs.booth_list(booth, seekers)[:20]
        booths.append({"booth": booth, "jobs": list(booth.jobs.all()),
                       "rows": [{"row": r, "reasons": matching.reasons_text(r.match.reasons)} for r in rows]})  # fmt: skip
    return render(request, "jobs/fair.html", {
        "fair": fair, "street": fair.street, "booths": booths, "registered": len(seekers), "problem": problem,
        "results": fairs.fair_results(fair), "done": request.GET.get("done", ""), "tab": "fairs",
        "past": fair.end <= timezone.now(),
    })  # fmt: skip


@require_GET
def fairs_public(request: HttpRequest) -> HttpResponse:
    """Residents: the coming fairs of their street (or `?street=`), each booth's jobs, and the registration."""
    street = None
    if request.user.is_authenticated:
        seeker = selectors.seeker_of_user(request_user(request))
        street = seeker.street if seeker else getattr(request_user(request), "home_street", None)
    if street is None:
        try:
            street = selectors.street_for_profile(request.GET.get("street", ""))
        except Problem:
            return render(request, "404.html", status=404)
    coming = Fair.objects.filter(street=street, end__gt=timezone.now()).select_related("venue").order_by("start")
    rows: list[dict[str, Any]] = []
    for fair in coming[:10]:
        booths = Booth.objects.filter(fair=fair).select_related("employer").prefetch_related("jobs").order_by("number")
        rows.append({"fair": fair, "booths": booths})
    return render(request, "jobs/fairs_public.html", {"rows": rows, "street": street})


urlpatterns = [
    path("staff/jobs/fairs/", fair_list, name="fairs"),
    path("staff/jobs/fairs/<int:fair_id>/", fair_page, name="fair"),
    path("jobs/fairs/", fairs_public, name="fairs_public"),
]
