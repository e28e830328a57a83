"""Today and the week ahead in the sample kitchens: lunch orders from the sample residents for today and the
coming days (fewer the further ahead, as people order), charged to their wallets; today's menus whose cut-off has
passed locked as the scheduled lock does (the production list is fixed); the central kitchen's deliveries of
today planned into runs, the first one given to the demo rider. So the kitchen, the meal points and the rider
each have today's work on their first page, whatever the hour the demo is built.

Made once per day: only when the street has no order from today on. Seeded like the history."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from linli.core.models import Role, RoleAssignment, Street, User
from linli.demo.meals.data import DAYS_AHEAD, MEAL_RESIDENTS
from linli.demo.meals.history_rows import _basket, _bump_sold, _extra_residents, _history_wallets, _insert_rows
from linli.demo.meals.samples import HISTORY_SEED
from linli.meals.models import Menu, MenuStatus, Order, OrderDiscount, OrderEvent, OrderLine, OrderStatus
from linli.meals.services.delivery import run_assign, runs_plan
from linli.meals.services.kitchen import menus_lock_due
from linli.meals.services.pricing import bill_compute, street_tiers

# The share of a kitchen's regular eaters with an order for the day, by days ahead (today first).
SHARE_BY_DAYS_AHEAD = (0.6, 0.45, 0.3, 0.2, 0.15, 0.1, 0.1, 0.1)
DELIVERY_KITCHEN = "wl-ck-001"  # the central kitchen: its lunches go out to the meal points by rider
OPERATOR_PHONE = "+8613800000005"
RIDER_PHONES = ("+8613800000008", "+8613800000081")  # the demo rider first


def _week_exists(street: Street, today: dt.date) -> bool:
    return Order.objects.filter(street=street, date__gte=today).exists()


def _plans(street: Street, kitchens: list[Any], today: dt.date, now: dt.datetime, rng: Any) -> list[dict[str, Any]]:
    tiers = street_tiers(street)
    by_kitchen = _extra_residents(street, kitchens, today, rng)
    # The demo's own residents have tomorrow's lunch ordered (at the elder canteen for the elders, as in the
    # history): "我的订餐" shows it, with its pickup code and the cancel button.
    regulars: dict[int, list[Any]] = {}
    for user in User.objects.filter(phone__in=[f"+86{r.phone}" for r in MEAL_RESIDENTS]).order_by("phone"):
        ext = "wl-ec-001" if user.birth_year and user.birth_year < today.year - 60 else "wl-cc-001"
        kitchen = next((k for k in kitchens if k.place.external_id == ext), kitchens[0])
        regulars.setdefault(kitchen.pk, []).append(user)
    plans: list[dict[str, Any]] = []
    for kitchen in kitchens:
        eaters = by_kitchen.get(kitchen.pk, [])
        points = [p for p in kitchen.serves.all().order_by("pk") if p.kind == "meal_point"] or [kitchen.place]
        meals = [(ahead, share, "lunch") for ahead, share in enumerate(SHARE_BY_DAYS_AHEAD[: DAYS_AHEAD + 1])]
        if kitchen.place.external_id == DELIVERY_KITCHEN:  # today's breakfast, ordered yesterday: out by now
            meals.insert(0, (0, 0.15, "breakfast"))
        for ahead, share, slot in meals:
            day = today + dt.timedelta(days=ahead)
            menu = Menu.objects.filter(kitchen=kitchen, date=day, slot=slot, status=MenuStatus.PUBLISHED).first()
            if menu is None or not eaters:
                continue
            items = list(menu.items.select_related("dish").order_by("sort_order", "pk"))
            room = {i.pk: i.daily_limit - i.sold for i in items if i.daily_limit is not None}
            wanted = max(3, round(share * len(eaters)))
            codes = iter(rng.sample(range(100000, 1000000), wanted + len(MEAL_RESIDENTS)))
            # Placed before the cut-off, and never in the future.
            latest = min(now, menu.cutoff_at) - dt.timedelta(minutes=5)
            chosen = rng.sample(eaters, min(wanted, len(eaters)))
            if ahead == 1 and slot == "lunch":
                chosen += regulars.get(kitchen.pk, [])
            for user in chosen:
                age = day.year - user.birth_year if user.birth_year else 40
                lines = _basket(rng, items, room, age >= 70)
                if not lines:
                    continue
                bill = bill_compute(street=street, user=user, slot=slot, on=day, lines=lines, tiers=tiers)
                to_kitchen = kitchen.place.external_id != DELIVERY_KITCHEN and rng.random() < 0.6
                plans.append(
                    {
                        "user": user,
                        "kitchen": kitchen,
                        "menu": menu,
                        "day": day,
                        "slot": slot,
                        "lines": lines,
                        "bill": bill,
                        "place": kitchen.place if to_kitchen else points[user.pk % len(points)],
                        "placed": latest - dt.timedelta(minutes=rng.randint(0, 36 * 60)),
                        "code": f"{next(codes):06d}",
                    }
                )
    return plans


def _runs_today(kitchens: list[Any], today: dt.date) -> int:
    """The central kitchen's deliveries of today planned into runs, the first one to the demo rider: lunch once
    its cut-off has passed, breakfast (ordered the day before) until then."""
    staff = {u.phone: u for u in User.objects.filter(phone__in=[OPERATOR_PHONE, *RIDER_PHONES])}
    operator = staff.get(OPERATOR_PHONE)
    kitchen = next((k for k in kitchens if k.place.external_id == DELIVERY_KITCHEN), None)
    if kitchen is None:
        return 0
    # The riders of the street so far (the gate demo adds the others, after the meals).
    riding = set(
        RoleAssignment.objects.filter(street=kitchen.street, role=Role.RIDER).values_list("user_id", flat=True)
    )
    riders = [staff[p] for p in RIDER_PHONES if p in staff and staff[p].pk in riding]
    if operator is None:
        return 0
    locked = set(
        Menu.objects.filter(kitchen=kitchen, date=today, status=MenuStatus.LOCKED).values_list("slot", flat=True)
    )
    slot = next((s for s in ("lunch", "breakfast") if s in locked), None)
    if slot is None:
        return 0
    report = runs_plan(kitchen=kitchen, date=today, slot=slot, actor=operator, riders_count=max(1, len(riders)))
    for run, rider in zip(report.runs, riders, strict=False):
        run_assign(run=run, rider=rider, actor=operator)
    return len(report.runs)


def demo_week_load(street: Street, kitchens: list[Any], today: dt.date, now: dt.datetime | None = None) -> dict:
    """Lunch orders for today .. today + DAYS_AHEAD, today's due menus locked and today's runs planned."""
    now = now or timezone.now()
    if not kitchens or _week_exists(street, today):
        return {}
    rng = random.Random(HISTORY_SEED + today.toordinal())
    plans = _plans(street, kitchens, today, now, rng)
    orders = [
        Order(
            street=street,
            user=p["user"],
            menu=p["menu"],
            kitchen=p["kitchen"],
            date=p["day"],
            slot=p["slot"],
            destination_type="place",
            destination_place=p["place"],
            status=OrderStatus.PLACED,
            list_fen=p["bill"].list_fen,
            discount_fen=p["bill"].discount_fen,
            total_fen=p["bill"].total_fen,
            pickup_code=p["code"],
            created_at=p["placed"],
        )
        for p in plans
    ]
    Order.objects.bulk_create(orders, batch_size=500)
    lines: list[OrderLine] = []
    discounts: list[OrderDiscount] = []
    events: list[tuple[Any, ...]] = []
    sold: dict[int, int] = {}
    for plan, order in zip(plans, orders, strict=True):
        for item, quantity, half in plan["lines"]:
            unit = item.half_price_fen if half else item.price_fen
            lines.append(
                OrderLine(
                    order=order,
                    menu_item=item,
                    dish_name=item.dish.name,
                    quantity=quantity,
                    half=half,
                    unit_price_fen=unit,
                    line_fen=unit * quantity,
                )
            )
            sold[item.pk] = sold.get(item.pk, 0) + quantity
        discounts += [
            OrderDiscount(order=order, tier_id=d.tier_id, label=d.label, amount_fen=d.amount_fen)
            for d in plan["bill"].discounts
        ]
        events.append((order.pk, plan["placed"], plan["user"].pk, "", OrderStatus.PLACED.value, ""))
    OrderLine.objects.bulk_create(lines, batch_size=1000)
    OrderDiscount.objects.bulk_create(discounts, batch_size=1000)
    _insert_rows(OrderEvent, ("order", "at", "actor", "from_status", "to_status", "note"), events)
    _bump_sold(sold)
    _history_wallets(street, plans, orders, today)
    locked = menus_lock_due(now=now)  # what the scheduler does every minute: today's cut-off may have passed
    return {"orders this week": len(orders), "menus locked": locked, "runs today": _runs_today(kitchens, today)}
