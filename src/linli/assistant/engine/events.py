"""Answers about activities: by venue (and the venues in the same building), date window, category and title."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from linli.activities.models import Activity, Category
from linli.activities.selectors import activity_list, category_name_zh
from linli.assistant.engine.cards import EngineAnswer, activity_card
from linli.assistant.engine.ctx import Ctx, join
from linli.core.i18n import choice_label_in
from linli.places.models import Place

MAX_CARDS = 5
DEFAULT_DAYS = 30
_BUILDING = re.compile(r"^(.*?\d+[号弄])")


def _venues(ctx: Ctx) -> tuple[list[int], str | None, int | None]:
    """The named venue's id plus the venues at the same address (the 党群服务中心's floors), its name."""
    places = ctx.parsed.entities("place")
    if not places:
        return [], None, None
    place = Place.objects.filter(pk=places[0].key).first()
    if place is None:
        return [], None, None
    ids = [place.pk]
    m = _BUILDING.match(place.address or "")
    if m:
        same = Place.objects.filter(street=ctx.street, is_active=True, address__startswith=m.group(1)).exclude(
            pk=place.pk
        )
        for pk, addr in same.values_list("pk", "address"):
            other = _BUILDING.match(addr or "")
            if other is not None and other.group(1) == m.group(1):
                ids.append(pk)
    return ids, place.name, place.pk


def _window(ctx: Ctx) -> tuple[dt.datetime, dt.datetime, bool]:
    when = ctx.parsed.when
    if when is None:
        return ctx.now, ctx.now + dt.timedelta(days=DEFAULT_DAYS), False
    lo, hi = when.bounds()
    return max(lo, ctx.now) if when.start == ctx.today and not when.part else lo, hi, True


def _filters(ctx: Ctx) -> tuple[Q | None, list[str]]:
    p = ctx.parsed
    q = Q()
    labels: list[str] = []
    words = list(p.title_words) + [e.key for e in p.entities("activity")]
    for w in words:
        q |= Q(title__icontains=w)
        labels.append(w)
    if not words:
        for c in p.categories:
            q |= Q(category=c)
            labels.append(c)
        if "lecture" in p.categories:
            q |= Q(title__icontains="讲座")
    return (q if labels else None), labels


def activities(ctx: Ctx) -> EngineAnswer:
    p = ctx.parsed
    venue_ids, venue_name, venue_id = _venues(ctx)
    lo, hi, dated = _window(ctx)
    qs = activity_list(street=ctx.street).filter(end__gt=ctx.now)
    if venue_ids:
        qs = qs.filter(place_id__in=venue_ids)
    flt, labels = _filters(ctx)
    if flt is None and p.subject:
        # "有没有钢琴课": nothing in the data is about 钢琴; say so and show what there is.
        text = _("没有找到%(what)s相关的活动。") % {"what": p.subject}
        upcoming = list(qs.filter(start__lt=ctx.now + dt.timedelta(days=DEFAULT_DAYS))[:3])
        if upcoming:
            text += _("近期的其他活动：%(items)s。") % {"items": ctx.items([_one_line(ctx, a) for a in upcoming])}
        cards = tuple(activity_card(a) for a in upcoming)
        return EngineAnswer("activities", text, cards, 0.4, {"match": [p.subject], "count": 0})
    if flt is not None:
        qs = qs.filter(flt)
    facts: dict[str, Any] = {
        "date_from": lo.date().isoformat(),
        "date_to": (hi - dt.timedelta(seconds=1)).date().isoformat(),
    }
    if p.when is not None:
        facts.update(p.when.as_facts())
    if venue_id:
        facts["place_id"] = venue_id
    if p.categories:
        facts["category"] = p.categories[0]
    if labels:
        facts["match"] = labels
    found = list(qs.filter(start__lt=hi, end__gt=lo)[:50])
    what = join(_label_names(labels, ctx), ctx.en) if labels else pgettext("assistant", "活动")
    where = venue_name or ctx.street.name
    span = _span_text(ctx, lo, hi, dated)
    if found:
        facts["count"] = len(found)
        facts["activity_ids"] = [a.pk for a in found[:MAX_CARDS]]
        head = _("%(where)s%(span)s有%(n)d场%(what)s：") % {"where": where, "span": span, "n": len(found), "what": what}
        items = [_one_line(ctx, a) for a in found[:MAX_CARDS]]
        more = _("等") if len(found) > MAX_CARDS else ""
        text = head + ctx.items(items) + more + ctx.stop() + _("点卡片上的“预约”即可报名。")
        return EngineAnswer("activities", text, tuple(activity_card(a) for a in found[:MAX_CARDS]), p.confidence, facts)
    facts["count"] = 0
    text = _("%(where)s%(span)s没有找到%(what)s。") % {"where": where, "span": span, "what": what}
    later = list(qs.filter(start__gte=hi)[:3]) if dated else []
    if later:
        text += _("之后最近的是：%(items)s。") % {"items": ctx.items([_one_line(ctx, a) for a in later])}
        facts["next_activity_ids"] = [a.pk for a in later]
        return EngineAnswer("activities", text, tuple(activity_card(a) for a in later), p.confidence * 0.9, facts)
    text += _("可以看看本街道的活动日历，或拨打服务热线%(hotline)s。") % {"hotline": ctx.hotline()}
    return EngineAnswer("activities", text, (), p.confidence * 0.8, facts)


def _label_names(labels: list[str], ctx: Ctx) -> list[str]:
    out = []
    for label in labels:
        if label in Category.values:
            out.append(choice_label_in(Category, label, "en") if ctx.en else category_name_zh(label) + _("类活动"))
        else:
            out.append(label)
    return out


def _span_text(ctx: Ctx, lo: dt.datetime, hi: dt.datetime, dated: bool) -> str:
    if not dated:
        return pgettext("assistant", "近30天")
    first = lo.date()
    last = (hi - dt.timedelta(seconds=1)).date()
    label = ctx.parsed.when.label if ctx.parsed.when and not ctx.en else ""
    if first == last:
        return ctx.day_label(first)
    return (
        _("%(a)s至%(b)s") % {"a": ctx.day_label(first), "b": ctx.day_label(last)}
        if not label
        else label + ctx.bracket(f"{ctx.day_label(first)}—{ctx.day_label(last)}")
    )


def _one_line(ctx: Ctx, a: Activity) -> str:
    start = timezone.localtime(a.start)
    return f"{ctx.day_label(start.date())} {start:%H:%M} {a.title}" + ctx.bracket(a.place.name)
