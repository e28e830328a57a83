"""What every domain's HTML pages share: the sign-in redirect, the staff pages' street picker, a Problem as the
page's message, and the street the resident last looked at. Views of every domain import these from here (no
domain imports another's views)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.models import Street, User

# The session key of the street whose map the resident last opened (the meals pages start there too).
SESSION_STREET = "linli_street"


def login_redirect(request: HttpRequest, next_url: str | None = None) -> HttpResponseRedirect:
    """To the sign-in page, coming back to `next_url` (default: this page) afterwards."""
    return HttpResponseRedirect(f"/login/?next={quote(next_url or request.get_full_path())}")


def staff_street_choice(
    request: HttpRequest,
    streets: Callable[[User], Iterable[Street]],
    forbidden: Callable[[HttpRequest], HttpResponse],
) -> tuple[Any, list[Street], HttpResponse | None]:
    """(street, streets, denied) for a staff page: `streets(user)` are the streets where the user may use it;
    the page shows `?street=` (GET or POST) among them, else the first. `denied` is the response to send instead
    (sign-in, or `forbidden` when the user has no such street or names another)."""
    if not request.user.is_authenticated:
        return None, [], login_redirect(request)
    allowed = list(streets(request_user(request)))
    if not allowed:
        return None, [], forbidden(request)
    code = request.GET.get("street") or request.POST.get("street")
    chosen = next((s for s in allowed if s.code == code), None)
    if code and chosen is None:
        return None, allowed, forbidden(request)
    return chosen or allowed[0], allowed, None


def problem_message(problem: Problem) -> dict[str, Any]:
    """A problem for a page, in the request's (active) language."""
    return {
        "title": str(problem.title),
        "detail": str(problem.detail),
        "code": problem.code,
        "retry_after": problem.extra.get("retry_after"),
        # Where the person can put it right (e.g. "/me/" for a missing birth year); pages link it with ?next=.
        "fix": problem.extra.get("fix"),
        # The per-field messages ("重新打开须填写理由"), for pages that show no field beside them.
        "messages": [str(e.get("message", "")) for e in problem.errors if e.get("message")],
    }
