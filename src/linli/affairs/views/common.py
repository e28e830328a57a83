"""What the affairs pages share: the street of a page, staff streets, the forbidden page."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from linli.core import selectors as core_selectors
from linli.core.errors import Problem
from linli.core.models import Role, Street, User
from linli.core.pages import staff_street_choice

# Who reviews pre-reviews and books for callers: the street's station staff and admins. The centre head (who
# edits templates and lifts suspensions, and to whom late reviews escalate) is the street's admin.
REVIEWER_ROLES = (Role.STATION_STAFF, Role.ADMIN)
HEAD_ROLES = (Role.ADMIN,)


def street_or_404(code: str) -> Street:
    try:
        return core_selectors.street_get(code=code)
    except Problem as exc:
        raise Http404(code) from exc


def forbidden(request: HttpRequest, street: Any = None) -> HttpResponse:
    return render(request, "affairs/forbidden.html", {"street": street}, status=403)


def staff_streets(user: User) -> Any:
    return core_selectors.street_list_for_roles(user, roles=REVIEWER_ROLES)


def head_streets(user: User) -> Any:
    return core_selectors.street_list_for_roles(user, roles=HEAD_ROLES)


def staff_street(request: HttpRequest) -> tuple[Any, list[Any], HttpResponse | None]:
    return staff_street_choice(request, staff_streets, forbidden)


def head_street(request: HttpRequest) -> tuple[Any, list[Any], HttpResponse | None]:
    return staff_street_choice(request, head_streets, forbidden)


def is_staff_of(user: Any, street: Street, roles: Any = REVIEWER_ROLES) -> bool:
    return bool(user.is_authenticated) and core_selectors.user_has_role(user, street=street, roles=roles)
