"""Spending hours: offers and requests between volunteers (TimeOverflow), paid from one volunteer's account to
another's through the ledger; badges for milestones and yearly statements."""

from __future__ import annotations

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.models import User
from linli.volunteers.models import Entry, Offer, OfferKind, Transfer, TransferKind, Volunteer
from linli.volunteers.services import ledger

MILESTONES = (50, 100, 500)  # hours


def offer_create(*, volunteer: Volunteer, kind: str, title: str, minutes: int = 60) -> Offer:
    errors = []
    if kind not in OfferKind.values:
        errors.append(field_error("kind", _("请选择提供或需要")))
    if not (title or "").strip() or len(title) > 120:
        errors.append(field_error("title", _("请填写内容")))
    if not 15 <= int(minutes) <= 8 * 60:
        errors.append(field_error("minutes", _("时长在 15 分钟到 8 小时之间")))
    if errors:
        raise Problem("validation_error", errors=errors)
    return Offer.objects.create(volunteer=volunteer, kind=kind, title=title.strip(), minutes=int(minutes))


def exchange_pay(*, payer: Volunteer, payee: Volunteer, minutes: int, memo: str, actor: User) -> Transfer:
    """`payer` pays `payee` for a service received (both of one street; the payer or staff act)."""
    if payer.street_id != payee.street_id:
        raise Problem("not_found")
    if actor.pk != payer.user_id:
        raise Problem("permission_denied")
    transfer = ledger.transfer_make(
        source=ledger.account_for(payer), target=ledger.account_for(payee), minutes=minutes,
        kind=TransferKind.EXCHANGE, memo=memo, actor=actor,
    )  # fmt: skip
    assert transfer is not None
    return transfer


def earned_minutes(volunteer: Volunteer, year: int | None = None) -> int:
    """Minutes credited by stations (shifts, classes, services): what badges and certificates count."""
    qs = Entry.objects.filter(
        account__volunteer=volunteer, minutes__gt=0,
        transfer__kind__in=[TransferKind.SHIFT, TransferKind.CLASS, TransferKind.SERVICE],
    )  # fmt: skip
    if year:
        qs = qs.filter(transfer__at__year=year)
    return int(qs.aggregate(s=Sum("minutes"))["s"] or 0)


def badges(volunteer: Volunteer) -> list[int]:
    hours = earned_minutes(volunteer) // 60
    return [m for m in MILESTONES if hours >= m]
