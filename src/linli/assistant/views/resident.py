"""The 问一问 page (`/s/<street>/ask/`): a chat with suggested questions, answer cards with one-tap actions and
feedback on every answer. Without JavaScript the form posts here and the answer is rendered by the server (then
shown at `?answer=<answer id>`, so a reload never asks twice); with JavaScript (static/assistant/assistant.js) the
same form asks `POST /api/v1/assistant/ask` and the conversation grows in place. The map page shows the same chat
in a panel (`assistant/_chat.html`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from linli.assistant import selectors
from linli.assistant.api import ask_rate_check, asker_of, request_lang
from linli.assistant.models import AskLog
from linli.assistant.services import ask as ask_services
from linli.assistant.services import review as review_services
from linli.core import selectors as core_selectors
from linli.core.errors import Problem
from linli.core.origins import origin_query, parse_coordinate, parse_origin
from linli.core.pages import problem_message

# Questions residents can tap, one per kind the engine answers. The engine reads Chinese, so the question sent is
# always the Chinese one; the button shows it in the page's language.
SUGGESTIONS = [
    gettext_noop("这个月有什么活动？"),
    gettext_noop("附近哪里可以吃午饭？"),
    gettext_noop("社区事务受理中心周六开门吗？"),
    gettext_noop("今天中午有什么菜？"),
    gettext_noop("怎么预约活动？"),
    gettext_noop("街道服务热线是多少？"),
]


def suggestions() -> list[dict[str, str]]:
    return [{"question": q, "label": _(q)} for q in SUGGESTIONS]


def chat_context(street: Any, origin: tuple[float, float] | None = None) -> dict[str, Any]:
    """What `assistant/_chat.html` needs (the page and the map's panel)."""
    return {
        "assistant_street": street,
        "assistant_suggestions": suggestions(),
        "assistant_origin": origin,
        "assistant_page_url": reverse("assistant:ask", args=[street.code]),
    }


def answer_view(entry: AskLog) -> dict[str, Any]:
    return {
        "id": str(entry.public_id),
        "question": entry.question,
        "answer": entry.answer,
        "intent": entry.intent,
        "backend": entry.backend,
        "cards": entry.cards,
        "helpful": entry.helpful,
        "comment": entry.feedback_comment,
    }


def _street_or_404(code: str) -> Any:
    try:
        return core_selectors.street_get(code=code)
    except Problem as exc:
        raise Http404(code) from exc


@require_http_methods(["GET", "POST"])
def ask_page(request: HttpRequest, code: str) -> HttpResponse:
    street = _street_or_404(code)
    origin = parse_origin(request.GET.get("from"))
    ctx = chat_context(street, origin)
    ctx.update({"street": street, "answer": None, "problem": None, "question": "", "thanks": False})
    status = 200
    if request.method == "POST":
        question = (request.POST.get("suggestion") or request.POST.get("question") or "").strip()
        ctx["question"] = question[:500]
        lat, lng = parse_coordinate(request.POST.get("lat")), parse_coordinate(request.POST.get("lng"))
        try:
            ask_rate_check(request)
            asker, session_hash = asker_of(request, create=True)
            entry = ask_services.answer_question(
                question=question,
                street=street,
                lat=lat,
                lng=lng,
                lang=request_lang(request),
                asker=asker,
                session_hash=session_hash,
            )
        except Problem as problem:
            ctx["problem"] = problem_message(problem)
            errors = [e.get("message") for e in problem.errors if e.get("message")]
            if errors:
                ctx["problem"]["detail"] = "；".join(str(e) for e in errors)
            status = problem.http_status
        else:
            query = {"answer": str(entry.public_id)}
            if lat is not None and lng is not None:
                query["from"] = origin_query((lat, lng))
            return HttpResponseRedirect(f"{reverse('assistant:ask', args=[street.code])}?{urlencode(query)}#answer")
    else:
        answer_id = request.GET.get("answer")
        if answer_id:
            try:
                asker, session_hash = asker_of(request)
                entry = selectors.answer_get(answer_id=answer_id, asker=asker, session_hash=session_hash)
            except Problem:
                entry = None
            if entry is not None and entry.street_id == street.pk:
                ctx["answer"] = answer_view(entry)
        ctx["thanks"] = request.GET.get("thanks") == "1"
    return render(request, "assistant/ask.html", ctx, status=status)


@require_POST
def feedback_post(request: HttpRequest, answer_id: Any) -> HttpResponse:
    """The no-JS feedback form: mark the answer, then back to it on the chat page with a thank-you."""
    try:
        asker, session_hash = asker_of(request)
        entry = selectors.answer_get(answer_id=answer_id, asker=asker, session_hash=session_hash)
    except Problem as exc:
        raise Http404(str(answer_id)) from exc
    helpful = request.POST.get("helpful")
    if entry.street is None or helpful not in ("1", "0"):
        raise Http404(str(answer_id))
    try:
        ask_rate_check(request, "feedback")
        review_services.answer_feedback_set(
            answer=entry, helpful=helpful == "1", comment=request.POST.get("comment") or ""
        )
    except Problem as problem:
        ctx = chat_context(entry.street)
        ctx.update(
            {
                "street": entry.street,
                "answer": answer_view(entry),
                "problem": problem_message(problem),
                "question": "",
                "thanks": False,
            }
        )
        return render(request, "assistant/ask.html", ctx, status=problem.http_status)
    query = urlencode({"answer": str(entry.public_id), "thanks": "1"})
    return HttpResponseRedirect(f"{reverse('assistant:ask', args=[entry.street.code])}?{query}#answer")
