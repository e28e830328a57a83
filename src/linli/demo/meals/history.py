"""Three weeks of past lunches for the sample street (orders, ledgers, ratings, waste, inspections)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from linli.core.models import Street, User
from linli.demo.meals.data import (
    MEAL_RESIDENTS,
    _local,
)
from linli.demo.meals.history_rows import (
    _basket,
    _bump_sold,
    _extra_residents,
    _history_wallets,
    _insert_rows,
    _past_menus,
    _scores,
)
from linli.demo.meals.samples import (
    HISTORY_DAYS,
    HISTORY_SEED,
    INSPECTION_AREAS,
    ISSUE_NOTES,
    NEW_DISH_KITCHENS,
    NEW_DISHES,
    TASTING_COMMENTS,
)
from linli.meals.models import (
    Dish,
    Inspection,
    InspectionItem,
    MealProfile,
    Order,
    OrderDiscount,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Rating,
    TastingScore,
    WasteRecord,
)
from linli.meals.services.pricing import bill_compute, street_tiers
from linli.places.models import Place


def _history(street: Street, kitchens: list[Any], today: dt.date) -> dict[str, int]:
    """Orders, wallet entries, ratings, waste, inspections and tasting scores for the last HISTORY_DAYS days."""
    S = OrderStatus
    rng = random.Random(HISTORY_SEED)
    staff = {u.phone: u for u in User.objects.filter(phone__startswith="+86138000000")}
    operator = staff.get("+8613800000005")
    supervisor = staff.get("+8613800000007")
    rider = staff.get("+8613800000008")
    tiers = street_tiers(street)
    by_kitchen = _extra_residents(street, kitchens, today, rng)
    # The loader's residents eat too (the elders at the elder canteen, the young resident at the community one).
    regulars = {r.phone: r for r in MEAL_RESIDENTS}
    for user in User.objects.filter(phone__in=[f"+86{p}" for p in regulars]).order_by("phone"):
        ext = "wl-ec-001" if user.birth_year and user.birth_year < today.year - 60 else "wl-cc-001"
        kitchen = next((k for k in kitchens if k.place.external_id == ext), kitchens[0])
        by_kitchen.setdefault(kitchen.pk, []).append(user)
    residents = [u for users in by_kitchen.values() for u in users]
    profiles = {p.user_id: p for p in MealProfile.objects.filter(user__in=residents)}
    points = {
        p.external_id: p for p in Place.objects.filter(street=street, external_id__startswith="wl-meal-").order_by("id")
    }
    menus = _past_menus(kitchens, today)

    # Plan every order first (bill computed with the street's tiers), so each resident's top-up covers them.
    plans: list[dict[str, Any]] = []
    for kitchen in kitchens:
        served_points = [p for p in kitchen.serves.all() if p.external_id in points]
        canteen = kitchen.place.external_id != "wl-ck-001"
        for back in range(HISTORY_DAYS, 0, -1):
            day = today - dt.timedelta(days=back)
            menu, items = menus[(kitchen.pk, day)]
            room = {i.pk: i.daily_limit - i.sold for i in items if i.daily_limit is not None}
            eaters = by_kitchen.get(kitchen.pk, [])
            share = 0.55 if day.weekday() >= 5 else 0.78  # fewer lunches at the weekend
            wanted = round(rng.gauss(share * len(eaters), 3))
            wanted = max(min(22, len(eaters)), min(wanted, 58, len(eaters)))
            taken = set(Order.objects.filter(menu=menu).values_list("pickup_code", flat=True))
            codes = iter(c for c in rng.sample(range(100000, 1000000), wanted + len(taken)) if f"{c:06d}" not in taken)
            chosen = set(rng.sample(range(len(eaters)), wanted))
            for n_user, user in enumerate(eaters):
                if n_user not in chosen:
                    continue
                age = day.year - user.birth_year if user.birth_year else 40
                lines = _basket(rng, items, room, age >= 70)
                if not lines:
                    continue
                profile = profiles.get(user.pk)
                hardships = list(profile.hardships) if profile else []
                bill = bill_compute(
                    street=street, user=user, slot="lunch", on=day, lines=lines, tiers=tiers, hardships=hardships
                )
                if profile is not None and profile.home_delivery and profile.home_address:
                    dest = ("home", None, profile.home_address)
                elif canteen and (not served_points or rng.random() < 0.6):
                    dest = ("place", kitchen.place, "")
                else:
                    dest = (
                        "place",
                        served_points[user.pk % len(served_points)] if served_points else kitchen.place,
                        "",
                    )
                cutoff = menu.cutoff_at
                placed = cutoff - dt.timedelta(minutes=rng.randint(20, 14 * 60))
                plans.append(
                    {
                        "user": user,
                        "kitchen": kitchen,
                        "menu": menu,
                        "day": day,
                        "lines": lines,
                        "bill": bill,
                        "dest": dest,
                        "placed": placed,
                        "code": f"{next(codes):06d}",
                    }
                )

    # The orders, collected long ago: each one's timeline first, so the rows are written once, in bulk.
    orders, timelines = [], []
    for plan in plans:
        kind, place, address = plan["dest"]
        day = plan["day"]
        produce = _local(day, dt.time(10, rng.randint(0, 20)))
        steps = [
            ("", S.PLACED, plan["placed"], plan["user"], ""),
            (S.PLACED, S.LOCKED, plan["menu"].cutoff_at, None, "截单 cut-off"),
            (S.LOCKED, S.IN_PRODUCTION, produce, operator, ""),
        ]
        if place is not None and place.pk == plan["kitchen"].place_id:  # eaten in the canteen's dining room
            delivered = _local(day, dt.time(11, rng.randint(0, 15)))
            steps.append((S.IN_PRODUCTION, S.DELIVERED, delivered, operator, "堂食 dining room"))
        else:
            out = _local(day, dt.time(10, rng.randint(40, 59)))
            delivered = out + dt.timedelta(minutes=rng.randint(15, 45))
            steps.append((S.IN_PRODUCTION, S.OUT_FOR_DELIVERY, out, rider, ""))
            steps.append((S.OUT_FOR_DELIVERY, S.DELIVERED, delivered, rider, ""))
        collected = delivered + dt.timedelta(minutes=rng.randint(1, 50))
        steps.append((S.DELIVERED, S.COLLECTED, collected, None, ""))
        timelines.append(steps)
        orders.append(
            Order(
                street=street,
                user=plan["user"],
                menu=plan["menu"],
                kitchen=plan["kitchen"],
                date=day,
                slot="lunch",
                destination_type=kind,
                destination_place=place,
                home_address=address,
                status=S.COLLECTED,
                list_fen=plan["bill"].list_fen,
                discount_fen=plan["bill"].discount_fen,
                total_fen=plan["bill"].total_fen,
                pickup_code=plan["code"],
                created_at=plan["placed"],
                delivered_at=delivered,
                collected_at=collected,
            )
        )
    Order.objects.bulk_create(orders, batch_size=500)

    line_rows: list[OrderLine] = []
    discounts: list[OrderDiscount] = []
    events: list[tuple[Any, ...]] = []
    ratings: list[Rating] = []
    sold: dict[int, int] = {}
    for plan, order, steps in zip(plans, orders, timelines, strict=True):
        for item, quantity, half in plan["lines"]:
            unit = item.half_price_fen if half else item.price_fen
            line_rows.append(
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
        for d in plan["bill"].discounts:
            discounts.append(OrderDiscount(order=order, tier_id=d.tier_id, label=d.label, amount_fen=d.amount_fen))
        events += [(order.pk, at, getattr(a, "pk", None), str(f), str(t), n) for f, t, at, a, n in steps]
        if rng.random() < 0.4:
            taste, portion, price, comment = _scores(rng)
            ratings.append(
                Rating(
                    order=order,
                    kitchen=plan["kitchen"],
                    taste=taste,
                    portion=portion,
                    price=price,
                    comment=comment,
                    created_at=(order.collected_at or order.created_at) + dt.timedelta(minutes=rng.randint(20, 8 * 60)),
                )
            )
    OrderLine.objects.bulk_create(line_rows, batch_size=1000)
    OrderDiscount.objects.bulk_create(discounts, batch_size=1000)
    _insert_rows(OrderEvent, ("order", "at", "actor", "from_status", "to_status", "note"), events)
    Rating.objects.bulk_create(ratings, batch_size=1000)
    _bump_sold(sold)
    _history_wallets(street, plans, orders, today)
    # Food waste: a record per kitchen per day, trending down as the kitchens learn to cook to the orders.
    per_day: dict[tuple[int, dt.date], int] = {}
    for order in orders:
        per_day[(order.kitchen_id, order.date)] = per_day.get((order.kitchen_id, order.date), 0) + 1
    waste = []
    for kitchen in kitchens:
        for back in range(HISTORY_DAYS, 0, -1):
            day = today - dt.timedelta(days=back)
            meals = per_day.get((kitchen.pk, day), 0)
            per_meal = 95 - 2.2 * (HISTORY_DAYS - back) + rng.uniform(-12, 12)
            waste.append(
                WasteRecord(
                    kitchen=kitchen,
                    date=day,
                    grams=max(200, round(600 + meals * per_meal)),
                    note="剩饭剩菜 + 备餐边角料（示例）" if back % 7 == 0 else "",
                    recorded_by=operator,
                )
            )
    WasteRecord.objects.bulk_create(waste)

    # Inspections: the food supervisor's visits (one with issues to follow up), no photos.
    inspections = 0
    visits = [(0, 17, ()), (3, 11, ("sample_retention",)), (1, 4, ("washing", "storage"))]
    if supervisor is not None:
        for k_index, back, issues in visits:
            kitchen = kitchens[k_index % len(kitchens)]
            summary = "检查合格（示例）" if not issues else f"发现{len(issues)}处问题，已要求限期整改（示例）"
            insp = Inspection.objects.create(
                kitchen=kitchen,
                inspector=supervisor,
                at=_local(today - dt.timedelta(days=back), dt.time(14, 30)),
                summary=summary,
            )
            InspectionItem.objects.bulk_create(
                InspectionItem(
                    inspection=insp,
                    area=area,
                    result="issue" if area in issues else "pass",
                    note=ISSUE_NOTES.get(area, "") if area in issues else "",
                )
                for area in INSPECTION_AREAS
            )
            inspections += 1

    # Tasting panels for the dishes flagged new: staff and two elder residents score them.
    new_dishes = list(
        Dish.objects.filter(
            kitchen__in=kitchens, kitchen__place__external_id__in=NEW_DISH_KITCHENS, name__in=NEW_DISHES
        )
    )
    Dish.objects.filter(pk__in=[d.pk for d in new_dishes]).update(is_new=True)
    scorers = list(
        User.objects.filter(
            phone__in=["+8613800000007", "+8613800000001", "+8613800000002", "+8613800000010", "+8613800000011"]
        ).order_by("phone")
    )
    scores = []
    for n, dish in enumerate(new_dishes):
        panel = today - dt.timedelta(days=9 - 3 * (n % 3))
        for scorer in scorers:
            scores.append(
                TastingScore(
                    dish=dish,
                    scorer=scorer,
                    panel_date=panel,
                    score=rng.choice([3, 4, 4, 5, 5]),
                    comment=rng.choice(TASTING_COMMENTS),
                    created_at=_local(panel, dt.time(15, 0)),
                )
            )
    TastingScore.objects.bulk_create(scores)
    return {
        "history orders": len(orders),
        "history residents": len(residents),
        "ratings": len(ratings),
        "waste records": len(waste),
        "inspections": inspections,
        "tasting scores": len(scores),
    }
