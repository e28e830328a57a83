"""Meal order reads: one order (its owner, or staff of its street), the API/page shape, a resident's orders."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.i18n import choice_label
from linli.core.models import Role, User
from linli.core.phones import mask_phone
from linli.core.selectors import user_has_role
from linli.meals.models import DestinationType, Order, OrderDiscount, OrderEvent, OrderLine, OrderStatus

# Who may read any order of their street (cancelling is for admin and station staff only, see services.orders).
READ_ROLES = (Role.ADMIN, Role.STATION_STAFF, Role.KITCHEN_OPERATOR)


def _orders() -> QuerySet[Order]:
    return Order.objects.select_related(
        "street",
        "user",
        "menu",
        "kitchen__place",
        "destination_place",
        "activity",
        "run_stop__run__rider",
    ).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
        Prefetch("discounts", queryset=OrderDiscount.objects.order_by("id")),
        Prefetch("events", queryset=OrderEvent.objects.order_by("at", "id")),
    )


def order_get_for_user(*, order_id: int, user: User) -> Order:
    """The user's own order, or any order of a street where the user is staff; otherwise `not_found` (an order
    of another person or street is not even acknowledged)."""
    order = _orders().filter(pk=order_id).first()
    if order is None or (
        order.user_id != getattr(user, "pk", None) and not user_has_role(user, street=order.street, roles=READ_ROLES)
    ):
        raise Problem("not_found", detail=_("找不到该订单"))
    return order


def order_list_for_user(*, user: User, when: str = "all", limit: int = 100, offset: int = 0) -> list[Order]:
    """A resident's orders: `upcoming` (today and later, soonest first), `past` (before today, latest first) or
    `all` (latest first)."""
    today = timezone.localdate()
    qs = _orders().filter(user_id=user.pk)
    if when == "upcoming":
        qs = qs.filter(date__gte=today).order_by("date", "slot", "id")
    elif when == "past":
        qs = qs.filter(date__lt=today).order_by("-date", "-id")
    else:
        qs = qs.order_by("-date", "-id")
    return list(qs[offset : offset + limit])


def status_label(status: str) -> str:
    return str(choice_label(OrderStatus, status))


def _destination(order: Order) -> dict[str, Any]:
    out: dict[str, Any] = {"type": order.destination_type}
    place = order.destination_place
    if place is not None:
        out["place"] = {"id": place.pk, "name": place.name, "address": place.address}
    if order.destination_type == DestinationType.ACTIVITY and order.activity is not None:
        out["activity"] = {"id": order.activity.pk, "title": order.activity.title}
    if order.destination_type == DestinationType.HOME:
        out["home"] = {"address": order.home_address, "lat": order.home_lat, "lng": order.home_lng}
    return out


def _run(order: Order) -> dict[str, Any] | None:
    stop = order.run_stop
    if stop is None:
        return None
    run = stop.run
    rider = run.rider
    return {
        "id": run.pk,
        "status": run.status,
        "rider": {"name": str(rider), "phone": mask_phone(rider.phone)} if rider else None,
        "handed_over_at": stop.handed_over_at.isoformat() if stop.handed_over_at else None,
    }


def order_to_dict(order: Order) -> dict[str, Any]:
    """The shape of an order in the API and on the resident's pages (phones masked)."""
    return {
        "order_id": order.pk,
        "status": order.status,
        "status_label": status_label(order.status),
        "date": order.date.isoformat(),
        "slot": order.slot,
        "kitchen": {"id": order.kitchen_id, "name": order.kitchen.place.name},
        "destination": _destination(order),
        "lines": [
            {
                "menu_item_id": line.menu_item_id,
                "dish": line.dish_name,
                "quantity": line.quantity,
                "half": line.half,
                "unit_price_fen": line.unit_price_fen,
                "line_fen": line.line_fen,
            }
            for line in order.lines.all()
        ],
        "list_fen": order.list_fen,
        "discounts": [{"label": d.label, "amount_fen": d.amount_fen} for d in order.discounts.all()],
        "discount_fen": order.discount_fen,
        "total_fen": order.total_fen,
        "pickup_code": order.pickup_code,
        "created_at": order.created_at.isoformat(),
        "cutoff_at": order.menu.cutoff_at.isoformat(),
        "timeline": [
            {"at": e.at.isoformat(), "from_status": e.from_status, "to_status": e.to_status, "note": e.note}
            for e in order.events.all()
        ],
        "run": _run(order),
    }
