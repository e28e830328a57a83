"""The resident's care page (phone first, elder mode: one big "呼叫居委" button): call the committee, "我很好",
what the register holds about me (contacts, consent) with a correction request, and a door-to-door request."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from linli.care import selectors
from linli.care.models import CallKind, CallSource, CheckInSource, Group, Share
from linli.care.services import calls, checks, family, register, visits
from linli.core import ratelimit
from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.i18n import choice_label
from linli.core.models import User
from linli.core.pages import login_redirect, problem_message

CALLS_PER_10_MIN = 20


def me_panel_url(*, user: User) -> str | None:
    """core's "我的" page shows the care panel to a registered person and to a family contact of one."""
    if selectors.person_of_user(user) is None and not family.family_entries(user):
        return None
    return reverse("care:me_panel")


@require_GET
def me_panel(request: HttpRequest) -> HttpResponse:
    user = request_user(request) if request.user.is_authenticated else None
    context = {
        "registered": user is not None and selectors.person_of_user(user) is not None,
        "family": user is not None and bool(family.family_entries(user)),
    }
    return render(request, "care/_me_panel.html", context)


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    person = selectors.person_of_user(user)
    done = request.GET.get("done", "")
    problem = None
    if request.method == "POST" and person is not None:
        action = request.POST.get("action", "")
        try:
            if action in ("call", "help"):
                allowed, retry = ratelimit.hit(f"care:call:user:{user.pk}", CALLS_PER_10_MIN, 600)
                if not allowed:
                    raise Problem("rate_limited", extra={"retry_after": retry})
                call = calls.call_create(
                    kind=CallKind.EMERGENCY if action == "call" else CallKind.HELP,
                    source=CallSource.BUTTON, person=person, actor=user,
                )  # fmt: skip
                return HttpResponseRedirect(f"{reverse('care:home')}?done=call&call={call.pk}")
            if action == "ok":
                checks.checkin_record(person=person, source=CheckInSource.TAP, by=user)
                return HttpResponseRedirect(f"{reverse('care:home')}?done=ok")
            if action == "correction":
                register.correction_request(person=person, user=user, text=request.POST.get("text", ""))
                return HttpResponseRedirect(f"{reverse('care:home')}?done=correction")
            if action == "visit":
                visits.visit_request_create(person=person, what=request.POST.get("what", ""), requested_by=user)
                return HttpResponseRedirect(f"{reverse('care:home')}?done=visit")
        except Problem as exc:
            problem = problem_message(exc)
    context: dict[str, Any] = {"person": person, "done": done, "problem": problem}
    if person is not None:
        consent = person.consents.filter(withdrawn_at__isnull=True).first()
        context.update(
            groups=[choice_label(Group, g) for g in person.groups],
            contacts=person.contacts.all(),
            consent=consent,
            shares=[choice_label(Share, s) for s in (consent.shares if consent else [])],
            corrections=person.corrections.order_by("-created_at")[:5],
            visits=person.visits.order_by("-created_at")[:5],
            checked_in_today=checks_today(person),
            call=person.calls.filter(pk=request.GET.get("call") or 0).first()
            if request.GET.get("call", "").isdigit()
            else None,
        )
    return render(request, "care/home.html", context)


def checks_today(person: Any) -> bool:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return person.checkins.filter(at__gte=start).exists()


urlpatterns = [
    path("care/", home, name="home"),
    path("care/me-panel/", me_panel, name="me_panel"),
]
