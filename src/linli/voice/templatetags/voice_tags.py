"""Small template filters of the voice pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return (mapping or {}).get(key) if hasattr(mapping or {}, "get") else None


@register.filter
def zip_counts(labels: list[str], counts: list[int]) -> list[tuple[str, int]]:
    return list(zip(labels, counts, strict=False))
