"""The service menu's pages: an enterprise's or team's phone (menu, claim, report) and station staff's (publish
items, verify teams, confirm or reject deliveries)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.models import Street
from linli.core.pages import login_redirect, problem_message, staff_street_choice
from linli.volunteers import selectors
from linli.volunteers.models import Claim, ClaimStatus, Team
from linli.volunteers.services import menu, profiles
from linli.volunteers.views.staff import _streets, forbidden


@require_http_methods(["GET", "POST"])
def claims_page(request: HttpRequest) -> HttpResponse:
    """接单: the street's menu for a team's manager (or a volunteer), claim, report with people served."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    teams = list(selectors.teams_managed(user))
    code = request.GET.get("street") or request.POST.get("street")
    street = (
        Street.objects.filter(code=code).first() if code
        else (teams[0].street if teams else user.home_street or Street.objects.order_by("pk").first())
    )  # fmt: skip
    problem = None
    if request.method == "POST" and street is not None:
        action = request.POST.get("action", "")
        try:
            team = next((t for t in teams if str(t.pk) == request.POST.get("team")), None)
            if action == "claim":
                menu.claim_create(item=int(request.POST.get("item") or 0), user=user, team=team,
                                  people=int(request.POST.get("people") or 1))  # fmt: skip
            elif action == "report":
                claim = Claim.objects.select_related("item__station__street", "team", "volunteer").filter(
                    pk=int(request.POST.get("claim") or 0)
                ).first()  # fmt: skip
                if claim is None:
                    raise Problem("not_found")
                menu.claim_report(claim=claim, actor=user, served=int(request.POST.get("served") or 0),
                                  minutes=int(float(request.POST.get("hours") or 0) * 60),
                                  report=request.POST.get("report", ""))  # fmt: skip
            return HttpResponseRedirect(f"{reverse('volunteers:claims')}?street={street.code}&done={action}")
        except (Problem, ValueError) as exc:
            problem = problem_message(exc if isinstance(exc, Problem) else Problem("validation_error"))
    items = list(selectors.service_menu(street=street)) if street else []
    mine = Claim.objects.filter(team__in=teams).select_related("item", "team") if teams else Claim.objects.filter(
        volunteer__user=user).select_related("item")  # fmt: skip
    return render(request, "volunteers/claims.html", {
        "street": street, "teams": teams, "items": items, "mine": list(mine.order_by("-created_at")[:30]),
        "problem": problem, "done": request.GET.get("done", ""),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def staff_menu(request: HttpRequest) -> HttpResponse:
    street, streets, denied = staff_street_choice(request, _streets, forbidden)
    if denied:
        return denied
    user = request_user(request)
    stations = list(selectors.stations_of(street))
    problem = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "publish":
                station = next((s for s in stations if str(s.pk) == request.POST.get("station")), None)
                if station is None:
                    raise Problem("not_found")
                menu.item_publish(
                    station=station, actor=user, title=request.POST.get("title", ""),
                    day=dt.date.fromisoformat(request.POST.get("day", "")),
                    people_needed=int(request.POST.get("people_needed") or 1),
                    capacity=int(request.POST.get("capacity") or 30), description=request.POST.get("description", ""),
                )  # fmt: skip
            elif action == "verify_team":
                team = Team.objects.filter(pk=int(request.POST.get("team") or 0), street=street).first()
                if team is None:
                    raise Problem("not_found")
                profiles.team_verify(team=team, actor=user)
            elif action in ("confirm", "reject"):
                claim = Claim.objects.select_related("item__station__street", "team", "volunteer").filter(
                    pk=int(request.POST.get("claim") or 0), item__station__street=street
                ).first()  # fmt: skip
                if claim is None:
                    raise Problem("not_found")
                if action == "confirm":
                    menu.claim_confirm(claim=claim, actor=user)
                else:
                    menu.claim_reject(claim=claim, actor=user, note=request.POST.get("note", ""))
            return HttpResponseRedirect(f"{reverse('volunteers:staff_menu')}?street={street.code}&done={action}")
        except (Problem, ValueError) as exc:
            problem = problem_message(exc if isinstance(exc, Problem) else Problem("validation_error"))
    items: list[Any] = [(i, list(selectors.claims_of_item(i))) for i in selectors.service_menu(street=street)]
    return render(request, "volunteers/staff_menu.html", {
        "street": street, "streets": streets, "stations": stations, "items": items, "problem": problem,
        "teams": Team.objects.filter(street=street, verified_at__isnull=True), "delivered": ClaimStatus.DELIVERED,
        "done": request.GET.get("done", ""),
    })  # fmt: skip
