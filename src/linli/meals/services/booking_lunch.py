"""A lunch ordered to an activity's venue when the booking is cancelled: the resident chooses, on the cancel
form, to cancel the lunch (full refund) or to send it to a meal point the same kitchen serves (their usual one
first). Registered into activities' `booking_cancel_register` by MealsConfig.ready(); runs in the cancellation's
transaction, so a refused move (past the cut-off, a point the kitchen does not serve) cancels nothing.

Without a choice (the API, or a page without JavaScript) the lunch stays as ordered. After the cut-off the
kitchen is already cooking: the lunch still goes to the venue and the form says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.meals.models import DestinationType, Kitchen, Menu, Order, OrderEvent, OrderStatus
from linli.meals.services.orders import order_cancel
from linli.meals.services.orders.basket import _check_open
from linli.meals.services.orders.cancel import is_street_staff
from linli.places.models import EATING_KINDS, Place

LIVE = (OrderStatus.PLACED, OrderStatus.LOCKED, OrderStatus.IN_PRODUCTION, OrderStatus.OUT_FOR_DELIVERY)
CANCEL = "cancel"
MOVE = "move:"  # + place id


def choice_field(order: Order) -> str:
    return f"lunch_{order.pk}"


def venue_lunches(*, user_id: int, activity_id: int) -> list[Order]:
    """The person's live orders delivered to the activity's venue."""
    return list(
        Order.objects.filter(user_id=user_id, activity_id=activity_id, status__in=LIVE)
        .select_related("menu", "kitchen__place", "destination_place")
        .order_by("date", "pk")
    )


def meal_points_for(order: Order) -> list[Place]:
    """Where the order's kitchen could take it instead: the eating places it serves (or is), the resident's usual
    one (their latest order to a meal point) first."""
    kitchen: Kitchen = order.kitchen
    places = list(
        Place.objects.filter(Q(pk__in=kitchen.serves.values("pk")) | Q(pk=kitchen.place_id), kind__in=EATING_KINDS)
        .exclude(pk=order.destination_place_id or 0)
        .order_by("name", "pk")
    )
    usual = (
        Order.objects.filter(user_id=order.user_id, destination_type=DestinationType.PLACE)
        .order_by("-created_at", "-pk")
        .values_list("destination_place_id", flat=True)
        .first()
    )
    places.sort(key=lambda p: p.pk != usual)  # stable: by name after the usual one
    return places


@transaction.atomic
def order_move_to_place(*, order: Order, place: Place, actor: Any, now: dt.datetime | None = None) -> Order:
    """Send a placed order to another meal point of its kitchen, before the cut-off (the resident, or the street's
    staff). The bill stays: the price does not depend on where the lunch goes."""
    now = now or timezone.now()
    if not (getattr(actor, "pk", None) == order.user_id or is_street_staff(actor, order.street)):
        raise Problem("permission_denied", detail=_("不能修改他人的订单"))
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status != OrderStatus.PLACED:
        raise Problem("after_cutoff", detail=_("已过截单时间，厨房已按单备餐，午餐仍送到原地点"))
    _check_open(Menu.objects.only("status", "cutoff_at").get(pk=locked.menu_id), now)
    if place not in meal_points_for(locked) and place.pk != locked.destination_place_id:
        raise Problem(
            "destination_not_served",
            detail=format_lazy(_("{kitchen}不向{where}送餐"), kitchen=order.kitchen.place.name, where=place.name),
            errors=[field_error(choice_field(order), _("请选择这家厨房配送的助餐点"))],
        )
    Order.objects.filter(pk=locked.pk).update(
        destination_type=DestinationType.PLACE, destination_place=place, activity=None
    )
    OrderEvent.objects.create(
        order=locked,
        at=now,
        actor=actor if getattr(actor, "pk", None) else None,
        from_status=locked.status,
        to_status=locked.status,
        note=f"改送到 {place.name} sent to {place.name}"[:300],
    )
    locked.destination_type, locked.destination_place, locked.activity = DestinationType.PLACE, place, None
    return locked


def on_booking_cancelled(*, booking: Any, actor: Any, choices: Mapping[str, str], now: dt.datetime) -> None:
    """activities' cancel hook: do what the resident chose for each lunch ordered to the venue."""
    for order in venue_lunches(user_id=booking.user_id, activity_id=booking.activity_id):
        choice = (choices.get(choice_field(order)) or "").strip()
        if order.status != OrderStatus.PLACED or order.menu.cutoff_at <= now or not choice:
            continue  # past the cut-off the kitchen is cooking it: the lunch still goes to the venue
        if choice == CANCEL:
            order_cancel(order=order, actor=actor, reason="活动预约已取消 booking cancelled", now=now)
        elif choice.startswith(MOVE) and choice[len(MOVE) :].isdigit():
            place = Place.objects.filter(pk=int(choice[len(MOVE) :]), street_id=order.street_id).first()
            if place is None:
                raise Problem("validation_error", errors=[field_error(choice_field(order), _("请选择助餐点"))])
            order_move_to_place(order=order, place=place, actor=actor, now=now)
