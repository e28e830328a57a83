"""iCalendar (RFC 5545): feeds of a venue's or a street's activities, one booking's event, and the import.

Export: every activity is one VEVENT with times in `TZID=Asia/Shanghai` (a VTIMEZONE is included). Occurrences
of a recurring series are exported as individual events (UID `<series UID>/<YYYYMMDDTHHMM>@linli`), not as one
RRULE event, so each carries its own capacity and status; re-importing such a file updates those occurrences.

UIDs: an activity's external id `X` is exported as `X@linli` (unless X already holds an `@` other than a
trailing `@linli`); the import strips one trailing `@linli`, so export → import is the identity.

Import: `activities_import(street=, text=)` validates EVERY VEVENT first and reports every error with its
event index and UID (`Problem("ical_invalid", errors=[{"event", "uid", "field", "message"}])`);
only a clean file is written, all in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import icalendar
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.activities.categories import categorise
from linli.activities.models import Activity, ActivitySeries, ActivityStatus, Booking
from linli.activities.services.activities import activity_cancel, activity_create, activity_update
from linli.activities.services.series import occurrence_external_id, rrule_occurrences, series_create, series_update
from linli.core.errors import Problem, field_error
from linli.core.i18n import Text
from linli.core.ical import ical_parse
from linli.core.imports import ImportResult
from linli.core.inputs import InputError, check_date, clean_text
from linli.core.lenient import parse_int
from linli.core.models import Role, Street
from linli.core.phones import mask_personal_text
from linli.core.selectors import require_role
from linli.core.services import audit_log
from linli.places.models import Place

SHANGHAI = ZoneInfo("Asia/Shanghai")
PRODID = "-//Linli//邻里//ZH"
UID_SUFFIX = "@linli"
IMPORT_ROLES = (Role.ADMIN, Role.STATION_STAFF)
FEED_PAST_DAYS = 30


# ------------------------------------------------------------------------------------------ export


def uid_for(external_id: str) -> str:
    if "@" not in external_id or external_id.endswith(UID_SUFFIX):
        return external_id + UID_SUFFIX
    return external_id


def external_id_for(uid: str) -> str:
    return uid[: -len(UID_SUFFIX)] if uid.endswith(UID_SUFFIX) else uid


def _new_calendar(name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    return cal


def _event(activity: Activity, stamp: datetime) -> icalendar.Event:
    place = activity.place
    ev = icalendar.Event()
    ev.add("uid", uid_for(activity.external_id))
    ev.add("dtstamp", stamp)
    ev.add("summary", activity.title)
    if activity.description:
        ev.add("description", mask_personal_text(activity.description))  # a public feed
    ev.add("dtstart", activity.start.astimezone(SHANGHAI))
    ev.add("dtend", activity.end.astimezone(SHANGHAI))
    ev.add("location", f"{place.name}，{place.address}" if place.address else place.name)
    ev.add("geo", (place.lat, place.lng))
    ev.add("categories", [activity.category, *activity.tags])
    ev.add("status", "CANCELLED" if activity.status == ActivityStatus.CANCELLED else "CONFIRMED")
    ev.add("url", f"/activities/{activity.pk}/")
    ev.add("x-linli-place", place.external_id)
    if activity.capacity is not None:
        ev.add("x-linli-capacity", str(activity.capacity))
    if activity.organiser:
        # ORGANIZER must be a cal-address (mailto: URI); a committee's name goes in an X- property instead
        ev.add("x-linli-organiser", activity.organiser)
    return ev


def _to_bytes(cal: icalendar.Calendar) -> bytes:
    cal.add_missing_timezones()
    return cal.to_ical()


def activities_to_ics(*, activities: Any, name: str) -> bytes:
    """A VCALENDAR with one VEVENT per activity (series occurrences as individual events)."""
    cal = _new_calendar(name)
    stamp = timezone.now().astimezone(SHANGHAI).replace(microsecond=0)
    for activity in activities:
        cal.add_component(_event(activity, stamp))
    if not cal.subcomponents:  # still declare the zone so clients show the feed correctly
        cal.add_component(icalendar.Timezone.from_tzid("Asia/Shanghai"))
    return _to_bytes(cal)


def booking_to_ics(booking: Booking) -> bytes:
    """One booking as an event with a display alarm two hours before the start."""
    activity = booking.activity
    cal = _new_calendar(activity.title)
    stamp = timezone.now().astimezone(SHANGHAI).replace(microsecond=0)
    ev = _event(activity, stamp)
    ev["uid"] = icalendar.vText(f"booking-{booking.pk}{UID_SUFFIX}")
    ev.pop("DESCRIPTION", None)  # DESCRIPTION may appear once: the code first, then the activity's text
    ev.add("description", f"签到码 Check-in code: {booking.code}\n{mask_personal_text(activity.description)}".strip())
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"活动提醒：{activity.title} / Reminder: {activity.title}")
    alarm.add("trigger", timedelta(hours=-2))
    ev.add_component(alarm)
    cal.add_component(ev)
    return _to_bytes(cal)


def calendar_activities(*, street: Street | None = None, place: Place | None = None, now: datetime | None = None):
    """What a feed shows: published (and cancelled, so subscribers see it) activities that ended at most
    FEED_PAST_DAYS ago."""
    now = now or timezone.now()
    qs: QuerySet[Activity] = Activity.objects.filter(
        status__in=[ActivityStatus.PUBLISHED, ActivityStatus.CANCELLED], end__gte=now - timedelta(days=FEED_PAST_DAYS)
    ).select_related("place")
    if street is not None:
        qs = qs.filter(street=street)
    if place is not None:
        qs = qs.filter(place=place)
    return qs.order_by("start", "id")


# ------------------------------------------------------------------------------------------ import


@dataclass
class _Row:
    index: int
    uid: str = ""
    external_id: str = ""
    title: str = ""
    description: str = ""
    start: datetime | None = None
    end: datetime | None = None
    place: Place | None = None
    capacity: int | None = None
    category: str = "other"
    tags: list[str] = field(default_factory=list)
    unknown_categories: list[str] = field(default_factory=list)
    rrule: str | None = None
    cancelled: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)


class _Errors(list):
    def add(self, row: _Row, field_name: str, message: Text) -> None:
        self.append({"event": row.index, "uid": row.uid, **field_error(field_name, message)})


def _text(component: Any, name: str, *, label: bool = False) -> str:
    """A property's text by linli.core.inputs' rules (a title on one line); raises InputError."""
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0]
    return clean_text(str(value), label=label).strip()


def _datetime(row: _Row, component: Any, name: str, errors: _Errors) -> datetime | None:
    prop = component.get(name)
    if prop is None:
        errors.add(row, name, format_lazy(_("缺少 {name}"), name=name))
        return None
    value = getattr(prop, "dt", None)
    if not isinstance(value, datetime):
        errors.add(
            row,
            name,
            format_lazy(_("{name} 必须是日期时间（不接受全天日期或无效值）"), name=name),
        )
        return None
    if value.tzinfo is None:
        errors.add(
            row,
            name,
            format_lazy(_("{name} 缺少时区：请使用 TZID=Asia/Shanghai 或 UTC（Z）"), name=name),
        )
        return None
    offset = value.utcoffset()
    key = getattr(value.tzinfo, "key", None)
    if key != "Asia/Shanghai" and offset != timedelta(0):
        errors.add(
            row,
            name,
            format_lazy(
                _("{name} 的时区必须是 Asia/Shanghai 或 UTC，而不是 {zone}"), name=name, zone=key or value.tzname()
            ),
        )
        return None
    try:
        check_date(value)
    except InputError as exc:
        errors.add(row, name, exc.message)
        return None
    return value.astimezone(SHANGHAI)


def _categories(component: Any) -> list[str]:
    raw = component.get("categories")
    if raw is None:
        return []
    props = raw if isinstance(raw, list) else [raw]
    values: list[str] = []
    for prop in props:
        cats = getattr(prop, "cats", None)
        values.extend(str(c) for c in cats) if cats is not None else values.append(str(prop))
    # Commas separate values (RFC 5545); partners also write Chinese commas and enumeration commas.
    return [w.strip() for v in values for w in re.split(r"[,，、;；]", v) if w.strip()]


def _validate(street: Street, cal: icalendar.Calendar, now: datetime) -> tuple[list[_Row], _Errors]:
    errors = _Errors()
    places = {p.external_id: p for p in Place.objects.filter(street=street)}
    seen: dict[str, int] = {}
    rows: list[_Row] = []
    for i, ev in enumerate(cal.walk("VEVENT")):
        row = _Row(index=i)
        try:
            _text(ev, "uid"), _text(ev, "summary", label=True), _text(ev, "description")
            _text(ev, "x-linli-place"), _text(ev, "x-linli-capacity"), _text(ev, "status")
        except InputError as exc:
            errors.add(row, "VEVENT", exc.message)
            rows.append(row)
            continue
        row.uid = _text(ev, "uid")
        if not row.uid:
            errors.add(row, "UID", _("缺少 UID"))
        elif len(row.uid) > 200:
            errors.add(row, "UID", _("UID 过长（最多200字符）"))
        else:
            row.external_id = external_id_for(row.uid)
            if row.uid in seen:
                errors.add(
                    row,
                    "UID",
                    format_lazy(_("UID 与第 {event} 个事件重复"), event=seen[row.uid]),
                )
            else:
                seen[row.uid] = i
        row.title = _text(ev, "summary", label=True)
        if not row.title:
            errors.add(row, "SUMMARY", _("缺少 SUMMARY（标题）"))
        elif len(row.title) > 200:
            errors.add(row, "SUMMARY", _("标题过长（最多200字）"))
        row.description = _text(ev, "description")
        row.start = _datetime(row, ev, "DTSTART", errors)
        row.end = _datetime(row, ev, "DTEND", errors)
        if row.start and row.end and row.end <= row.start:
            errors.add(row, "DTEND", _("结束时间必须晚于开始时间"))
        place_id = _text(ev, "x-linli-place")
        if not place_id:
            errors.add(row, "X-LINLI-PLACE", _("缺少 X-LINLI-PLACE（场地编号）"))
        elif place_id not in places:
            errors.add(
                row,
                "X-LINLI-PLACE",
                format_lazy(_("该街道没有编号为 {place_id} 的服务点位"), place_id=place_id),
            )
        else:
            row.place = places[place_id]
        cap = _text(ev, "x-linli-capacity")
        if cap:
            seats = parse_int(re.sub(r"\s*[人位名座个]$", "", cap))  # "30", "３０", "30人", "1,000"
            if seats is not None and seats > 0:
                row.capacity = seats
            else:
                errors.add(
                    row,
                    "X-LINLI-CAPACITY",
                    format_lazy(_("名额必须是正整数，而不是 {cap}"), cap=repr(cap)),
                )
        # CATEGORIES is free text: known words give the category, the rest are kept as tags (never an error).
        sorted_out = categorise(_categories(ev))
        row.category, row.tags, row.unknown_categories = sorted_out.category, sorted_out.tags, sorted_out.unknown
        row.cancelled = _text(ev, "status").upper() == "CANCELLED"
        if ev.get("rrule") is not None:
            rule = ev["rrule"]
            # RRULE always parses to a vRecur (whose to_ical gives bytes); ev[...] is typed as any property.
            recur = cast(icalendar.vRecur, rule[0] if isinstance(rule, list) else rule)
            row.rrule = recur.to_ical().decode()
            if row.start is not None and row.end is not None and row.end > row.start:
                try:
                    rrule_occurrences(rrule=row.rrule, dtstart=row.start, now=now)
                except Problem as p:
                    errors.add(row, "RRULE", p.detail)
        rows.append(row)
    _check_capacity_against_bookings(street, rows, errors, now)
    return rows, errors


def _check_capacity_against_bookings(street: Street, rows: list[_Row], errors: _Errors, now: datetime) -> None:
    """A re-import may not cut a capacity below the seats already booked."""
    singles = {r.external_id: r for r in rows if r.capacity is not None and not r.rrule and r.external_id}
    for a in Activity.objects.filter(street=street, external_id__in=list(singles)):
        row = singles[a.external_id]
        if row.capacity is not None and row.capacity < a.booked:  # always set: `singles` keeps only those
            errors.add(
                row,
                "X-LINLI-CAPACITY",
                format_lazy(_("名额 {capacity} 少于已预约的 {booked} 人"), capacity=row.capacity, booked=a.booked),
            )
    series_rows = {r.external_id: r for r in rows if r.capacity is not None and r.rrule and r.external_id}
    for s in ActivitySeries.objects.filter(street=street, external_id__in=list(series_rows)):
        row = series_rows[s.external_id]
        most = (
            Activity.objects.filter(series=s, start__gt=now)
            .order_by("-booked")
            .values_list("booked", flat=True)
            .first()
        )
        if most is not None and row.capacity is not None and row.capacity < most:
            errors.add(
                row,
                "X-LINLI-CAPACITY",
                format_lazy(_("名额 {capacity} 少于某一场已预约的 {most} 人"), capacity=row.capacity, most=most),
            )


def activities_import(*, street: Street, text: str, actor: Any = None, now: datetime | None = None) -> ImportResult:
    """Import VEVENTs into `street`, all or nothing; re-import updates by UID.

    A VEVENT with an RRULE becomes a series (created, or updated when the UID exists); any other VEVENT one
    published activity (cancelled if STATUS:CANCELLED). Updated fields: title, description, times, capacity,
    category, venue."""

    if actor is not None:
        require_role(actor, street=street, roles=IMPORT_ROLES)
    now = now or timezone.now()
    cal = ical_parse(text)
    rows, errors = _validate(street, cal, now)
    if errors:
        raise Problem(
            "ical_invalid",
            detail=format_lazy(_("共 {count} 处错误"), count=len(errors)),
            errors=list(errors),
        )

    result = ImportResult()
    kept: dict[str, list[int]] = {}
    for r in rows:
        for word in r.unknown_categories:
            kept.setdefault(word, []).append(r.index)
    for word, events in kept.items():
        where = ", ".join(map(str, events[:5])) + ("…" if len(events) > 5 else "")
        result.notes.append(
            f"CATEGORIES {word!r} 不是平台的活动类别，已作为标签保留 kept as a tag, not a category (events {where})"
        )
    with transaction.atomic():
        activities = {
            a.external_id: a
            for a in Activity.objects.select_for_update().filter(
                street=street, external_id__in=[r.external_id for r in rows if not r.rrule]
            )
        }
        series_by_uid = {
            s.external_id: s
            for s in ActivitySeries.objects.select_for_update().filter(
                street=street, external_id__in=[r.external_id for r in rows if r.rrule]
            )
        }
        for r in rows:
            assert r.start is not None and r.end is not None and r.place is not None
            if r.rrule:
                duration = int((r.end - r.start).total_seconds() // 60)
                existing_series = series_by_uid.get(r.external_id)
                if existing_series is None:
                    series_create(
                        street=street,
                        place=r.place,
                        external_id=r.external_id,
                        title=r.title,
                        rrule=r.rrule,
                        dtstart=r.start,
                        duration_minutes=duration,
                        capacity=r.capacity,
                        category=r.category,
                        audience="everyone",
                        description=r.description,
                        tags=r.tags,
                        actor=actor,
                    )
                    result.created += 1
                else:
                    change = series_update(
                        series=existing_series,
                        actor=actor,
                        title=r.title,
                        description=r.description,
                        capacity=r.capacity,
                        category=r.category,
                        tags=r.tags,
                        place=r.place,
                        rrule=r.rrule,
                        dtstart=r.start,
                        duration_minutes=duration,
                        now=now,
                    )
                    if change.changed:
                        result.updated += 1
                    else:
                        result.unchanged += 1
                continue
            activity = activities.get(r.external_id)
            if activity is None:
                activity = activity_create(
                    street=street,
                    place=r.place,
                    title=r.title,
                    start=r.start,
                    end=r.end,
                    capacity=r.capacity,
                    category=r.category,
                    tags=r.tags,
                    description=r.description,
                    status=ActivityStatus.PUBLISHED,
                    external_id=r.external_id,
                    actor=actor,
                )
                if r.cancelled:
                    activity_cancel(activity=activity, actor=actor, message="")
                result.created += 1
                continue
            targets = {
                "title": r.title,
                "description": r.description,
                "start": r.start,
                "end": r.end,
                "capacity": r.capacity,
                "category": r.category,
                "tags": r.tags,
                "place": r.place,
            }
            fields = {k: v for k, v in targets.items() if getattr(activity, k) != v}
            changed = False
            if fields:
                activity_update(activity=activity, actor=actor, **fields)
                changed = True
            if r.cancelled and activity.status != ActivityStatus.CANCELLED:
                activity_cancel(activity=activity, actor=actor, message="")
                changed = True
            if changed:
                result.updated += 1
            else:
                result.unchanged += 1
        audit_log(
            actor=actor,
            action="activities.import",
            street=street,
            data={**result.as_dict(), "events": len(rows)},
        )
    return result


__all__ = [
    "activities_import",
    "activities_to_ics",
    "booking_to_ics",
    "calendar_activities",
    "ical_parse",
    "occurrence_external_id",
]
