"""The service menu's pages: an enterprise's or team's phone (menu, claim, report with photos, the QR code the
residents served scan to rate it), the resident's rating page, and station staff's (publish items, verify teams,
confirm or reject deliveries with their photos and the residents' ratings)."""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
from typing import Any

import segno
from django.conf import settings
from django.db.models import Avg, Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.models import Street, User
from linli.core.pages import login_redirect, problem_message
from linli.volunteers import selectors
from linli.volunteers.models import Claim, ClaimPhoto, ClaimStatus, Team
from linli.volunteers.services import menu, profiles
from linli.volunteers.views.common import post_int, staff_page


def _claim(request: HttpRequest) -> Claim:
    claim = Claim.objects.select_related("item__station__street", "team", "volunteer").filter(
        pk=post_int(request, "claim")
    ).first()  # fmt: skip
    if claim is None:
        raise Problem("not_found")
    return claim


def _rating_qr(claim: Claim) -> dict[str, str]:
    site = str(getattr(settings, "LINLI_SITE_URL", "") or "")
    url = f"{site}{reverse('volunteers:rate', args=[menu.rating_token(claim)])}"
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False, omitsize=True)
    return {"url": url, "svg": out.getvalue().decode()}


@require_http_methods(["GET", "POST"])
def claims_page(request: HttpRequest) -> HttpResponse:
    """接单: the street's menu for a team's manager (or a volunteer), claim, report with people served and photos;
    each live claim shows the QR code the residents it serves scan to confirm and rate it."""
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
                menu.claim_create(item=post_int(request, "item"), user=user, team=team,
                                  people=post_int(request, "people", 1))  # fmt: skip
            elif action == "report":
                menu.claim_report(claim=_claim(request), actor=user, served=post_int(request, "served"),
                                  minutes=int(float(request.POST.get("hours") or 0) * 60),
                                  report=request.POST.get("report", ""),
                                  photos=request.FILES.getlist("photos"))  # fmt: skip
            else:
                raise Problem("validation_error")
            return HttpResponseRedirect(f"{reverse('volunteers:claims')}?street={street.code}&done={action}")
        except (Problem, ValueError) as exc:
            problem = problem_message(exc if isinstance(exc, Problem) else Problem("validation_error"))
    items = list(selectors.service_menu(street=street)) if street else []
    mine = list(selectors.claims_of_user(user, teams)[:30])
    live = (ClaimStatus.CLAIMED, ClaimStatus.DELIVERED)
    qrs = {c.pk: _rating_qr(c) for c in mine if c.status in live}
    return render(request, "volunteers/claims.html", {
        "street": street, "teams": teams, "items": items, "mine": [(c, qrs.get(c.pk)) for c in mine],
        "problem": problem, "done": request.GET.get("done", ""), "max_photos": menu.MAX_PHOTOS,
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """Where a claim's QR code leads: a resident who was served confirms it and rates it (1-5 stars, once)."""
    try:
        claim = menu.claim_from_rating_token(token)
    except Problem:
        return render(request, "volunteers/rate.html", {"claim": None}, status=404)
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    problem = None
    if request.method == "POST":
        try:
            menu.claim_rate(claim=claim, user=user, stars=post_int(request, "stars"),
                            comment=request.POST.get("comment", ""))  # fmt: skip
            return HttpResponseRedirect(f"{request.path}?done=1")
        except (Problem, ValueError) as exc:
            problem = problem_message(exc if isinstance(exc, Problem) else Problem("validation_error"))
    mine = claim.ratings.filter(user=user).first()
    return render(request, "volunteers/rate.html", {
        "claim": claim, "rating": mine, "problem": problem, "done": request.GET.get("done", ""),
        "stars": range(5, 0, -1), "by": claim.team.name if claim.team else (claim.volunteer.name[:1] + "**"),  # type: ignore[union-attr]
    })  # fmt: skip


@require_GET
def claim_photo(request: HttpRequest, photo_id: int) -> HttpResponseBase:
    """A delivery's photo, for the claimant and the street's station staff; 404 to everyone else."""
    if not request.user.is_authenticated:
        raise Http404(str(photo_id))
    user = request_user(request)
    row = ClaimPhoto.objects.select_related("claim__item__station", "claim__team", "claim__volunteer").filter(
        pk=photo_id).first()  # fmt: skip
    if row is None or not selectors.may_see_claim(user, row.claim):
        raise Http404(str(photo_id))
    try:
        handle = row.image.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(str(photo_id)) from exc
    response = FileResponse(handle, content_type=mimetypes.guess_type(row.image.name)[0] or "image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _publish(request: HttpRequest, street: Street, user: User) -> None:
    station = selectors.stations_of(street).filter(pk=post_int(request, "station")).first()
    if station is None:
        raise Problem("not_found")
    menu.item_publish(
        station=station, actor=user, title=request.POST.get("title", ""),
        day=dt.date.fromisoformat(request.POST.get("day", "")), people_needed=post_int(request, "people_needed", 1),
        capacity=post_int(request, "capacity", 30), description=request.POST.get("description", ""),
    )  # fmt: skip


def _verify_team(request: HttpRequest, street: Street, user: User) -> None:
    team = Team.objects.filter(pk=post_int(request, "team"), street=street).first()
    if team is None:
        raise Problem("not_found")
    profiles.team_verify(team=team, actor=user)


def _street_claim(request: HttpRequest, street: Street) -> Claim:
    claim = _claim(request)
    if claim.item.station.street_id != street.pk:
        raise Problem("not_found")
    return claim


STAFF_MENU_ACTIONS = {
    "publish": _publish,
    "verify_team": _verify_team,
    "confirm": lambda request, street, user: menu.claim_confirm(claim=_street_claim(request, street), actor=user),
    "reject": lambda request, street, user: menu.claim_reject(
        claim=_street_claim(request, street), actor=user, note=request.POST.get("note", "")
    ),  # fmt: skip
}


@require_http_methods(["GET", "POST"])
def staff_menu(request: HttpRequest) -> HttpResponse:
    page, response = staff_page(request, url_name="volunteers:staff_menu", actions=STAFF_MENU_ACTIONS)
    if page is None:
        return response  # type: ignore[return-value]
    street = page.street
    items: list[Any] = []
    for item in selectors.service_menu(street=street):
        claims = list(
            selectors.claims_of_item(item)
            .prefetch_related("photos")
            .annotate(rated=Count("ratings"), stars=Avg("ratings__stars"))  # fmt: skip
        )
        items.append((item, claims))
    return render(request, "volunteers/staff_menu.html", page.context(
        stations=list(selectors.stations_of(street)), items=items,
        teams=Team.objects.filter(street=street, verified_at__isnull=True), delivered=ClaimStatus.DELIVERED,
    ))  # fmt: skip
