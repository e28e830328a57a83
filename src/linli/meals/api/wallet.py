"""Meals API: my wallet (balance and ledger); counter top-ups by station staff."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from linli.core.auth import request_user, require_user
from linli.core.models import User
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone
from linli.core.schemas import problems
from linli.core.selectors import street_get
from linli.meals.schemas.orders import TopupIn, TopupOut, WalletOut
from linli.meals.services import wallet as wallet_services

router = Router(tags=["meals 助餐"])


@router.get("/me/wallet", response=WalletOut, auth=require_user, summary="我的助餐钱包 My meal wallet")
def my_wallet(request: HttpRequest, limit: int = Query(50, description="at most 200")) -> dict[str, Any]:
    """The balance in fen (every street's wallet summed, and each street's: a street's money pays for its meals)
    and the latest `limit` ledger entries (top-ups, charges, refunds), newest first."""
    user = request_user(request)
    return {
        "balance_fen": wallet_services.wallet_balance(user=user),
        "wallets": wallet_services.wallet_balances(user=user),
        "entries": [wallet_services.entry_to_dict(e) for e in wallet_services.wallet_entries(user=user, limit=limit)],
    }


@router.post(
    "/meals/wallets/topup", response={201: TopupOut}, auth=require_user, summary="柜台充值 Top up at the counter"
)
@problems("unknown_street", "permission_denied", "invalid_phone", "account_confirmation_required")
def topup(request: HttpRequest, payload: TopupIn) -> Status:
    """Station staff (or the street's admin) top up a resident's wallet in their street; audit-logged. The answer
    shows the masked phone and what the person holds in this street only. A number without an account needs the
    person confirmed (`name` and `confirm_new_account`), else `account_confirmation_required` and nothing is
    written."""
    existed = User.objects.filter(phone=_normalized(payload.phone)).exists()
    user, entry = wallet_services.wallet_topup_by_phone(
        phone=payload.phone,
        amount_fen=payload.amount_fen,
        street=street_get(code=payload.street),
        actor=request_user(request),
        note=payload.note,
        name=payload.name,
        confirm_new_account=payload.confirm_new_account,
    )
    return Status(
        201,
        {
            "phone": mask_phone(user.phone),
            "amount_fen": payload.amount_fen,
            "balance_fen": entry.balance_after_fen,
            "entry_id": entry.pk,
            "new_account": not existed,
        },
    )


def _normalized(phone: str) -> str:
    try:
        return normalize_phone(phone)
    except InvalidPhone:
        return ""
