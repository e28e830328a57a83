"""Station staff's pages: the shift planner (publish, recurring by RRULE), who is coming today (check in by hand,
no-shows), hours to verify, the station's rotating check-in QR screen, and the street's statistics (charts, CSV)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from linli.core.auth import request_user
from linli.core.charts import bar_chart
from linli.core.errors import Problem
from linli.core.models import Street
from linli.core.pages import problem_message, staff_street_choice
from linli.core.services import audit_log
from linli.core.spreadsheets import csv_bytes
from linli.volunteers import selectors
from linli.volunteers.models import SKILLS, ShiftKind, Signup, Station
from linli.volunteers.services import shifts
from linli.volunteers.services.profiles import STAFF_ROLES
from linli.volunteers.services.stationcode import station_code_qr

SH = ZoneInfo("Asia/Shanghai")


def _streets(user: Any) -> Any:
    return Street.objects.filter(pk__in=selectors.staff_street_ids(user)).order_by("name")


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "volunteers/forbidden.html", {}, status=403)


def _signup(request: HttpRequest, street: Street) -> Signup:
    signup = Signup.objects.select_related("shift__station__street", "volunteer").filter(
        pk=int(request.POST.get("signup") or 0), shift__station__street=street
    ).first()  # fmt: skip
    if signup is None:
        raise Problem("not_found")
    return signup


@require_http_methods(["GET", "POST"])
def planner(request: HttpRequest) -> HttpResponse:
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
                day = dt.date.fromisoformat(request.POST.get("day", ""))
                start = dt.datetime.combine(day, dt.time.fromisoformat(request.POST.get("start", "")), tzinfo=SH)
                end = dt.datetime.combine(day, dt.time.fromisoformat(request.POST.get("end", "")), tzinfo=SH)
                weeks = int(request.POST.get("weeks") or 1)
                shifts.shift_publish(
                    station=station, actor=user, title=request.POST.get("title", ""), kind=request.POST.get("kind", ""),
                    start=start, end=end, places=int(request.POST.get("places") or 0),
                    skills=request.POST.getlist("skills"),
                    rrule=f"FREQ=WEEKLY;COUNT={min(max(weeks, 1), 26)}" if weeks > 1 else "",
                )  # fmt: skip
            elif action == "checkin":
                shifts.signup_check_in(signup=_signup(request, street), actor=user)
            elif action == "noshow":
                shifts.signup_no_show(signup=_signup(request, street), actor=user)
            elif action == "verify":
                minutes = request.POST.get("minutes")
                shifts.signup_verify(signup=_signup(request, street), actor=user,
                                     minutes=int(minutes) if minutes else None)  # fmt: skip
            return HttpResponseRedirect(f"{reverse('volunteers:planner')}?street={street.code}&done={action}")
        except (Problem, ValueError) as exc:
            problem = problem_message(exc if isinstance(exc, Problem) else Problem("validation_error"))
    now = timezone.now()
    upcoming = selectors.shifts_between(street=street, start=now, end=now + dt.timedelta(days=14))[:100]
    today = [(st, list(selectors.today_at_station(st))) for st in stations]
    return render(request, "volunteers/planner.html", {
        "street": street, "streets": streets, "stations": stations, "upcoming": upcoming, "today": today,
        "to_verify": selectors.to_verify(street)[:50], "problem": problem, "done": request.GET.get("done", ""),
        "kinds": ShiftKind.choices, "skills": SKILLS, "default_day": (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
    })  # fmt: skip


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


def _stats_street(request: HttpRequest) -> tuple[Any, list[Street], HttpResponse | None]:
    def streets(user: Any) -> Any:
        from linli.core import selectors as core_selectors

        return core_selectors.street_list_for_roles(user, roles=STAFF_ROLES)

    return staff_street_choice(request, streets, forbidden)


@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _stats_street(request)
    if denied:
        return denied
    data = selectors.street_stats(street)
    chart = bar_chart(
        title=_("每月志愿服务时长"), labels=[m["month"] for m in data["per_month"]],
        series=[(_("小时"), [m["hours"] for m in data["per_month"]])], unit=_("小时"),
    )  # fmt: skip
    teams = bar_chart(
        title=_("团队完成的服务"), labels=[t["name"][:8] for t in data["top_teams"][:6]],
        series=[(_("次"), [t["services"] for t in data["top_teams"][:6]])], unit=_("次"),
    )  # fmt: skip
    return render(request, "volunteers/stats.html", {"street": street, "streets": streets, "data": data,
                                                     "chart": chart, "teams_chart": teams})  # fmt: skip


@require_GET
def stats_csv(request: HttpRequest) -> HttpResponse:
    """Hours per volunteer (names masked, no phones), for the street's report."""
    street, _streets_, denied = _stats_street(request)
    if denied:
        return denied
    user = request_user(request)
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
