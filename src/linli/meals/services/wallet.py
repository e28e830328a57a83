"""The resident's meal wallet: an append-only ledger of top-ups, charges and refunds in fen.

`Wallet.balance_fen` is changed only here, by one conditional UPDATE (`... WHERE balance_fen >= amount` for a
charge), and every change appends a `WalletEntry` carrying the balance after it, in the same transaction. So
the balance always equals the sum of the entries, never goes below zero (also a CHECK constraint), and two
racing charges cannot both spend the same money.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core import rawsql
from linli.core.errors import Problem
from linli.core.models import AuditLog, Role, Street, User
from linli.core.phones import InvalidPhone, normalize_phone
from linli.core.selectors import require_role, user_has_role
from linli.core.services import user_get_or_create
from linli.meals.models import EntryKind, Order, Wallet, WalletEntry

MAX_TOPUP_FEN = 1_000_000  # ¥10,000 at the counter in one go: a typo guard, not a policy
TOPUP_ROLES = (Role.ADMIN, Role.STATION_STAFF)


def wallet_get_or_create(*, user: User) -> Wallet:
    """The user's wallet, created empty on first use (a race of two first uses creates one)."""
    wallet = Wallet.objects.filter(user_id=user.pk).first()
    if wallet is not None:
        return wallet
    try:
        with transaction.atomic():
            return Wallet.objects.create(user_id=user.pk, balance_fen=0)
    except IntegrityError:
        return Wallet.objects.get(user_id=user.pk)


def wallet_balance(*, user: User) -> int:
    value = Wallet.objects.filter(user_id=user.pk).values_list("balance_fen", flat=True).first()
    return int(value or 0)


def insufficient_balance(*, needed_fen: int, balance_fen: int) -> Problem:
    """The refusal of a charge the balance does not cover (also raised by the order path's one statement)."""
    return Problem(
        "insufficient_balance",
        detail=format_lazy(
            _("需支付 {needed} 元，钱包余额 {balance} 元"),
            needed=f"{needed_fen / 100:.2f}",
            balance=f"{balance_fen / 100:.2f}",
        ),
        extra={"balance_fen": int(balance_fen), "needed_fen": int(needed_fen)},
    )


def _apply(
    *, wallet: Wallet, delta: int, kind: str, order: Order | None, street: Street | None, actor: User | None, note: str
) -> WalletEntry | None:
    """Change the balance by `delta` (refused if it would go negative) and append the entry. In a transaction.

    Plain SQL (UPDATE ... RETURNING, one INSERT): this is on the lunch-rush hot path, where building the ORM
    statements cost more CPU than running them."""

    now = timezone.now()
    guard = " AND balance_fen >= %s" if delta < 0 else ""
    params: list[Any] = [delta, now, wallet.pk] + ([-delta] if delta < 0 else [])
    row = rawsql.fetch_one(
        f"UPDATE {rawsql.table(Wallet)} SET balance_fen = balance_fen + %s, updated_at = %s "  # noqa: S608
        f"WHERE id = %s{guard} RETURNING balance_fen",
        params,
    )
    if row is None:
        balance = Wallet.objects.filter(pk=wallet.pk).values_list("balance_fen", flat=True).first() or 0
        raise insufficient_balance(needed_fen=-delta, balance_fen=int(balance))
    balance_after = int(row[0])
    wallet.balance_fen = balance_after
    values: dict[str, Any] = {
        "wallet": wallet.pk,
        "kind": kind,
        "amount_fen": delta,
        "balance_after_fen": balance_after,
        "order": order.pk if order is not None else None,
        "street": street.pk if street is not None else None,
        "actor": actor.pk if actor is not None and actor.pk else None,
        "note": (note or "")[:200],
        "at": now,
    }
    entry_id = rawsql.insert(WalletEntry, values)
    entry = WalletEntry(
        pk=entry_id,
        wallet=wallet,
        kind=kind,
        amount_fen=delta,
        balance_after_fen=balance_after,
        order=order,
        street=street,
        actor=values["actor"] and actor,
        note=values["note"],
        at=now,
    )
    entry._state.adding = False
    return entry


@transaction.atomic
def wallet_topup(
    *, user: User, amount_fen: int, actor: User | None, street: Street | None = None, note: str = ""
) -> WalletEntry:
    """Staff top up a resident's wallet at the counter (or `linli wallet topup` for batches: actor None)."""
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise Problem("validation_error", detail=_("充值金额须为正整数（分）"))
    if amount_fen > MAX_TOPUP_FEN:
        raise Problem(
            "validation_error",
            detail=format_lazy(_("单次充值不超过 {max} 元"), max=MAX_TOPUP_FEN // 100),
        )
    if actor is not None and (street is None or not user_has_role(actor, street=street, roles=TOPUP_ROLES)):
        raise Problem(
            "permission_denied",
            detail=_("只有本街道的站点工作人员可以充值"),
        )
    wallet = wallet_get_or_create(user=user)
    entry = _apply(
        wallet=wallet, delta=amount_fen, kind=EntryKind.TOPUP, order=None, street=street, actor=actor, note=note
    )
    assert entry is not None
    AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        street=street,
        action="wallet.topup",
        object_type="wallet",
        object_id=str(wallet.pk),
        data={"amount_fen": amount_fen, "entry": entry.pk},
    )
    return entry


@transaction.atomic
def wallet_topup_by_phone(
    *, phone: str, amount_fen: int, actor: Any, street: Street, note: str = ""
) -> tuple[User, WalletEntry]:
    """A counter top-up for whoever holds `phone` (an account is made for a number not seen before): the person
    and the ledger entry. The actor's role is checked first, so a refused top-up makes no account."""
    require_role(actor, street=street, roles=TOPUP_ROLES)
    try:
        normalized = normalize_phone(phone)
    except InvalidPhone:
        raise Problem("invalid_phone") from None
    user = user_get_or_create(phone=normalized)
    return user, wallet_topup(user=user, amount_fen=amount_fen, actor=actor, street=street, note=note)


def entry_to_dict(entry: WalletEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "amount_fen": entry.amount_fen,
        "balance_after_fen": entry.balance_after_fen,
        "order_id": entry.order_id,
        "note": entry.note,
        "at": entry.at.isoformat(),
    }


def wallet_charge(*, user: User, amount_fen: int, order: Order, street: Street) -> WalletEntry | None:
    """Charge an order (call inside the order's transaction). Raises `insufficient_balance`. 0 fen: no entry."""
    if amount_fen < 0:
        raise ValueError("a charge is a positive amount")
    if amount_fen == 0:
        return None
    wallet = wallet_get_or_create(user=user)
    return _apply(
        wallet=wallet,
        delta=-amount_fen,
        kind=EntryKind.CHARGE,
        order=order,
        street=street,
        actor=user,
        note=f"订单 #{order.pk}",
    )


def wallet_refund(
    *, user: User, amount_fen: int, order: Order, actor: User | None = None, note: str = ""
) -> WalletEntry | None:
    """Give back what an order was charged (call inside the cancelling transaction). 0 fen: no entry."""
    if amount_fen < 0:
        raise ValueError("a refund is a positive amount")
    if amount_fen == 0:
        return None
    wallet = wallet_get_or_create(user=user)
    return _apply(
        wallet=wallet,
        delta=amount_fen,
        kind=EntryKind.REFUND,
        order=order,
        street=order.street,
        actor=actor,
        note=note or f"订单 #{order.pk} 退款",
    )


MAX_ENTRIES = 200


def wallet_entries(*, user: User, limit: int = 50) -> list[WalletEntry]:
    """The latest `limit` ledger entries (at most MAX_ENTRIES), newest first."""
    limit = max(1, min(limit, MAX_ENTRIES))
    return list(
        WalletEntry.objects.filter(wallet__user_id=user.pk).select_related("order").order_by("-at", "-id")[:limit]
    )
