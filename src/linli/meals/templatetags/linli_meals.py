"""Template filters for meals pages: money is kept in fen and shown in yuan."""

from __future__ import annotations

from django import template

from linli.meals.services.pricing import fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """1250 → '12.50' (empty for None)."""
    if fen is None or fen == "":
        return ""
    return fen_to_yuan(int(fen))
