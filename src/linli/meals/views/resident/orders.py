"""Residents: "where is my lunch" (my orders with their steps), one order, cancel, "已取餐"; the wallet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.i18n import choice_label, local_name
from linli.meals.models import (
    DestinationType,
    Order,
    OrderStatus,
    Slot,
)
from linli.meals.services import delivery
from linli.meals.services import orders as order_services
from linli.meals.services.wallet import wallet_balance, wallet_balances, wallet_entries
from linli.meals.templatetags.linli_meals import yuan
from linli.meals.views.resident.context import (
    SLOT_ORDER,
    STEPS,
    _int,
    _label,
    _problem_for_resident,
    _today,
)

# -------------------------------------------------------------------------------- my orders and wallet


def _steps(order: Order, events: Iterable[Any]) -> list[dict[str, Any]]:
    reached = {e.to_status: e.at for e in events}
    reached.setdefault(OrderStatus.PLACED, order.created_at)
    current_index = STEPS.index(order.status) if order.status in STEPS else -1
    steps = []
    for n, status in enumerate(STEPS):
        at = reached.get(status)
        state = "done" if at is not None or n <= current_index else "todo"
        if at is None and n < current_index:
            state = "skipped"  # a canteen's own dining room has no delivery step
        steps.append(
            {
                "status": status,
                "label": choice_label(OrderStatus, status),
                "at": timezone.localtime(at) if at else None,
                "state": state,
                "current": n == current_index,
            }
        )
    return steps


def _collect_available() -> bool:
    return hasattr(delivery, "order_collect_self")


def _destination_label(order: Order) -> str:
    if order.destination_type == DestinationType.HOME:
        return f"{_('送餐上门')} · {order.home_address}" if order.home_address else _("送餐上门")
    venue = order.destination_place
    if order.destination_type == DestinationType.ACTIVITY and order.activity is not None:
        place = venue.name if venue is not None else ""
        return f"{order.activity.title} · {place}" if place else order.activity.title
    return venue.name if venue is not None else ""


def _order_card(order: Order, now: dt.datetime, collect: bool) -> dict[str, Any]:
    events = list(order.events.all())
    cancellable = order.status == OrderStatus.PLACED and order.menu.cutoff_at > now
    has_rating = hasattr(order, "rating") and _has_rating(order)
    return {
        "id": order.pk,
        "obj": order,
        "date": order.date,
        "slot_label": _label(Slot, order.slot),
        "kitchen": order.kitchen.place.name,
        "destination": _destination_label(order),
        "destination_type": order.destination_type,
        "status": order.status,
        "status_label": choice_label(OrderStatus, order.status),
        "pickup_code": order.pickup_code,
        "lines": [
            {"name": line.dish_name, "quantity": line.quantity, "half": line.half, "amount": yuan(line.line_fen)}
            for line in order.lines.all()
        ],
        "discounts": [
            {"label": d.label, "label_en": d.tier.name_en if d.tier else "", "amount": yuan(d.amount_fen)}
            for d in order.discounts.all()
        ],
        "list": yuan(order.list_fen),
        "discount": yuan(order.discount_fen),
        "total": yuan(order.total_fen),
        "steps": _steps(order, events),
        "events": events,
        "cutoff": timezone.localtime(order.menu.cutoff_at),
        "cancellable": cancellable,
        "cancel_url": reverse("meals:resident_order_cancel", args=[order.pk]),
        "collect_url": reverse("meals:resident_order_collect", args=[order.pk])
        if collect and order.status == OrderStatus.DELIVERED
        else "",
        "rate_url": f"/me/meals/orders/{order.pk}/rate/"
        if order.status == OrderStatus.COLLECTED and not has_rating
        else "",
        "rated": has_rating,
        "url": reverse("meals:resident_order", args=[order.pk]),
        "live": order.status not in (OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.COLLECTED),
    }


def _has_rating(order: Order) -> bool:
    try:
        return order.rating is not None
    except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist
        return False


def _my_orders(user: Any) -> QuerySet[Order]:
    return (
        Order.objects.filter(user=user)
        .select_related("menu", "kitchen__place", "destination_place", "activity")
        .prefetch_related("lines", "discounts__tier", "events")
    )


@login_required
@require_GET
def my_orders(request: HttpRequest) -> HttpResponse:
    """Where is my lunch: today's and upcoming orders with their steps and pickup codes; past ones; the wallet."""
    now = timezone.now()
    today = _today()
    collect = _collect_available()
    upcoming, past = [], []
    for order in _my_orders(request.user)[:100]:
        card = _order_card(order, now, collect)
        ended = order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
        if (order.date >= today and not ended) or order.status == OrderStatus.DELIVERED:
            upcoming.append(card)
        else:
            past.append(card)
    upcoming.sort(key=lambda c: (c["date"], SLOT_ORDER.get(c["obj"].slot, 9), c["id"]))
    entries = [
        {
            "at": timezone.localtime(e.at),
            "kind": e.get_kind_display(),
            "kind_code": e.kind,
            "amount": yuan(e.amount_fen),
            "balance_after": yuan(e.balance_after_fen),
            # An order's charge or refund names the order in the page's language (the ledger keeps "订单 #12").
            "note": _("订单 #%(n)s") % {"n": e.order_id} if e.order_id and e.note.startswith("订单 #") else e.note,
            "street_name": local_name(e.wallet.street),
        }
        for e in wallet_entries(user=request_user(request), limit=30)
    ]
    ctx = {
        "street": request.user.home_street,  # type: ignore[union-attr]
        "upcoming": upcoming,
        "past": past[:30],
        "balance": yuan(wallet_balance(user=request_user(request))),
        "wallets": [{**w, "balance": yuan(w["balance_fen"])} for w in wallet_balances(user=request_user(request))],
        "entries": entries,
        "placed": _int(request.GET.get("placed")),
        "cancelled": request.GET.get("cancelled") == "1",
        "collected": request.GET.get("collected") == "1",
        "problem": None,
        "meals_url": reverse("meals:resident_home"),
    }
    return render(request, "meals/resident/my_orders.html", ctx)


def _own_order(request: HttpRequest, order_id: int) -> Order:
    order = _my_orders(request.user).filter(pk=order_id).first()
    if order is None:  # someone else's order looks exactly like a missing one
        raise Http404(str(order_id))
    return order


@login_required
@require_GET
def my_order(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    ctx = {
        "street": order.street,
        "o": _order_card(order, timezone.now(), _collect_available()),
        "problem": None,
        "back_url": reverse("meals:resident_orders"),
    }
    return render(request, "meals/resident/order.html", ctx)


@login_required
@require_POST
def my_order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    try:
        order_services.order_cancel(order=order, actor=request.user, reason="resident")
    except Problem as problem:
        order = _own_order(request, order_id)
        ctx = {
            "street": order.street,
            "o": _order_card(order, timezone.now(), _collect_available()),
            "problem": _problem_for_resident(problem),
            "back_url": reverse("meals:resident_orders"),
        }
        return render(request, "meals/resident/order.html", ctx, status=problem.http_status)
    return HttpResponseRedirect(reverse("meals:resident_orders") + "?cancelled=1")


@login_required
@require_POST
def my_order_collect(request: HttpRequest, order_id: int) -> HttpResponse:
    """Mark "已取餐": the resident confirms they have their delivered meal (when the delivery service offers it)."""
    order = _own_order(request, order_id)
    if not _collect_available():
        raise Http404("collect")

    try:
        delivery.order_collect_self(order=order, user=request_user(request))
    except Problem as problem:
        order = _own_order(request, order_id)
        ctx = {
            "street": order.street,
            "o": _order_card(order, timezone.now(), True),
            "problem": _problem_for_resident(problem),
            "back_url": reverse("meals:resident_orders"),
        }
        return render(request, "meals/resident/order.html", ctx, status=problem.http_status)
    return HttpResponseRedirect(reverse("meals:resident_orders") + "?collected=1")
