"""Staff pages of voice: the street's surveys, a survey's results (counts, charts, words of text answers, filters
by committee and channel, response rate per committee; CSV and Excel of de-identified answers), the building-group
head's door-visit page (offline-tolerant: `door.js`), and the needs board (tag, merge, turn into an action)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods

from linli.core.auth import request_user
from linli.core.db import replica_reads
from linli.core.downloads import attachment_response
from linli.core.errors import Problem
from linli.core.models import Committee, Compound, Street
from linli.core.pages import problem_message, staff_street_choice
from linli.core.spreadsheets import csv_bytes, xlsx_bytes
from linli.voice import selectors
from linli.voice.models import Channel, Need, NeedStatus, Survey
from linli.voice.selectors_results import Filters, results
from linli.voice.services import consultations, needs
from linli.voice.services.exports import export_rows


def _forbidden(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return render(request, "voice/forbidden.html", {}, status=403)


def _street(request: HttpRequest, roles: Any = selectors.STAFF_ROLES) -> tuple[Any, list[Street], HttpResponse | None]:
    return staff_street_choice(request, lambda user: selectors.staff_streets(user, roles=roles), _forbidden)


def _survey_for(request: HttpRequest, survey_id: int, roles: Any = selectors.STAFF_ROLES) -> Survey | None:
    survey = Survey.objects.select_related("street").filter(pk=survey_id).first()
    if survey is None or not request.user.is_authenticated:
        return None
    return survey if selectors.is_staff(request_user(request), street=survey.street, roles=roles) else None


@require_GET
def staff_home(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request, selectors.DOOR_ROLES)
    if denied:
        return denied
    is_staff = selectors.is_staff(request_user(request), street=street)
    return render(request, "voice/staff_home.html", {
        "street": street, "streets": streets, "tab": "surveys", "is_staff": is_staff,
        "surveys": Survey.objects.filter(street=street).select_related("street").order_by("-opens_at")[:50],
    })  # fmt: skip


@require_GET
@replica_reads()  # an export/report: may read a replica (linli.core.db)
def survey_results(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey_for(request, survey_id)
    if survey is None:
        return _forbidden(request)
    committee = request.GET.get("committee", "")
    channel = request.GET.get("channel", "")
    filters = Filters(committee_id=int(committee) if committee.isdigit() and len(committee) < 12 else None,
                      channel=channel if channel in Channel.values else "")  # fmt: skip
    return render(request, "voice/staff_results.html", {
        "survey": survey, "street": survey.street, "results": results(survey, filters=filters), "staff": True,
        "committees": Committee.objects.filter(street=survey.street).order_by("external_id"),
        "channels": Channel.choices, "filters": filters, "tab": "surveys",
    })  # fmt: skip


@require_GET
@replica_reads()  # an export/report: may read a replica (linli.core.db)
def survey_export(request: HttpRequest, survey_id: int, fmt: str) -> HttpResponse:
    """The answers without names, phones or households (de-identified); text masked and formula-safe."""
    survey = _survey_for(request, survey_id)
    if survey is None:
        return _forbidden(request)
    header, rows = export_rows(survey)
    name = f"survey-{survey.pk}"
    if fmt == "xlsx":
        body = xlsx_bytes(sheet="回答", title=survey.title, header=header, rows=rows)
        return attachment_response(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                   ascii_name=f"{name}.xlsx", name=f"{survey.title}.xlsx")  # fmt: skip
    return attachment_response(csv_bytes(header=header, rows=rows), content_type="text/csv; charset=utf-8",
                               ascii_name=f"{name}.csv", name=f"{survey.title}.csv")  # fmt: skip


@require_GET
def door(request: HttpRequest, survey_id: int) -> HttpResponse:
    """The door-visit page on a tablet: answers kept on the device and sent when online (door.js)."""
    survey = _survey_for(request, survey_id, selectors.DOOR_ROLES)
    if survey is None:
        return _forbidden(request)
    return render(request, "voice/door.html", {
        "survey": survey, "questions": list(survey.questions.select_related("section")), "stars": range(1, 6),
        "compounds": Compound.objects.filter(street=survey.street).order_by("external_id"),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def needs_board(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request)
    if denied:
        return denied
    user = request_user(request)
    committee = selectors.committee_get(street=street, committee_id=_int(request.GET.get("committee", "")) or None)
    problem = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            need = Need.objects.filter(street=street, pk=_int(request.POST.get("need", ""))).first()
            if action == "import_assistant":
                needs.needs_from_assistant(street=street)
            elif need is None:
                raise Problem("not_found")
            elif action == "tag":
                needs.need_tag(need=need, tags=request.POST.get("tags", "").replace("，", ",").split(","))
            elif action == "merge":
                others = list(
                    Need.objects.filter(street=street, pk__in=[_int(x) for x in request.POST.getlist("others")])
                )
                needs.needs_merge(into=need, others=others)
            elif action == "consult":
                c = consultations.consultation_create(
                    committee=need.committee or Committee.objects.filter(street=street).order_by("external_id").first(),  # type: ignore[arg-type]
                    title=request.POST.get("title", "") or need.text[:60], problem=need.text, need=need, actor=user)  # fmt: skip
                return HttpResponseRedirect(reverse("voice:consultation", args=[c.pk]))
            elif action in ("activity", "case", "project"):
                needs.need_action(need=need, kind=action, ref=request.POST.get("ref", "")[:80])
            return HttpResponseRedirect(f"{reverse('voice:needs_board')}?street={street.code}")
        except Problem as exc:
            problem = problem_message(exc)
    board = list(selectors.needs_board(street=street, committee=committee)[:200])
    return render(request, "voice/needs_board.html", {
        "street": street, "streets": streets, "tab": "needs", "needs": board, "problem": problem,
        "committees": Committee.objects.filter(street=street).order_by("external_id"), "committee": committee,
        "counts": selectors.need_counts(street=street, committee=committee), "statuses": NeedStatus.choices,
    })  # fmt: skip


def _int(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 12 else 0


urlpatterns = [
    path("voice/staff/", staff_home, name="staff_home"),
    path("voice/staff/surveys/<int:survey_id>/", survey_results, name="survey_results"),
    path("voice/staff/surveys/<int:survey_id>/export.<str:fmt>", survey_export, name="survey_export"),
    path("voice/door/<int:survey_id>/", door, name="door"),
    path("voice/staff/needs/", needs_board, name="needs_board"),
]
