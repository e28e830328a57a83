"""Spending hours: offers and requests between volunteers (TimeOverflow), paid from one volunteer's account to
another's through the ledger; badges for milestones and yearly statements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.models import User
from linli.core.phones import InvalidPhone, normalize_phone
from linli.volunteers.models import Entry, Offer, OfferKind, Transfer, TransferKind, Volunteer
from linli.volunteers.services import ledger

MILESTONES = (50, 100, 500)  # hours
EARNED_KINDS = (TransferKind.SHIFT, TransferKind.CLASS, TransferKind.SERVICE)


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


def offer_use(*, offer: Offer, payer: Volunteer, actor: User) -> Transfer:
    """`payer` received the service another volunteer offers: the offer's minutes go from the payer's account
    to the offerer's (one transfer netting to zero). One's own offers cannot be paid."""
    if offer.kind != OfferKind.OFFER or not offer.active:
        raise Problem("not_found")
    if offer.volunteer_id == payer.pk:
        raise Problem("permission_denied")
    return exchange_pay(payer=payer, payee=offer.volunteer, minutes=offer.minutes, memo=offer.title, actor=actor)


def request_settle(*, offer: Offer, helper_phone: str, actor: User) -> Transfer:
    """A volunteer's request was met: they pay the helper (a volunteer of the street, by phone number) the
    request's minutes, and the request is closed."""
    if offer.kind != OfferKind.REQUEST or not offer.active:
        raise Problem("not_found")
    try:
        number = normalize_phone(helper_phone)
    except InvalidPhone:
        raise Problem("invalid_phone") from None
    helper = Volunteer.objects.filter(street_id=offer.volunteer.street_id, user__phone=number).first()
    if helper is None or helper.pk == offer.volunteer_id:
        raise Problem("swap_to_unknown")
    transfer = exchange_pay(payer=offer.volunteer, payee=helper, minutes=offer.minutes, memo=offer.title, actor=actor)
    Offer.objects.filter(pk=offer.pk).update(active=False)
    return transfer


def offer_close(*, offer: Offer, actor: User) -> Offer:
    if offer.volunteer.user_id != actor.pk:
        raise Problem("permission_denied")
    Offer.objects.filter(pk=offer.pk).update(active=False)
    offer.active = False
    return offer


@dataclass
class Statement:
    """A volunteer's year: every time-bank movement, the hours by kind and by month."""

    volunteer: Volunteer
    year: int
    entries: list[dict[str, Any]] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)  # minutes, signed
    by_month: list[tuple[int, int]] = field(default_factory=list)  # (month, earned minutes)
    earned: int = 0
    received: int = 0
    spent: int = 0


def statement(volunteer: Volunteer, year: int) -> Statement:
    """The yearly statement (年度服务记录): what the stations credited, what was exchanged, month by month."""
    out = Statement(volunteer=volunteer, year=year)
    months = dict.fromkeys(range(1, 13), 0)
    rows = (
        Entry.objects.filter(account__volunteer=volunteer, transfer__at__year=year)
        .select_related("transfer")
        .order_by("transfer__at", "pk")
    )
    for e in rows:
        at = timezone.localtime(e.transfer.at)
        kind = e.transfer.kind
        out.entries.append({"at": at, "kind": kind, "label": TransferKind(kind).label, "memo": e.transfer.memo,
                            "minutes": e.minutes})  # fmt: skip
        out.by_kind[kind] = out.by_kind.get(kind, 0) + e.minutes
        if kind in EARNED_KINDS and e.minutes > 0:
            out.earned += e.minutes
            months[at.month] += e.minutes
        elif e.minutes > 0:
            out.received += e.minutes
        else:
            out.spent -= e.minutes
    out.by_month = sorted(months.items())
    return out


def earned_minutes(volunteer: Volunteer, year: int | None = None) -> int:
    """Minutes credited by stations (shifts, classes, services): what badges and certificates count."""
    qs = Entry.objects.filter(
        account__volunteer=volunteer, minutes__gt=0,
        transfer__kind__in=EARNED_KINDS,
    )  # fmt: skip
    if year:
        qs = qs.filter(transfer__at__year=year)
    return int(qs.aggregate(s=Sum("minutes"))["s"] or 0)


def badges(volunteer: Volunteer) -> list[int]:
    hours = earned_minutes(volunteer) // 60
    return [m for m in MILESTONES if hours >= m]
