"""Affairs pages: residents' search, what to bring, pre-review, booking; staff's catalogue, pre-review queue,
templates."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from linli.affairs import selectors
from linli.core import selectors as core_selectors
from linli.core.errors import Problem


@require_GET
def street_affairs(request: HttpRequest, code: str) -> HttpResponse:
    """The street's affairs: search by the words residents use, then what to bring, pre-review, book."""
    try:
        street = core_selectors.street_get(code=code)
    except Problem as exc:
        raise Http404(code) from exc
    items = list(selectors.items_active(street=street)[:200])
    return render(request, "affairs/list.html", {"street": street, "items": items})
