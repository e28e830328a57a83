"""What every station staff page of volunteers starts with: the street chosen among the user's (or the sign-in
redirect, or 403), and a POST dispatched by its `action` to a handler; the handler's Problem (or a bad number or
date, ValueError) becomes the page's message, a success redirects back with `done=<action>`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.models import Street, User
from linli.core.pages import problem_message, staff_street_choice
from linli.volunteers import selectors

Handler = Callable[[HttpRequest, Street, User], Any]


def staff_streets(user: Any) -> Any:
    return Street.objects.filter(pk__in=selectors.staff_street_ids(user)).order_by("name")


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "volunteers/forbidden.html", {}, status=403)


@dataclass
class StaffPage:
    """The street the page shows, the streets to choose from, the signed-in user, the message of a refused
    action, and the action just done (`?done=`)."""

    street: Street
    streets: list[Street]
    user: User
    problem: dict[str, Any] | None
    done: str

    def context(self, **more: Any) -> dict[str, Any]:
        return {"street": self.street, "streets": self.streets, "problem": self.problem, "done": self.done, **more}


def staff_page(
    request: HttpRequest,
    *,
    url_name: str,
    actions: Mapping[str, Handler] | None = None,
    streets: Callable[[User], Any] = staff_streets,
) -> tuple[StaffPage | None, HttpResponse | None]:
    """(page, None) to render, or (None, response) to send: a redirect after a POST that worked, the sign-in
    page, or 403. A POST's `action` picks its handler among `actions` (an unknown one is a validation error)."""
    street, allowed, denied = staff_street_choice(request, streets, forbidden)
    if denied:
        return None, denied
    user = request_user(request)
    problem = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        handler = (actions or {}).get(action)
        try:
            if handler is None:
                raise Problem("validation_error")
            handler(request, street, user)
            return None, HttpResponseRedirect(f"{reverse(url_name)}?street={street.code}&done={action}")
        except (Problem, ValueError) as exc:
            problem = problem_message(exc if isinstance(exc, Problem) else Problem("validation_error"))
    return StaffPage(street, allowed, user, problem, request.GET.get("done", "")), None


def post_int(request: HttpRequest, name: str, default: int = 0) -> int:
    """An integer field of the POST (ValueError, so the page's message, when it is not one)."""
    return int(request.POST.get(name) or default)
