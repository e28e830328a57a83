"""Reporter pages: the phone page to report a hazard ("拍一拍"), "my reports", the sentinel leaderboard, and the
guarded photo view every cases page uses.

The report page works without JavaScript (a multipart form posted here, handled by services.reports.report_create):
the place is then chosen from the street's compounds and service points, or typed as an address and located
against them (services.locations), never typed as coordinates. With JavaScript (static/cases/report.js) it takes the location from the browser or a tap on the map, previews the
photos and posts to `POST /api/v1/reports` with a client-made `Idempotency-Key`, so a retry on a bad connection
never reports twice; both paths end on the same result page (`?done=<report id>`).

Photos are never served from the public MEDIA_URL: `/cases/photos/<id>/` streams the file to people who may see
the case (its reporters and the street's case staff) and answers 404 to everyone else.
"""

from __future__ import annotations

import mimetypes
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from linli.cases import selectors
from linli.cases.models import CasePhoto, CaseStatus, PhotoKind, Report, SentinelPoints
from linli.cases.services import reports as report_services
from linli.cases.services.locations import report_location, spot_choices
from linli.core import selectors as core_selectors
from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.i18n import choice_label, local_name
from linli.core.pages import login_redirect, problem_message
from linli.places import gazetteer
from linli.places import selectors as place_selectors

ICONS = frozenset(
    {"fire_passage", "ebike_indoor_charging", "corridor_clutter", "abandoned_vehicle", "damaged_facility", "other"}
)


def category_icon(code: str) -> str:
    return f"cases/icons/{code if code in ICONS else 'other'}.svg"


def photo_url(photo: CasePhoto) -> str:
    return reverse("cases:photo", args=[photo.pk])


def _street_or_404(code: str) -> Any:
    try:
        return core_selectors.street_get(code=code)
    except Problem as exc:
        raise Http404(code) from exc


def map_config(street: Any) -> dict[str, Any]:
    return {
        "tileUrl": settings.LINLI_MAP_TILE_URL,
        "attribution": settings.LINLI_MAP_TILE_ATTRIBUTION,
        "center": [street.center_lat or 31.2304, street.center_lng or 121.4737],
    }


def report_map_config(street: Any) -> dict[str, Any]:
    """The report map: without tiles, the street's own outlines (compounds, grids, roads) to find the spot by, and
    the names the chosen spot is told by (`linli.places.gazetteer`)."""
    outlines = gazetteer.outlines(street)
    return {
        **map_config(street),
        "outlines": outlines,
        "places": [[p.name, p.lat, p.lng] for p in place_selectors.place_list(street=street.code)],
        "i18n": {"near": _("离 %(name)s 约 %(m)s 米"), "you": _("您在这里")},
    }


# ---------------------------------------------------------------------------------------------- report


def _report_result(user: Any, report_id: str | None) -> dict[str, Any] | None:
    if not report_id or not report_id.isdigit():
        return None
    report = Report.objects.filter(pk=int(report_id), reporter=user).select_related("case", "category").first()
    if report is None:
        return None
    case = report.case
    return {
        "report_id": report.pk,
        "case_id": case.pk,
        "category": local_name(report.category),
        "status": case.status,
        "status_label": choice_label(CaseStatus, case.status),
        "others": max(case.reports_count - 1, 0),
        "grid": case.grid.name if case.grid_id and case.grid else "",
    }


@require_http_methods(["GET", "POST"])
def report_page(request: HttpRequest, code: str) -> HttpResponse:
    """GET: the form (or, with ?done=<report id>, the result of one's own report). POST: the no-JS form."""
    street = _street_or_404(code)
    if not request.user.is_authenticated:
        return login_redirect(request)
    categories = [
        {
            "code": c.code,
            "name": c.name_zh,
            "name_en": c.name_en,
            "description": c.description,
            "icon": category_icon(c.code),
        }
        for c in selectors.category_list_for_street(street=street)
    ]
    ctx: dict[str, Any] = {
        "street": street,
        "categories": categories,
        "problem": None,
        "values": {},
        "result": None,
        "map_config": report_map_config(street),
        "api_url": "/api/v1/reports",
        "my_reports_url": reverse("cases:my_reports"),
        "max_photos": report_services.MAX_REPORT_PHOTOS,
        "spot_groups": spot_choices(street=street),
    }
    if request.method == "POST":
        names = ("category", "spot", "lat", "lng", "description", "address")
        values = {k: (request.POST.get(k) or "").strip() for k in names}
        ctx["values"] = values
        try:
            if not values["category"]:
                raise Problem(
                    "validation_error",
                    detail=_("请选择问题类别"),
                )
            lat, lng, address = report_location(
                street=street, lat=values["lat"], lng=values["lng"], spot=values["spot"], address=values["address"]
            )
            report = report_services.report_create(
                street=street,
                category=values["category"],
                lat=lat,
                lng=lng,
                description=values["description"],
                address=address,
                photos=request.FILES.getlist("photos"),
                reporter=request.user,
            )
        except Problem as problem:
            ctx["problem"] = problem_message(problem)
            return render(request, "cases/report.html", ctx, status=problem.http_status)
        return HttpResponseRedirect(f"{reverse('cases:report', args=[street.code])}?done={report.pk}")
    ctx["result"] = _report_result(request.user, request.GET.get("done"))
    return render(request, "cases/report.html", ctx)


# ------------------------------------------------------------------------------------------ my reports


@login_required
@require_GET
def my_reports(request: HttpRequest) -> HttpResponse:
    """Each of my reports with its case's status, the closing note and the after photos once closed; my points."""
    items = selectors.report_list_for_user(user=request_user(request))
    case_ids = {i["case"]["id"] for i in items}
    report_ids = [i["report_id"] for i in items]
    after: dict[int, list[str]] = {}
    for photo in CasePhoto.objects.filter(case_id__in=case_ids, kind=PhotoKind.AFTER).order_by("created_at", "id"):
        after.setdefault(photo.case_id, []).append(photo_url(photo))
    mine: dict[int, list[str]] = {}
    for photo in CasePhoto.objects.filter(report_id__in=report_ids, kind=PhotoKind.REPORT).order_by("created_at", "id"):
        assert photo.report_id is not None
        mine.setdefault(photo.report_id, []).append(photo_url(photo))
    earned = dict(SentinelPoints.objects.filter(report_id__in=report_ids).values_list("report_id", "points"))
    for item in items:
        case = item["case"]
        item["photos"] = mine.get(item["report_id"], [])
        item["after_photos"] = after.get(case["id"], []) if case["status"] == "closed" else []
        item["points"] = earned.get(item["report_id"])
        item["others"] = max(case["reports_count"] - 1, 0)
        item["created_local"] = datetime.fromisoformat(item["created_at"]).strftime("%m-%d %H:%M")
    total = SentinelPoints.objects.filter(user=request.user).aggregate(total=Sum("points"))["total"] or 0  # type: ignore[misc]
    home = request.user.home_street  # type: ignore[union-attr]
    street = home
    if street is None and items:
        street = core_selectors.street_list().filter(code=items[0]["street"]).first()
    ctx = {"items": items, "points_total": total, "street": street}
    return render(request, "cases/my_reports.html", ctx)


# ---------------------------------------------------------------------------------------- leaderboard


@require_GET
def sentinels(request: HttpRequest, code: str) -> HttpResponse:
    street = _street_or_404(code)
    period = request.GET.get("period") if request.GET.get("period") in ("30", "all") else "30"
    rows = selectors.leaderboard(street=street, days=30 if period == "30" else None, limit=50)
    mine = None
    if request.user.is_authenticated:
        mine = (
            SentinelPoints.objects.filter(user=request.user, street=street).aggregate(total=Sum("points"))["total"] or 0
        )
    ctx = {"street": street, "rows": rows, "period": period, "mine": mine}
    return render(request, "cases/sentinels.html", ctx)


# --------------------------------------------------------------------------------------------- photos


@require_GET
def photo(request: HttpRequest, photo_id: int) -> HttpResponseBase:
    """Stream a case photo to its case's reporters and staff; 404 to everyone else (and to signed-out users)."""
    if not request.user.is_authenticated:
        raise Http404(str(photo_id))
    row = CasePhoto.objects.filter(pk=photo_id).first()
    if row is None:
        raise Http404(str(photo_id))
    try:
        selectors.case_get_for_user(case_id=row.case_id, user=request.user)
    except Problem as exc:
        raise Http404(str(photo_id)) from exc
    try:
        handle = row.image.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(str(photo_id)) from exc
    content_type = mimetypes.guess_type(row.image.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("s/<slug:code>/report/", report_page, name="report"),
    path("s/<slug:code>/sentinels/", sentinels, name="sentinels"),
    path("me/reports/", my_reports, name="my_reports"),
    path("cases/photos/<int:photo_id>/", photo, name="photo"),
]
