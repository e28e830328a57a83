"""Kitchen reads: which kitchens a person may run, the production list (portions per dish and destination)
and the box labels. Only live orders count (`order_states.LIVE_STATUSES`): cancelled and refunded never do."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import segno
from django.db.models import Count, QuerySet, Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.i18n import choice_label
from linli.core.models import User
from linli.core.phones import mask_phone
from linli.core.selectors import require_role, user_has_role, user_street_ids
from linli.meals.models import (
    DeliveryRun,
    DeliveryStop,
    DestinationType,
    DishTag,
    Kitchen,
    Menu,
    Order,
    OrderLine,
    OrderStatus,
    Slot,
)
from linli.meals.services.kitchen import KITCHEN_ROLES
from linli.meals.services.order_states import LIVE_STATUSES
from linli.places.models import Place

HOME_KEY = "home"
HOME_LABEL = _("送餐上门")
LABEL_TAGS = {"soft": "软烂", "low_salt": "少盐"}


def kitchen_get(*, kitchen_id: int) -> Kitchen:
    kitchen = Kitchen.objects.select_related("place", "street").filter(pk=kitchen_id).first()
    if kitchen is None:
        raise Problem("not_found", detail=format_lazy(_("没有编号为 {kitchen_id} 的厨房"), kitchen_id=kitchen_id))
    return kitchen


def kitchens_for_staff(*, user: User) -> QuerySet[Kitchen]:
    """The kitchens of the streets where `user` is kitchen operator or admin."""
    ids = user_street_ids(user, roles=KITCHEN_ROLES)
    return Kitchen.objects.filter(street_id__in=ids).select_related("place", "street").order_by("street", "place__name")


def menu_get_for_slot(*, kitchen: Kitchen, on: date, slot: str) -> Menu | None:
    return Menu.objects.filter(kitchen=kitchen, date=on, slot=slot).first()


def validate_slot(slot: str) -> str:
    if slot not in Slot.values:
        raise Problem(
            "validation_error",
            detail=_("餐次应为 breakfast、lunch 或 dinner"),
            errors=[{"field": "slot", "message": _("餐次无效")}],
        )
    return slot


def live_orders(*, kitchen: Kitchen, on: date, slot: str) -> QuerySet[Order]:
    return Order.objects.filter(kitchen=kitchen, date=on, slot=slot, status__in=list(LIVE_STATUSES))


def _dest_key(destination_type: str, place_id: int | None) -> str:
    if destination_type == DestinationType.HOME or place_id is None:
        return HOME_KEY
    return f"place:{place_id}"


@dataclass
class DishCount:
    menu_item_id: int
    dish: str
    full: int = 0
    half: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"menu_item_id": self.menu_item_id, "dish": self.dish, "full": self.full, "half": self.half}


@dataclass
class DestinationCount:
    key: str
    type: str  # "place" (a meal point or an activity venue) or "home"
    label: str
    address: str = ""
    place_id: int | None = None
    activities: list[str] = field(default_factory=list)
    orders: int = 0
    dishes: dict[int, DishCount] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "type": self.type,
            "label": self.label,
            "address": self.address,
            "place_id": self.place_id,
            "activities": self.activities,
            "orders": self.orders,
            "dishes": [d.as_dict() for d in self.dishes.values()],
        }


def production_list(*, kitchen: Kitchen, on: date, slot: str, actor: User) -> dict[str, Any]:
    """Portions per dish (full and half portions counted apart) for the whole kitchen and per destination:
    each meal point or activity venue by name, every home delivery together as 送餐上门. Kitchen operators and
    admins of the kitchen's street only."""
    require_role(actor, street=kitchen.street, roles=KITCHEN_ROLES)
    validate_slot(slot)
    menu = menu_get_for_slot(kitchen=kitchen, on=on, slot=slot)
    orders = live_orders(kitchen=kitchen, on=on, slot=slot)

    destinations: dict[str, DestinationCount] = {}
    per_dest_orders = (
        orders.values(
            "destination_type", "destination_place_id", "destination_place__name", "destination_place__address"
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in per_dest_orders:
        key = _dest_key(row["destination_type"], row["destination_place_id"])
        dest = destinations.get(key)
        if dest is None:
            if key == HOME_KEY:
                dest = DestinationCount(key=key, type="home", label=str(HOME_LABEL))
            else:
                dest = DestinationCount(
                    key=key,
                    type="place",
                    label=row["destination_place__name"],
                    address=row["destination_place__address"] or "",
                    place_id=row["destination_place_id"],
                )
            destinations[key] = dest
        dest.orders += row["n"]
    for title, place_id in (
        orders.filter(activity__isnull=False)
        .values_list("activity__title", "destination_place_id")
        .distinct()
        .order_by("activity__title")
    ):
        dest = destinations.get(_dest_key("activity", place_id))
        if dest is not None and title not in dest.activities:
            dest.activities.append(title)

    dishes: dict[int, DishCount] = {}
    line_rows = (
        OrderLine.objects.filter(order__in=orders)
        .values(
            "menu_item_id",
            "menu_item__sort_order",
            "dish_name",
            "half",
            "order__destination_type",
            "order__destination_place_id",
        )
        .annotate(q=Sum("quantity"))
        .order_by("menu_item__sort_order", "menu_item_id")
    )
    for row in line_rows:
        item_id = row["menu_item_id"]
        total = dishes.setdefault(item_id, DishCount(menu_item_id=item_id, dish=row["dish_name"]))
        key = _dest_key(row["order__destination_type"], row["order__destination_place_id"])
        per = destinations[key].dishes.setdefault(item_id, DishCount(menu_item_id=item_id, dish=row["dish_name"]))
        for count in (total, per):
            if row["half"]:
                count.half += row["q"]
            else:
                count.full += row["q"]

    ordered = sorted(destinations.values(), key=lambda d: (d.key == HOME_KEY, d.label))
    for dest in ordered:  # the same dish order everywhere
        dest.dishes = {k: dest.dishes[k] for k in dishes if k in dest.dishes}
    return {
        "kitchen": {"id": kitchen.pk, "name": kitchen.place.name},
        "date": on.isoformat(),
        "slot": slot,
        "menu": {"id": menu.pk, "status": menu.status, "cutoff_at": menu.cutoff_at.isoformat()} if menu else None,
        "dishes": [d.as_dict() for d in dishes.values()],
        "destinations": [d.as_dict() for d in ordered],
        "totals": {
            "orders": sum(d.orders for d in ordered),
            "full": sum(d.full for d in dishes.values()),
            "half": sum(d.half for d in dishes.values()),
        },
    }


def production_list_for_menu(*, menu: Menu, actor: User) -> dict[str, Any]:
    """The production list of one menu (its kitchen, date and slot)."""
    return production_list(kitchen=menu.kitchen, on=menu.date, slot=menu.slot, actor=actor)


# -------------------------------------------------------------------------------------------- labels


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: enough for the box to find its owner, no more."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def pickup_qr_svg(code: str) -> str:
    out = io.BytesIO()
    segno.make(code, error="m", micro=False).save(
        out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title="取餐码 pickup code"
    )
    return out.getvalue().decode("utf-8")


def destination_label(order: Order) -> str:
    if order.destination_type == DestinationType.HOME or order.destination_place_id is None:
        return f"{HOME_LABEL} · {order.home_address}" if order.home_address else str(HOME_LABEL)
    name = order.destination_place.name if order.destination_place else ""
    if order.activity_id and order.activity:
        return f"{name} · {order.activity.title}"
    return name


def labels_list(*, kitchen: Kitchen, on: date, slot: str, actor: User) -> list[dict[str, Any]]:
    """One label per live order, grouped by destination then pickup code: what goes on each box."""
    require_role(actor, street=kitchen.street, roles=KITCHEN_ROLES)
    validate_slot(slot)
    orders = (
        live_orders(kitchen=kitchen, on=on, slot=slot)
        .select_related("user", "destination_place", "activity")
        .prefetch_related("lines__menu_item__dish")
    )
    labels: list[dict[str, Any]] = []
    for order in orders:
        tags: list[str] = []
        lines = []
        for line in order.lines.all():
            lines.append({"dish": line.dish_name, "quantity": line.quantity, "half": line.half})
            for tag in line.menu_item.dish.tags or []:
                # The tag in the page's language (软烂 / Soft): a label printed from an English page is English.
                said = str(choice_label(DishTag, tag)) if tag in LABEL_TAGS else ""
                if said and said not in tags:
                    tags.append(said)
        labels.append(
            {
                "order_id": order.pk,
                "pickup_code": order.pickup_code,
                "destination": destination_label(order),
                "home": order.destination_type == DestinationType.HOME,
                "name": mask_name(getattr(order.user, "display_name", "")),
                "phone": mask_phone(order.user.phone or ""),
                "lines": lines,
                "tags": tags,
                "qr_svg": pickup_qr_svg(order.pickup_code),
            }
        )
    labels.sort(key=lambda x: (x["home"], x["destination"], x["pickup_code"]))
    return labels


def desk_candidates(orders: list[Order]) -> list[dict[str, Any]]:
    """The orders one pickup code matches at a meal point, as the desk shows them to choose from: masked name and
    phone, dishes, kitchen and meal, status; only a delivered one can be handed over."""
    ids = [o.pk for o in orders]
    full = Order.objects.filter(pk__in=ids).select_related("user", "kitchen__place").prefetch_related("lines")
    out = []
    for o in sorted(full, key=lambda o: o.pk):
        out.append(
            {
                "id": o.pk,
                "pickup_code": o.pickup_code,
                "name": mask_name(o.user.display_name),
                "phone": mask_phone(o.user.phone or ""),
                "kitchen": o.kitchen.place.name,
                "slot": o.slot,
                "slot_label": str(Slot(o.slot).label),
                "status": o.status,
                "status_label": str(OrderStatus(o.status).label),
                "collectable": o.status == OrderStatus.DELIVERED,
                "lines": [{"dish": li.dish_name, "quantity": li.quantity, "half": li.half} for li in o.lines.all()],
            }
        )
    return out


# ------------------------------------------------------------------------------- the API's lookups by id


def menu_get(*, menu_id: int) -> Menu:
    menu = Menu.objects.select_related("kitchen__street", "kitchen__place").filter(pk=menu_id).first()
    if menu is None:
        raise Problem("not_found", detail=format_lazy(_("没有编号为 {menu_id} 的菜单"), menu_id=menu_id))
    return menu


def menu_lock_to_dict(menu: Menu) -> dict[str, Any]:
    """A menu after its cut-off lock: how many orders the lock moved on."""
    return {
        "id": menu.pk,
        "status": menu.status,
        "locked_at": menu.locked_at.isoformat() if menu.locked_at else None,
        "orders_locked": menu.orders.filter(status=OrderStatus.LOCKED).count(),
    }


def run_get(*, run_id: int) -> DeliveryRun:
    run = DeliveryRun.objects.select_related("kitchen__street", "kitchen__place", "rider").filter(pk=run_id).first()
    if run is None:
        raise Problem("not_found", detail=format_lazy(_("没有编号为 {run_id} 的配送批次"), run_id=run_id))
    return run


def run_get_for_user(*, run_id: int, user: Any) -> DeliveryRun:
    """The run when `user` is its rider or kitchen staff of its street; `not_found` otherwise (no probing)."""
    run = run_get(run_id=run_id)
    if run.rider_id != getattr(user, "pk", None) and not user_has_role(
        user, street=run.kitchen.street, roles=KITCHEN_ROLES
    ):
        raise Problem("not_found", detail=format_lazy(_("没有编号为 {run_id} 的配送批次"), run_id=run_id))
    return run


def stop_get_for_user(*, stop_id: int, user: Any) -> DeliveryStop:
    """A stop of a run `user` may see (see `run_get_for_user`)."""
    stop = DeliveryStop.objects.select_related("run__kitchen__street", "run__kitchen__place").filter(pk=stop_id).first()
    if stop is None:
        raise Problem("not_found", detail=format_lazy(_("没有编号为 {stop_id} 的站点"), stop_id=stop_id))
    run_get_for_user(run_id=stop.run_id, user=user)
    return stop


def rider_get(*, rider_id: int) -> User:
    """An active person to assign a run to (whether they ride in the street is the assignment's check)."""
    rider = User.objects.filter(pk=rider_id, is_active=True).first()
    if rider is None:
        raise Problem("validation_error", errors=[field_error("rider_id", _("没有这个骑手"))])
    return rider


def desk_place_get(*, place_id: int) -> Place:
    """The meal point where a pickup code is typed."""
    place = Place.objects.select_related("street").filter(pk=place_id).first()
    if place is None:
        raise Problem("validation_error", errors=[field_error("place_id", _("没有这个取餐点"))])
    return place


def desk_order_get(*, order_id: int) -> Order:
    """The order the desk chose among the candidates of a pickup code."""
    order = Order.objects.select_related("street").filter(pk=order_id).first()
    if order is None:
        raise Problem("pickup_code_invalid")
    return order


def desk_candidates_of(*, order_ids: list[int]) -> list[dict[str, Any]]:
    return desk_candidates(list(Order.objects.filter(pk__in=order_ids)))


def collected_to_dict(order: Order) -> dict[str, Any]:
    """What the desk shows once an order is handed over."""
    return {
        "id": order.pk,
        "status": order.status,
        "pickup_code": order.pickup_code,
        "phone": mask_phone(order.user.phone or ""),
        "lines": [{"dish": li.dish_name, "quantity": li.quantity, "half": li.half} for li in order.lines.all()],
    }
