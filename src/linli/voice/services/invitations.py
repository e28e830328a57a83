"""Invitation links of a 日日清 consultation: one per invited party, signed (django.core.signing, its own salt)
for that invitation row and its nonce, valid for `MAX_AGE`. The party opens it without an account, accepts and
names who comes (or declines). A forged link, one for another invitation, an expired one, or one already used is
refused: `invitation_invalid`, `invitation_expired`, `invitation_used`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.models import User
from linli.voice.models import Consultation, ConsultationEvent, ConsultationStatus, Invitation, InvitationStatus

SALT = "linli.voice.invitation"
MAX_AGE = timedelta(days=14)


class _Signer(signing.TimestampSigner):
    """Signs with the time given (the service's clock), so a test can issue a link in the past."""

    def __init__(self, at: datetime | None = None) -> None:
        super().__init__(salt=SALT)
        self._at = at

    def timestamp(self) -> str:
        if self._at is None:
            return super().timestamp()
        return signing.b62_encode(int(self._at.timestamp()))


def invitation_token(invitation: Invitation, *, now: datetime | None = None) -> str:
    return _Signer(now).sign_object({"i": invitation.pk, "n": invitation.nonce})


def invite(*, consultation: Consultation, party: str, contact_phone: str = "", actor: User | None = None,
           now: datetime | None = None) -> tuple[Invitation, str]:  # fmt: skip
    """Invite one party; returns the invitation and its link token."""
    party = (party or "").strip()
    if not party:
        raise Problem("validation_error", errors=[field_error("party", _("请填写受邀单位"))])
    if consultation.status not in (ConsultationStatus.INVITING, ConsultationStatus.SCHEDULED):
        raise Problem("consultation_invalid_transition", detail=_("这次约请已不能再邀请单位"))
    with transaction.atomic():
        inv = Invitation.objects.create(consultation=consultation, party=party[:100], contact_phone=contact_phone[:20],
                                        created_at=now or timezone.now())  # fmt: skip
        ConsultationEvent.objects.create(consultation=consultation, at=now or timezone.now(), actor=actor,
                                         action="invited", note=party[:100])  # fmt: skip
    return inv, invitation_token(inv, now=now)


def invitation_open(token: str) -> Invitation:
    """The invitation a link names, if the link is genuine, unexpired and still unused."""
    try:
        data: Any = _Signer().unsign_object(token, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise Problem("invitation_expired") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise Problem("invitation_invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise Problem("invitation_invalid")
    inv = Invitation.objects.select_related("consultation", "consultation__committee").filter(
        pk=data["i"], nonce=str(data.get("n", ""))).first()  # fmt: skip
    if inv is None or inv.consultation.status in (ConsultationStatus.CLOSED, ConsultationStatus.CANCELLED):
        raise Problem("invitation_invalid")
    if inv.status != InvitationStatus.SENT:
        raise Problem("invitation_used")
    return inv


def invitation_answer(*, token: str, accept: bool, attendee_names: str = "", now: datetime | None = None) -> Invitation:
    """Accept (naming who comes) or decline, once: a second answer through the same link is `invitation_used`."""
    inv = invitation_open(token)
    names = (attendee_names or "").strip()[:200]
    if accept and not names:
        raise Problem("validation_error", errors=[field_error("attendee_names", _("请填写参会人员"))])
    now = now or timezone.now()
    status = InvitationStatus.ACCEPTED if accept else InvitationStatus.DECLINED
    with transaction.atomic():
        moved = Invitation.objects.filter(pk=inv.pk, status=InvitationStatus.SENT).update(
            status=status, attendee_names=names, answered_at=now)  # fmt: skip
        if not moved:
            raise Problem("invitation_used")
        ConsultationEvent.objects.create(consultation=inv.consultation, at=now, action=f"invitation_{status}",
                                         note=f"{inv.party}：{names}"[:500])  # fmt: skip
    inv.refresh_from_db()
    return inv
