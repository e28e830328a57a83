"""Shifts and sign-ups: publish (one shift or a recurring series by RRULE), sign up without ever passing the
places (a conditional UPDATE of `taken` inside the sign-up's transaction), drop or swap before the deadline,
check in and out at the station (its rotating QR code, or by staff), no-shows, and hours verified by staff that
credit the volunteer's time bank once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.activities.services.series import rrule_occurrences
from linli.core.errors import Problem, field_error
from linli.core.hooks import change_announce
from linli.core.models import User
from linli.core.notifications import notify_user
from linli.core.phones import InvalidPhone, normalize_phone
from linli.core.services import audit_log
from linli.volunteers.models import (
    LIVE_SIGNUP,
    SKILL_CODES,
    Shift,
    ShiftKind,
    Signup,
    SignupConfirmation,
    SignupStatus,
    Station,
    SwapRequest,
    SwapStatus,
    TransferKind,
    Volunteer,
)
from linli.volunteers.services import ledger
from linli.volunteers.services.profiles import require_staff
from linli.volunteers.services.states import SIGNUPS
from linli.volunteers.services.stationcode import station_from_token

S = SignupStatus
EARLY_CHECKIN = timedelta(minutes=60)
LATE_CHECKIN = timedelta(minutes=30)
ROUND_MINUTES = 15


@transaction.atomic
def shift_publish(
    *, station: Station, actor: User, title: str, kind: str, start: datetime, end: datetime, places: int,
    skills: list[str] | None = None, rrule: str = "", drop_deadline_hours: int = 12,
) -> list[Shift]:  # fmt: skip
    """One shift, or one per occurrence of `rrule` (the same times of day)."""
    require_staff(actor, station.street)
    errors = []
    if not (title or "").strip() or len(title) > 120:
        errors.append(field_error("title", _("请填写班次名称")))
    if kind not in ShiftKind.values:
        errors.append(field_error("kind", _("没有这种班次")))
    if timezone.is_naive(start) or timezone.is_naive(end) or end <= start:
        errors.append(field_error("end", _("结束时间必须晚于开始时间")))
    if not 1 <= int(places) <= 500:
        errors.append(field_error("places", _("人数在 1 到 500 之间")))
    if any(s not in SKILL_CODES for s in skills or []):
        errors.append(field_error("skills", _("没有这项技能")))
    if errors:
        raise Problem("validation_error", errors=errors)
    starts = rrule_occurrences(rrule=rrule, dtstart=start) if rrule else [start]
    series = uuid.uuid4().hex if rrule else ""
    length = end - start
    shifts = Shift.objects.bulk_create(
        [
            Shift(
                station=station,
                title=title.strip(),
                kind=kind,
                start=s,
                end=s + length,
                places=places,
                skills=sorted(set(skills or [])),
                series=series,
                rrule=rrule,
                drop_deadline_hours=drop_deadline_hours,
            )  # fmt: skip
            for s in starts
        ]
    )
    audit_log(actor=actor, street=station.street, action="volunteer.shift_publish", data={"count": len(shifts)})
    return shifts


def _check_volunteer(shift: Shift, volunteer: Volunteer) -> None:
    missing = sorted(set(shift.skills) - set(volunteer.skills))
    if missing:
        raise Problem("skills_missing", extra={"missing": missing})
    clash = (
        Signup.objects.filter(
            volunteer=volunteer, status__in=LIVE_SIGNUP, shift__start__lt=shift.end, shift__end__gt=shift.start
        )
        .exclude(shift=shift)
        .select_related("shift")
        .first()
    )
    if clash is not None:
        raise Problem(
            "overlaps",
            detail=format_lazy(_("与「{title}」时间冲突"), title=clash.shift.title),
            extra={"shift": clash.shift_id},
        )


def signup_create(*, shift: Shift | int, volunteer: Volunteer, now: datetime | None = None) -> Signup:
    """Sign up for a shift. Refusals: shift_closed, skills_missing, overlaps, already_signed_up, shift_full.

    The volunteer's row is locked first (their overlapping sign-ups are decided one at a time), then one
    conditional UPDATE takes a place (`taken < places`); the live-sign-up unique index decides a double tap."""
    now = now or timezone.now()
    shift_id = shift if isinstance(shift, int) else shift.pk
    with transaction.atomic():
        Volunteer.objects.select_for_update().filter(pk=volunteer.pk).first()
        current = Shift.objects.select_related("station").filter(pk=shift_id).first()
        if current is None or current.station.street_id != volunteer.street_id:
            raise Problem("not_found")
        if current.cancelled_at is not None or current.start <= now:
            raise Problem("shift_closed")
        _check_volunteer(current, volunteer)
        if Signup.objects.filter(shift=current, volunteer=volunteer, status__in=LIVE_SIGNUP).exists():
            raise Problem("already_signed_up")
        if not Shift.objects.filter(pk=current.pk, taken__lt=F("places")).update(taken=F("taken") + 1):
            raise Problem("shift_full")
        try:
            with transaction.atomic():
                signup = Signup.objects.create(shift=current, volunteer=volunteer, created_at=now)
        except IntegrityError:
            raise Problem("already_signed_up") from None
    return signup


def _give_back(signup: Signup) -> None:
    Shift.objects.filter(pk=signup.shift_id, taken__gt=0).update(taken=F("taken") - 1)


def signup_drop(*, signup: Signup, actor: User, now: datetime | None = None) -> Signup:
    """The volunteer drops a shift before its deadline (staff may at any time before it starts)."""
    now = now or timezone.now()
    shift = signup.shift
    staff = actor.pk != signup.volunteer.user_id
    if staff:
        require_staff(actor, shift.station.street)
    elif now > drop_deadline(shift):
        raise Problem("drop_deadline_passed")
    with transaction.atomic():
        SIGNUPS.move(signup, S.DROPPED, actor=actor, now=now)
        _give_back(signup)
    return signup


def drop_deadline(shift: Shift) -> datetime:
    """Until when a volunteer may drop or hand over their place (the shift's start less its deadline hours)."""
    return shift.start - timedelta(hours=shift.drop_deadline_hours)


def _swap(signup: Signup, to: Volunteer, actor: User, now: datetime) -> Signup:
    """Move the place (inside the caller's transaction): the old sign-up swapped, a new one for `to`."""
    shift = signup.shift
    Volunteer.objects.select_for_update().filter(pk=to.pk).first()
    _check_volunteer(shift, to)
    SIGNUPS.move(signup, S.SWAPPED, actor=actor, now=now, note=f"→ volunteer {to.pk}")
    try:
        with transaction.atomic():
            return Signup.objects.create(shift=shift, volunteer=to, created_at=now)
    except IntegrityError:
        raise Problem("already_signed_up") from None


def signup_swap(*, signup: Signup, to: Volunteer, actor: User, now: datetime | None = None) -> Signup:
    """Station staff hand a place to another volunteer (the place moves, it is never freed). Volunteers ask a
    colleague instead (`swap_request`), who accepts."""
    now = now or timezone.now()
    shift = signup.shift
    require_staff(actor, shift.station.street)
    if to.street_id != shift.station.street_id or to.pk == signup.volunteer_id:
        raise Problem("swap_to_unknown")
    with transaction.atomic():
        return _swap(signup, to, actor, now)


def swap_request(*, signup: Signup, phone: str, actor: User, now: datetime | None = None) -> SwapRequest:
    """The volunteer asks the colleague with this phone number (of the shift's street) to take over, before the
    drop deadline; the colleague is told by SMS and accepts or declines on their page."""
    now = now or timezone.now()
    shift = signup.shift
    if actor.pk != signup.volunteer.user_id:
        raise Problem("permission_denied")
    if signup.status != S.SIGNED_UP or now > drop_deadline(shift):
        raise Problem("drop_deadline_passed")
    try:
        number = normalize_phone(phone)
    except InvalidPhone:
        raise Problem("invalid_phone") from None
    to = Volunteer.objects.filter(street_id=shift.station.street_id, user__phone=number).first()
    if to is None or to.pk == signup.volunteer_id:
        raise Problem("swap_to_unknown")
    _check_volunteer(shift, to)
    try:
        with transaction.atomic():
            request = SwapRequest.objects.create(signup=signup, to=to, created_at=now)
    except IntegrityError:
        raise Problem("swap_pending") from None
    local = timezone.localtime(shift.start)
    notify_user(
        user=to.user,
        message_zh=f"【邻里】{signup.volunteer.name[:1]}**想请您接「{shift.title}」{local:%m月%d日 %H:%M}（{shift.station.name}）的班，请在“志愿服务”页确认。",
        message_en=f"[Linli] A fellow volunteer asks you to take over '{shift.title}' at {shift.station.name}, {local:%d %b %H:%M}: answer on your volunteer page.",
    )  # fmt: skip
    return request


def swap_answer(*, request: SwapRequest, actor: User, accept: bool, now: datetime | None = None) -> SwapRequest:
    """The colleague accepts (the place moves to them, if still before the deadline) or declines; either way the
    one who asked is told."""
    now = now or timezone.now()
    if actor.pk != request.to.user_id:
        raise Problem("permission_denied")
    signup = request.signup
    with transaction.atomic():
        to_status = SwapStatus.ACCEPTED if accept else SwapStatus.DECLINED
        if not SwapRequest.objects.filter(pk=request.pk, status=SwapStatus.PENDING).update(
            status=to_status, decided_at=now
        ):
            raise Problem("swap_pending")
        if accept:
            if now > drop_deadline(signup.shift):
                raise Problem("drop_deadline_passed")
            _swap(signup, request.to, actor, now)
    request.refresh_from_db()
    shift = signup.shift
    notify_user(
        user=signup.volunteer.user,
        message_zh=f"【邻里】「{shift.title}」{timezone.localtime(shift.start):%m月%d日 %H:%M}：{request.to.name[:1]}**{'已接班' if accept else '没有接班，您的班次不变'}。",
        message_en=f"[Linli] '{shift.title}': your colleague {'took over' if accept else 'declined; your shift stays yours'}.",
    )  # fmt: skip
    return request


def _live_signup_at(station: Station, volunteer: Volunteer, now: datetime, status: str) -> Signup:
    signup = (
        Signup.objects.select_related("shift")
        .filter(
            volunteer=volunteer,
            status=status,
            shift__station=station,
            shift__start__lte=now + EARLY_CHECKIN,
            shift__end__gte=now - LATE_CHECKIN,
        )  # fmt: skip
        .order_by("shift__start")
        .first()
    )
    if signup is None:
        raise Problem("no_shift_now")
    return signup


def _announced(signup: Signup) -> Signup:
    """Tell live views (core.hooks) that a volunteer came on or went off duty at the shift's station."""
    row = Shift.objects.filter(pk=signup.shift_id).values_list("station__street_id", "station__place_id").first()
    if row:
        change_announce(domain="volunteers", kind=f"signup.{signup.status}", street_id=row[0], place_id=row[1])
    return signup


def signup_check_in_by_code(*, token: str, user: User, now: datetime | None = None) -> Signup:
    """The volunteer scanned the station's screen: check in to their shift there (or out, if already in)."""
    now = now or timezone.now()
    station = station_from_token(token, now.timestamp())
    volunteer = Volunteer.objects.filter(user=user, street_id=station.street_id).first()
    if volunteer is None:
        raise Problem("volunteer_not_registered")
    try:
        signup = _live_signup_at(station, volunteer, now, S.CHECKED_IN)
        return _announced(SIGNUPS.move(signup, S.CHECKED_OUT, actor=user, now=now, note="qr"))
    except Problem:
        signup = _live_signup_at(station, volunteer, now, S.SIGNED_UP)
        return _announced(SIGNUPS.move(signup, S.CHECKED_IN, actor=user, now=now, note="qr"))


def signup_check_in(*, signup: Signup, actor: User, now: datetime | None = None) -> Signup:
    """Staff check a volunteer in at the desk."""
    require_staff(actor, signup.shift.station.street)
    return _announced(SIGNUPS.move(signup, S.CHECKED_IN, actor=actor, now=now, note="staff"))


def signup_check_out(*, signup: Signup, actor: User, now: datetime | None = None) -> Signup:
    if actor.pk != signup.volunteer.user_id:
        require_staff(actor, signup.shift.station.street)
    return _announced(SIGNUPS.move(signup, S.CHECKED_OUT, actor=actor, now=now))


def signup_no_show(*, signup: Signup, actor: User | None, now: datetime | None = None) -> Signup:
    """Record a no-show (staff, or the sweep after the shift ended). The place stays counted: it was held."""
    if actor is not None:
        require_staff(actor, signup.shift.station.street)
    return _announced(SIGNUPS.move(signup, S.NO_SHOW, actor=actor, now=now))


def worked_minutes(signup: Signup) -> int:
    """Minutes between check-in and check-out (the shift's length when one is missing), capped at the shift's
    length, rounded to the nearest quarter hour."""
    shift = signup.shift
    length = int((shift.end - shift.start).total_seconds() // 60)
    if signup.checked_in_at and signup.checked_out_at:
        start = max(signup.checked_in_at, shift.start)
        end = min(signup.checked_out_at, shift.end)
        raw = max(0, int((end - start).total_seconds() // 60))
    else:
        raw = length
    return min(length, int(round(raw / ROUND_MINUTES)) * ROUND_MINUTES)


def signup_verify(*, signup: Signup, actor: User, minutes: int | None = None, now: datetime | None = None) -> Signup:
    """Staff verify the hours: the sign-up is `verified` and the station credits the time bank once."""
    station = signup.shift.station
    require_staff(actor, station.street)
    given = worked_minutes(signup) if minutes is None else int(minutes)
    if not 0 < given <= 24 * 60:
        raise Problem("validation_error", errors=[field_error("minutes", _("时长必须在 1 分钟到 24 小时之间"))])
    with transaction.atomic():
        SIGNUPS.move(signup, S.VERIFIED, actor=actor, now=now, fields={"minutes": given})
        ledger.credit_hours(
            station=station, owner=signup.volunteer, minutes=given, kind=TransferKind.SHIFT, ref=f"signup:{signup.pk}",
            memo=signup.shift.title, actor=actor,
        )  # fmt: skip
    return signup


def no_show_sweep(*, now: datetime | None = None) -> int:
    """Sign-ups still `signed_up` an hour after their shift ended become no-shows."""
    now = now or timezone.now()
    count = 0
    for signup in Signup.objects.filter(status=S.SIGNED_UP, shift__end__lt=now - timedelta(hours=1))[:500]:
        try:
            SIGNUPS.move(signup, S.NO_SHOW, actor=None, now=now, note="sweep")
            count += 1
        except Problem:
            continue
    return count


def reminders_send(*, now: datetime | None = None) -> int:
    """Remind each signed-up volunteer the day before a shift (once per shift)."""
    now = now or timezone.now()
    due = Shift.objects.filter(
        reminded_at__isnull=True, cancelled_at__isnull=True, start__gt=now, start__lte=now + timedelta(hours=24)
    )
    sent = 0
    for shift in due.select_related("station")[:200]:
        if not Shift.objects.filter(pk=shift.pk, reminded_at__isnull=True).update(reminded_at=now):
            continue
        local = timezone.localtime(shift.start)
        for signup in shift.signups.filter(status=S.SIGNED_UP).select_related("volunteer__user"):
            notify_user(
                user=signup.volunteer.user,
                message_zh=f"【邻里】提醒：您报名的「{shift.title}」{local:%m月%d日 %H:%M} 在{shift.station.name}，请准时签到。",
                message_en=f"[Linli] Reminder: your shift '{shift.title}' at {shift.station.name}, {local:%d %b %H:%M}.",
            )
            sent += 1
    return sent


CONFIRM_SALT = "linli.volunteers.signup-confirm"
CONFIRM_AFTER = timedelta(hours=24)


def confirm_token(signup: Signup) -> str:
    """The link of the QR code a volunteer on duty shows the residents they serve: a signed sign-up id."""
    return signing.dumps({"s": signup.pk}, salt=CONFIRM_SALT)


def signup_from_confirm_token(token: str) -> Signup:
    try:
        data = signing.loads(token, salt=CONFIRM_SALT)
    except signing.BadSignature:
        raise Problem("not_found") from None
    signup = Signup.objects.select_related("shift__station", "volunteer").filter(pk=data.get("s")).first()
    if signup is None:
        raise Problem("not_found")
    return signup


def confirmable(signup: Signup, now: datetime | None = None) -> bool:
    """From check-in until a day after the shift ended, while checked in, out or verified."""
    now = now or timezone.now()
    live = signup.status in (S.CHECKED_IN, S.CHECKED_OUT, S.VERIFIED)
    return live and signup.shift.start - EARLY_CHECKIN <= now <= signup.shift.end + CONFIRM_AFTER


def signup_confirm_by_resident(*, signup: Signup, user: User, now: datetime | None = None) -> SignupConfirmation:
    """A resident served confirms the volunteer's shift (once); the volunteer cannot confirm themselves."""
    if user.pk == signup.volunteer.user_id:
        raise Problem("permission_denied")
    signup.refresh_from_db(fields=["status"])
    if not confirmable(signup, now):
        raise Problem("confirmation_closed")
    try:
        with transaction.atomic():
            return SignupConfirmation.objects.create(signup=signup, user=user, at=now or timezone.now())
    except IntegrityError:
        raise Problem("already_confirmed") from None
