"""`{% assistant_map_panel %}`: the 问一问 entry and chat panel on the service map (needs `street`, and `origin` /
`origin_param` when the map has one), so the map page adds the assistant without its view knowing about it."""

from __future__ import annotations

from typing import Any

from django import template

from linli.assistant.views.resident import chat_context

register = template.Library()


@register.inclusion_tag("assistant/_map_panel.html", takes_context=True)
def assistant_map_panel(context: template.Context) -> dict[str, Any]:
    street = context["street"]
    ctx = chat_context(street, context.get("origin"))
    ctx.update(
        {
            "street": street,
            "origin_param": context.get("origin_param", ""),
            "request": context.get("request"),
            "csrf_token": context.get("csrf_token"),
            "answer": None,
            "problem": None,
            "question": "",
        }
    )
    return ctx
