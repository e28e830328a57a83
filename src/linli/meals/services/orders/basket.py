"""The basket check shared by ordering and quoting: parse the request, check the menu, cut-off, destination and
eligibility, and compute the bill (no writes, no locks).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.activities.models import ACTIVE_BOOKING_STATUSES, Activity, ActivityStatus, Booking, BookingStatus
from linli.core.errors import Problem, field_error
from linli.core.i18n import Text
from linli.core.models import Role
from linli.meals.models import (
    DestinationType,
    Kitchen,
    MealProfile,
    Menu,
    MenuStatus,
    OrderStatus,
    Slot,
)
from linli.meals.services import pricing, wallet
from linli.meals.services.fast import menu_items_read, place_served, street_tiers
from linli.meals.services.order_records import Basket, Destination, sold_out

STAFF_ROLES = (Role.ADMIN, Role.STATION_STAFF)
ELDER_MIN_AGE = 60
MAX_QUANTITY = 10
MAX_LINES = 20
_SLOTS = tuple(Slot.values)  # `Slot.values` builds a new list on every call
# A lunch may go to an activity the resident holds a seat for: confirmed or checked in. A waitlisted person
# has no seat (and so no place at the table); no-show and cancelled bookings are not live.
SEATED_BOOKING_STATUSES = tuple(s for s in ACTIVE_BOOKING_STATUSES if s != BookingStatus.WAITLISTED)
# Statuses staff may still refund: before the meal is delivered.
STAFF_REFUNDABLE = (OrderStatus.LOCKED, OrderStatus.IN_PRODUCTION, OrderStatus.OUT_FOR_DELIVERY)


# ------------------------------------------------------------------------------------------ parsing


def _invalid(field_name: str, message: Text, **more: Any) -> Problem:
    return Problem("validation_error", errors=[field_error(field_name, message, **more)])


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise _invalid("date", _("日期格式应为 YYYY-MM-DD"))
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _invalid("date", _("日期格式应为 YYYY-MM-DD"))


def _parse_slot(value: Any) -> str:
    if value not in _SLOTS:
        raise _invalid("slot", _("餐次应为 breakfast、lunch 或 dinner"))
    return str(value)


def _parse_items(items: Any) -> list[tuple[int, int, bool]]:
    """[(menu_item_id, quantity, half)] with duplicates (same dish, same portion size) merged, in basket order."""
    if not isinstance(items, list) or not items:
        raise _invalid("items", _("请至少选择一道菜"))
    if len(items) > MAX_LINES:
        raise _invalid("items", format_lazy(_("一次最多点 {max} 项"), max=MAX_LINES))
    merged: dict[tuple[int, bool], int] = {}
    errors = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(field_error(f"items.{i}", _("格式不正确")))
            continue
        menu_item_id: Any = item.get("menu_item_id")
        quantity: Any = item.get("quantity", 1)
        half: Any = item.get("half", False)
        if not _is_int(menu_item_id) or menu_item_id <= 0:
            errors.append(field_error(f"items.{i}.menu_item_id", _("菜品编号应为正整数")))
            continue
        if not _is_int(quantity) or not 1 <= quantity <= MAX_QUANTITY:
            errors.append(field_error(f"items.{i}.quantity", format_lazy(_("数量应为 1 到 {max}"), max=MAX_QUANTITY)))
            continue
        if not isinstance(half, bool):
            errors.append(field_error(f"items.{i}.half", _("应为是或否（true/false）")))
            continue
        merged[(menu_item_id, half)] = merged.get((menu_item_id, half), 0) + quantity
    if errors:
        raise Problem("validation_error", errors=errors)
    out = []
    for (menu_item_id, half), quantity in merged.items():
        if quantity > MAX_QUANTITY:
            raise _invalid(
                "items",
                format_lazy(_("同一道菜最多点 {max} 份"), max=MAX_QUANTITY),
                menu_item_id=menu_item_id,
            )
        out.append((menu_item_id, quantity, half))
    return out


def _parse_destination(value: Any) -> tuple[str, int | None]:
    if isinstance(value, dict) and len(value) == 1:
        ((key, raw),) = value.items()
        if key == "place_id" and _is_int(raw) and raw > 0:
            return DestinationType.PLACE, raw
        if key == "activity_id" and _is_int(raw) and raw > 0:
            return DestinationType.ACTIVITY, raw
        if key == "home" and raw is True:
            return DestinationType.HOME, None
    raise _invalid(
        "destination",
        _("送餐地点应为 {place_id}、{activity_id} 或 {home: true} 之一"),
    )


# ------------------------------------------------------------------------------------------- checks


def _not_available(detail: Text, **extra: Any) -> Problem:
    return Problem("menu_not_available", detail=detail, extra=extra)


def _check_open(menu: Menu, now: dt.datetime) -> None:
    if menu.status == MenuStatus.LOCKED or now >= menu.cutoff_at:
        local = timezone.localtime(menu.cutoff_at)
        raise Problem(
            "after_cutoff",
            detail=format_lazy(_("本餐已于 {cutoff} 截单"), cutoff=f"{local:%Y-%m-%d %H:%M}"),
            extra={"cutoff_at": menu.cutoff_at.isoformat()},
        )


def _not_served(kitchen: Kitchen, where: Text) -> Problem:
    return Problem(
        "destination_not_served",
        detail=format_lazy(_("{kitchen}不向{where}送餐"), kitchen=kitchen.place.name, where=where),
        extra={"kitchen_id": kitchen.pk},
    )


def _resolve_destination(
    *,
    kind: str,
    ref: int | None,
    kitchen: Kitchen,
    user: Any,
    on: dt.date,
    profile: MealProfile | None,
    place_listed: bool | None = None,
) -> Destination:
    if kind == DestinationType.PLACE:
        assert ref is not None
        if not place_served(kitchen, ref, place_listed):
            raise _not_served(kitchen, _("该地点"))
        return Destination(type=kind, place_id=ref)
    if kind == DestinationType.ACTIVITY:
        assert ref is not None
        activity = Activity.objects.select_related("place").filter(pk=ref).first()
        if activity is None or activity.status != ActivityStatus.PUBLISHED:
            raise _invalid("destination.activity_id", _("没有这个活动"))
        if timezone.localtime(activity.start).date() != on:
            raise _invalid(
                "destination.activity_id",
                _("该活动不在这一天"),
                activity_date=timezone.localtime(activity.start).date().isoformat(),
            )
        booked = Booking.objects.filter(activity_id=activity.pk, user_id=user.pk, status__in=SEATED_BOOKING_STATUSES)
        if not booked.exists():
            raise Problem(
                "not_eligible",
                detail=_("只有已预约（已确认）该活动的居民才能把餐送到活动场地"),
            )
        if not place_served(kitchen, activity.place_id):
            raise _not_served(kitchen, format_lazy(_("活动场地「{name}」"), name=activity.place.name))
        return Destination(type=kind, place_id=activity.place_id, activity=activity)
    # home delivery
    if profile is None or not profile.home_delivery:
        raise Problem(
            "not_eligible",
            detail=_("送餐上门需经街道工作人员核实登记，请联系服务点"),
        )
    if not kitchen.home_delivery or profile.street_id != kitchen.street_id:
        raise _not_served(kitchen, _("您的住址"))
    compound = profile.compound
    address = profile.home_address or (compound.address if compound else "") or (compound.name if compound else "")
    if not address:
        raise Problem(
            "not_eligible",
            detail=_("您的助餐档案没有送餐地址，请联系服务点"),
        )
    return Destination(
        type=kind,
        home_address=address[:200],
        home_lat=compound.lat if compound else None,
        home_lng=compound.lng if compound else None,
    )


def basket_check(
    *,
    user: Any,
    date: Any,
    slot: Any,
    destination: Any,
    items: Any,
    now: dt.datetime | None = None,
    fresh: bool = False,
) -> Basket:
    """Everything an order checks before it writes (no locks): input, menu, cut-off, destination, eligibility,
    and the bill. Raises a Problem on the first refusal. Used by `order_create` and by the quote endpoint.

    The menu items may come from the process's cache (`fast.menu_items_read`, PostgreSQL): shared, never to be changed,
    their `sold` stale; `fresh=True` reads them from the database (what the quote needs)."""
    now = now or timezone.now()
    on = _parse_date(date)
    slot = _parse_slot(slot)
    kind, ref = _parse_destination(destination)
    wanted = _parse_items(items)

    found, profile, place_listed, tiers = menu_items_read(
        [menu_item_id for menu_item_id, _q, _h in wanted],
        user_id=user.pk,
        place_id=ref if kind == DestinationType.PLACE else None,
        fresh=fresh,
    )
    missing = [menu_item_id for menu_item_id, _q, _h in wanted if menu_item_id not in found]
    if missing:
        raise _not_available(_("菜单上没有这道菜"), menu_item_ids=missing)
    menus = {item.menu_id for item in found.values()}
    if len(menus) != 1:
        raise _invalid("items", _("一张订单只能点同一份菜单（同一厨房、同一餐次）的菜"))
    menu = next(iter(found.values())).menu
    if menu.date != on or menu.slot != slot:
        raise _not_available(_("这道菜不在所选日期和餐次的菜单上"), menu_id=menu.pk)
    if menu.status == MenuStatus.DRAFT:
        raise _not_available(_("菜单尚未发布"), menu_id=menu.pk)
    _check_open(menu, now)
    kitchen = menu.kitchen

    dest = _resolve_destination(
        kind=kind, ref=ref, kitchen=kitchen, user=user, on=on, profile=profile, place_listed=place_listed
    )

    lines = [(found[menu_item_id], quantity, half) for menu_item_id, quantity, half in wanted]
    age = pricing.resident_age(user, on)
    for item, _q, _h in lines:
        if item.is_elder_discount_set and (age is None or age < ELDER_MIN_AGE):
            raise Problem(
                "not_eligible",
                detail=format_lazy(
                    _("「{name}」是长者优惠套餐，限60岁以上居民（请先在「我的」页面填写出生年份）"), name=item.dish.name
                ),
                extra={"menu_item_id": item.pk, **({"fix": "/me/"} if age is None else {})},
            )
    bill = pricing.bill_compute(
        street=kitchen.street,
        user=user,
        slot=slot,
        on=on,
        lines=lines,
        tiers=street_tiers(kitchen.street_id) if tiers is None else tiers,
        hardships=list(profile.hardships or []) if profile else [],
    )
    portions: dict[int, int] = defaultdict(int)
    for item, quantity, _half in lines:
        portions[item.pk] += quantity
    return Basket(menu=menu, kitchen=kitchen, lines=lines, destination=dest, bill=bill, portions=dict(portions))


def basket_quote(
    *, user: Any, date: Any, slot: Any, destination: Any, items: Any, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The bill of a basket without ordering (the basket page). Same refusals as an order, except the wallet:
    the answer says whether the balance covers it. Portions are checked against what is left now (a hint: the
    order itself decides under concurrency)."""
    basket = basket_check(user=user, date=date, slot=slot, destination=destination, items=items, now=now, fresh=True)
    items_by_id = {item.pk: item for item, _q, _h in basket.lines}
    for item_id, wanted in sorted(basket.portions.items()):
        item = items_by_id[item_id]
        if item.daily_limit is not None and item.sold + wanted > item.daily_limit:
            raise sold_out(item, wanted)
    balance = wallet.wallet_balance(user=user, street=basket.kitchen.street)  # the order is charged there
    return {
        **basket.bill.as_dict(),
        "menu_id": basket.menu.pk,
        "kitchen": {"id": basket.kitchen.pk, "name": basket.kitchen.place.name},
        "cutoff_at": basket.menu.cutoff_at.isoformat(),
        "balance_fen": balance,
        "balance_ok": balance >= basket.bill.total_fen,
    }
