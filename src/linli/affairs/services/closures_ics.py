"""A resource's closures (holidays, closed days, training) imported from an iCalendar file (RFC 5545), as Publik
Chrono imports its desks' exceptions: every VEVENT becomes a `SlotException` of the resource (UID → `external_id`),
its slots in that range close. All or nothing: every event is checked first and every error is reported with the
event's number and UID (`ical_invalid`); re-importing a file updates the closures by UID instead of adding twice.

- an all-day event (`DTSTART;VALUE=DATE`) closes whole days in Shanghai time, to DTEND (exclusive, as the RFC
  says) or one day without DTEND;
- a timed event closes from DTSTART to DTEND (or DURATION); floating times are Shanghai times;
- `STATUS:CANCELLED` events are skipped; a repeating event (RRULE) is refused: export its occurrences instead."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.affairs.models import Resource, Slot, SlotException
from linli.affairs.services.queue import HEAD_ROLES  # the centre's head (street admins), as on the templates page
from linli.core.errors import Problem
from linli.core.i18n import Text
from linli.core.ical import ical_parse
from linli.core.inputs import InputError, clean_text
from linli.core.models import User
from linli.core.selectors import require_role
from linli.core.services import audit_log

SH = ZoneInfo("Asia/Shanghai")
MAX_EVENTS = 1000
MAX_DAYS = 366  # one closure longer than a year is a mistake in the file


@dataclass(frozen=True)
class Closure:
    uid: str
    start: dt.datetime
    end: dt.datetime
    reason: str


def _moment(value: Any) -> dt.datetime:
    """A DTSTART/DTEND value as an aware datetime (a date: its midnight in Shanghai)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=SH)
    return dt.datetime.combine(value, dt.time(0), tzinfo=SH)


def _closure(n: int, ev: Any) -> tuple[Closure | None, list[dict[str, Any]]]:
    uid = str(ev.get("uid") or "").strip()
    errors: list[dict[str, Any]] = []

    def bad(field: str, message: Text) -> tuple[None, list[dict[str, Any]]]:
        errors.append({"event": n, "uid": uid, "field": field, "message": message})
        return None, errors

    if not uid or len(uid) > 255:
        return bad("UID", _("每个事件都要有 UID（不超过 255 个字符）"))
    if ev.get("rrule") is not None:
        return bad("RRULE", _("不支持重复事件，请导出每一次的日期"))
    start_prop = ev.get("dtstart")
    if start_prop is None:
        return bad("DTSTART", _("缺少开始时间"))
    start_value = start_prop.dt
    all_day = not isinstance(start_value, dt.datetime)
    start = _moment(start_value)
    if ev.get("dtend") is not None:
        end = _moment(ev.get("dtend").dt)
    elif ev.get("duration") is not None:
        end = start + ev.get("duration").dt
    else:
        end = start + (dt.timedelta(days=1) if all_day else dt.timedelta(0))
    if end <= start:
        return bad("DTEND", _("结束应晚于开始"))
    if end - start > dt.timedelta(days=MAX_DAYS):
        return bad("DTEND", format_lazy(_("一次关闭不能超过 {n} 天"), n=MAX_DAYS))
    if not (dt.datetime(1900, 1, 1, tzinfo=SH) <= start and end <= dt.datetime(2100, 12, 31, tzinfo=SH)):
        return bad("DTSTART", _("日期超出范围"))
    try:
        reason = clean_text(str(ev.get("summary") or ""), label=False).strip()[:200]
    except InputError as exc:
        return bad("SUMMARY", exc.message)
    return Closure(uid=uid, start=start, end=end, reason=reason), errors


def closures_import(*, resources: list[Resource], text: bytes | str, actor: User | None) -> dict[str, int]:
    """Import closures from an iCalendar file into each of `resources` (one window, or every resource of a centre:
    its holidays and closed days), all or nothing; returns created / updated / skipped (cancelled) counts, per
    resource. The street's centre head only (when an actor is given)."""
    if not resources or len({r.street_id for r in resources}) != 1:
        raise Problem("validation_error")
    street = resources[0].street
    if actor is not None:
        require_role(actor, street=street, roles=HEAD_ROLES)
    cal = ical_parse(text)
    events = list(cal.walk("VEVENT"))
    if len(events) > MAX_EVENTS:
        raise Problem(
            "ical_invalid",
            errors=[{"field": "file", "message": format_lazy(_("最多 {n} 个事件"), n=MAX_EVENTS)}],
        )
    closures: list[Closure] = []
    errors: list[dict[str, Any]] = []
    skipped = 0
    seen: set[str] = set()
    for n, ev in enumerate(events, start=1):
        if str(ev.get("status") or "").upper() == "CANCELLED":
            skipped += 1
            continue
        closure, errs = _closure(n, ev)
        if closure is not None and closure.uid in seen:
            errs = [{"event": n, "uid": closure.uid, "field": "UID", "message": _("同一文件中 UID 重复")}]
            closure = None
        errors.extend(errs)
        if closure is not None:
            seen.add(closure.uid)
            closures.append(closure)
    if errors:
        raise Problem("ical_invalid", detail=format_lazy(_("共 {count} 处错误"), count=len(errors)), errors=errors)
    created = updated = 0
    with transaction.atomic():
        for resource in resources:
            for c in closures:
                row = SlotException.objects.select_for_update().filter(resource=resource, external_id=c.uid).first()
                if row is None:
                    SlotException.objects.create(
                        resource=resource, start=c.start, end=c.end, reason=c.reason, external_id=c.uid
                    )
                    created += 1
                elif (row.start, row.end, row.reason) != (c.start, c.end, c.reason):
                    row.start, row.end, row.reason = c.start, c.end, c.reason
                    row.save(update_fields=["start", "end", "reason"])
                    updated += 1
                Slot.objects.filter(resource=resource, start__lt=c.end, end__gt=c.start).update(closed=True)
        audit_log(
            actor=actor,
            action="affairs.closures_import",
            street=street,
            data={
                "resources": [r.pk for r in resources],
                "created": created,
                "updated": updated,
                "skipped": skipped,
            },
        )
    return {"created": created, "updated": updated, "skipped": skipped}
