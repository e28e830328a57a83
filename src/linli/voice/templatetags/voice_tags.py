"""Small template filters of the voice pages."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from linli.voice.models import ConsultationStatus

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return (mapping or {}).get(key) if hasattr(mapping or {}, "get") else None


@register.filter
def zip_counts(labels: list[str], counts: list[int]) -> list[tuple[str, int]]:
    return list(zip(labels, counts, strict=False))


CJK = re.compile(r"[\u3400-\u9fff]")


@register.filter
def zh(value: Any) -> str:
    """` lang="zh-Hans"` for the residents' own words (options, answers, needs) when they are Chinese: a screen
    reader reads them in Chinese on an English page, and the tour's language check leaves them be."""
    return mark_safe(' lang="zh-Hans"') if value and CJK.search(str(value)) else ""  # noqa: S308 - a constant


@register.filter
def bars(result: Any) -> list[tuple[str, str, int]]:
    """A public result's rows: (label, what it shows, bar percent): each option's count and its share of the answers,
    each star of a rating; a ranking's options by their average place (1 is first), the bar longer the higher."""
    q = result.question
    if q.kind == "ranking":
        size = len(q.options) or 1
        rows = [(str(label), avg) for label, avg in zip(q.options, result.rank_average, strict=False) if avg]
        return [
            (label, f"{avg:g}", round(100 * (size + 1 - avg) / size)) for label, avg in sorted(rows, key=lambda r: r[1])
        ]
    labels = [f"★{i}" for i in range(1, 6)] if q.kind == "rating" else [str(o) for o in q.options]
    out = []
    for label, n in zip(labels, result.counts, strict=False):
        percent = round(100 * n / result.answered) if result.answered else 0
        out.append((label, f"{n}（{percent}%）", percent))
    return out


EVENT_LABELS = {
    "created": _("登记问题"),
    "invited": _("发出邀请"),
    "invitation_accepted": _("受邀单位接受"),
    "invitation_declined": _("受邀单位婉拒"),
    "action_done": _("事项完成"),
    "action_escalated": _("事项逾期，已上报街道"),
    "confirmed": _("居民确认办理结果"),
    "not_satisfied": _("居民对结果不满意"),
}


@register.filter
def event_label(event: Any) -> str:
    """A timeline row's words: what happened (a status move names the status it reached)."""
    label = EVENT_LABELS.get(event.action)
    if label is None and event.to_status in ConsultationStatus.values:
        label = ConsultationStatus(event.to_status).label
    return str(label or event.action)
