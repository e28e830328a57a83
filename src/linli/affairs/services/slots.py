"""Bookable resources, slot templates, exceptions, and the slots they materialise.

`linli affairs resource add PLACE --name NAME --kind window|remote|home` → `resource_add`;
`linli affairs template add RESOURCE --days Mo-Fr --times 09:00-11:30,13:30-16:30 --minutes 30 --places 2
[--items CODE,…]` → `template_add` (the centre head's page too).

Slots are rows (`Slot`), made for the next `HORIZON_DAYS` by `slots_materialise` (after a template or an exception
changes, and nightly by the beat task `affairs.materialise_slots`). A day gets a template's slots when:

- the holiday table (`linli.core.holidays`, national days off, adjusted working days 调休 and the street's own
  closures) says it is a working day and the template opens on that weekday, or on an adjusted working day
  when the template opens on any weekday Monday–Friday (`follow_workdays`);
- a holiday or a closure closes every template with `skip_holidays` (the default);
- weekend and evening templates (office workers' hours) open on their own weekdays; their `items` restrict them
  to the chosen items.

An exception closes the slots it overlaps (booked ones stay booked: staff call those people). Slots of a day that
became a holiday after they were made are closed the same way by the next materialisation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.affairs.models import Item, Resource, ResourceKind, Slot, SlotException, SlotTemplate
from linli.core.errors import Problem, field_error
from linli.core.holidays.calendar import ADJUSTED_WORKDAY, HOLIDAY, day_info
from linli.core.models import Street, User
from linli.core.services import audit_log
from linli.places.models import Place, PlaceKind

SH = ZoneInfo("Asia/Shanghai")
HORIZON_DAYS = 60
DAY_NAMES = ("mo", "tu", "we", "th", "fr", "sa", "su")
CN_DAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
PLACE_KINDS: dict[str, tuple[str, ...]] = {
    ResourceKind.WINDOW: (PlaceKind.AFFAIRS_CENTER,),
    ResourceKind.REMOTE: (PlaceKind.REMOTE_SERVICE_POINT,),
    ResourceKind.HOME: (),  # the door-to-door team sets out from any place of the street
}


def _bad(field: str, message: object) -> Problem:
    return Problem("validation_error", detail=message, errors=[field_error(field, message)])  # type: ignore[arg-type]


def resource_add(*, place: Place, name: str, kind: str, actor: User | None = None) -> Resource:
    """A bookable window, remote point or door-to-door team at `place`."""
    name = " ".join((name or "").split())
    if not name:
        raise _bad("name", _("必填项"))
    if kind not in ResourceKind.values:
        raise _bad("kind", format_lazy(_("类型应为 {kinds}"), kinds="|".join(ResourceKind.values)))
    kinds = PLACE_KINDS[kind]
    if kinds and place.kind not in kinds:
        raise _bad(
            "place",
            format_lazy(_("「{place}」不是{what}"), place=place.name, what=PlaceKind(kinds[0]).label),
        )
    if Resource.objects.filter(place=place, name=name).exists():
        raise _bad("name", format_lazy(_("「{place}」已有「{name}」"), place=place.name, name=name))
    resource = Resource.objects.create(street_id=place.street_id, place=place, name=name, kind=kind)
    audit_log(actor=actor, action="affairs.resource_add", street=place.street, obj=resource, data={"kind": kind})
    return resource


def parse_days(text: str) -> list[int]:
    """ "Mo-Fr", "Sa,Su", "Mo,We,Fr", "周一至周五", "1-5" → weekday numbers (0 = Monday)."""
    text = (text or "").strip().lower().replace("周", "").replace("星期", "").replace("至", "-").replace("到", "-")
    days: list[int] = []

    def one(token: str) -> int:
        token = token.strip()
        if token[:2] in DAY_NAMES:
            return DAY_NAMES.index(token[:2])
        if token in CN_DAYS:
            return CN_DAYS[token]
        if token.isdigit() and 1 <= int(token) <= 7:
            return int(token) - 1
        raise _bad("days", format_lazy(_("看不懂星期“{token}”（如 Mo-Fr、Sa,Su）"), token=token[:20]))

    for part in [p for p in re.split(r"[,，、\s]+", text) if p]:
        if "-" in part:
            a, b = part.split("-", 1)
            start, end = one(a), one(b)
            if end < start:
                raise _bad("days", format_lazy(_("看不懂星期“{token}”（如 Mo-Fr、Sa,Su）"), token=part[:20]))
            days.extend(range(start, end + 1))
        else:
            days.append(one(part))
    if not days:
        raise _bad("days", _("请填写星期，如 Mo-Fr"))
    return sorted(set(days))


def _hhmm(token: str) -> dt.time:
    m = re.fullmatch(r"\s*(\d{1,2})[:：](\d{2})\s*", token)
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise _bad("times", format_lazy(_("看不懂时间“{token}”（如 09:00-11:30）"), token=token[:20]))
    return dt.time(int(m[1]), int(m[2]))


def parse_times(text: str) -> list[list[str]]:
    """ "09:00-11:30,13:30-16:30" → [["09:00", "11:30"], ["13:30", "16:30"]] (ranges in order, not overlapping)."""
    ranges: list[tuple[dt.time, dt.time]] = []
    for part in [p for p in re.split(r"[,，;；\s]+", text or "") if p]:
        if "-" not in part and "–" not in part:
            raise _bad("times", format_lazy(_("看不懂时间“{token}”（如 09:00-11:30）"), token=part[:20]))
        a, b = re.split(r"[-–]", part, maxsplit=1)
        start, end = _hhmm(a), _hhmm(b)
        if end <= start:
            raise _bad("times", format_lazy(_("时段“{token}”结束应晚于开始"), token=part[:20]))
        ranges.append((start, end))
    if not ranges:
        raise _bad("times", _("请填写时段，如 09:00-11:30"))
    ranges.sort()
    for (_a, end), (start, _b) in zip(ranges, ranges[1:], strict=False):
        if start < end:
            raise _bad("times", _("时段不能重叠"))
    return [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in ranges]


@transaction.atomic
def template_add(
    *,
    resource: Resource,
    days: str | list[int],
    times: str | list[list[str]],
    minutes: int,
    places: int,
    items: Iterable[str] = (),
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    skip_holidays: bool = True,
    actor: User | None = None,
    materialise: bool = True,
) -> SlotTemplate:
    """A slot template of `resource` (see the module docstring); its slots are made at once."""
    weekdays = parse_days(days) if isinstance(days, str) else sorted(set(days))
    ranges = parse_times(times) if isinstance(times, str) else times
    if not 5 <= minutes <= 480:
        raise _bad("minutes", _("每段分钟应为 5–480"))
    if not 1 <= places <= 100:
        raise _bad("places", _("每段名额应为 1–100"))
    codes = [c.strip() for c in items if c and c.strip()]
    chosen = list(Item.objects.filter(street_id=resource.street_id, code__in=codes))
    unknown = sorted(set(codes) - {i.code for i in chosen})
    if unknown:
        raise _bad("items", format_lazy(_("没有这些事项编码：{codes}"), codes=", ".join(unknown)))
    if valid_from and valid_until and valid_until < valid_from:
        raise _bad("valid_until", _("截止日期应晚于生效日期"))
    template = SlotTemplate.objects.create(
        resource=resource,
        weekdays=weekdays,
        times=ranges,
        minutes=minutes,
        places=places,
        restricted=bool(chosen),
        valid_from=valid_from,
        valid_until=valid_until,
        skip_holidays=skip_holidays,
    )
    if chosen:
        template.items.set(chosen)
    audit_log(
        actor=actor,
        action="affairs.template_add",
        street=resource.street,
        obj=template,
        data={"weekdays": weekdays, "times": ranges, "minutes": minutes, "places": places, "items": codes},
    )
    if materialise:
        slots_materialise(resource=resource)
    return template


@transaction.atomic
def template_deactivate(*, template: SlotTemplate, actor: User | None = None) -> int:
    """Stop a template: its future unbooked slots go; booked ones stay (closed to new bookings)."""
    template.is_active = False
    template.save(update_fields=["is_active"])
    now = timezone.now()
    future = Slot.objects.filter(template=template, start__gt=now)
    deleted, _detail = future.filter(booked=0).delete()
    future.update(closed=True)
    audit_log(actor=actor, action="affairs.template_deactivate", street=template.resource.street, obj=template)
    return deleted


def _opens(template: SlotTemplate, day: dt.date, street_id: int) -> bool:
    if not template.is_active:
        return False
    if template.valid_from and day < template.valid_from:
        return False
    if template.valid_until and day > template.valid_until:
        return False
    info = day_info(day, street_id)
    if info.kind == HOLIDAY:
        return not template.skip_holidays and day.weekday() in template.weekdays
    if info.kind == ADJUSTED_WORKDAY and template.follow_workdays:
        return any(d < 5 for d in template.weekdays) or day.weekday() in template.weekdays
    return day.weekday() in template.weekdays


def _template_slots(template: SlotTemplate, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    out = []
    step = dt.timedelta(minutes=template.minutes)
    for a, b in template.times:
        start = dt.datetime.combine(day, _hhmm(a), tzinfo=SH)
        end = dt.datetime.combine(day, _hhmm(b), tzinfo=SH)
        while start + step <= end:
            out.append((start, start + step))
            start += step
    return out


def slots_materialise(*, resource: Resource, start: dt.date | None = None, days: int = HORIZON_DAYS) -> dict[str, int]:
    """Make the resource's slots for `days` days from `start` (default today), close those a holiday, a closure
    or an exception now covers; {"created": n, "closed": n}. Idempotent."""
    today = timezone.localtime(timezone.now(), SH).date()
    start = start or today
    end_day = start + dt.timedelta(days=days)
    templates = list(resource.templates.filter(is_active=True))
    exceptions = list(
        SlotException.objects.filter(
            resource=resource,
            end__gt=dt.datetime.combine(start, dt.time(0), tzinfo=SH),
            start__lt=dt.datetime.combine(end_day, dt.time(0), tzinfo=SH),
        )
    )
    wanted: dict[dt.datetime, Slot] = {}
    day = start
    while day < end_day:
        for template in templates:
            if not _opens(template, day, resource.street_id):
                continue
            for a, b in _template_slots(template, day):
                if a in wanted:
                    continue  # two templates over the same time: the first one's
                is_closed = any(e.start < b and e.end > a for e in exceptions)
                wanted[a] = Slot(
                    resource=resource, template=template, start=a, end=b, places=template.places, closed=is_closed
                )
        day += dt.timedelta(days=1)
    window = Q(
        start__gte=dt.datetime.combine(start, dt.time(0), tzinfo=SH),
        start__lt=dt.datetime.combine(end_day, dt.time(0), tzinfo=SH),
    )
    with transaction.atomic():
        existing = {s.start: s for s in Slot.objects.filter(window, resource=resource)}
        new = [s for a, s in wanted.items() if a not in existing]
        Slot.objects.bulk_create(new, ignore_conflicts=True)
        closed = 0
        stale = [s.pk for a, s in existing.items() if (a not in wanted or wanted[a].closed) and not s.closed]
        if stale:
            # No longer opened (a holiday, an exception, a template stopped): empty ones go, booked ones close.
            Slot.objects.filter(pk__in=stale, booked=0, start__gt=timezone.now()).delete()
            closed = Slot.objects.filter(pk__in=stale).update(closed=True)
        reopened = [s.pk for a, s in existing.items() if s.closed and a in wanted and not wanted[a].closed]
        if reopened:
            Slot.objects.filter(pk__in=reopened).update(closed=False)
    return {"created": len(new), "closed": closed}


def slots_materialise_all(*, street: Street | None = None, days: int = HORIZON_DAYS) -> int:
    """Every active resource's slots (the nightly beat task); returns the slots created."""
    qs = Resource.objects.filter(is_active=True)
    if street is not None:
        qs = qs.filter(street=street)
    return sum(slots_materialise(resource=r, days=days)["created"] for r in qs)


@transaction.atomic
def exception_add(
    *, resource: Resource, start: dt.datetime, end: dt.datetime, reason: str = "", actor: User | None = None
) -> SlotException:
    """Close `resource` from `start` to `end` (training, a power cut): its slots there close."""
    if end <= start:
        raise _bad("end", _("结束应晚于开始"))
    exc = SlotException.objects.create(resource=resource, start=start, end=end, reason=reason[:200])
    Slot.objects.filter(resource=resource, start__lt=end, end__gt=start).update(closed=True)
    audit_log(actor=actor, action="affairs.exception_add", street=resource.street, obj=exc, data={"reason": reason})
    return exc
