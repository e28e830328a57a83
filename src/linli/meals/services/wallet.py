"""The resident's meal wallets: an append-only ledger of top-ups, charges and refunds in fen.

A wallet belongs to a person in one street (`Wallet.user`, `Wallet.street`): a street funds its own subsidies,
so money loaded at a street's counter pays for that street's meals (an order is charged to the wallet of its
kitchen's street, a refund goes back there) and that street's staff see and top up only that wallet, never
what the person holds in another street. The resident sees each street's wallet and their sum.

`Wallet.balance_fen` is changed only here, by one conditional UPDATE (`... WHERE balance_fen >= amount` for a
charge), and every change appends a `WalletEntry` carrying the balance after it, in the same transaction. So
each wallet's balance always equals the sum of its entries, never goes below zero (also a CHECK constraint), and
two racing charges cannot both spend the same money.
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


def wallet_get_or_create(*, user: User, street: Street) -> Wallet:
    """The user's wallet in `street`, created empty on first use (a race of two first uses creates one)."""
    wallet = Wallet.objects.filter(user_id=user.pk, street_id=street.pk).first()
    if wallet is not None:
        return wallet
    try:
        with transaction.atomic():
            return Wallet.objects.create(user_id=user.pk, street_id=street.pk, balance_fen=0)
    except IntegrityError:
        return Wallet.objects.get(user_id=user.pk, street_id=street.pk)


def wallet_balance(*, user: User, street: Street | None = None) -> int:
    """What the user holds in `street`'s wallet; without a street, the sum over every street (the resident's)."""
    qs = Wallet.objects.filter(user_id=user.pk)
    if street is not None:
        qs = qs.filter(street_id=street.pk)
    return int(sum(qs.values_list("balance_fen", flat=True)))


def wallet_balances(*, user: User) -> list[dict[str, Any]]:
    """The resident's wallets, one per street that holds money for them (or did), by street name."""
    return [
        {"street": code, "street_name": name, "balance_fen": int(balance)}
        for code, name, balance in Wallet.objects.filter(user_id=user.pk)
        .order_by("street__name", "street_id")
        .values_list("street__code", "street__name", "balance_fen")
    ]


def _default_street(user: User) -> Street:
    """Where a top-up without a street goes (`linli wallet topup` without --street): the person's home street,
    or the deployment's only street."""
    if user.home_street_id:
        return Street.objects.get(pk=user.home_street_id)
    streets = list(Street.objects.order_by("pk")[:2])
    if len(streets) == 1:
        return streets[0]
    raise Problem("validation_error", detail=_("请指明充值到哪个街道的钱包"))


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
    """Staff top up a resident's wallet in their street at the counter (or `linli wallet topup` for batches:
    actor None, and without a street the person's home street or the only street)."""
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
    street = street or _default_street(user)
    wallet = wallet_get_or_create(user=user, street=street)
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


def account_confirmation_required() -> Problem:
    return Problem(
        "account_confirmation_required",
        detail=_("这个手机号还没有账户。请核对本人身份，填写姓名并勾选确认后再充值，系统会为其开户。"),
    )


@transaction.atomic
def wallet_topup_by_phone(
    *,
    phone: str,
    amount_fen: int,
    actor: Any,
    street: Street,
    note: str = "",
    name: str = "",
    confirm_new_account: bool = False,
) -> tuple[User, WalletEntry]:
    """A counter top-up for whoever holds `phone`: the person and the ledger entry. The actor's role is checked
    first, so a refused top-up makes no account. A number without an account is a person the clerk has in front
    of them: the top-up creates the account only once the clerk confirms who it is (`name` and
    `confirm_new_account`; `account_confirmation_required` otherwise), so a typo never makes an account."""
    require_role(actor, street=street, roles=TOPUP_ROLES)
    try:
        normalized = normalize_phone(phone)
    except InvalidPhone:
        raise Problem("invalid_phone") from None
    user = User.objects.filter(phone=normalized).first()
    if user is None:
        name = " ".join(str(name or "").split())[:50]
        if not (confirm_new_account and name):
            raise account_confirmation_required()
        user = user_get_or_create(phone=normalized)
        if not user.display_name:
            user.display_name = name
            user.save(update_fields=["display_name"])
        AuditLog.objects.create(
            actor=actor, street=street, action="wallet.account_created", object_type="user", object_id=str(user.pk)
        )
    return user, wallet_topup(user=user, amount_fen=amount_fen, actor=actor, street=street, note=note)


def entry_to_dict(entry: WalletEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "amount_fen": entry.amount_fen,
        "balance_after_fen": entry.balance_after_fen,
        "order_id": entry.order_id,
        "street": entry.wallet.street.code if entry.wallet_id else None,
        "note": entry.note,
        "at": entry.at.isoformat(),
    }


def wallet_charge(*, user: User, amount_fen: int, order: Order, street: Street) -> WalletEntry | None:
    """Charge an order (call inside the order's transaction). Raises `insufficient_balance`. 0 fen: no entry."""
    if amount_fen < 0:
        raise ValueError("a charge is a positive amount")
    if amount_fen == 0:
        return None
    wallet = wallet_get_or_create(user=user, street=street)
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
    wallet = wallet_get_or_create(user=user, street=order.street)  # back where the order was charged
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


def wallet_entries(*, user: User, street: Street | None = None, limit: int = 50) -> list[WalletEntry]:
    """The latest `limit` ledger entries (at most MAX_ENTRIES), newest first: of `street`'s wallet, or of all."""
    limit = max(1, min(limit, MAX_ENTRIES))
    qs = WalletEntry.objects.filter(wallet__user_id=user.pk)
    if street is not None:
        qs = qs.filter(wallet__street_id=street.pk)
    return list(qs.select_related("order", "wallet__street").order_by("-at", "-id")[:limit])
