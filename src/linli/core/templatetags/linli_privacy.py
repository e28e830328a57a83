"""`{% load linli_privacy %}` … `{{ text|masked }}`: free text shown to others, phone and ID numbers masked
(`linli.core.phones.mask_personal_text`)."""

from __future__ import annotations

from typing import Any

from django import template

from linli.core.phones import mask_personal_text

register = template.Library()


@register.filter
def masked(value: Any) -> Any:
    return mask_personal_text(value) if isinstance(value, str) else value
