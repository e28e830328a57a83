"""The meal order's state machine: one transition table, every change checked by it and recorded.

    placed → locked → in_production → out_for_delivery → delivered → collected
    placed → cancelled            (by the resident before the cut-off: full refund, see services.orders)
    locked / in_production / out_for_delivery / delivered → refunded   (staff: the meal could not be served)

Canteen orders eaten in the canteen's own dining room skip the delivery states: in_production → delivered
is allowed (the meal is "delivered" to the counter).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.hooks import change_announce, changes_heard
from linli.core.i18n import choice_label
from linli.core.transitions import StateMachine, event_row, refusal
from linli.meals.models import Order, OrderEvent, OrderStatus

S = OrderStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PLACED: frozenset({S.LOCKED, S.CANCELLED}),
    S.LOCKED: frozenset({S.IN_PRODUCTION, S.REFUNDED}),
    S.IN_PRODUCTION: frozenset({S.OUT_FOR_DELIVERY, S.DELIVERED, S.REFUNDED}),
    S.OUT_FOR_DELIVERY: frozenset({S.DELIVERED, S.REFUNDED}),
    S.DELIVERED: frozenset({S.COLLECTED, S.REFUNDED}),
    S.COLLECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}

# Statuses in which the order still holds its portions (counted in `MenuItem.sold` and in production lists).
LIVE_STATUSES = frozenset({S.PLACED, S.LOCKED, S.IN_PRODUCTION, S.OUT_FOR_DELIVERY, S.DELIVERED, S.COLLECTED})

# The timestamp column stamped when an order enters a status.
STAMP: dict[str, str] = {
    S.CANCELLED: "cancelled_at",
    S.REFUNDED: "cancelled_at",
    S.DELIVERED: "delivered_at",
    S.COLLECTED: "collected_at",
}


invalid_transition = refusal(
    "order_invalid_transition",
    OrderStatus,
    _("订单 #{order} 当前为「{status}」，不能改为「{to_status}」"),
    order=lambda order: order.pk,
)


MACHINE = StateMachine(
    model=Order,
    table=TRANSITIONS,
    refused=invalid_transition,
    stamps=STAMP,
    event_model=OrderEvent,
    event_fields=("order", "at", "actor", "from_status", "to_status", "note"),
    event_row=event_row("order", note_max=300),
)


def order_transition(
    *, order: Order, to_status: str, actor: Any = None, note: str = "", now: datetime | None = None
) -> Order:
    """Move one order to `to_status` if the table allows it, stamp the time and append an OrderEvent
    (`linli.core.transitions`).

    The UPDATE is conditional on the status the caller read, so two racing transitions of the same order cannot
    both win: the loser raises `order_invalid_transition` and writes nothing. Side effects (refunds, portions
    given back, notifications) belong to the calling service, in the same transaction."""
    moved = MACHINE.move(order, to_status, actor=actor, note=note, now=now)
    change_announce(
        domain="meals", kind=f"order.{to_status}", street_id=order.street_id, place_id=order.destination_place_id
    )
    return moved


def orders_transition_bulk(
    *,
    order_ids: list[int],
    from_status: str,
    to_status: str,
    actor: Any = None,
    note: str = "",
    now: datetime | None = None,
) -> int:
    """Move many orders that are in `from_status` to `to_status` at once (cut-off lock, run pick-up, hand-over):
    one UPDATE and one insert of their events. Orders no longer in `from_status` are left alone. Returns how many
    moved."""
    if not MACHINE.allows(from_status, to_status):
        raise Problem(
            "order_invalid_transition",
            detail=format_lazy(
                _("订单不能从「{status}」改为「{to_status}」"),
                status=choice_label(OrderStatus, from_status),
                to_status=choice_label(OrderStatus, to_status),
            ),
        )
    orders = [Order(pk=i, status=from_status) for i in order_ids]
    moved = MACHINE.move_bulk(orders, from_status=from_status, to_status=to_status, actor=actor, note=note, now=now)
    if moved and changes_heard():
        where = Order.objects.filter(pk__in=[o.pk for o in moved]).values_list("street_id", "destination_place_id")
        for street_id, place_id in set(where):
            change_announce(domain="meals", kind=f"order.{to_status}", street_id=street_id, place_id=place_id)
    return len(moved)
