"""Check-in at the venue: signed QR payloads, typed short codes, walk-ins and no-shows.

The QR code carries `signing.dumps({"b": booking id, "a": activity id}, salt="linli.checkin", compress=True)`:
signed with the SECRET_KEY (HMAC), so it can neither be guessed nor altered. Staff may instead type the
booking's short code (digits; older codes may hold letters, where O/0 and I/1 are read as the same character).
"""

from __future__ import annotations

import io
from datetime import datetime

import segno
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.activities.models import Activity, ActivityStatus, Booking, BookingSource, BookingStatus
from linli.activities.services.bookings import booking_create, booking_transition
from linli.core.errors import Problem, field_error
from linli.core.i18n import Text
from linli.core.models import Role, User
from linli.core.selectors import require_role
from linli.core.services import audit_log, user_get_or_create

CHECKIN_SALT = "linli.checkin"
CHECKIN_ROLES = (Role.ADMIN, Role.STATION_STAFF)
# Codes are drawn without 0/O and 1/I; fold a typed O to 0 and I to 1 on both sides so either reading matches.
_AMBIGUOUS = str.maketrans({"O": "0", "I": "1"})


def booking_qr_payload(booking: Booking) -> str:
    """The signed, compact text encoded in the booking's QR code."""
    return signing.dumps({"b": booking.pk, "a": booking.activity_id}, salt=CHECKIN_SALT, compress=True)


def _qr(booking: Booking) -> segno.QRCode:
    return segno.make(booking_qr_payload(booking), error="m", micro=False)


def booking_qr_svg(booking: Booking) -> str:
    """The QR code as an inline SVG string (for the "my bookings" page)."""
    out = io.BytesIO()
    _qr(booking).save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True, title="签到二维码 check-in QR")
    return out.getvalue().decode("utf-8")


def booking_qr_png(booking: Booking) -> bytes:
    out = io.BytesIO()
    _qr(booking).save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def normalize_code(code: str) -> str:
    """Upper case, without spaces or dashes, with look-alike characters folded (O→0, I→1)."""
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return cleaned.translate(_AMBIGUOUS)


def _invalid(message: Text, field: str = "payload") -> Problem:
    return Problem("checkin_invalid", detail=message, errors=[field_error(field, message)])


def _find_booking(*, activity: Activity, payload: str | None, code: str | None) -> Booking:
    if payload:
        try:
            data = signing.loads(payload.strip(), salt=CHECKIN_SALT)
        except signing.BadSignature:
            raise _invalid(_("二维码无效或已被篡改")) from None
        if not isinstance(data, dict) or not isinstance(data.get("b"), int) or not isinstance(data.get("a"), int):
            raise _invalid(_("二维码内容无效"))
        if data["a"] != activity.pk:
            raise _invalid(_("这是其他活动的二维码"))
        booking = Booking.objects.select_for_update().filter(pk=data["b"], activity=activity).first()
        if booking is None:
            raise _invalid(_("找不到该预约"))
        return booking
    wanted = normalize_code(code or "")
    if not wanted:
        raise Problem(
            "validation_error",
            detail=_("请扫描二维码或输入签到码"),
            errors=[field_error("code", _("请输入签到码"))],
        )
    candidates = Booking.objects.filter(activity=activity).only("id", "code")
    exact = candidates.filter(code__iexact=(code or "").strip()).first()
    match_id = exact.pk if exact else None
    if match_id is None:
        for b in candidates:
            if normalize_code(b.code) == wanted:
                match_id = b.pk
                break
    if match_id is None:
        raise _invalid(_("签到码不正确，或不是本活动的预约"), "code")
    return Booking.objects.select_for_update().get(pk=match_id)


@transaction.atomic
def booking_check_in(
    *,
    activity: Activity,
    actor: User,
    payload: str | None = None,
    code: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Check a booking in by QR payload or typed code. A second scan returns the booking unchanged, marked
    `already_checked_in = True` (not stored) so the desk can say "已于10:02签到"."""
    require_role(actor, street=activity.street, roles=CHECKIN_ROLES)
    if activity.status == ActivityStatus.CANCELLED:
        raise _invalid(_("该活动已取消"))
    booking = _find_booking(activity=activity, payload=payload, code=code)
    if booking.status == BookingStatus.CHECKED_IN:
        booking.already_checked_in = True  # type: ignore[attr-defined]
        return booking
    if booking.status == BookingStatus.WAITLISTED:
        raise _invalid(
            _("该预约仍在候补中，没有获得名额，不能签到；如有空位请现场登记"),
        )
    if booking.status == BookingStatus.CANCELLED:
        raise _invalid(_("该预约已取消，不能签到"))
    via = "qr" if payload else "code"
    booking = booking_transition(
        booking=booking, to_status=BookingStatus.CHECKED_IN, actor=actor, note=f"check-in {via}", now=now
    )
    if booking.checked_in_at is None:  # the booking core may leave the stamp to us
        booking.checked_in_at = now or timezone.now()
        booking.save(update_fields=["checked_in_at"])
    return booking


@transaction.atomic
def walk_in_create(*, activity: Activity, actor: User, phone: str, display_name: str = "") -> Booking:
    """Register a person at the desk while seats remain, and check them in at once.

    The seat comes from `booking_create` (the same database-enforced capacity as online bookings); when only
    the waiting list has room the walk-in is refused with `activity_full`, as a walk-in cannot wait."""

    require_role(actor, street=activity.street, roles=CHECKIN_ROLES)
    user = user_get_or_create(phone=phone, display_name=display_name)
    existing = (
        Booking.objects.select_for_update()
        .filter(activity=activity, user=user, status__in=[BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN])
        .first()
    )
    if existing is not None:
        if existing.status == BookingStatus.CHECKED_IN:
            return existing
        return booking_check_in(activity=activity, actor=actor, payload=booking_qr_payload(existing))
    booking = booking_create(activity=activity, user=user, source=BookingSource.WALK_IN, actor=actor)
    if booking.status != BookingStatus.CONFIRMED:
        raise Problem(
            "activity_full",
            detail=_("名额已满，无法现场登记"),
        )
    booking = booking_transition(booking=booking, to_status=BookingStatus.CHECKED_IN, actor=actor, note="walk-in")
    if booking.checked_in_at is None:
        booking.checked_in_at = timezone.now()
        booking.save(update_fields=["checked_in_at"])
    return booking


@transaction.atomic
def activity_mark_no_shows(*, activity: Activity, actor: User, now: datetime | None = None) -> int:
    """After the activity has ended, mark every still-confirmed booking as a no-show; return how many."""
    require_role(actor, street=activity.street, roles=CHECKIN_ROLES)
    now = now or timezone.now()
    if now < activity.end:
        raise Problem(
            "validation_error",
            detail=_("活动结束后才能登记未到"),
            errors=[field_error("activity", _("活动尚未结束"))],
        )
    marked = 0
    for booking in Booking.objects.select_for_update().filter(activity=activity, status=BookingStatus.CONFIRMED):
        booking_transition(booking=booking, to_status=BookingStatus.NO_SHOW, actor=actor, note="no-show")
        marked += 1
    if marked:
        audit_log(
            actor=actor, action="activity.no_shows", street=activity.street, obj=activity, data={"marked": marked}
        )
    return marked
