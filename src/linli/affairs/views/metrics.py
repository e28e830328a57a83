"""The centre head's pages: metrics per centre and street (charts and CSV), staff skills per item, and the remote
windows' recording setting."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from linli.affairs.models import Item, StaffSkill
from linli.affairs.selectors_metrics import CSV_COLUMNS, metrics_report
from linli.affairs.services import queue as queue_services
from linli.affairs.services import remote as remote_services
from linli.core import selectors as core_selectors
from linli.core.auth import request_user
from linli.core.charts import bar_chart, line_chart
from linli.core.db import replica_reads
from linli.core.downloads import CSV_TYPE, attachment_response
from linli.core.errors import Problem
from linli.core.models import RoleAssignment, User
from linli.core.pages import problem_message, staff_street_choice
from linli.core.spreadsheets import csv_bytes
from linli.places.models import Place, PlaceKind

MAX_DAYS = 366


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "403.html", status=403)


def head_streets(user: User) -> Any:
    return core_selectors.street_list_for_roles(user, roles=queue_services.HEAD_ROLES)


def _range(request: HttpRequest) -> tuple[date, date]:
    """`from`/`to` (ISO dates) or the last `days` (default 14) up to today; at most a year."""
    today = timezone.localdate()
    try:
        end = date.fromisoformat(request.GET.get("to", "")) if request.GET.get("to") else today
        start = date.fromisoformat(request.GET.get("from", "")) if request.GET.get("from") else None
    except ValueError:
        end, start = today, None
    if start is None:
        days = request.GET.get("days", "14")
        n = int(days) if days.isdigit() else 14
        start = end - timedelta(days=max(1, min(n, MAX_DAYS)) - 1)
    if start > end:
        start, end = end, start
    start = max(start, end - timedelta(days=MAX_DAYS - 1))
    return start, end


def _scope(request: HttpRequest) -> tuple[Any, list[Any], Any, list[Place], HttpResponse | None]:
    street, streets, denied = staff_street_choice(request, head_streets, _forbidden)
    if denied is not None:
        return None, [], None, [], denied
    centres = list(Place.objects.filter(street=street, kind=PlaceKind.AFFAIRS_CENTER).order_by("name"))
    wanted = request.GET.get("place", "")
    place = next((c for c in centres if str(c.pk) == wanted), None)
    return street, streets, place, centres, None


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


@replica_reads()  # an export/report: may read a replica (linli.core.db)
def metrics_page(request: HttpRequest) -> HttpResponse:
    street, streets, place, centres, denied = _scope(request)
    if denied is not None:
        return denied
    start, end = _range(request)
    report = metrics_report(street=street, start=start, end=end, place=place)
    labels = [d.strftime("%m-%d") for d in report.days]

    def series(key: str) -> list[Any]:
        return [row[key] for row in report.daily]

    charts = [
        bar_chart(
            title=_("每日预约与现场取号"),
            labels=labels,
            series=[(_("预约"), series("appointments")), (_("现场取号"), series("walk_ins"))],
        ),
        line_chart(
            title=_("等候时间（签到→叫号）"),
            labels=labels,
            series=[("p50", series("wait_p50")), ("p90", series("wait_p90"))],
            unit=_("分钟"),
        ),
        line_chart(
            title=_("办理时长（叫号→办结）"),
            labels=labels,
            series=[(_("中位数"), series("service_p50")), (_("平均"), series("service_mean"))],
            unit=_("分钟"),
        ),
        line_chart(
            title=_("一次办成率"),
            labels=labels,
            series=[(_("一次办成率"), series("first_time_rate"))],
            unit="%",
            y_max=100,
        ),
        bar_chart(
            title=_("预审少跑的趟数、未到与远程帮办"),
            labels=labels,
            series=[
                (_("预审少跑"), series("trips_saved")),
                (_("未到"), series("no_shows")),
                (_("远程帮办"), series("remote_sessions")),
            ],
        ),
    ]
    total = report.total
    figures = [
        ("appointments", _("预约"), total["appointments"]),
        ("walk_ins", _("现场取号"), total["walk_ins"]),
        ("wait_p50", _("等候 p50（分）"), _num(total["wait_p50"])),
        ("wait_p90", _("等候 p90（分）"), _num(total["wait_p90"])),
        ("service_p50", _("办理 p50（分）"), _num(total["service_p50"])),
        ("first_time_rate", _("一次办成率 %"), _num(total["first_time_rate"])),
        ("trips_saved", _("预审少跑（趟）"), total["trips_saved"]),
        ("no_shows", _("未到"), total["no_shows"]),
        ("remote_sessions", _("远程帮办（次）"), total["remote_sessions"]),
        ("remote_minutes", _("远程帮办（分钟）"), total["remote_minutes"]),
    ]
    query = f"street={street.code}&from={start.isoformat()}&to={end.isoformat()}" + (
        f"&place={place.pk}" if place else ""
    )
    return render(
        request,
        "affairs/metrics.html",
        {
            "street": street,
            "streets": streets,
            "place": place,
            "centres": centres,
            "start": start,
            "end": end,
            "report": report,
            "charts": charts,
            "figures": figures,
            "csv_url": f"{reverse('affairs:metrics_csv')}?{query}",
        },
    )


@replica_reads()  # an export/report: may read a replica (linli.core.db)
def metrics_csv(request: HttpRequest) -> HttpResponse:
    street, _streets, place, _centres, denied = _scope(request)
    if denied is not None:
        return denied
    start, end = _range(request)
    report = metrics_report(street=street, start=start, end=end, place=place)
    header = ["day", "street", "centre", *[name for _key, name in CSV_COLUMNS]]
    rows = [
        [row["day"].isoformat(), street.code, place.name if place else "", *[row[key] for key, _n in CSV_COLUMNS]]
        for row in report.daily
    ]
    rows.append(["total", street.code, place.name if place else "", *[report.total[k] for k, _n in CSV_COLUMNS]])
    name = f"affairs-metrics-{street.code}-{start.isoformat()}-{end.isoformat()}.csv"
    return attachment_response(csv_bytes(header=header, rows=rows), content_type=CSV_TYPE, ascii_name=name, name=name)


def _retention_days(value: str) -> int | None:
    """The form's retention field: None (unchanged) when empty, 0 (refused by the service) when not a number."""
    value = value.strip()
    if not value:
        return None
    return int(value) if value.isdigit() and len(value) < 6 else 0


@require_http_methods(["GET", "POST"])
def skills_page(request: HttpRequest) -> HttpResponse:
    """Which items each clerk can handle (what the queue offers their window), and the recording setting."""
    street, streets, denied = staff_street_choice(request, head_streets, _forbidden)
    if denied is not None:
        return denied
    actor = request_user(request)
    clerk_ids = (
        RoleAssignment.objects.filter(street=street, role__in=queue_services.CLERK_ROLES)
        .values_list("user_id", flat=True)
        .distinct()
    )
    clerks = list(User.objects.filter(pk__in=clerk_ids).order_by("pk"))
    wanted = request.POST.get("user") or request.GET.get("user", "")
    clerk = next((c for c in clerks if str(c.pk) == wanted), clerks[0] if clerks else None)
    problem = None
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "recording":
                remote_services.remote_policy_set(
                    street=street,
                    recording_enabled=request.POST.get("recording_enabled") == "1",
                    notice=request.POST.get("recording_notice", ""),
                    actor=actor,
                    retention_days=_retention_days(request.POST.get("recording_retention_days", "")),
                )
            elif clerk is not None:
                ids = [int(v) for v in request.POST.getlist("items") if v.isdigit()]
                queue_services.skills_set(street=street, user=clerk, item_ids=ids, actor=actor)
            else:
                raise Problem("validation_error")
        except Problem as exc:
            problem = problem_message(exc)
            status = exc.http_status
        else:
            url = f"{reverse('affairs:skills')}?street={street.code}"
            return HttpResponseRedirect(url + (f"&user={clerk.pk}" if clerk else "") + "&saved=1")
    counts: dict[int, int] = {}
    for user_id in StaffSkill.objects.filter(street=street).values_list("user_id", flat=True):
        counts[user_id] = counts.get(user_id, 0) + 1
    have = (
        set(StaffSkill.objects.filter(street=street, user=clerk).values_list("item_id", flat=True)) if clerk else set()
    )
    return render(
        request,
        "affairs/skills.html",
        {
            "street": street,
            "streets": streets,
            "clerks": [(c, counts.get(c.pk, 0)) for c in clerks],
            "clerk": clerk,
            "items": Item.objects.filter(street=street, is_active=True).order_by("code"),
            "have": have,
            "policy": remote_services.remote_policy_for(street),
            "problem": problem,
            "saved": request.GET.get("saved") == "1",
        },
        status=status,
    )
