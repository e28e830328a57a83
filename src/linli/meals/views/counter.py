"""Meals pages: the counter (柜台充值) where station staff top up a resident's meal wallet and look up a balance.

A resident hands over cash or a subsidy card at the service point; the clerk types the phone number and the
amount in yuan. The amount is parsed as a decimal into whole fen (never float), the top-up is audit-logged and
the page shows the masked phone, the new balance and the latest entries of the person's wallet in this street
(a street funds its own subsidies: other streets' wallets are not the clerk's to see). A number without an account
is confirmed first: the clerk types the person's name and ticks that they checked who it is.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from linli.core import selectors as core_selectors
from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.models import Role, User
from linli.core.pages import problem_message, staff_street_choice
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone
from linli.meals.services import wallet as wallet_services


def yuan_to_fen(raw: str) -> int:
    """'12.5' → 1250; refuses more than two decimals, negatives and nonsense (Problem validation_error)."""
    text = (raw or "").strip().replace("，", ".").replace("。", ".").removeprefix("¥").removeprefix("￥")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise Problem(
            "validation_error",
            detail=_("请输入正确的金额，例如 50 或 12.50"),
        )
    return int(value * 100)


COUNTER_ROLES = (Role.ADMIN, Role.STATION_STAFF)


def _forbidden(request: HttpRequest) -> HttpResponse:
    message = _("这个页面只对本街道的管理员和站点工作人员开放。如需开通，请联系街道管理员。")
    return render(request, "meals/kitchen/forbidden.html", {"message": message}, status=403)


def _counter_streets(user: User) -> Any:
    return core_selectors.street_list_for_roles(user, roles=COUNTER_ROLES)


@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest) -> HttpResponse:
    """The counter: a top-up (POST) or a balance look-up (POST `action=lookup`: a phone number never goes into
    the URL, so never into an access log). Staff see and top up only their street's wallet of a person; a number
    without an account asks the clerk to confirm the person (name + tick) before one is opened."""
    street, streets, denied = staff_street_choice(request, _counter_streets, _forbidden)
    if denied:
        return denied
    ctx: dict[str, Any] = {
        "street": street,
        "streets": streets,
        "problem": None,
        "done": None,
        "looked_up": None,
        "confirm_new": False,
    }
    phone_raw = (request.POST.get("phone") or "").strip()
    ctx["phone"] = phone_raw
    ctx["name"] = (request.POST.get("name") or "").strip()[:50]
    status = 200
    try:
        if request.method == "POST" and request.POST.get("action") == "lookup":
            phone = _phone(phone_raw)
            found = User.objects.filter(phone=phone).first()
            ctx["looked_up"] = (
                _lookup(found, street) if found else {"phone": mask_phone(phone), "balance_fen": 0, "entries": []}
            )
        elif request.method == "POST":
            fen = yuan_to_fen(request.POST.get("amount", ""))
            user, entry = wallet_services.wallet_topup_by_phone(
                phone=phone_raw,
                amount_fen=fen,
                actor=request_user(request),
                street=street,
                note=request.POST.get("note", "")[:200],
                name=ctx["name"],
                confirm_new_account=request.POST.get("confirm_new") == "1",
            )
            ctx["done"] = {"phone": mask_phone(user.phone), "amount_fen": fen, "balance_fen": entry.balance_after_fen}
            ctx["phone"] = ctx["name"] = ""
            ctx["looked_up"] = _lookup(user, street)
    except Problem as problem:
        ctx["problem"] = problem_message(problem)
        ctx["confirm_new"] = problem.code == "account_confirmation_required"
        status = problem.http_status
    return render(request, "meals/counter/counter.html", ctx, status=status)


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        raise Problem("invalid_phone") from None


def _lookup(user: Any, street: Any) -> dict[str, Any]:
    """What the person holds in this street's wallet and its latest entries: never another street's."""
    return {
        "phone": mask_phone(user.phone),
        "balance_fen": wallet_services.wallet_balance(user=user, street=street),
        "entries": wallet_services.wallet_entries(user=user, street=street, limit=10),
    }


urlpatterns: list[URLPattern] = [path("staff/meals/counter/", counter, name="counter")]
