"""Constants and helpers shared by the menu services: roles, cut-offs, frozen menus, the audit row."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.i18n import choice_label
from linli.core.models import AuditLog, Role, Street, User
from linli.core.selectors import require_role
from linli.core.transitions import StateMachine, Step
from linli.meals.models import (
    Kitchen,
    Menu,
    MenuStatus,
    Slot,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MENU_EDITOR_ROLES = (Role.KITCHEN_OPERATOR, Role.ADMIN)
MAX_PRICE_FEN = 100_000  # 1,000 yuan: anything above is a typo (yuan typed into a fen column ×100)
MAX_DAILY_LIMIT = 100_000
MAX_DAYS_AHEAD = 366  # menus are planned at most a year ahead

# Menu status transitions (locking at the cut-off is done by the kitchen tasks, not here).
MENU_TRANSITIONS: dict[str, frozenset[str]] = {
    MenuStatus.DRAFT: frozenset({MenuStatus.PUBLISHED}),
    MenuStatus.PUBLISHED: frozenset({MenuStatus.DRAFT, MenuStatus.LOCKED}),
    MenuStatus.LOCKED: frozenset(),
}


def menu_invalid_transition(menu: Menu, from_status: str, to_status: str) -> Problem:
    return Problem(
        "validation_error",
        detail=format_lazy(
            _("菜单当前为「{status}」，不能改为「{to_status}」"),
            status=choice_label(MenuStatus, from_status),
            to_status=choice_label(MenuStatus, to_status),
        ),
        errors=[
            field_error(
                "status",
                format_lazy(_("状态 {status} 不能变为 {to_status}"), status=from_status, to_status=to_status),
            )
        ],
    )


_MENU_ACTIONS: dict[str, str] = {
    MenuStatus.PUBLISHED: "menu.publish",
    MenuStatus.DRAFT: "menu.unpublish",
    MenuStatus.LOCKED: "menu.lock",
}


def _menu_event_row(step: Step[Menu]) -> dict[str, Any]:
    """A menu's move is recorded as an audit row (`menu.publish`, `menu.unpublish`, `menu.lock`)."""
    return {
        "at": step.now,
        "actor": step.actor_id,
        "street": step.obj.kitchen.street_id,
        "action": _MENU_ACTIONS[step.to_status],
        "object_type": "menu",
        "object_id": str(step.obj.pk),
        "data": {"from": step.from_status, "to": step.to_status, **step.data},
    }


# Every menu status change goes through here (`linli.core.transitions`).
MENU_MACHINE = StateMachine(
    model=Menu,
    table=MENU_TRANSITIONS,
    refused=menu_invalid_transition,
    stamps={MenuStatus.PUBLISHED: "published_at", MenuStatus.LOCKED: "locked_at"},
    event_model=AuditLog,
    event_fields=("at", "actor", "street", "action", "object_type", "object_id", "data"),
    event_row=_menu_event_row,
)

SLOT_ALIASES = {
    "breakfast": Slot.BREAKFAST,
    "早餐": Slot.BREAKFAST,
    "早": Slot.BREAKFAST,
    "lunch": Slot.LUNCH,
    "午餐": Slot.LUNCH,
    "中餐": Slot.LUNCH,
    "午": Slot.LUNCH,
    "dinner": Slot.DINNER,
    "晚餐": Slot.DINNER,
    "晚": Slot.DINNER,
}
SLOT_ORDER: dict[str, int] = {"breakfast": 0, "lunch": 1, "dinner": 2}


# ---------------------------------------------------------------------------------------- helpers


def _audit(
    *, actor: User | None, street: Street, action: str, object_type: str, object_id: Any, data: dict | None = None
) -> None:
    AuditLog.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        street=street,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=data or {},
    )


def check_kitchen_editor(actor: User | None, kitchen: Kitchen) -> None:
    """Kitchen operators and admins of the kitchen's street; `None` is the system (CLI, tasks)."""
    if actor is not None:
        require_role(actor, street=kitchen.street, roles=MENU_EDITOR_ROLES)


def _as_time(value: Any) -> dt.time:
    """A TimeField value: a `time`, or the "HH:MM" string a freshly created row still holds as its default."""
    if isinstance(value, dt.time):
        return value
    return dt.time.fromisoformat(str(value))


def menu_cutoff_default(*, kitchen: Kitchen, date: dt.date, slot: str) -> dt.datetime:
    """The order cut-off of a kitchen's menu (Asia/Shanghai): breakfast closes at `breakfast_cutoff` on the day
    BEFORE, lunch and dinner at `lunch_cutoff` / `dinner_cutoff` on the day itself."""
    if slot == Slot.BREAKFAST:
        day, at = date - dt.timedelta(days=1), _as_time(kitchen.breakfast_cutoff)
    elif slot == Slot.LUNCH:
        day, at = date, _as_time(kitchen.lunch_cutoff)
    elif slot == Slot.DINNER:
        day, at = date, _as_time(kitchen.dinner_cutoff)
    else:
        raise Problem(
            "validation_error", errors=[field_error("slot", format_lazy(_("未知的餐次 {slot}"), slot=repr(slot)))]
        )
    return dt.datetime.combine(day, at, tzinfo=SHANGHAI)


def menu_is_frozen(menu: Menu, now: dt.datetime | None = None) -> bool:
    """True once the cut-off has passed or the menu is locked: nothing on it may change any more."""
    return menu.status == MenuStatus.LOCKED or menu.cutoff_at <= (now or timezone.now())


def _refuse_if_frozen(menu: Menu) -> None:
    if menu_is_frozen(menu):
        cutoff = timezone.localtime(menu.cutoff_at, SHANGHAI).strftime("%Y-%m-%d %H:%M")
        raise Problem(
            "after_cutoff",
            detail=format_lazy(_("该菜单已于 {cutoff} 截单，不能再修改"), cutoff=cutoff),
        )


def _lock_menu(menu: Menu) -> Menu:
    """Re-read the menu row FOR UPDATE (inside the caller's transaction) so checks see the committed state."""
    return Menu.objects.select_for_update().select_related("kitchen__street", "kitchen__place").get(pk=menu.pk)
