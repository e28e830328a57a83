"""Collection at the meal point: the volunteer (station staff or admin of the meal point's street) types the code
the resident tells them and hands the box over (delivered → collected); the resident may also tap "已取餐".

One pickup code is unique per menu, not per desk: a meal point served by two kitchens, or lunch and dinner on the
same day, can receive two orders with the same code. Then the desk never guesses: `order_collect` refuses with
`validation_error` on `order_id` and the candidates' ids (`extra["order_ids"]`); the desk shows every candidate
(masked name, dishes, kitchen and meal, `collect_candidates`) and the volunteer collects the one they checked,
by id (`order_collect(order=..., place=..., pickup_code=...)`, which still checks the code and the place).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.models import Role, User
from linli.core.selectors import require_role
from linli.meals.models import Menu, Order, OrderStatus
from linli.meals.services.order_states import order_transition

S = OrderStatus
COLLECT_ROLES = (Role.STATION_STAFF, Role.ADMIN)
# Orders that no longer hold their box (cancelled, refunded) never compete for a code at the desk.
GONE = (S.CANCELLED, S.REFUNDED)


def normalize_pickup_code(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).upper()


def _wrong_code(code: str) -> Problem:
    return Problem(
        "pickup_code_invalid",
        detail=format_lazy(_("取餐码 {code} 不对，请核对后再试"), code=code),
        errors=[{"field": "pickup_code", "message": _("取餐码无效")}],
    )


def _ambiguous(code: str, candidates: list[Order]) -> Problem:
    return Problem(
        "validation_error",
        detail=format_lazy(
            _("取餐码 {code} 在这里对应 {count} 份订单，请核对姓名和菜品后选择其中一份"),
            code=code,
            count=len(candidates),
        ),
        errors=[field_error("order_id", _("请选择要取的订单"))],
        extra={"order_ids": [o.pk for o in candidates], "pickup_code": code},
    )


def desk_orders(*, place: Any, pickup_code: str, on: date | None = None) -> list[Order]:
    """The orders at `place` on `on` (default today) carrying `pickup_code` that still hold a box (not cancelled
    or refunded), by id."""
    code = normalize_pickup_code(pickup_code)
    if not code:
        return []
    qs = Order.objects.filter(pickup_code=code, destination_place=place, date=on or timezone.localdate())
    return list(qs.exclude(status__in=GONE).order_by("pk"))


@transaction.atomic
def order_collect(
    *,
    actor: User,
    order: Order | None = None,
    menu: Menu | None = None,
    place: Any = None,
    pickup_code: str = "",
    on: date | None = None,
    now: datetime | None = None,
) -> Order:
    """The meal-point volunteer (station staff or admin of the street) hands the box over: the resident tells
    the pickup code, the order goes delivered → collected. Look the order up by `order` (its code must match,
    and its destination must be `place` when given), by `menu` and code, or by `place` and code among the day's
    deliveries there. When the code at `place` matches more than one order: `validation_error` on `order_id`
    with `extra["order_ids"]` (nothing is collected)."""
    code = normalize_pickup_code(pickup_code)
    street = (
        place.street
        if place is not None
        else order.street
        if order is not None
        else menu.kitchen.street
        if menu is not None
        else None
    )
    if street is None:
        raise Problem("validation_error", detail=_("请选择取餐点"))
    require_role(actor, street=street, roles=COLLECT_ROLES)
    if not code:
        raise _wrong_code(pickup_code)
    if order is not None:
        if normalize_pickup_code(order.pickup_code) != code:
            raise _wrong_code(code)
        if place is not None and order.destination_place_id != place.pk:
            raise _wrong_code(code)
        target = order
    elif menu is not None:
        found = Order.objects.filter(pickup_code=code, menu=menu).first()
        if found is None:
            raise _wrong_code(code)
        target = found
    else:
        candidates = desk_orders(place=place, pickup_code=code, on=on)
        if not candidates:
            raise _wrong_code(code)
        if len(candidates) > 1:
            raise _ambiguous(code, candidates)
        target = candidates[0]
    return order_transition(order=target, to_status=S.COLLECTED, actor=actor, note="取餐点取餐 collected", now=now)


@transaction.atomic
def order_collect_self(*, order: Order, user: User, now: datetime | None = None) -> Order:
    """The resident taps "已取餐" on their own delivered order."""
    if not getattr(user, "is_authenticated", False):
        raise Problem("not_authenticated")
    if order.user_id != user.pk:
        raise Problem("permission_denied", detail=_("这不是您的订单"))
    return order_transition(
        order=order, to_status=S.COLLECTED, actor=user, note="本人确认取餐 collected by resident", now=now
    )
