"""Appointments: booking a slot for an item, rescheduling and cancelling until the cut-off, reminders, the
no-show rule.

Never overbooked: a booking takes its place with one conditional UPDATE,
`UPDATE affairs_slot SET booked = booked + 1 WHERE id = %s AND booked < places AND NOT closed`, in the same
transaction as the appointment's row; of racing bookings for the last place exactly one matches the row, the
others get `slot_full`. The check constraint `booked <= places` backs it in the database.

Refusals, each a Problem with a stable code: `slot_full`, `slot_closed`, `too_soon`, `too_late`,
`not_eligible_channel`, `booking_suspended`, `appointment_exists`, `cancel_deadline_passed`.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.affairs.models import (
    KIND_CHANNEL,
    Appointment,
    AppointmentEvent,
    AppointmentSource,
    AppointmentStatus,
    Item,
    PreReview,
    PreReviewStatus,
    ResourceKind,
    Slot,
    Suspension,
)
from linli.affairs.services import notify
from linli.affairs.services.appointment_states import MACHINE
from linli.affairs.services.defaults import policy_for
from linli.affairs.services.prereviews import prereview_complete
from linli.core.errors import Problem
from linli.core.models import User
from linli.core.services import audit_log

S = AppointmentStatus
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
QR_SALT = "linli.affairs.appointment"


def _code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def appointment_qr_payload(appointment: Appointment) -> str:
    """What the appointment's QR code holds: its code, signed (the window queue's check-in reads it with
    `appointment_code_from_qr`)."""
    return signing.dumps({"a": appointment.code}, salt=QR_SALT, compress=True)


def appointment_code_from_qr(payload: str) -> str | None:
    """The appointment code of a scanned QR payload, or None when it is not one of ours."""
    try:
        data = signing.loads(payload, salt=QR_SALT)
    except signing.BadSignature:
        return None
    code = data.get("a") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


def suspension_active(*, user: User, street_id: int, now: datetime) -> Suspension | None:
    return (
        Suspension.objects.filter(street_id=street_id, user=user, lifted_at__isnull=True, ends_at__gt=now)
        .order_by("-ends_at")
        .first()
    )


def slot_refusal(
    *,
    item: Item,
    slot_start: datetime,
    slot_closed: bool,
    resource_name: str,
    resource_kind: str,
    resource_open: bool,
    restricted_elsewhere: bool,
    now: datetime,
) -> Problem | None:
    """The refusal of booking `item` in a slot described by these facts (not whether a place is free), in the
    order the checks run: `slot_closed`, `not_eligible_channel`, `too_soon`, `too_late`; None when it may.
    `resource_open`: the resource is active and of the item's street; `restricted_elsewhere`: the slot's template
    is for chosen items and this one is not among them. Shared by both twins (services.fast)."""
    if slot_closed or not resource_open or not item.is_active:
        return Problem("slot_closed", detail=_("该时段不开放预约，请选择其他时段"))
    channel = KIND_CHANNEL[ResourceKind(resource_kind)]
    if channel not in (item.channels or []):
        return Problem(
            "not_eligible_channel",
            detail=format_lazy(_("「{item}」不能在「{resource}」办理"), item=item.name, resource=resource_name),
        )
    if restricted_elsewhere:
        return Problem(
            "not_eligible_channel",
            detail=format_lazy(_("这个时段只接待指定事项，「{item}」请选择其他时段"), item=item.name),
        )
    if slot_start < now + timedelta(minutes=item.min_notice_minutes):
        return Problem(
            "too_soon",
            detail=format_lazy(_("请至少提前 {minutes} 分钟预约"), minutes=item.min_notice_minutes),
        )
    if slot_start > now + timedelta(days=item.max_days_ahead):
        return Problem("too_late", detail=format_lazy(_("最多可预约 {days} 天内的时段"), days=item.max_days_ahead))
    return None


def slot_checks(*, slot: Slot, item: Item, now: datetime) -> None:
    """Whether `item` may be booked in `slot` now (not whether a place is free): `slot_closed`,
    `not_eligible_channel`, `too_soon`, `too_late`."""
    resource = slot.resource
    template = slot.template
    refusal = slot_refusal(
        item=item,
        slot_start=slot.start,
        slot_closed=slot.closed,
        resource_name=resource.name,
        resource_kind=resource.kind,
        resource_open=resource.is_active and resource.street_id == item.street_id,
        restricted_elsewhere=template is not None
        and template.restricted
        and not template.items.filter(pk=item.pk).exists(),
        now=now,
    )
    if refusal is not None:
        raise refusal


def suspended_problem() -> Problem:
    return Problem(
        "booking_suspended",
        detail=_("因多次预约未到，您的网上预约已暂停，请致电社区事务受理服务中心预约"),
    )


def exists_problem(item: Item) -> Problem:
    return Problem(
        "appointment_exists", detail=format_lazy(_("您已预约「{item}」，可在“我的办事”改约"), item=item.name)
    )


def _take_place(slot_id: int) -> bool:
    return bool(Slot.objects.filter(pk=slot_id, booked__lt=F("places"), closed=False).update(booked=F("booked") + 1))


def _give_place(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _full(slot_id: int) -> Problem:
    closed = Slot.objects.filter(pk=slot_id, closed=True).exists()
    if closed:
        return Problem("slot_closed", detail=_("该时段不开放预约，请选择其他时段"))
    return Problem("slot_full", detail=_("该时段刚刚约满，请选择其他时段"))


def _prereview_for(user: User, item: Item, prereview: PreReview | int | None) -> PreReview | None:
    if prereview is None:
        return (
            PreReview.objects.filter(user=user, item=item, status=PreReviewStatus.APPROVED)
            .order_by("-approved_at")
            .first()
        )
    pr = prereview if isinstance(prereview, PreReview) else PreReview.objects.filter(pk=prereview).first()
    if pr is None or pr.user_id != user.pk or pr.item_id != item.pk:
        raise Problem("not_found", detail=_("没有这份预审"))
    return pr


def appointment_book(
    *,
    slot: Slot | int,
    item: Item,
    user: User,
    booked_by: User | None = None,
    prereview: PreReview | int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Book `slot` for `user` to handle `item`. `booked_by` is the staff member booking for a caller on the
    phone (then the suspension of online booking does not apply)."""
    now = now or timezone.now()
    slot_obj = (
        slot
        if isinstance(slot, Slot)
        else Slot.objects.select_related("resource__place", "template").filter(pk=slot).first()
    )
    if slot_obj is None:
        raise Problem("not_found", detail=_("没有这个时段"))
    slot_checks(slot=slot_obj, item=item, now=now)
    source = AppointmentSource.STAFF if booked_by is not None else AppointmentSource.APP
    if source == AppointmentSource.APP and suspension_active(user=user, street_id=item.street_id, now=now):
        raise suspended_problem()
    # A second live appointment for the item is refused by the database's unique constraint (below), which also
    # decides a race: no read here.
    linked = _prereview_for(user, item, prereview) if (item.prereview or prereview is not None) else None
    try:
        with transaction.atomic():
            if not _take_place(slot_obj.pk):
                raise _full(slot_obj.pk)
            appointment = Appointment.objects.create(
                street_id=item.street_id,
                item=item,
                slot=slot_obj,
                resource=slot_obj.resource,
                user=user,
                prereview=linked,
                code=_code(),
                status=S.BOOKED,
                source=source,
                booked_by=booked_by,
                start=slot_obj.start,
                end=slot_obj.end,
                note=note[:300],
                created_at=now,
            )
            AppointmentEvent.objects.create(
                appointment=appointment,
                at=now,
                actor=booked_by or user,
                from_status="",
                to_status=S.BOOKED,
                note="staff" if booked_by else "",
            )
            if booked_by is not None:
                audit_log(
                    actor=booked_by,
                    action="affairs.appointment_book_for",
                    street=item.street,
                    obj=appointment,
                    data={"item": item.code},
                )
                # The caller booked on the phone gets the booking by SMS (online, the page shows it).
                zh, en = notify.booked_message(appointment, slot_obj, item)
                notify.notify_user(user=user, message_zh=zh, message_en=en)
    except IntegrityError:
        # The one-live-appointment-per-item constraint lost a race with this person's other request.
        raise exists_problem(item) from None
    return appointment


def _cutoff_check(appointment: Appointment, actor: User, now: datetime, *, staff: bool) -> None:
    if appointment.start <= now:
        raise Problem("cancel_deadline_passed", detail=_("预约时间已过，不能再取消或改约"))
    if staff:
        return
    cutoff = policy_for(appointment.street_id).cancel_cutoff_minutes
    if appointment.start - timedelta(minutes=cutoff) < now:
        raise Problem(
            "cancel_deadline_passed",
            detail=format_lazy(_("开始前 {minutes} 分钟内不能取消或改约，请联系工作人员"), minutes=cutoff),
        )


def appointment_cancel(
    *, appointment: Appointment, actor: User, staff: bool = False, reason: str = "", now: datetime | None = None
) -> Appointment:
    """Cancel until the street's cut-off (staff: until the start); the place goes back to the slot."""
    now = now or timezone.now()
    if not staff and appointment.user_id != actor.pk:
        raise Problem("permission_denied")
    MACHINE.check(appointment, S.CANCELLED)
    _cutoff_check(appointment, actor, now, staff=staff)
    with transaction.atomic():
        MACHINE.move(appointment, S.CANCELLED, actor=actor, now=now, note=reason)
        _give_place(appointment.slot_id)
        if staff and appointment.user_id != actor.pk:
            zh, en = notify.cancelled_message(appointment, reason)
            notify.notify_user(user=appointment.user, message_zh=zh, message_en=en)
    return appointment


def appointment_reschedule(
    *, appointment: Appointment, slot: Slot | int, actor: User, staff: bool = False, now: datetime | None = None
) -> Appointment:
    """Move a booked appointment to another slot (same item), until the cut-off; atomic: the new place is taken
    and the old one given back in one transaction, or nothing changes."""
    now = now or timezone.now()
    if not staff and appointment.user_id != actor.pk:
        raise Problem("permission_denied")
    if appointment.status != S.BOOKED:
        raise MACHINE.refused(appointment, appointment.status, S.BOOKED)
    _cutoff_check(appointment, actor, now, staff=staff)
    new = (
        slot
        if isinstance(slot, Slot)
        else Slot.objects.select_related("resource__place", "template").filter(pk=slot).first()
    )
    if new is None:
        raise Problem("not_found", detail=_("没有这个时段"))
    if new.pk == appointment.slot_id:
        return appointment
    slot_checks(slot=new, item=appointment.item, now=now)
    with transaction.atomic():
        if not _take_place(new.pk):
            raise _full(new.pk)
        moved = Appointment.objects.filter(pk=appointment.pk, status=S.BOOKED, slot_id=appointment.slot_id).update(
            slot=new,
            resource_id=new.resource_id,
            start=new.start,
            end=new.end,
            reminded_day_before_at=None,
            reminded_two_hours_at=None,
        )
        if not moved:
            raise MACHINE.refused(appointment, S.CANCELLED, S.BOOKED)
        _give_place(appointment.slot_id)
        old_start = appointment.start
        AppointmentEvent.objects.create(
            appointment=appointment,
            at=now,
            actor=actor,
            from_status=S.BOOKED,
            to_status=S.BOOKED,
            note=f"改约 rescheduled {timezone.localtime(old_start):%Y-%m-%d %H:%M} → {timezone.localtime(new.start):%Y-%m-%d %H:%M}",
        )
    appointment.refresh_from_db()
    return appointment


REMINDER_STAMPS = {"day_before": "reminded_day_before_at", "two_hours": "reminded_two_hours_at"}


def appointment_reminders_send(*, now: datetime | None = None) -> int:
    """The day-before and two-hours-before reminders that are due; each claimed by a conditional UPDATE of its
    stamp (safe on several workers), the SMS sent after commit. Returns how many were sent."""
    now = now or timezone.now()
    windows = {
        "day_before": (now + timedelta(hours=2), now + timedelta(hours=24)),
        "two_hours": (now, now + timedelta(hours=2)),
    }
    sent = 0
    for kind, (after, until) in windows.items():
        stamp = REMINDER_STAMPS[kind]
        due = (
            Appointment.objects.filter(status=S.BOOKED, start__gt=after, start__lte=until, **{f"{stamp}__isnull": True})
            .select_related("user", "item", "resource", "resource__place")
            .order_by("start", "id")
        )
        for appointment in due.iterator(chunk_size=500):
            with transaction.atomic():
                claimed = Appointment.objects.filter(
                    pk=appointment.pk, status=S.BOOKED, **{f"{stamp}__isnull": True}
                ).update(**{stamp: now})
                if not claimed:
                    continue
                zh, en = notify.reminder_message(appointment, kind=kind)
                notify.notify_user(user=appointment.user, message_zh=zh, message_en=en)
            sent += 1
    return sent


def no_show_rule_apply(*, user: User, street_id: int, now: datetime | None = None) -> Suspension | None:
    """The street's no-show rule (default: 3 no-shows in 90 days suspend online booking for 30 days): a new
    suspension when the person reached the limit and has none running; else None."""
    now = now or timezone.now()
    policy = policy_for(street_id)
    if not policy.no_show_limit:
        return None
    since = now - timedelta(days=policy.no_show_window_days)
    lifted_after = (
        Suspension.objects.filter(street_id=street_id, user=user, lifted_at__isnull=False)
        .order_by("-lifted_at")
        .values_list("lifted_at", flat=True)
        .first()
    )
    if lifted_after and lifted_after > since:
        since = lifted_after  # staff lifted it: only no-shows after that count again
    count = Appointment.objects.filter(street_id=street_id, user=user, status=S.NO_SHOW, no_show_at__gt=since).count()
    if count < policy.no_show_limit or suspension_active(user=user, street_id=street_id, now=now):
        return None
    suspension = Suspension.objects.create(
        street_id=street_id,
        user=user,
        starts_at=now,
        ends_at=now + timedelta(days=policy.suspension_days),
        reason=f"{count} 次未到 no-shows in {policy.no_show_window_days} days",
    )
    zh, en = notify.suspended_message(suspension, count)
    notify.notify_user(user=user, message_zh=zh, message_en=en)
    return suspension


def appointment_no_show(
    *, appointment: Appointment, actor: User | None = None, now: datetime | None = None
) -> Appointment:
    """Record that nobody came; apply the no-show rule."""
    now = now or timezone.now()
    with transaction.atomic():
        MACHINE.move(appointment, S.NO_SHOW, actor=actor, now=now)
        no_show_rule_apply(user=appointment.user, street_id=appointment.street_id, now=now)
    return appointment


def appointments_no_show_sweep(*, now: datetime | None = None) -> int:
    """Booked appointments whose slot ended more than the street's `no_show_after_minutes` ago and nobody checked
    in: no-show (the beat task). Returns how many."""
    now = now or timezone.now()
    n = 0
    due = Appointment.objects.filter(status=S.BOOKED, end__lt=now - timedelta(minutes=5)).select_related("user")
    for appointment in due.iterator(chunk_size=500):
        grace = policy_for(appointment.street_id).no_show_after_minutes
        if appointment.end + timedelta(minutes=grace) > now:
            continue
        try:
            appointment_no_show(appointment=appointment, now=now)
        except Problem:
            continue  # checked in or cancelled meanwhile
        n += 1
    return n


def suspension_lift(*, suspension: Suspension, actor: User, now: datetime | None = None) -> Suspension:
    """Staff lift a suspension: online booking works again at once."""
    now = now or timezone.now()
    if suspension.lifted_at is None:
        Suspension.objects.filter(pk=suspension.pk, lifted_at__isnull=True).update(lifted_at=now, lifted_by=actor)
        audit_log(
            actor=actor,
            action="affairs.suspension_lift",
            street=suspension.street,
            obj=suspension,
            data={"user": suspension.user_id},
        )
        suspension.refresh_from_db()
    return suspension


def appointment_check_in(*, appointment: Appointment, actor: User | None, now: datetime | None = None) -> Appointment:
    """The resident arrived (the window queue's check-in calls this, then gives a queue number)."""
    return MACHINE.move(appointment, S.CHECKED_IN, actor=actor, now=now)


def appointment_complete(*, appointment: Appointment, actor: User | None, now: datetime | None = None) -> Appointment:
    """The clerk recorded "served": the appointment is completed, and its approved pre-review with it."""
    from_prereview = appointment.prereview
    with transaction.atomic():
        MACHINE.move(appointment, S.COMPLETED, actor=actor, now=now)
        if from_prereview is not None and from_prereview.status == PreReviewStatus.APPROVED:
            prereview_complete(prereview=from_prereview, actor=actor, note=appointment.code, now=now)
    return appointment
