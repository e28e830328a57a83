"""Station staff's pages: the shift planner (publish, recurring by RRULE), who is coming today (check in by hand,
no-shows), hours to verify, the station's rotating check-in QR screen, and the street's statistics (charts, CSV)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from linli.core import selectors as core_selectors
from linli.core.auth import request_user
from linli.core.charts import bar_chart
from linli.core.errors import Problem
from linli.core.models import Street, User
from linli.core.services import audit_log
from linli.core.spreadsheets import csv_bytes
from linli.volunteers import selectors
from linli.volunteers.models import SKILLS, ShiftKind, Signup, Station, Team, Volunteer
from linli.volunteers.services import profiles, shifts
from linli.volunteers.services.profiles import STAFF_ROLES
from linli.volunteers.services.stationcode import station_code_qr
from linli.volunteers.views.common import forbidden, post_int, staff_page

SH = ZoneInfo("Asia/Shanghai")


def _signup(request: HttpRequest, street: Street) -> Signup:
    signup = Signup.objects.select_related("shift__station__street", "volunteer").filter(
        pk=post_int(request, "signup"), shift__station__street=street
    ).first()  # fmt: skip
    if signup is None:
        raise Problem("not_found")
    return signup


def _publish(request: HttpRequest, street: Street, user: User) -> None:
    station = selectors.stations_of(street).filter(pk=post_int(request, "station")).first()
    if station is None:
        raise Problem("not_found")
    day = dt.date.fromisoformat(request.POST.get("day", ""))
    start = dt.datetime.combine(day, dt.time.fromisoformat(request.POST.get("start", "")), tzinfo=SH)
    end = dt.datetime.combine(day, dt.time.fromisoformat(request.POST.get("end", "")), tzinfo=SH)
    weeks = post_int(request, "weeks", 1)
    shifts.shift_publish(
        station=station, actor=user, title=request.POST.get("title", ""), kind=request.POST.get("kind", ""),
        start=start, end=end, places=post_int(request, "places"), skills=request.POST.getlist("skills"),
        rrule=f"FREQ=WEEKLY;COUNT={min(max(weeks, 1), 26)}" if weeks > 1 else "",
    )  # fmt: skip


def _verify(request: HttpRequest, street: Street, user: User) -> None:
    minutes = request.POST.get("minutes")
    shifts.signup_verify(signup=_signup(request, street), actor=user, minutes=int(minutes) if minutes else None)


PLANNER_ACTIONS = {
    "publish": _publish,
    "checkin": lambda request, street, user: shifts.signup_check_in(signup=_signup(request, street), actor=user),
    "noshow": lambda request, street, user: shifts.signup_no_show(signup=_signup(request, street), actor=user),
    "verify": _verify,
}


@require_http_methods(["GET", "POST"])
def planner(request: HttpRequest) -> HttpResponse:
    page, response = staff_page(request, url_name="volunteers:planner", actions=PLANNER_ACTIONS)
    if page is None:
        return response  # type: ignore[return-value]
    street = page.street
    stations = list(selectors.stations_of(street))
    now = timezone.now()
    upcoming = selectors.shifts_between(street=street, start=now, end=now + dt.timedelta(days=14))[:100]
    today = [(st, list(selectors.today_at_station(st))) for st in stations]
    return render(request, "volunteers/planner.html", page.context(
        stations=stations, upcoming=upcoming, today=today, to_verify=selectors.to_verify(street)[:50],
        kinds=ShiftKind.choices, skills=SKILLS, default_day=(timezone.localdate() + dt.timedelta(days=1)).isoformat(),
    ))  # fmt: skip


def _volunteer_in(request: HttpRequest, street: Street) -> Volunteer:
    volunteer = Volunteer.objects.filter(pk=post_int(request, "volunteer"), street=street).first()
    if volunteer is None:
        raise Problem("not_found")
    return volunteer


PEOPLE_ACTIONS = {
    "verify": lambda request, street, user: profiles.volunteer_verify(
        volunteer=_volunteer_in(request, street), actor=user
    ),  # fmt: skip
}


@require_http_methods(["GET", "POST"])
def people(request: HttpRequest) -> HttpResponse:
    """The street's volunteers for its station staff: real-name check, skills, teams, stations; phones and
    emergency contacts masked; every look is audit-logged (who looked, which filter, how many rows)."""
    page, response = staff_page(request, url_name="volunteers:people", actions=PEOPLE_ACTIONS)
    if page is None:
        return response  # type: ignore[return-value]
    street = page.street
    skill = request.GET.get("skill", "")
    team = request.GET.get("team", "")
    unverified = request.GET.get("unverified") == "1"
    rows = selectors.volunteers_list_for_staff(page.user, street, skill=skill, team=team, unverified=unverified)
    audit_log(actor=page.user, street=street, action="volunteer.list_view",
              data={"skill": skill, "team": team, "unverified": unverified, "rows": len(rows)})  # fmt: skip
    return render(request, "volunteers/people.html", page.context(
        rows=rows, skills=SKILLS, teams=Team.objects.filter(street=street).order_by("name"), skill=skill, team=team,
        unverified=unverified,
    ))  # fmt: skip


def _station_for_staff(request: HttpRequest, station_id: int) -> Station | None:
    station = Station.objects.select_related("street").filter(pk=station_id).first()
    if station is None or not request.user.is_authenticated:
        return None
    if station.street_id not in selectors.staff_street_ids(request_user(request)):
        return None
    return station


@require_GET
def screen(request: HttpRequest, station_id: int) -> HttpResponse:
    """The station's screen (a tablet at the door): the rotating check-in QR code, refreshed by screen.js."""
    station = _station_for_staff(request, station_id)
    if station is None:
        return forbidden(request)
    return render(request, "volunteers/screen.html", {"station": station, "code": station_code_qr(station)})


@require_GET
def screen_code(request: HttpRequest, station_id: int) -> HttpResponse:
    station = _station_for_staff(request, station_id)
    if station is None:
        return JsonResponse({"code": "permission_denied"}, status=403)
    return JsonResponse(station_code_qr(station))


def _stats_streets(user: Any) -> Any:
    return core_selectors.street_list_for_roles(user, roles=STAFF_ROLES)


@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    page, response = staff_page(request, url_name="volunteers:stats", streets=_stats_streets)
    if page is None:
        return response  # type: ignore[return-value]
    data = selectors.street_stats(page.street)
    chart = bar_chart(
        title=_("每月志愿服务时长"), labels=[m["month"] for m in data["per_month"]],
        series=[(_("小时"), [m["hours"] for m in data["per_month"]])], unit=_("小时"),
    )  # fmt: skip
    # Services by month, not by team: a team's name cut to fit under a bar is neither its name nor readable;
    # the teams are ranked, with their whole names, in the table below the charts.
    services = bar_chart(
        title=_("每月完成的服务"), labels=[m["month"] for m in data["services_per_month"]],
        series=[(_("完成的服务"), [m["services"] for m in data["services_per_month"]]),
                (_("服务居民人次"), [m["served"] for m in data["services_per_month"]])],
    )  # fmt: skip
    return render(request, "volunteers/stats.html", page.context(data=data, chart=chart, services_chart=services))


@require_GET
def stats_csv(request: HttpRequest) -> HttpResponse:
    """Hours per volunteer (names masked, no phones), for the street's report."""
    page, response = staff_page(request, url_name="volunteers:stats", streets=_stats_streets)
    if page is None:
        return response  # type: ignore[return-value]
    street, user = page.street, page.user
    rows = []
    for v in selectors.volunteers_for_staff(user, street).select_related("account"):
        account = getattr(v, "account", None)
        rows.append([v.name[:1] + "*" * max(1, len(v.name) - 1), v.team.name if v.team else "",
                     "、".join(v.skills), round((account.balance if account else 0) / 60, 1),
                     "yes" if v.real_name_verified_at else "no"])  # fmt: skip
    audit_log(actor=user, street=street, action="volunteer.export_csv", data={"rows": len(rows)})
    body = csv_bytes(header=["name", "team", "skills", "balance_hours", "real_name_verified"], rows=rows)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="volunteers-{street.code}.csv"'
    return response
