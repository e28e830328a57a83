"""Activities: create, update, publish and cancel (with notices to everyone booked)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.activities.models import (
    ACTIVE_BOOKING_STATUSES,
    Activity,
    ActivitySeries,
    ActivityStatus,
    Audience,
    Booking,
    BookingEvent,
    BookingStatus,
    Category,
)
from linli.activities.services import notify
from linli.activities.services.bookings import STAFF_ROLES, waitlist_promote
from linli.core.errors import Problem, field_error
from linli.core.models import Street, User
from linli.core.notifications import notify_user
from linli.core.selectors import require_role
from linli.core.services import audit_log
from linli.places.models import Place

MAX_TAGS = 20

EDITABLE_FIELDS = (
    "title",
    "description",
    "category",
    "tags",
    "audience",
    "organiser",
    "start",
    "end",
    "capacity",
    "waitlist_capacity",
    "booking_opens_at",
    "booking_closes_at",
    "cancel_deadline",
    "place",
    "status",
)
NOTIFY_ON_CHANGE = ("start", "end", "place")


def _check_staff(actor: User | None, street: Street) -> None:
    if actor is not None:
        require_role(actor, street=street, roles=STAFF_ROLES)


def _aware(value: Any, name: str, errors: list[dict[str, Any]]) -> Any:
    if value is None:
        return None
    if not isinstance(value, datetime):
        errors.append(field_error(name, _("时间格式不正确")))
        return None
    if timezone.is_naive(value):  # a naive time is Shanghai time
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _validate(values: dict[str, Any], street: Street) -> None:
    """Check a full set of activity values; raise one validation_error listing every bad field."""
    errors: list[dict[str, Any]] = []
    title = (values.get("title") or "").strip()
    values["title"] = title
    if not title:
        errors.append(field_error("title", _("请填写活动标题")))
    elif len(title) > 200:
        errors.append(field_error("title", _("标题不能超过200个字")))
    for name in ("start", "end", "booking_opens_at", "booking_closes_at", "cancel_deadline"):
        values[name] = _aware(values.get(name), name, errors)
    start, end = values.get("start"), values.get("end")
    if start is None and not any(e["field"] == "start" for e in errors):
        errors.append(field_error("start", _("请填写开始时间")))
    if end is None and not any(e["field"] == "end" for e in errors):
        errors.append(field_error("end", _("请填写结束时间")))
    if start is not None and end is not None and end <= start:
        errors.append(field_error("end", _("结束时间须晚于开始时间")))
    opens, closes = values.get("booking_opens_at"), values.get("booking_closes_at")
    if opens is not None and closes is not None and closes <= opens:
        errors.append(field_error("booking_closes_at", _("截止时间须晚于开放时间")))
    capacity = values.get("capacity")
    if capacity is not None and (not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1):
        errors.append(field_error("capacity", _("名额须为正整数，或留空表示不限")))
    wl = values.get("waitlist_capacity")
    if not isinstance(wl, int) or isinstance(wl, bool) or wl < 0:
        errors.append(field_error("waitlist_capacity", _("候补名额须为非负整数")))
    tags = values.get("tags", [])
    if (
        not isinstance(tags, list)
        or len(tags) > MAX_TAGS
        or not all(isinstance(t, str) and 0 < len(t) <= 40 for t in tags)
    ):
        raise Problem(
            "validation_error",
            errors=[field_error("tags", format_lazy(_("标签最多 {max} 个，每个不超过40字"), max=MAX_TAGS))],
        )
    if values.get("category") not in Category.values:
        errors.append(
            field_error(
                "category",
                format_lazy(_("没有这个活动类别，可用：{categories}"), categories=", ".join(Category.values)),
            )
        )
    if values.get("audience") not in Audience.values:
        errors.append(
            field_error(
                "audience",
                format_lazy(_("没有这个活动对象，可用：{audiences}"), audiences=", ".join(Audience.values)),
            )
        )
    if values.get("status") not in ActivityStatus.values:
        errors.append(
            field_error(
                "status", format_lazy(_("没有这个状态，可用：{statuses}"), statuses=", ".join(ActivityStatus.values))
            )
        )
    place = values.get("place")
    if not isinstance(place, Place):
        errors.append(field_error("place", _("请选择活动地点")))
    elif place.street_id != street.pk:
        errors.append(field_error("place", _("地点不属于该街道")))
    elif not place.is_active:
        errors.append(field_error("place", _("该地点已停用")))
    for name, limit in (("description", 5000), ("organiser", 200)):
        values[name] = (values.get(name) or "").strip()
        if len(values[name]) > limit:
            errors.append(field_error(name, format_lazy(_("不能超过{limit}个字"), limit=limit)))
    if errors:
        raise Problem("validation_error", errors=errors)


@transaction.atomic
def activity_create(
    *,
    street: Street,
    place: Place,
    title: str,
    start: datetime,
    end: datetime,
    capacity: int | None = None,
    category: str = Category.OTHER,
    audience: str = Audience.EVERYONE,
    description: str = "",
    organiser: str = "",
    waitlist_capacity: int = 10,
    booking_opens_at: datetime | None = None,
    booking_closes_at: datetime | None = None,
    cancel_deadline: datetime | None = None,
    status: str = ActivityStatus.DRAFT,
    external_id: str | None = None,
    series: ActivitySeries | None = None,
    tags: list[str] | None = None,
    actor: User | None = None,
) -> Activity:
    _check_staff(actor, street)
    values: dict[str, Any] = {
        "title": title,
        "description": description,
        "category": category,
        "tags": list(tags or []),
        "audience": audience,
        "organiser": organiser,
        "start": start,
        "end": end,
        "capacity": capacity,
        "waitlist_capacity": waitlist_capacity,
        "booking_opens_at": booking_opens_at,
        "booking_closes_at": booking_closes_at,
        "cancel_deadline": cancel_deadline,
        "status": status,
        "place": place,
    }
    _validate(values, street)
    external_id = (external_id or "").strip() or str(uuid.uuid4())
    if len(external_id) > 255:
        raise Problem("validation_error", errors=[field_error("external_id", _("外部编号过长"))])
    if series is not None and series.street_id != street.pk:
        raise Problem("validation_error", errors=[field_error("series", _("系列不属于该街道"))])
    try:
        with transaction.atomic():
            activity = Activity.objects.create(street=street, external_id=external_id, series=series, **values)
    except IntegrityError:
        raise Problem(
            "validation_error",
            detail=format_lazy(_("外部编号 {external_id} 已存在"), external_id=external_id),
            errors=[field_error("external_id", _("外部编号已存在"))],
        ) from None
    audit_log(actor=actor, action="activity.create", street=street, obj=activity, data={"title": activity.title})
    return activity


def _booked_people(activity: Activity) -> list[Any]:
    return [
        b.user
        for b in Booking.objects.filter(activity=activity, status__in=ACTIVE_BOOKING_STATUSES)
        .select_related("user")
        .order_by("id")
    ]


@transaction.atomic
def activity_update(*, activity: Activity, actor: User | None = None, **fields: Any) -> Activity:
    """Change an activity. Capacity may not drop below the seats already booked; a larger capacity confirms
    waitlisted people in order; a new time or venue of a published activity is sent to everyone booked."""
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise Problem(
            "validation_error",
            errors=[field_error(name, _("不能修改该字段")) for name in unknown],
        )
    locked = Activity.objects.select_for_update(of=("self",)).select_related("street", "place").get(pk=activity.pk)
    _check_staff(actor, locked.street)
    if fields.get("status") == ActivityStatus.CANCELLED:
        raise Problem(
            "validation_error",
            errors=[field_error("status", _("请使用「取消活动」"))],
        )
    if locked.status == ActivityStatus.CANCELLED:
        raise Problem("validation_error", detail=_("活动已取消，不能修改"))
    values = {name: getattr(locked, name) for name in EDITABLE_FIELDS}
    values.update(fields)
    _validate(values, locked.street)
    capacity = values["capacity"]
    if capacity is not None and capacity < locked.booked:
        raise Problem(
            "validation_error",
            detail=format_lazy(_("已有 {booked} 人预约，名额不能少于此数"), booked=locked.booked),
            errors=[field_error("capacity", format_lazy(_("不能少于已预约人数 {booked}"), booked=locked.booked))],
        )
    if values["waitlist_capacity"] < locked.waitlisted:
        raise Problem(
            "validation_error",
            errors=[
                field_error(
                    "waitlist_capacity",
                    format_lazy(_("不能少于正在候补的人数 {waitlisted}"), waitlisted=locked.waitlisted),
                )
            ],
        )
    if (
        locked.status == ActivityStatus.PUBLISHED
        and values["status"] == ActivityStatus.DRAFT
        and (locked.booked or locked.waitlisted)
    ):
        raise Problem(
            "validation_error",
            detail=_("已有人预约，不能改回草稿；如需停办请取消活动"),
            errors=[field_error("status", _("已有人预约，不能改回草稿"))],
        )
    changed = [name for name in EDITABLE_FIELDS if values[name] != getattr(locked, name)]
    if not changed:
        return locked
    grew = (capacity is None and locked.capacity is not None) or (
        capacity is not None and locked.capacity is not None and capacity > locked.capacity
    )
    was_published = locked.status == ActivityStatus.PUBLISHED
    for name in changed:
        setattr(locked, name, values[name])
    locked.save(update_fields=[*changed, "updated_at"])
    if "start" in changed:  # reminders follow the new time
        Booking.objects.filter(activity=locked).update(reminded_day_before_at=None, reminded_two_hours_at=None)

    if was_published and locked.status == ActivityStatus.PUBLISHED:
        moved = [name for name in NOTIFY_ON_CHANGE if name in changed]
        if moved:
            zh, en = notify.changed_message(locked, moved)
            for user in _booked_people(locked):
                notify_user(user=user, message_zh=zh, message_en=en)
        if grew and locked.waitlisted:
            free = None if locked.capacity is None else locked.capacity - locked.booked
            waitlist_promote(activity=locked, actor=actor, limit=locked.waitlisted if free is None else free)
            locked.refresh_from_db(fields=["booked", "waitlisted"])
    audit_log(actor=actor, action="activity.update", street=locked.street, obj=locked, data={"fields": changed})
    activity.refresh_from_db()
    return activity


@transaction.atomic
def activity_publish(*, activity: Activity, actor: User | None = None) -> Activity:
    locked = Activity.objects.select_for_update(of=("self",)).select_related("street").get(pk=activity.pk)
    _check_staff(actor, locked.street)
    if locked.status == ActivityStatus.CANCELLED:
        raise Problem("validation_error", detail=_("活动已取消，不能发布"))
    if locked.status != ActivityStatus.PUBLISHED:
        locked.status = ActivityStatus.PUBLISHED
        locked.save(update_fields=["status", "updated_at"])
        audit_log(actor=actor, action="activity.publish", street=locked.street, obj=locked)
    activity.status = locked.status
    return locked


@transaction.atomic
def activity_cancel(*, activity: Activity, actor: User | None = None, message: str = "") -> int:
    """Cancel the activity and every live booking of it; tell each booked or waitlisted person (with `message`).
    Returns how many people were told."""
    locked = Activity.objects.select_for_update(of=("self",)).select_related("street", "place").get(pk=activity.pk)
    _check_staff(actor, locked.street)
    message = (message or "").strip()[:300]
    if locked.status == ActivityStatus.CANCELLED:
        return 0
    now = timezone.now()
    live = list(
        Booking.objects.select_for_update(of=("self",))
        .filter(activity=locked, status__in=ACTIVE_BOOKING_STATUSES)
        .select_related("user")
        .order_by("id")
    )
    note = ("活动取消 activity cancelled" + (f": {message}" if message else ""))[:500]
    events = [
        BookingEvent(
            booking=b,
            at=now,
            actor=actor if getattr(actor, "pk", None) else None,
            from_status=b.status,
            to_status=BookingStatus.CANCELLED,
            note=note,
        )
        for b in live
    ]
    Booking.objects.filter(pk__in=[b.pk for b in live]).update(status=BookingStatus.CANCELLED, cancelled_at=now)
    BookingEvent.objects.bulk_create(events)
    Activity.objects.filter(pk=locked.pk).update(
        status=ActivityStatus.CANCELLED, booked=0, waitlisted=0, updated_at=now
    )
    zh, en = notify.cancelled_message(locked, message)
    told = 0
    for b in live:
        notify_user(user=b.user, message_zh=zh, message_en=en)
        told += 1
    audit_log(
        actor=actor,
        action="activity.cancel",
        street=locked.street,
        obj=locked,
        data={"told": told, "message": message},
    )
    activity.status, activity.booked, activity.waitlisted = ActivityStatus.CANCELLED, 0, 0
    return told


def activity_counters_check(*, activity: Activity) -> dict[str, int]:
    """The counters next to the row counts they must equal (used by tests and the benchmark's audit)."""
    fresh = Activity.objects.filter(pk=activity.pk).values("booked", "waitlisted").get()
    rows = Booking.objects.filter(activity_id=activity.pk)
    return {
        "booked": fresh["booked"],
        "booked_rows": rows.filter(status__in=["confirmed", "checked_in", "no_show"]).count(),
        "waitlisted": fresh["waitlisted"],
        "waitlisted_rows": rows.filter(status=BookingStatus.WAITLISTED).count(),
    }


__all__ = [
    "activity_cancel",
    "activity_counters_check",
    "activity_create",
    "activity_publish",
    "activity_update",
]
