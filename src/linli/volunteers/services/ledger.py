"""The time bank: a double-entry ledger of minutes.

The invariant, stated once and enforced here: every transfer's entries sum to zero, so the sum of all balances
is zero; an account's `balance` equals the sum of its entries; a volunteer's or team's balance never goes below
zero (a station's account issues the hours it verifies and goes negative by exactly the hours it gave out).
Accounts are locked in id order (select_for_update) before they move, so concurrent transfers cannot lose an
update or deadlock; a transfer with a `ref` (e.g. "signup:12") happens at most once.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.models import User
from linli.volunteers.models import Account, AccountKind, Entry, Station, Team, Transfer, TransferKind, Volunteer


def account_for(owner: Volunteer | Team | Station) -> Account:
    """The owner's account, opened on first use."""
    if isinstance(owner, Volunteer):
        account, _created = Account.objects.get_or_create(
            volunteer=owner, defaults={"kind": AccountKind.VOLUNTEER, "street_id": owner.street_id}
        )
    elif isinstance(owner, Team):
        account, _created = Account.objects.get_or_create(
            team=owner, defaults={"kind": AccountKind.TEAM, "street_id": owner.street_id}
        )
    else:
        account, _created = Account.objects.get_or_create(
            station=owner, defaults={"kind": AccountKind.STATION, "street_id": owner.street_id}
        )
    return account


def transfer_make(
    *,
    source: Account,
    target: Account,
    minutes: int,
    kind: str,
    memo: str = "",
    ref: str | None = None,
    actor: User | None = None,
) -> Transfer | None:
    """Move `minutes` from `source` to `target`: one transfer, two entries netting to zero. Returns None when a
    transfer with the same `ref` exists already (the credit happened before)."""
    if kind not in TransferKind.values:
        raise ValueError(kind)
    if minutes <= 0 or source.pk == target.pk:
        raise Problem("validation_error", errors=[field_error("minutes", _("时长必须大于零"))])
    if ref and Transfer.objects.filter(ref=ref).exists():
        return None
    try:
        with transaction.atomic():
            locked = {
                a.pk: a
                for a in Account.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
            }
            src = locked[source.pk]
            if src.kind != AccountKind.STATION and src.balance < minutes:
                raise Problem(
                    "time_balance_insufficient",
                    detail=format_lazy(_("余额 {have} 分钟，不够 {need} 分钟"), have=src.balance, need=minutes),
                )
            transfer = Transfer.objects.create(
                kind=kind, street_id=src.street_id, ref=ref, memo=memo[:200], actor=actor
            )
            Entry.objects.bulk_create(
                [
                    Entry(transfer=transfer, account_id=source.pk, minutes=-minutes),
                    Entry(transfer=transfer, account_id=target.pk, minutes=minutes),
                ]
            )
            Account.objects.filter(pk=source.pk).update(balance=F("balance") - minutes)
            Account.objects.filter(pk=target.pk).update(balance=F("balance") + minutes)
    except IntegrityError:
        if ref and Transfer.objects.filter(ref=ref).exists():
            return None
        raise
    source.refresh_from_db(fields=["balance"])
    target.refresh_from_db(fields=["balance"])
    return transfer


def credit_hours(
    *,
    station: Station,
    owner: Volunteer | Team,
    minutes: int,
    kind: str,
    ref: str,
    memo: str = "",
    actor: User | None = None,
) -> Transfer | None:
    """The station issues `minutes` to a volunteer or team, once per `ref`."""
    return transfer_make(
        source=account_for(station), target=account_for(owner), minutes=minutes, kind=kind, memo=memo, ref=ref,
        actor=actor,
    )  # fmt: skip


def ledger_check() -> list[str]:
    """Every way the invariant could be broken, as text (empty when the ledger holds)."""
    problems = []
    unbalanced = (
        Entry.objects.values("transfer_id")
        .annotate(total=Sum("minutes"))
        .exclude(total=0)
        .values_list("transfer_id", flat=True)
    )
    problems += [f"transfer {t} does not net to zero" for t in unbalanced]
    for account in Account.objects.annotate(total=Sum("entries__minutes")):
        if (account.total or 0) != account.balance:  # type: ignore[attr-defined]
            problems.append(f"account {account.pk}: balance {account.balance} != entries {account.total}")  # type: ignore[attr-defined]
        if account.kind != AccountKind.STATION and account.balance < 0:
            problems.append(f"account {account.pk} is negative")
    total = Account.objects.aggregate(s=Sum("balance"))["s"] or 0
    if total != 0:
        problems.append(f"balances sum to {total}")
    return problems
