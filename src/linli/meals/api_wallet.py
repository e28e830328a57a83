"""Meals API (wallet): my balance and ledger; counter top-ups by station staff. Thin."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from linli.core import services as core_services
from linli.core.auth import require_user
from linli.core.errors import Problem
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone
from linli.core.selectors import require_role, street_get
from linli.meals.models import WalletEntry
from linli.meals.services import wallet as wallet_services

router = Router(tags=["meals 助餐"])


class WalletEntryOut(Schema):
    id: int
    kind: str
    amount_fen: int
    balance_after_fen: int
    order_id: int | None
    note: str
    at: str


class WalletOut(Schema):
    balance_fen: int
    entries: list[WalletEntryOut]


class TopupIn(Schema):
    phone: str = Field(..., max_length=20)
    amount_fen: int = Field(..., gt=0, le=wallet_services.MAX_TOPUP_FEN)
    street: str = Field(..., max_length=40)
    note: str = Field("", max_length=200)


class TopupOut(Schema):
    phone: str
    amount_fen: int
    balance_fen: int
    entry_id: int


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


@router.get("/me/wallet", response=WalletOut, auth=require_user, summary="我的助餐钱包 My meal wallet")
def my_wallet(request: HttpRequest, limit: int = 50) -> dict[str, Any]:
    """The balance in fen and the latest ledger entries (top-ups, charges, refunds), newest first."""
    user = request.auth  # type: ignore[attr-defined]
    limit = max(1, min(int(limit), 200))
    return {
        "balance_fen": wallet_services.wallet_balance(user=user),
        "entries": [entry_to_dict(e) for e in wallet_services.wallet_entries(user=user, limit=limit)],
    }


@router.post(
    "/meals/wallets/topup", response={201: TopupOut}, auth=require_user, summary="柜台充值 Top up at the counter"
)
def topup(request: HttpRequest, payload: TopupIn) -> Status:
    """Station staff (or the street's admin) top up a resident's wallet; audit-logged. The phone is answered
    masked."""
    street = street_get(code=payload.street)
    require_role(request.auth, street=street, roles=wallet_services.TOPUP_ROLES)  # type: ignore[attr-defined]
    try:
        phone = normalize_phone(payload.phone)
    except InvalidPhone:
        raise Problem("invalid_phone") from None
    user = core_services.user_get_or_create(phone=phone)
    entry = wallet_services.wallet_topup(
        user=user,
        amount_fen=payload.amount_fen,
        actor=request.auth,  # type: ignore[attr-defined]
        street=street,
        note=payload.note,
    )
    return Status(
        201,
        {
            "phone": mask_phone(user.phone),
            "amount_fen": payload.amount_fen,
            "balance_fen": entry.balance_after_fen,
            "entry_id": entry.pk,
        },
    )
