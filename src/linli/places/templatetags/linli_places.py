"""Template filters for service points: readable opening hours, "opens tomorrow 08:30", distances."""

from __future__ import annotations

import re

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from linli.core.local_time import SHANGHAI, WEEKDAYS, as_local, day_names

register = template.Library()


@register.filter
def when(value: object, now: object = None) -> str:
    """An ISO time as the resident says it: "08:30" (today), "明天 08:30", "周一 08:30", "5月1日 08:30"."""
    moment = as_local(value)
    if moment is None:
        return ""
    today = (as_local(now) or timezone.now().astimezone(SHANGHAI)).date()
    hhmm = moment.strftime("%H:%M")
    days = (moment.date() - today).days
    if days == 0:
        return _("今天 %(time)s") % {"time": hhmm}
    if days == 1:
        return _("明天 %(time)s") % {"time": hhmm}
    if 1 < days < 7:
        return f"{day_names()[WEEKDAYS[moment.weekday()]]} {hhmm}"
    return _("%(month)s月%(day)s日 %(time)s") % {"month": moment.month, "day": moment.day, "time": hhmm}


@register.filter
def distance(value: object) -> str:
    """Metres as "350 米" or "1.2 公里"."""
    if value is None or value == "":
        return ""
    metres = float(value)  # type: ignore[arg-type]
    if metres < 1000:
        return _("%(m)s 米") % {"m": int(round(metres / 10.0) * 10)}
    return _("%(km)s 公里") % {"km": f"{metres / 1000:.1f}"}


@register.filter
def walk(value: object) -> str:
    """Walking minutes as "步行约 7 分钟"."""
    if value is None or value == "":
        return ""
    minutes = max(1, int(value))  # type: ignore[call-overload]
    return ngettext("步行约 %(n)s 分钟", "步行约 %(n)s 分钟", minutes) % {"n": minutes}


_RULE_DAYS = re.compile(r"^(?P<days>(?:Mo|Tu|We|Th|Fr|Sa|Su|PH)(?:[-,](?:Mo|Tu|We|Th|Fr|Sa|Su|PH))*)\s+(?P<rest>.*)$")


def _days_readable(spec: str) -> str:
    if spec == "Mo-Su":
        return _("每天")
    names = day_names()
    out = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            out.append(_("%(a)s至%(b)s") % {"a": names.get(a, a), "b": names.get(b, b)})
        else:
            out.append(names.get(part, part))
    return _("、").join(out)


def _times_readable(rest: str) -> str:
    rest = rest.strip()
    if rest in {"off", "closed"}:
        return _("休息")
    if rest == "00:00-24:00":
        return _("全天")
    return rest.replace(",", _("、")).replace("-", "–")


@register.filter
def hours_lines(value: object) -> list[str]:
    """OSM `opening_hours` as readable lines: "Mo-Fr 08:30-17:00; PH off" → ["周一至周五 08:30–17:00", ...].

    Rules it does not recognise are shown as written, so nothing the operator typed is hidden.
    """
    text = str(value or "").strip()
    if not text:
        return []
    if text == "24/7":
        return [_("全天开放")]
    lines = []
    for rule in (r.strip() for r in text.split(";")):
        if not rule:
            continue
        match = _RULE_DAYS.match(rule)
        if match:
            lines.append(f"{_days_readable(match['days'])} {_times_readable(match['rest'])}")
        elif re.fullmatch(r"[0-9:,\-\s]+", rule):
            lines.append(_("每天 %(times)s") % {"times": _times_readable(rule)})
        else:
            lines.append(rule)
    return lines
