"""Residents' pages: the street's surveys, answering one on the phone (elder mode: one question per screen, big
buttons, voice input where the browser has it; conditions shown as answered), a link-only survey, the standing
"tell us what you need" form, public results after close, the public "what we did" page, and an invited party's
page (no account: the signed link)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods

from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.models import Committee, Compound, Street
from linli.core.pages import login_redirect, problem_message
from linli.core.selectors import street_get
from linli.voice import selectors
from linli.voice.models import Audience, ConsultationStatus, Survey
from linli.voice.selectors_results import public_results_allowed, results
from linli.voice.services import invitations, needs, surveys
from linli.voice.views.forms import answers_from_form, errors_by_question


def _street(request: HttpRequest) -> Street:
    code = request.GET.get("street", "")
    if code:
        return street_get(code=code)
    user = request.user
    home = getattr(user, "home_street", None) if user.is_authenticated else None
    street = home or Street.objects.order_by("-is_sample", "code").first()
    if street is None:
        raise Problem("unknown_street")
    return street


def _problem_page(request: HttpRequest, exc: Problem) -> HttpResponse:
    return render(request, "voice/message.html", {"problem": problem_message(exc)}, status=exc.http_status)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    try:
        street = _street(request)
    except Problem as exc:
        return _problem_page(request, exc)
    listed = list(selectors.survey_list(street=street).filter(is_needs_form=False)[:30])
    return render(request, "voice/home.html", {
        "street": street, "open": [s for s in listed if s.status == "open"],
        "closed": [s for s in listed if s.status == "closed" and s.results_public],
        "committees": Committee.objects.filter(street=street).order_by("external_id"),
        "done": request.GET.get("done", ""),
    })  # fmt: skip


def _survey_context(survey: Survey, **more: Any) -> dict[str, Any]:
    questions = list(survey.questions.select_related("section"))
    return {"survey": survey, "questions": questions, "stars": range(1, 6),
            "compounds": Compound.objects.filter(street_id=survey.street_id).order_by("external_id"),
            "needs_compound": survey.audience in (Audience.COMMITTEES, Audience.COMPOUNDS) or survey.one_answer == "household",
            **more}  # fmt: skip


def _answer(request: HttpRequest, survey: Survey, *, token: str = "") -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    if survey.audience != Audience.LINK and user is None:
        return login_redirect(request)
    context = _survey_context(survey, token=token, answered=surveys.already_answered(survey=survey, user=user))  # type: ignore[arg-type]
    if request.method == "POST":
        questions = context["questions"]
        compound = Compound.objects.filter(
            pk=_int(request.POST.get("compound", "")), street_id=survey.street_id
        ).first()
        try:
            surveys.response_submit(survey=survey, answers=answers_from_form(request, questions), user=user,  # type: ignore[arg-type]
                                    compound=compound, flat=request.POST.get("flat", "")[:40],
                                    token=request.POST.get("token", "")[:64], drop_hidden=True)  # fmt: skip
        except Problem as exc:
            context.update(problem=problem_message(exc), errors=errors_by_question(exc.errors), posted=request.POST)
            return render(request, "voice/answer.html", context, status=exc.http_status)
        return HttpResponseRedirect(reverse("voice:thanks", args=[survey.pk]))
    if survey.status != "open":
        context["problem"] = problem_message(Problem("survey_closed"))
    return render(request, "voice/answer.html", context)


def _int(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 12 else 0


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, survey_id: int) -> HttpResponse:
    try:
        survey = selectors.survey_get(survey_id=survey_id)
    except Problem as exc:
        return _problem_page(request, exc)
    if survey.audience == Audience.LINK:
        return _problem_page(request, Problem("not_in_audience"))
    return _answer(request, survey)


@require_http_methods(["GET", "POST"])
def answer_by_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey = selectors.survey_by_token(token=token)
    except Problem as exc:
        return _problem_page(request, exc)
    return _answer(request, survey, token=str(survey.link_token))


@require_GET
def thanks(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = Survey.objects.filter(pk=survey_id).first()
    return render(request, "voice/thanks.html", {"survey": survey})


@require_http_methods(["GET", "POST"])
def need_new(request: HttpRequest) -> HttpResponse:
    """The standing "tell us what you need" form."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    try:
        street = _street(request) if request.method == "GET" else street_get(code=request.POST.get("street", ""))
    except Problem as exc:
        return _problem_page(request, exc)
    committees = Committee.objects.filter(street=street).order_by("external_id")
    context: dict[str, Any] = {"street": street, "committees": committees}
    if request.method == "POST":
        committee = committees.filter(pk=_int(request.POST.get("committee", ""))).first()
        try:
            needs.need_create(street=street, committee=committee, text=request.POST.get("text", "")[:500],
                              raised_by=request_user(request))  # fmt: skip
        except Problem as exc:
            context["problem"] = problem_message(exc)
            return render(request, "voice/need_new.html", context, status=exc.http_status)
        return HttpResponseRedirect(f"{reverse('voice:home')}?street={street.code}&done=need")
    return render(request, "voice/need_new.html", context)


@require_GET
def public_results(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = Survey.objects.select_related("street").filter(pk=survey_id).first()
    if survey is None or not public_results_allowed(survey):
        return _problem_page(request, Problem("results_not_public"))
    return render(request, "voice/public_results.html", {"survey": survey, "results": results(survey, public=True)})


@require_GET
def what_we_did(request: HttpRequest, street_code: str) -> HttpResponse:
    try:
        street = street_get(code=street_code)
        committee = selectors.committee_get(street=street, committee_id=_int(request.GET.get("committee", "")))
    except Problem as exc:
        return _problem_page(request, exc)
    data = selectors.accountability(street=street, committee=committee)
    cons = {c.pk: c for c in selectors.consultation_list(street=street, committee=committee).prefetch_related("events")}
    for row in data["consultations"]:
        c = cons.get(row["id"])
        row["timeline"] = list(c.events.all()) if c else []
        row["status_label"] = ConsultationStatus(row["status"]).label
    return render(request, "voice/what_we_did.html", {
        "street": street, "committee": committee, "data": data,
        "committees": Committee.objects.filter(street=street).order_by("external_id"),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """An invited department or company: no account, the signed link is the key (this party, once, unexpired)."""
    try:
        inv = invitations.invitation_open(token)
    except Problem as exc:
        return _problem_page(request, exc)
    context: dict[str, Any] = {"inv": inv, "c": inv.consultation}
    if request.method == "POST":
        try:
            inv = invitations.invitation_answer(token=token, accept=request.POST.get("answer") == "accept",
                                                attendee_names=request.POST.get("attendee_names", "")[:200])  # fmt: skip
        except Problem as exc:
            context["problem"] = problem_message(exc)
            return render(request, "voice/invitation.html", context, status=exc.http_status)
        return render(request, "voice/invitation_done.html", {"inv": inv, "c": inv.consultation})
    return render(request, "voice/invitation.html", context)


urlpatterns = [
    path("voice/", home, name="home"),
    path("voice/s/<int:survey_id>/", answer, name="answer"),
    path("voice/l/<str:token>/", answer_by_link, name="answer_by_link"),
    path("voice/s/<int:survey_id>/thanks/", thanks, name="thanks"),
    path("voice/needs/new/", need_new, name="need_new"),
    path("voice/results/<int:survey_id>/", public_results, name="public_results"),
    path("voice/what-we-did/<slug:street_code>/", what_we_did, name="what_we_did"),
    path("voice/invite/<str:token>/", invitation, name="invitation"),
]
