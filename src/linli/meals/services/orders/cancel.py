"""Cancelling an order: full refund to the wallet, portions back to the menu."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.notifications import notify_user
from linli.core.selectors import user_has_role
from linli.meals.models import (
    Menu,
    MenuItem,
    Order,
    OrderLine,
    OrderStatus,
)
from linli.meals.services import pricing, wallet
from linli.meals.services.order_records import _GIVE_BACK_PORTIONS, _portions_update
from linli.meals.services.order_states import invalid_transition, order_transition
from linli.meals.services.orders.basket import STAFF_REFUNDABLE, STAFF_ROLES, _check_open

# ------------------------------------------------------------------------------------------- cancel


def is_street_staff(user: Any, street: Any) -> bool:
    return user_has_role(user, street=street, roles=STAFF_ROLES)


def _give_back_portions(order: Order) -> None:
    portions: dict[int, int] = defaultdict(int)
    for menu_item_id, quantity in OrderLine.objects.filter(order_id=order.pk).values_list("menu_item_id", "quantity"):
        portions[menu_item_id] += quantity
    for item_id, n in sorted(portions.items()):
        if not _portions_update(_GIVE_BACK_PORTIONS, item_id, n):
            # `sold` would go below zero: the counter was out of step; never let it go negative.
            MenuItem.objects.filter(pk=item_id).update(sold=0)


@transaction.atomic
def order_cancel(*, order: Order, actor: Any, reason: str = "", now: dt.datetime | None = None) -> Order:
    """Cancel an order and refund it in full. The resident may cancel their own placed order before the cut-off
    (after it: `after_cutoff`); the street's staff (admin, station staff) may cancel or refund it at any time
    before delivery (placed → cancelled; locked, in production, out for delivery → refunded; the resident is told
    by SMS). The portions go back to the menu. A concurrent change of the order makes this raise
    `order_invalid_transition` and write nothing."""
    now = now or timezone.now()
    is_owner = actor is not None and getattr(actor, "pk", None) == order.user_id
    is_staff = actor is not None and is_street_staff(actor, order.street)
    if not (is_owner or is_staff):
        raise Problem("permission_denied", detail=_("不能取消他人的订单"))
    status = order.status
    if status == OrderStatus.PLACED:
        to_status = OrderStatus.CANCELLED
        if not is_staff:
            menu = Menu.objects.only("status", "cutoff_at").get(pk=order.menu_id)
            _check_open(menu, now)
    elif status in STAFF_REFUNDABLE:
        to_status = OrderStatus.REFUNDED
        if not is_staff:
            raise Problem(
                "after_cutoff",
                detail=_("已过截单时间，厨房已按单备餐；如需退款请联系服务点工作人员"),
            )
    else:
        raise invalid_transition(order, status, OrderStatus.CANCELLED)
    order_transition(order=order, to_status=to_status, actor=actor, note=reason, now=now)
    wallet.wallet_refund(
        user=order.user, amount_fen=int(order.total_fen), order=order, actor=actor, note=f"订单 #{order.pk} 退款"
    )
    _give_back_portions(order)
    if is_staff and not is_owner:
        yuan = pricing.fen_to_yuan(order.total_fen)
        notify_user(
            user=order.user,
            message_zh=f"您 {order.date.month}月{order.date.day}日的订餐（#{order.pk}）已由工作人员取消，"
            f"{yuan} 元已退回助餐钱包。{reason}".strip(),
            message_en=f"Your meal order #{order.pk} for {order.date:%d %b} was cancelled by the staff; "
            f"¥{yuan} is back in your meal wallet. {reason}".strip(),
        )
    return order
