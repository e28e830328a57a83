"""The assistant's piece of the service map, served as an htmx fragment into places' `MAP_OVERLAY` slot
(registered by AssistantConfig.ready()), so places never imports the assistant: the 问一问 entry and its chat
panel, with the assistant's own stylesheet and script (htmx runs the script after the swap)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from linli.assistant.views.resident import _street_or_404, chat_context
from linli.core.models import Street
from linli.core.origins import Origin, origin_query, parse_origin


def map_panel_url(*, street: Street, origin: Origin | None = None, **_: Any) -> str:
    url = reverse("assistant:map_panel", args=[street.code])
    return f"{url}?from={origin_query(origin)}" if origin else url


@require_GET
def map_panel(request: HttpRequest, code: str) -> HttpResponse:
    street = _street_or_404(code)
    origin = parse_origin(request.GET.get("from"))
    ctx = chat_context(street, origin)
    ctx.update(
        {
            "street": street,
            "origin_param": origin_query(origin),
            "answer": None,
            "problem": None,
            "question": "",
        }
    )
    return render(request, "assistant/_map_panel.html", ctx)
