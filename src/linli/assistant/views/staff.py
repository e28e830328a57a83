"""Staff pages: the street's review queue (unhelpful answers and questions the engine did not understand), one
question's review (write the right answer with cards from the street's places and activities, teach a synonym, or
just mark it reviewed), and the street's curated answers and synonyms. For the street's administrators and station
staff (`selectors.ASSISTANT_STAFF_ROLES`); plain forms, no JavaScript needed."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.assistant import selectors
from linli.assistant.models import CuratedAnswer, Synonym
from linli.assistant.services import review as review_services
from linli.assistant.services.ask import INTENTS
from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.pages import login_redirect, problem_message, staff_street_choice


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "assistant/forbidden.html", {}, status=403)


def _staff_street(request: HttpRequest) -> tuple[Any, list[Any], HttpResponse | None]:
    """The street to show (?street=, else the first) among those where the user is assistant staff."""
    return staff_street_choice(request, selectors.staff_streets, _forbidden)


def _queue_url(street: Any) -> str:
    return f"{reverse('assistant:review_queue')}?street={street.code}"


@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _staff_street(request)
    if denied is not None:
        return denied
    rows = list(selectors.review_queue(street=street)[: selectors.QUEUE_LIMIT])
    repeats = Counter(row.normalized for row in rows)
    for row in rows:
        row.repeats = repeats[row.normalized]  # type: ignore[attr-defined]
    return render(
        request,
        "assistant/review_queue.html",
        {
            "street": street,
            "streets": streets,
            "rows": rows,
            "counts": selectors.queue_counts(street=street),
            "curated": list(selectors.curated_list(street=street)[:200]),
            "synonyms": list(selectors.synonym_list(street=street)),
            "done": request.GET.get("done", ""),
        },
    )


def _question_or_404(request: HttpRequest, question_id: int) -> Any:
    try:
        return selectors.queue_question_get(user=request_user(request), question_id=question_id)
    except Problem as exc:
        raise Http404(str(question_id)) from exc


@require_http_methods(["GET", "POST"])
def review_question(request: HttpRequest, question_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    if not selectors.staff_streets(request.user).exists():
        return _forbidden(request)
    question = _question_or_404(request, question_id)
    street = question.street
    values: dict[str, Any] = {"question": question.question, "answer": "", "intent": "curated"}
    problem = None
    if request.method == "POST":
        action = request.POST.get("action")
        cards = [
            {"type": kind, "id": value}
            for kind in ("place", "activity")
            for value in request.POST.getlist(kind)
            if value.isdigit()
        ]
        values = {
            "question": (request.POST.get("question") or "").strip(),
            "answer": (request.POST.get("answer") or "").strip(),
            "intent": request.POST.get("intent") or "curated",
            "places": [str(c["id"]) for c in cards if c["type"] == "place"],
            "activities": [str(c["id"]) for c in cards if c["type"] == "activity"],
            "term": (request.POST.get("term") or "").strip(),
            "replacement": (request.POST.get("replacement") or "").strip(),
        }
        try:
            if action == "curated":
                review_services.curated_answer_save(
                    street=street,
                    question=values["question"],
                    answer=values["answer"],
                    cards=cards,
                    intent=values["intent"],
                    actor=request.user,  # type: ignore[arg-type]
                    source=question,
                )
            elif action == "synonym":
                review_services.synonym_save(
                    street=street,
                    term=values["term"],
                    replacement=values["replacement"],
                    actor=request.user,  # type: ignore[arg-type]
                    source=question,
                )
            elif action == "reviewed":
                review_services.question_review_mark(
                    question=question,
                    actor=request.user,  # type: ignore[arg-type]
                    note=(request.POST.get("note") or "")[:200],
                )
            else:
                raise Http404("action")
        except Problem as exc:
            problem = problem_message(exc)
            problem["errors"] = exc.errors
        else:
            return HttpResponseRedirect(_queue_url(street) + f"&done={action}")
    return render(
        request,
        "assistant/review_question.html",
        {
            "street": street,
            "item": question,
            "values": values,
            "problem": problem,
            "intents": ["curated", *[i for i in INTENTS if i != "unknown"]],
            "choices": selectors.card_choices(street=street),
            "queue_url": _queue_url(street),
        },
        status=422 if problem else 200,
    )


@require_POST
def curated_deactivate(request: HttpRequest, curated_id: int) -> HttpResponse:
    street, _streets, denied = _staff_street(request)
    if denied is not None:
        return denied
    curated = CuratedAnswer.objects.filter(pk=curated_id, street=street).select_related("street").first()
    if curated is None:
        raise Http404(str(curated_id))
    review_services.curated_answer_deactivate(curated=curated, actor=request.user)  # type: ignore[arg-type]
    return HttpResponseRedirect(_queue_url(street) + "&done=deactivated")


@require_POST
def synonym_delete(request: HttpRequest, synonym_id: int) -> HttpResponse:
    street, _streets, denied = _staff_street(request)
    if denied is not None:
        return denied
    synonym = Synonym.objects.filter(pk=synonym_id, street=street).select_related("street").first()
    if synonym is None:
        raise Http404(str(synonym_id))
    review_services.synonym_delete(synonym=synonym, actor=request.user)  # type: ignore[arg-type]
    return HttpResponseRedirect(_queue_url(street) + "&done=synonym_deleted")
