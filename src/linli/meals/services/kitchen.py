"""Kitchen side of a meal: the cut-off lock (scheduled and manual) and the start of production.

At a menu's `cutoff_at` the menu becomes `locked` and its placed orders `locked`: the production list then
stands. The lock moves the menu published → locked through its state machine (`menus.cutoffs.MENU_MACHINE`: one
conditional UPDATE), so several beat workers running `menus_lock_due` at the same time lock each menu exactly once.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.i18n import choice_label_in
from linli.core.models import Role, User
from linli.core.notifications import notify_user
from linli.core.selectors import require_role
from linli.core.services import audit_log
from linli.meals.models import Menu, MenuStatus, Order, OrderStatus, Slot
from linli.meals.services.menus.cutoffs import MENU_MACHINE
from linli.meals.services.order_states import orders_transition_bulk

KITCHEN_ROLES = (Role.KITCHEN_OPERATOR, Role.ADMIN)

LOCK_NOTE = "截单 cut-off"


def _lock_orders(*, menu_id: int, actor: User | None, now: datetime) -> int:
    ids = list(Order.objects.filter(menu_id=menu_id, status=OrderStatus.PLACED).values_list("pk", flat=True))
    if not ids:
        return 0
    return orders_transition_bulk(
        order_ids=ids,
        from_status=OrderStatus.PLACED,
        to_status=OrderStatus.LOCKED,
        actor=actor,
        note=LOCK_NOTE,
        now=now,
    )


def early_lock_orderers(menu: Menu) -> list[User]:
    """The residents an early lock of `menu` affects: those with a live order on it (the kitchen's confirmation
    names how many)."""
    live = (OrderStatus.PLACED, OrderStatus.LOCKED)
    ids = set(Order.objects.filter(menu_id=menu.pk, status__in=live).values_list("user_id", flat=True))
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


def _tell_early_lock(*, menu: Menu) -> None:
    day = menu.date
    slot_zh = choice_label_in(Slot, menu.slot, "zh-hans")
    slot_en = choice_label_in(Slot, menu.slot, "en")
    place = menu.kitchen.place.name
    for user in early_lock_orderers(menu):
        notify_user(
            user=user,
            message_zh=f"{place}{day.month}月{day.day}日{slot_zh}已提前截单，您的订餐会按单制作，"
            "不能再修改或取消；如有问题请联系服务点。",
            message_en=f"{place} closed ordering early for {slot_en.lower()} on {day:%d %b}: your order will be "
            "cooked as placed and can no longer be changed or cancelled. Questions: ask the service point.",
        )


def menus_lock_due(*, now: datetime | None = None) -> int:
    """Lock every published menu whose cut-off has passed, with its placed orders. Returns how many menus this
    call locked (0 when another worker got there first: its move published → locked is conditional). Each menu
    is locked in its own transaction, so one failure does not hold the others back.

    Also sweeps stragglers: a placed order of a menu that is already locked (written by a request that raced
    the lock) is locked too, so it still reaches the production list."""
    now = now or timezone.now()
    due = list(
        Menu.objects.filter(status=MenuStatus.PUBLISHED, cutoff_at__lte=now)
        .select_related("kitchen")
        .order_by("cutoff_at", "pk")
    )
    locked = 0
    for menu in due:
        with transaction.atomic():
            try:
                MENU_MACHINE.move(menu, MenuStatus.LOCKED, now=now)
            except Problem:
                continue  # another worker locked it (or it was taken back) meanwhile
            _lock_orders(menu_id=menu.pk, actor=None, now=now)
            locked += 1
    stragglers = list(
        Order.objects.filter(status=OrderStatus.PLACED, menu__status=MenuStatus.LOCKED).values_list("pk", flat=True)
    )
    if stragglers:
        orders_transition_bulk(
            order_ids=stragglers, from_status=OrderStatus.PLACED, to_status=OrderStatus.LOCKED, note=LOCK_NOTE, now=now
        )
    return locked


@transaction.atomic
def menu_lock(*, menu: Menu, actor: User, now: datetime | None = None) -> Menu:
    """Kitchen staff close ordering early (e.g. the kitchen has run out). Locking a locked menu changes nothing;
    a draft menu cannot be locked. Before the cut-off, every resident with an order is told by SMS that it can
    no longer be changed (their lunch is being prepared as ordered)."""
    require_role(actor, street=menu.kitchen.street, roles=KITCHEN_ROLES)
    now = now or timezone.now()
    menu.refresh_from_db(fields=["status", "locked_at"])
    if menu.status == MenuStatus.PUBLISHED:
        try:
            MENU_MACHINE.move(menu, MenuStatus.LOCKED, actor=actor, now=now)
        except Problem:
            menu.refresh_from_db(fields=["status", "locked_at"])  # locked (or taken back) meanwhile
        else:
            moved = _lock_orders(menu_id=menu.pk, actor=actor, now=now)
            audit_log(
                actor=actor, action="meals.menu_lock", street=menu.kitchen.street, obj=menu, data={"orders": moved}
            )
            if now < menu.cutoff_at:
                _tell_early_lock(menu=menu)
    if menu.status != MenuStatus.LOCKED:
        raise Problem(
            "menu_invalid",
            status=409,
            detail=_("菜单还没有发布，不能截单"),
        )
    return menu


@transaction.atomic
def production_start(*, menu: Menu, actor: User, now: datetime | None = None) -> int:
    """The kitchen starts cooking: the menu's locked orders become `in_production`. Returns how many moved."""
    require_role(actor, street=menu.kitchen.street, roles=KITCHEN_ROLES)
    menu.refresh_from_db(fields=["status"])
    if menu.status != MenuStatus.LOCKED:
        raise Problem(
            "menu_invalid",
            status=409,
            detail=_("还没有截单，不能开始制作"),
        )
    ids = list(Order.objects.filter(menu=menu, status=OrderStatus.LOCKED).values_list("pk", flat=True))
    moved = (
        orders_transition_bulk(
            order_ids=ids,
            from_status=OrderStatus.LOCKED,
            to_status=OrderStatus.IN_PRODUCTION,
            actor=actor,
            note="开始制作 production started",
            now=now,
        )
        if ids
        else 0
    )
    audit_log(
        actor=actor, action="meals.production_start", street=menu.kitchen.street, obj=menu, data={"orders": moved}
    )
    return moved


@transaction.atomic
def dine_in_serve(*, menu: Menu, actor: User, now: datetime | None = None) -> int:
    """A canteen serves the meals ordered to its own dining room at the counter: those orders (in production)
    become `delivered` — the resident then collects with the pickup code or marks it collected. Orders for other
    destinations go by delivery runs and are left alone. Returns how many moved."""
    require_role(actor, street=menu.kitchen.street, roles=KITCHEN_ROLES)
    ids = list(
        Order.objects.filter(
            menu=menu, status=OrderStatus.IN_PRODUCTION, destination_place_id=menu.kitchen.place_id
        ).values_list("pk", flat=True)
    )
    moved = (
        orders_transition_bulk(
            order_ids=ids,
            from_status=OrderStatus.IN_PRODUCTION,
            to_status=OrderStatus.DELIVERED,
            actor=actor,
            note="堂食出餐 served at the canteen counter",
            now=now,
        )
        if ids
        else 0
    )
    if moved:
        audit_log(
            actor=actor, action="meals.dine_in_serve", street=menu.kitchen.street, obj=menu, data={"orders": moved}
        )
    return moved
