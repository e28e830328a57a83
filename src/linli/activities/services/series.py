"""Recurring activities (RFC 5545 RRULE): a series expands into one Activity per occurrence.

Each occurrence is an ordinary Activity (own capacity, own bookings, own counters) created through
`activity_create`, with the external id `<UID>/<YYYYMMDDTHHMM>` (start in Asia/Shanghai), so an occurrence is
addressable by the series UID plus its start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule as RRule  # type: ignore[import-untyped]  # types-python-dateutil not installed
from dateutil.rrule import rrulestr
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.activities.models import ACTIVE_BOOKING_STATUSES, Activity, ActivitySeries, ActivityStatus
from linli.activities.services.activities import activity_cancel, activity_create, activity_update
from linli.core.errors import Problem, field_error
from linli.core.i18n import Text
from linli.core.models import Street, User
from linli.core.services import audit_log
from linli.places.models import Place

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_OCCURRENCES = 500
DEFAULT_HORIZON_DAYS = 366
MAX_SKIPPED = 50_000  # past occurrences stepped over before an open rule is refused as too dense


def occurrence_external_id(uid: str, start: datetime) -> str:
    return f"{uid}/{start.astimezone(SHANGHAI):%Y%m%dT%H%M}"


def _rrule_problem(message: Text, field: str = "rrule") -> Problem:
    return Problem("validation_error", detail=message, errors=[field_error(field, message)])


def rrule_parse(*, rrule: str, dtstart: datetime) -> RRule:
    """Parse one RRULE (with or without the `RRULE:` prefix) anchored at `dtstart` in Asia/Shanghai."""
    text = (rrule or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or "\n" in text or ":" in text:
        raise _rrule_problem(_("重复规则格式不正确（只接受一条 RRULE）"))
    if dtstart is None or timezone.is_naive(dtstart):
        raise _rrule_problem(_("开始时间必须带时区"), field="dtstart")
    try:
        rule = rrulestr(text, dtstart=dtstart.astimezone(SHANGHAI))
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise _rrule_problem(format_lazy(_("重复规则无效：{error}"), error=exc)) from None
    if not isinstance(rule, RRule):  # pragma: no cover - rrulestr without forceset returns an rrule
        raise _rrule_problem(_("重复规则无效"))
    return rule


def rrule_occurrences(
    *, rrule: str, dtstart: datetime, horizon_days: int = DEFAULT_HORIZON_DAYS, now: datetime | None = None
) -> list[datetime]:
    """The starts of the occurrences (aware, Asia/Shanghai).

    A bounded rule (COUNT or UNTIL) yields all its occurrences; an open-ended one those from `now` up to
    `horizon_days` after max(dtstart, now). Either way more than MAX_OCCURRENCES is refused (Problem validation_error).
    """
    rule = rrule_parse(rrule=rrule, dtstart=dtstart)
    bounded = rule._count is not None or rule._until is not None
    starts: list[datetime] = []
    if bounded:
        for occ in rule:
            starts.append(occ)
            if len(starts) > MAX_OCCURRENCES:
                break
    else:
        now = now or timezone.now()
        horizon_end = max(dtstart, now) + timedelta(days=horizon_days)
        skipped = 0
        for occ in rule:
            if occ > horizon_end:
                break
            if occ < now:  # an open rule that began in the past: only its coming occurrences are created
                skipped += 1
                if skipped > MAX_SKIPPED:
                    starts = [occ] * (MAX_OCCURRENCES + 1)
                    break
                continue
            starts.append(occ)
            if len(starts) > MAX_OCCURRENCES:
                break
    if len(starts) > MAX_OCCURRENCES:
        raise _rrule_problem(
            format_lazy(_("重复规则产生的场次超过 {max} 场，请用 COUNT 或 UNTIL 限定"), max=MAX_OCCURRENCES),
        )
    if not starts:
        raise _rrule_problem(_("重复规则没有产生任何场次"))
    return starts


def _check_series_args(*, external_id: str, title: str, duration_minutes: int, place: Place, street: Street) -> None:
    errors = []
    if not (external_id or "").strip():
        errors.append(field_error("external_id", _("缺少编号（UID）")))
    elif len(external_id) > 200:
        errors.append(field_error("external_id", _("编号过长（最多200字符）")))
    if not (title or "").strip():
        errors.append(field_error("title", _("请填写标题")))
    if not isinstance(duration_minutes, int) or duration_minutes <= 0:
        errors.append(field_error("duration_minutes", _("时长必须是正整数（分钟）")))
    if place.street_id != street.pk:
        errors.append(field_error("place", _("场地不属于该街道")))
    if errors:
        raise Problem("validation_error", errors=errors)


@transaction.atomic
def series_create(
    *,
    street: Street,
    place: Place,
    external_id: str,
    title: str,
    rrule: str,
    dtstart: datetime,
    duration_minutes: int,
    capacity: int | None = None,
    category: str = "other",
    audience: str = "everyone",
    description: str = "",
    organiser: str = "",
    waitlist_capacity: int = 10,
    status: str = ActivityStatus.PUBLISHED,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    tags: list[str] | None = None,
    actor: User | None = None,
) -> ActivitySeries:
    """Create a series and one Activity per occurrence (each with `capacity` seats of its own)."""
    _check_series_args(
        external_id=external_id, title=title, duration_minutes=duration_minutes, place=place, street=street
    )
    starts = rrule_occurrences(rrule=rrule, dtstart=dtstart, horizon_days=horizon_days)
    if ActivitySeries.objects.filter(street=street, external_id=external_id).exists():
        raise Problem(
            "validation_error",
            errors=[field_error("external_id", _("该编号的系列活动已存在"))],
        )
    series = ActivitySeries.objects.create(
        street=street,
        place=place,
        external_id=external_id,
        title=title.strip(),
        rrule=_rule_text(rrule),
        dtstart=dtstart.astimezone(SHANGHAI),
        duration_minutes=duration_minutes,
    )
    duration = timedelta(minutes=duration_minutes)
    for start in starts:
        activity_create(
            street=street,
            place=place,
            title=title,
            start=start,
            end=start + duration,
            capacity=capacity,
            category=category,
            audience=audience,
            description=description,
            organiser=organiser,
            waitlist_capacity=waitlist_capacity,
            status=status,
            external_id=occurrence_external_id(external_id, start),
            series=series,
            tags=tags,
            actor=actor,
        )
    audit_log(
        actor=actor,
        action="activity_series.create",
        street=street,
        obj=series,
        data={"uid": external_id, "occurrences": len(starts)},
    )
    return series


def _rule_text(rrule: str) -> str:
    text = (rrule or "").strip()
    return text[6:] if text.upper().startswith("RRULE:") else text


@dataclass
class SeriesChange:
    series: ActivitySeries
    created: int = 0
    updated: int = 0
    removed: int = 0
    series_changed: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed or self.series_changed)


class _SeriesValues(TypedDict):
    """The series fields `series_update` may change (one per ActivitySeries attribute)."""

    title: str
    place: Place
    rrule: str
    dtstart: datetime
    duration_minutes: int


_UNSET: Any = object()


@transaction.atomic
def series_update(
    *,
    series: ActivitySeries,
    actor: User | None = None,
    title: str | None = None,
    description: str | None = None,
    capacity: int | None = _UNSET,
    category: str | None = None,
    place: Place | None = None,
    rrule: str | None = None,
    dtstart: datetime | None = None,
    duration_minutes: int | None = None,
    status: str = ActivityStatus.PUBLISHED,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    now: datetime | None = None,
    tags: list[str] | None = None,
) -> SeriesChange:
    """Change a series and its FUTURE occurrences; past ones stay as they happened.

    Future occurrences that the (possibly new) rule still produces get the new title, description, capacity,
    category, venue and times through `activity_update` (which refuses a capacity below the seats already
    booked). Future occurrences the rule no longer produces are deleted when nobody booked them, else cancelled
    (so the people booked are told). New occurrences are created.
    """

    now = now or timezone.now()
    series = ActivitySeries.objects.select_for_update().get(pk=series.pk)
    change = SeriesChange(series=series)
    new_values: _SeriesValues = {
        "title": title.strip() if title is not None else series.title,
        "place": place if place is not None else series.place,
        "rrule": _rule_text(rrule) if rrule is not None else series.rrule,
        "dtstart": dtstart.astimezone(SHANGHAI) if dtstart is not None else series.dtstart,
        "duration_minutes": duration_minutes if duration_minutes is not None else series.duration_minutes,
    }
    _check_series_args(
        external_id=series.external_id,
        title=new_values["title"],
        duration_minutes=new_values["duration_minutes"],
        place=new_values["place"],
        street=series.street,
    )
    starts = rrule_occurrences(
        rrule=new_values["rrule"], dtstart=new_values["dtstart"], horizon_days=horizon_days, now=now
    )
    if any(getattr(series, k) != v for k, v in new_values.items()):
        for k, v in new_values.items():
            setattr(series, k, v)
        series.save()
        change.series_changed = True

    duration = timedelta(minutes=new_values["duration_minutes"])
    wanted = {occurrence_external_id(series.external_id, s): s for s in starts}
    existing = {a.external_id: a for a in Activity.objects.select_for_update().filter(series=series)}
    template: Activity | None = next(iter(existing.values()), None)

    for ext_id, activity in existing.items():
        if activity.start <= now:
            continue
        if ext_id not in wanted:
            if activity.bookings.filter(status__in=ACTIVE_BOOKING_STATUSES).exists():
                if activity.status != ActivityStatus.CANCELLED:
                    activity_cancel(
                        activity=activity,
                        actor=actor,
                        message="活动时间调整，本场取消 / This occurrence was removed from the series",
                    )
                    change.removed += 1
            else:
                activity.delete()
                change.removed += 1
            continue
        start = wanted[ext_id]
        fields: dict[str, Any] = {}
        targets = {
            "title": new_values["title"],
            "place": new_values["place"],
            "start": start,
            "end": start + duration,
        }
        if description is not None:
            targets["description"] = description
        if capacity is not _UNSET:
            targets["capacity"] = capacity
        if category is not None:
            targets["category"] = category
        if tags is not None:
            targets["tags"] = list(tags)
        for k, v in targets.items():
            if getattr(activity, k) != v:
                fields[k] = v
        if fields:
            activity_update(activity=activity, actor=actor, **fields)
            change.updated += 1

    for ext_id, start in wanted.items():
        if ext_id in existing or start <= now:
            continue
        activity_create(
            street=series.street,
            place=new_values["place"],
            title=new_values["title"],
            start=start,
            end=start + duration,
            capacity=capacity if capacity is not _UNSET else (template.capacity if template else None),
            category=category or (template.category if template else "other"),
            audience=template.audience if template else "everyone",
            description=description if description is not None else (template.description if template else ""),
            organiser=template.organiser if template else "",
            waitlist_capacity=template.waitlist_capacity if template else 10,
            status=status,
            external_id=ext_id,
            series=series,
            tags=list(tags) if tags is not None else (list(template.tags) if template else []),
            actor=actor,
        )
        change.created += 1
    if change.changed:
        audit_log(
            actor=actor,
            action="activity_series.update",
            street=series.street,
            obj=series,
            data={"created": change.created, "updated": change.updated, "removed": change.removed},
        )
    return change
