"""The staff survey editor: a survey's fields (title, introduction, audience, one answer per person or household,
open and close dates, published results) and its questions, one row each: section, type, text, options (one a
line), required, range, most choices, and a condition on an earlier question (its number, equals / does not
equal / includes, and the value: an option's number for a choice question). Blank rows are left out; saving shows
three more. Once somebody has answered, the questions stay as they are (the service refuses)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods

from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.models import Committee, Compound, Role
from linli.core.pages import problem_message
from linli.voice import selectors
from linli.voice.models import CHOICE_KINDS, Audience, ConditionOp, OneAnswer, QuestionKind, Response, Survey
from linli.voice.services import surveys
from linli.voice.views.staff import _forbidden, _int, _street, _survey_for

BLANK_ROWS = 3
MAX_ROWS = 100


def _when(value: str) -> dt.datetime | None:
    at = parse_datetime((value or "")[:40])
    if at is None:
        return None
    return timezone.make_aware(at) if timezone.is_naive(at) else at


def _float(value: str) -> float | None:
    try:
        return float(value) if value.strip() else None
    except ValueError:
        return None


def _condition_value(kinds: list[str], target: int, raw: str) -> Any:
    """The value as the answers carry it: a choice question's option number (1-based on the page) as its index."""
    raw = raw.strip()
    kind = kinds[target] if 0 <= target < len(kinds) else ""
    if kind in CHOICE_KINDS and raw.isdigit():
        return int(raw) - 1
    if kind in (QuestionKind.RATING, QuestionKind.NUMBER):
        number = _float(raw)
        return int(number) if number is not None and number.is_integer() else number
    return raw


def questions_from_form(post: Any) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []
    for i in range(min(_int(post.get("rows", "0")), MAX_ROWS)):
        text = post.get(f"q{i}-text", "").strip()
        if not text:
            continue
        kind = post.get(f"q{i}-kind", "")
        spec: dict[str, Any] = {
            "kind": kind, "text": text[:300], "section": post.get(f"q{i}-section", "").strip()[:120],
            "help_text": post.get(f"q{i}-help", "").strip()[:300], "required": post.get(f"q{i}-required") == "1",
            "options": [o.strip() for o in post.get(f"q{i}-options", "").splitlines() if o.strip()][:31],
            "min_value": _float(post.get(f"q{i}-min", "")), "max_value": _float(post.get(f"q{i}-max", "")),
            "max_choices": _int(post.get(f"q{i}-max_choices", "")) or None,
        }  # fmt: skip
        cond_q = _int(post.get(f"q{i}-cond_q", ""))
        if cond_q:
            kinds = [s["kind"] for s in specs]
            spec["condition"] = {"question": cond_q - 1, "op": post.get(f"q{i}-cond_op", ""),
                                 "value": _condition_value(kinds, cond_q - 1, post.get(f"q{i}-cond_value", ""))}  # fmt: skip
        specs.append(spec)
    return specs


def fields_from_form(post: Any) -> dict[str, Any]:
    return {
        "title": post.get("title", "").strip()[:120], "intro": post.get("intro", "").strip()[:2000],
        "audience": post.get("audience", Audience.STREET), "one_answer": post.get("one_answer", OneAnswer.PERSON),
        "committee_ids": [_int(x) for x in post.getlist("committee_ids") if _int(x)],
        "compound_ids": [_int(x) for x in post.getlist("compound_ids") if _int(x)],
        "role": post.get("role", "")[:32], "opens_at": _when(post.get("opens_at", "")),
        "closes_at": _when(post.get("closes_at", "")), "results_public": post.get("results_public") == "1",
        "result_summary": post.get("result_summary", "").strip()[:2000],
    }  # fmt: skip


def _rows(survey: Survey | None) -> list[dict[str, Any]]:
    """The question rows of the page: the survey's questions (conditions by number, option values 1-based)."""
    rows: list[dict[str, Any]] = []
    if survey is not None:
        questions = list(survey.questions.select_related("section"))
        number = {q.pk: n for n, q in enumerate(questions, start=1)}
        kinds = {q.pk: q.kind for q in questions}
        for q in questions:
            cond = q.condition or {}
            target = cond.get("question")
            value = cond.get("value", "")
            if target in kinds and kinds[target] in CHOICE_KINDS and isinstance(value, int):
                value = value + 1
            rows.append({"section": q.section.title if q.section else "", "kind": q.kind, "text": q.text,
                         "help": q.help_text, "options": "\n".join(q.options), "required": q.required,
                         "min": "" if q.min_value is None else f"{q.min_value:g}",
                         "max": "" if q.max_value is None else f"{q.max_value:g}", "max_choices": q.max_choices or "",
                         "cond_q": number.get(target, "") if isinstance(target, int) else "", "cond_op": cond.get("op", ""), "cond_value": value})  # fmt: skip
    return rows + [{"kind": "single"} for _ in range(BLANK_ROWS)]


def _context(street: Any, survey: Survey | None, **more: Any) -> dict[str, Any]:
    return {
        "street": street, "survey": survey, "tab": "surveys", "kinds": QuestionKind.choices,
        "ops": ConditionOp.choices, "audiences": Audience.choices, "one_answers": OneAnswer.choices,
        "roles": Role.choices, "committees": Committee.objects.filter(street=street).order_by("external_id"),
        "compounds": Compound.objects.filter(street=street).order_by("external_id"),
        "answered": survey is not None and Response.objects.filter(survey=survey).exists(), **more,
    }  # fmt: skip


def _posted_rows(post: Any) -> list[dict[str, Any]]:
    """The rows as posted (a refused form is shown again as it was written)."""
    rows = []
    for i in range(min(_int(post.get("rows", "0")), MAX_ROWS)):
        rows.append({k: post.get(f"q{i}-{k}", "") for k in ("section", "kind", "text", "help", "options", "min", "max",
                                                            "max_choices", "cond_q", "cond_op", "cond_value")}
                    | {"required": post.get(f"q{i}-required") == "1"})  # fmt: skip
    return rows


@require_http_methods(["GET", "POST"])
def survey_new(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request)
    if denied:
        return denied
    if request.method == "POST":
        fields = fields_from_form(request.POST)
        try:
            survey = surveys.survey_create(street=street, questions=questions_from_form(request.POST),
                                           actor=request_user(request), **fields)  # fmt: skip
        except Problem as exc:
            return render(request, "voice/survey_edit.html", _context(
                street, None, streets=streets, problem=problem_message(exc), form=fields,
                rows=_posted_rows(request.POST)), status=exc.http_status)  # fmt: skip
        return HttpResponseRedirect(reverse("voice:survey_edit", args=[survey.pk]) + "?saved=1")
    now = timezone.localtime()
    form = {"audience": Audience.STREET, "one_answer": OneAnswer.PERSON, "results_public": True,
            "opens_at": now, "closes_at": now + dt.timedelta(days=14)}  # fmt: skip
    return render(
        request, "voice/survey_edit.html", _context(street, None, streets=streets, form=form, rows=_rows(None))
    )


@require_http_methods(["GET", "POST"])
def survey_edit(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey_for(request, survey_id)
    if survey is None:
        return _forbidden(request)
    if request.method == "POST":
        fields = fields_from_form(request.POST)
        answered = Response.objects.filter(survey=survey).exists()
        try:
            surveys.survey_update(survey=survey, questions=None if answered else questions_from_form(request.POST),
                                  **fields)  # fmt: skip
        except Problem as exc:
            survey.refresh_from_db()
            return render(request, "voice/survey_edit.html", _context(
                survey.street, survey, problem=problem_message(exc), form=fields,
                rows=_posted_rows(request.POST)), status=exc.http_status)  # fmt: skip
        return HttpResponseRedirect(reverse("voice:survey_edit", args=[survey.pk]) + "?saved=1")
    form = {f: getattr(survey, f) for f in surveys.SURVEY_FIELDS}
    form["opens_at"], form["closes_at"] = timezone.localtime(survey.opens_at), timezone.localtime(survey.closes_at)
    return render(request, "voice/survey_edit.html", _context(
        survey.street, survey, form=form, rows=_rows(survey), saved=request.GET.get("saved") == "1"))  # fmt: skip


__all__ = ["selectors", "survey_edit", "survey_new"]

urlpatterns = [
    path("voice/staff/surveys/new/", survey_new, name="survey_new"),
    path("voice/staff/surveys/<int:survey_id>/edit/", survey_edit, name="survey_edit"),
]
