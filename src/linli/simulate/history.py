"""The synthetic city's days: every domain's rows at the city's daily volumes, with the time-of-day peaks of
`linli.simulate`. Each domain draws from its own random stream (`City.rng(name)`), so adding one leaves the others'
rows as they were. Counters are written equal to their rows (an activity's `booked`, a dish's `sold`, a case's
`reports_count`, an affairs slot's `booked`) and every wallet's balance equal to its ledger.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from typing import Any

from linli.access.models import Tap
from linli.activities.models import Activity, Booking, BookingEvent
from linli.affairs.models import Appointment, AppointmentEvent, Slot
from linli.affairs.models_queue import QueueTicket, TicketSequence
from linli.assistant.models import AskLog
from linli.care.models import Call, CallEvent, CheckIn
from linli.cases.models import Case, CaseEvent, Report
from linli.core.models import AuditLog
from linli.meals.models import (
    Menu,
    MenuItem,
    Order,
    OrderDiscount,
    OrderEvent,
    OrderLine,
    Rating,
    Wallet,
    WalletEntry,
)
from linli.simulate import (
    HOURS_CHECKIN,
    HOURS_MEAL_ORDERS,
    HOURS_MORNING_EVENING,
    HOURS_OFFICE,
    HOURS_REPORTS,
    HOURS_RIDER_TAPS,
)
from linli.simulate.city import SH, City

MIN = dt.timedelta(minutes=1)
Progress = Callable[[str], None]


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=SH)


def times(rng: random.Random, day: dt.date, weights: list[int], n: int) -> list[dt.datetime]:
    """`n` moments of `day` (sorted) with the hourly shares `weights`."""
    base, r = day_start(day), rng.random
    hours = rng.choices(range(24), weights=weights, k=n)
    return sorted(base + dt.timedelta(seconds=h * 3600 + int(r() * 3600)) for h in hours)


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def now_of(city: City) -> dt.datetime:
    return city.loader.now


# ----------------------------------------------------------------------------------------------------- meals


def meals(city: City, progress: Progress) -> None:
    rng = city.rng("meals")
    loader = city.loader
    menus = loader.table(Menu, ["id", "kitchen_id", "date", "slot", "status", "cutoff_at", "published_at", "locked_at"])
    items = loader.table(MenuItem, ["id", "menu_id", "dish_id", "price_fen", "half_price_fen", "daily_limit", "sold",
                                    "is_elder_discount_set", "sort_order"])  # fmt: skip
    orders = loader.table(
        Order, ["id", "street_id", "user_id", "menu_id", "kitchen_id", "date", "slot", "destination_type",
                "destination_place_id", "home_address", "status", "list_fen", "discount_fen", "total_fen", "pickup_code",
                "created_at", "cancelled_at", "delivered_at", "collected_at"],
    )  # fmt: skip
    lines = loader.table(OrderLine, ["order_id", "menu_item_id", "dish_name", "quantity", "half", "unit_price_fen",
                                     "line_fen"])  # fmt: skip
    discounts = loader.table(OrderDiscount, ["order_id", "tier_id", "label", "amount_fen"])
    events = loader.table(OrderEvent, ["order_id", "at", "actor_id", "from_status", "to_status", "note"])
    entries = loader.table(WalletEntry, ["wallet_id", "kind", "amount_fen", "balance_after_fen", "order_id",
                                         "street_id", "note", "at"])  # fmt: skip
    ratings = loader.table(Rating, ["order_id", "kitchen_id", "taste", "portion", "price", "comment", "created_at"])
    balance: dict[int, int] = {}
    share = city.volumes.meals_per_day / max(1, sum(len(p.eaters) for p in city.streets))
    menu_days = city.days() + [city.end + dt.timedelta(days=i) for i in range(7)]
    for day in menu_days:
        past = day < city.end
        ledger: list[tuple[dt.datetime, int, str, int, int | None, int]] = []  # at, wallet, kind, fen, order, street
        for plan in city.streets:
            menu_of: dict[tuple[int, str], tuple[int, list[list]]] = {}
            for kid, _pid, canteen in plan.kitchens:
                for slot in ("lunch", "dinner") if canteen else ("lunch",):
                    mid = loader.ids(Menu)
                    cutoff = day_start(day) + (
                        dt.timedelta(hours=9, minutes=30) if slot == "lunch" else dt.timedelta(hours=15)
                    )
                    published = day_start(day) - dt.timedelta(days=7) + dt.timedelta(hours=10)
                    menus.add((mid, kid, day, slot, "locked" if past else "published", cutoff, published,
                               cutoff if past else None))  # fmt: skip
                    picks = rng.sample(plan.dishes[kid], 6)
                    its: list[list[Any]] = []
                    for k, (did, name) in enumerate(picks):
                        price = rng.randrange(8, 30) * 100 if not name.endswith("套餐") else 1500
                        its.append([loader.ids(MenuItem), did, name, price, 0, k])
                    menu_of[(kid, slot)] = (mid, its)
            if past:
                _orders_of_day(city, plan, day, rng, share, menu_of, orders, lines, discounts, events, ratings, ledger)
            for (_kid, _slot), (mid, its) in menu_of.items():
                for iid, did, name, price, sold, k in its:
                    items.add((iid, mid, did, price, price // 2 + 100, None, sold, name.endswith("套餐"), k))
        ledger.sort(key=lambda e: (e[0], e[4] or 0))
        for at, wallet, kind, fen, order, street in ledger:
            balance[wallet] = balance.get(wallet, 0) + fen
            note = {"topup": "模拟充值", "charge": "", "refund": "取消退款"}[kind]
            entries.add((wallet, kind, fen, balance[wallet], order, street, note, at))
        if day.day == 1 or day == menu_days[-1]:
            progress(f"meals {day}")
    loader.flush()
    with loader.connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Wallet._meta.db_table} SET balance_fen = %s WHERE id = %s",  # noqa: S608
            [(fen, wid) for wid, fen in sorted(balance.items())],
        )


def _orders_of_day(city, plan, day, rng, share, menu_of, orders, lines, discounts, events, ratings, ledger) -> None:  # noqa: ANN001, PLR0913
    loader = city.loader
    base = day_start(day)
    codes: dict[int, int] = {}
    kitchens = plan.kitchens
    last = plan.balances  # wallet → balance as the ledger will leave it (topped up before a charge runs short)
    for n, (uid, wallet, birth, _compound) in enumerate(plan.eaters):
        if rng.random() >= share:
            continue
        kid, kplace, canteen = kitchens[n % len(kitchens)]
        slot = "dinner" if canteen and rng.random() < 0.12 else "lunch"
        mid, its = menu_of[(kid, slot)]
        if slot == "lunch":
            h = rng.choices(range(24), weights=HOURS_MEAL_ORDERS)[0]
            if 10 <= h < 16:
                h = rng.choice((7, 8))
            created = base + dt.timedelta(hours=h, seconds=rng.randrange(1800 if h == 9 else 3600))
            if h >= 16:
                created -= dt.timedelta(days=1)
            cutoff = base + dt.timedelta(hours=9, minutes=30)
            deliver = base + dt.timedelta(hours=11, minutes=rng.randrange(0, 50))
        else:
            created = base + dt.timedelta(hours=10, seconds=rng.randrange(4 * 3600))
            cutoff = base + dt.timedelta(hours=15)
            deliver = base + dt.timedelta(hours=17, minutes=rng.randrange(0, 50))
        picked = rng.sample(its, 2 if rng.random() < 0.35 else 1)
        list_fen = sum(i[3] for i in picked)
        age = day.year - birth
        tier = next((t for t in plan.age_tiers if age >= t[1]), None)
        discount = list_fen * tier[2] // 100 if tier else 0
        total = list_fen - discount
        oid = loader.ids(Order)
        codes[mid] = codes.get(mid, 0) + 1
        served = plan.kitchen_serves.get(kid) or [kplace]
        home = rng.random() < 0.25
        cancelled = rng.random() < 0.03
        status = "cancelled" if cancelled else ("delivered" if home else "collected")
        cancelled_at = created + dt.timedelta(minutes=rng.randrange(5, 60)) if cancelled else None
        if cancelled_at and cancelled_at > cutoff:
            cancelled_at = cutoff - MIN
        delivered_at = None if cancelled else deliver
        collected_at = None if cancelled or home else deliver + dt.timedelta(minutes=rng.randrange(5, 40))
        orders.add((oid, plan.street.pk, uid, mid, kid, day, slot, "home" if home else "place",
                    None if home else served[n % len(served)], "模拟小区送餐地址" if home else "", status, list_fen,
                    discount, total, f"{codes[mid]:04d}", created, cancelled_at, delivered_at, collected_at))  # fmt: skip
        for item in picked:
            lines.add((oid, item[0], item[2], 1, False, item[3], item[3]))
            if not cancelled:
                item[4] += 1
        if tier and discount:
            discounts.add((oid, tier[0], tier[3], discount))
        events.add((oid, created, uid, "", "placed", ""))
        if cancelled:
            events.add((oid, cancelled_at, uid, "placed", "cancelled", ""))
        else:
            events.add((oid, cutoff, None, "placed", "locked", ""))
            events.add((oid, cutoff + dt.timedelta(minutes=30), None, "locked", "in_production", ""))
            events.add((oid, deliver - dt.timedelta(minutes=30), None, "in_production", "out_for_delivery", ""))
            events.add((oid, deliver, None, "out_for_delivery", "delivered", ""))
            if collected_at:
                events.add((oid, collected_at, uid, "delivered", "collected", ""))
                if rng.random() < 0.05:
                    ratings.add((oid, kid, rng.randint(3, 5), rng.randint(3, 5), rng.randint(3, 5), "", collected_at))
        have = last.get(wallet, 0)
        if have < total:
            ledger.append((created - MIN, wallet, "topup", 20_000, None, plan.street.pk))
            have += 20_000
        ledger.append((created, wallet, "charge", -total, oid, plan.street.pk))
        have -= total
        if cancelled:
            ledger.append((cancelled_at, wallet, "refund", total, oid, plan.street.pk))
            have += total
        last[wallet] = have


# ------------------------------------------------------------------------------------------------ activities

TITLES = [("健康讲座：高血压的日常管理", "health"), ("书法兴趣班", "culture"), ("智能手机课堂", "skills_training"),
          ("亲子手工", "children"), ("太极拳晨练", "sports"), ("党员学习日", "party_affairs"), ("社区市集", "market"),
          ("志愿者环境清洁", "volunteering"), ("合唱团排练", "culture"), ("反诈宣传讲座", "lecture")]  # fmt: skip
VENUE_KINDS = ("culture_center", "party_service_center", "party_service_station", "citizen_station", "reading_room")


def activities(city: City, progress: Progress) -> None:
    rng = city.rng("activities")
    loader, now = city.loader, now_of(city)
    acts = loader.table(
        Activity, ["id", "street_id", "place_id", "external_id", "title", "category", "audience", "organiser", "start",
                   "end", "capacity", "waitlist_capacity", "booked", "booking_opens_at", "booking_closes_at",
                   "cancel_deadline", "status", "created_at"],
    )  # fmt: skip
    bookings = loader.table(Booking, ["id", "activity_id", "user_id", "status", "source", "code", "created_at",
                                      "confirmed_at", "cancelled_at", "checked_in_at"])  # fmt: skip
    events = loader.table(BookingEvent, ["booking_id", "at", "actor_id", "from_status", "to_status", "note"])
    per_street = max(1, round(city.volumes.bookings_per_day / len(city.streets) / 15))
    days = city.days() + [city.end + dt.timedelta(days=i) for i in range(21)]
    for day in days:
        for plan in city.streets:
            venues = [p for k in VENUE_KINDS for p in plan.places.get(k, [])]
            for a in range(per_street):
                aid = loader.ids(Activity)
                title, category = TITLES[rng.randrange(len(TITLES))]
                start = day_start(day) + dt.timedelta(hours=rng.choice((9, 10, 14, 15, 19)))
                end = start + dt.timedelta(minutes=90)
                opens = start - dt.timedelta(days=14)
                capacity = rng.choice((20, 25, 30, 40))
                chosen = rng.sample(plan.residents, min(len(plan.residents), round(capacity * rng.uniform(0.5, 1.0))))
                seats = 0
                for uid in chosen:
                    bid = loader.ids(Booking)
                    lo = max(opens, now - dt.timedelta(days=14)) if start > now else opens
                    hi = min(start - dt.timedelta(hours=2), now - MIN)
                    if hi <= lo:
                        continue
                    created = lo + dt.timedelta(seconds=rng.randrange(int((hi - lo).total_seconds())))
                    r = rng.random()
                    if start < now:
                        status = "checked_in" if r < 0.8 else ("no_show" if r < 0.87 else "cancelled")
                    else:
                        status = "confirmed" if r < 0.9 else "cancelled"
                    cancelled_at = (
                        min(created + dt.timedelta(hours=rng.randrange(1, 48)), hi) if status == "cancelled" else None
                    )
                    checked_in = (
                        start + dt.timedelta(minutes=rng.randrange(-10, 15)) if status == "checked_in" else None
                    )
                    bookings.add(
                        (bid, aid, uid, status, "app", f"{bid:08d}", created, created, cancelled_at, checked_in)
                    )
                    events.add((bid, created, uid, "", "confirmed", ""))
                    if status == "cancelled":
                        events.add((bid, cancelled_at, uid, "confirmed", "cancelled", ""))
                    elif status == "checked_in":
                        events.add((bid, checked_in, None, "confirmed", "checked_in", ""))
                    elif status == "no_show":
                        events.add((bid, end + dt.timedelta(minutes=30), None, "confirmed", "no_show", ""))
                    seats += status != "cancelled"
                place = venues[(a + day.toordinal()) % len(venues)][0]
                acts.add((aid, plan.street.pk, place, f"sim-{aid}", title, category, "elderly" if category == "health"
                          else "everyone", "模拟主办方", start, end, capacity, 10, seats, opens,
                          start - dt.timedelta(hours=1), start - dt.timedelta(hours=2), "published",
                          opens - dt.timedelta(days=1)))  # fmt: skip
        if day.day == 1:
            progress(f"activities {day}")


# ----------------------------------------------------------------------------------------------------- cases

DESCRIPTIONS = ["消防通道被电动车堵塞", "楼道堆放杂物", "路面破损有坑", "垃圾满溢未清运", "井盖松动", "违章停车占用人行道",
                "路灯不亮", "飞线充电", "绿化带积水", "共享单车乱停放"]  # fmt: skip
CASE_STEPS = ["dispatched", "accepted", "in_progress", "resolved", "verified", "closed"]


def cases(city: City, progress: Progress) -> None:
    rng = city.rng("cases")
    loader, now = city.loader, now_of(city)
    case_t = loader.table(
        Case, ["id", "street_id", "category_id", "status", "lat", "lng", "address", "description", "grid_id", "queue",
               "assignee_id", "reports_count", "created_at", "updated_at", "dispatched_at", "accepted_at",
               "resolved_at", "verified_at", "closed_at", "response_due_at", "resolution_due_at", "resolution_note",
               "closing_note"],
    )  # fmt: skip
    report_t = loader.table(Report, ["id", "street_id", "case_id", "category_id", "reporter_id", "source", "token", "lat",
                                     "lng", "address", "description", "created_at"])  # fmt: skip
    events = loader.table(
        CaseEvent, ["case_id", "at", "actor_id", "action", "from_status", "to_status", "note", "data"]
    )
    audit = loader.table(AuditLog, ["at", "actor_id", "street_id", "action", "object_type", "object_id", "data"])
    for day in city.days():
        for s, plan in enumerate(city.streets):
            n = split(city.volumes.reports_per_day, len(city.streets))[s]
            recent: list[tuple[int, int, dt.datetime]] = []  # case, category, created: merge candidates
            counts: dict[int, int] = {}
            pending: list[tuple] = []
            for at in times(rng, day, HOURS_REPORTS, n):
                cat, resp, resol, _merge = rng.choice(plan.categories)
                cid_, la, ln, grid, _c = rng.choice(plan.compounds)
                la += rng.uniform(-0.0005, 0.0005)
                ln += rng.uniform(-0.0005, 0.0005)
                rider = rng.random() < 0.4 and city.riders
                reporter = rng.choice(city.riders) if rider else rng.choice(plan.residents)
                text = DESCRIPTIONS[rng.randrange(len(DESCRIPTIONS))]
                same = [c for c in recent if c[1] == cat and at - c[2] < dt.timedelta(hours=6)]
                rid = loader.ids(Report)
                if same and rng.random() < 0.3:
                    case_id = same[-1][0]
                    counts[case_id] += 1
                    events.add((case_id, at, reporter, "report", "", "", "合并上报", {"report": rid}))
                else:
                    case_id = loader.ids(Case)
                    counts[case_id] = 1
                    recent.append((case_id, cat, at))
                    pending.append((case_id, cat, resp, resol, la, ln, grid, text, at, reporter))
                report_t.add((rid, plan.street.pk, case_id, cat, reporter, "app", str(uuid.UUID(int=rng.getrandbits(128),
                              version=4)), la, ln, f"模拟小区{cid_}附近", text, at))  # fmt: skip
            for case_id, cat, resp, resol, la, ln, grid, text, at, reporter in pending:
                worker = plan.grid_workers.get(grid)
                stamps: dict[str, dt.datetime] = {}
                t = at
                for step, gap in zip(CASE_STEPS, (2, rng.randrange(5, 40), 30, rng.randrange(60, 1200), 60, 90),
                                     strict=True):  # fmt: skip
                    t = t + dt.timedelta(minutes=gap)
                    if t > now:
                        break
                    stamps[step] = t
                status = list(stamps)[-1] if stamps else "new"
                if status == "closed" and rng.random() < 0.05:
                    status = "rejected"
                events.add((case_id, at, reporter, "report", "", "new", "", {}))
                prev = "new"
                for step, t in stamps.items():
                    to = "rejected" if step == "closed" and status == "rejected" else step
                    actor = None if step == "dispatched" else worker
                    events.add((case_id, t, actor, "transition", prev, to, "", {}))
                    if actor:
                        audit.add((t, actor, plan.street.pk, "cases.case_transition", "cases.case", str(case_id),
                                   {"from": prev, "to": to}))  # fmt: skip
                    prev = to
                last = max([at, *stamps.values()])
                case_t.add((case_id, plan.street.pk, cat, status, la, ln, "模拟地址", text, grid, "grid",
                            worker if "accepted" in stamps else None, counts[case_id], at, last,
                            stamps.get("dispatched"), stamps.get("accepted"), stamps.get("resolved"),
                            stamps.get("verified"), stamps.get("closed"), at + dt.timedelta(minutes=resp),
                            at + dt.timedelta(minutes=resol), "已处置" if "resolved" in stamps else "",
                            "已办结" if "closed" in stamps else ""))  # fmt: skip
        if day.day == 1:
            progress(f"cases {day}")


# ---------------------------------------------------------------------------------------------------- access


def taps(city: City, progress: Progress) -> None:
    """Riders' taps at compound gates: lunch and dinner peaks; ~2 % denied."""
    rng = city.rng("access")
    loader = city.loader
    t = loader.table(Tap, ["at", "street_id", "compound_id", "gate_id", "rider_id", "credential_id", "decision",
                           "reason", "lat", "lng", "distance_m", "command_id", "outcome", "opened"])  # fmt: skip
    per_street = split(city.volumes.taps_per_day, len(city.streets))
    for day in city.days():
        for s, plan in enumerate(city.streets):
            if not plan.credentials:
                continue
            gates, creds, st, r = plan.gates, plan.credentials, plan.street.pk, rng.random
            ng, nc = len(gates), len(creds)
            for at in times(rng, day, HOURS_RIDER_TAPS, per_street[s]):
                gid, cid, la, ln = gates[int(r() * ng)]
                uid, cred = creds[int(r() * nc)]
                if r() < 0.02:
                    t.add((at, st, cid, gid, uid, cred, "deny", "token_expired", la, ln, 12, "", "", False))
                else:
                    t.add((at, st, cid, gid, uid, cred, "allow", "", la, ln, 3 + int(r() * 37),
                           f"{rng.getrandbits(128):032x}", "opened", True))  # fmt: skip
        if day.day == 1:
            progress(f"taps {day}")


# ------------------------------------------------------------------------------------------------- assistant

QUESTIONS = [("附近哪里可以吃午饭", "nearest_place"), ("这个月有什么活动", "activities"), ("今天的菜单是什么", "menu"),
             ("居住证怎么办", "affairs"), ("骑手驿站在哪里", "nearest_place"), ("哪里可以给电动车充电", "nearest_place"),
             ("老年综合津贴要带什么材料", "affairs"), ("社区医院几点开门", "opening_hours"), ("怎么订餐送到家", "meals"),
             ("明天天气怎么样", "unknown")]  # fmt: skip


def questions(city: City, progress: Progress) -> None:
    rng = city.rng("assistant")
    t = city.loader.table(AskLog, ["public_id", "street_id", "created_at", "question", "normalized", "lang",
                                   "had_location", "intent", "answer", "cards", "confidence", "backend", "latency_ms",
                                   "asker_id", "helpful"])  # fmt: skip
    per_street = split(city.volumes.questions_per_day, len(city.streets))
    for day in city.days():
        for s, plan in enumerate(city.streets):
            for at in times(rng, day, HOURS_MORNING_EVENING, per_street[s]):
                q, intent = QUESTIONS[rng.randrange(len(QUESTIONS))]
                known = intent != "unknown"
                t.add((uuid.UUID(int=rng.getrandbits(128), version=4), plan.street.pk, at, q, q, "zh-hans",
                       rng.random() < 0.5, intent, "模拟回答 synthetic answer" if known else "抱歉，我还不会回答这个问题。",
                       [], 0.8 if known else 0.1, "offline", rng.randrange(2, 40),
                       rng.choice(plan.residents) if rng.random() < 0.4 else None,
                       None if rng.random() < 0.9 else rng.random() < 0.8))  # fmt: skip
        if day.day == 1:
            progress(f"questions {day}")


# ---------------------------------------------------------------------------------------------------- affairs


def affairs(city: City, progress: Progress) -> None:
    """Window appointments on working-day slots (09:00-11:30, 13:30-16:30, every 30 minutes) and walk-in tickets."""
    rng = city.rng("affairs")
    loader, now = city.loader, now_of(city)
    slots = loader.table(Slot, ["id", "resource_id", "start", "end", "places", "booked"])
    appts = loader.table(Appointment, ["id", "street_id", "item_id", "slot_id", "resource_id", "user_id", "code",
                                       "status", "source", "start", "end", "created_at", "cancelled_at",
                                       "checked_in_at", "completed_at", "no_show_at"])  # fmt: skip
    events = loader.table(AppointmentEvent, ["appointment_id", "at", "actor_id", "from_status", "to_status", "note"])
    seqs = loader.table(TicketSequence, ["place_id", "day", "kind", "last"])
    tickets = loader.table(QueueTicket, ["street_id", "place_id", "day", "kind", "seq", "number", "item_id", "user_id",
                                         "token", "status", "checked_in_at", "called_at", "finished_at", "calls"])  # fmt: skip
    starts = [dt.timedelta(hours=9, minutes=30 * i) for i in range(5)] + [
        dt.timedelta(hours=13, minutes=30 + 30 * i) for i in range(6)
    ]
    appt_street = split(city.volumes.appointments_per_day, len(city.streets))
    ticket_street = split(city.volumes.tickets_per_day, len(city.streets))
    days = city.days() + [city.end + dt.timedelta(days=i) for i in range(7)]
    live: set[tuple[int, int]] = set()  # (user, item) of booked appointments: one live per person and item
    for day in days:
        if day.weekday() >= 5:
            continue
        for s, plan in enumerate(city.streets):
            if not plan.affairs_resources:
                continue
            slot_rows: list[list[Any]] = []
            for res in plan.affairs_resources:
                for off in starts:
                    sid = loader.ids(Slot)
                    slot_rows.append([sid, res, day_start(day) + off, 0])
            places = max(2, -(-appt_street[s] // max(1, len(slot_rows))) + 1)
            want = appt_street[s] if day < city.end else appt_street[s] // 2
            for _ in range(want):
                row = slot_rows[rng.randrange(len(slot_rows))]
                if row[3] >= places:
                    continue
                start = row[2]
                created = start - dt.timedelta(hours=rng.randrange(2, 24 * 7))
                if created >= now:
                    continue
                aid = loader.ids(Appointment)
                r = rng.random()
                status = ("completed" if r < 0.85 else "no_show" if r < 0.92 else "cancelled") if start < now else (
                    "booked" if r < 0.92 else "cancelled")  # fmt: skip
                cancelled = min(created + dt.timedelta(hours=1), now - MIN) if status == "cancelled" else None
                checked = start - dt.timedelta(minutes=5) if status == "completed" else None
                done = start + dt.timedelta(minutes=15) if status == "completed" else None
                no_show = start + dt.timedelta(minutes=30) if status == "no_show" else None
                uid, item = rng.choice(plan.residents), rng.choice(plan.affairs_items)
                if status == "booked":
                    if (uid, item) in live:
                        continue
                    live.add((uid, item))
                appts.add((aid, plan.street.pk, item, row[0], row[1], uid,
                           f"S{aid:07d}"[-12:], status, "app", start, start + dt.timedelta(minutes=30), created,
                           cancelled, checked, done, no_show))  # fmt: skip
                events.add((aid, created, uid, "", "booked", ""))
                for to, at in (("cancelled", cancelled), ("checked_in", checked), ("completed", done),
                               ("no_show", no_show)):  # fmt: skip
                    if at is not None:
                        events.add((aid, at, None, "booked" if to != "completed" else "checked_in", to, ""))
                if status != "cancelled":
                    row[3] += 1
            for sid, res, start, booked in slot_rows:
                slots.add((sid, res, start, start + dt.timedelta(minutes=30), places, booked))
            if day >= city.end:
                continue
            centre = plan.places.get("affairs_center") or plan.places.get("party_service_center")
            if not centre:
                continue
            place = centre[0][0]
            hours = times(rng, day, HOURS_OFFICE, ticket_street[s])
            for k, at in enumerate(hours, start=1):
                tickets.add((plan.street.pk, place, day, "W", k, f"W{k:03d}", rng.choice(plan.affairs_items),
                             rng.choice(plan.residents) if rng.random() < 0.6 else None,
                             f"{rng.getrandbits(96):024x}", "served", at, at + dt.timedelta(minutes=rng.randrange(2, 40)),
                             at + dt.timedelta(minutes=rng.randrange(45, 70)), 1))  # fmt: skip
            seqs.add((place, day, "W", len(hours)))
        if day.day == 1:
            progress(f"affairs {day}")


# ------------------------------------------------------------------------------------------------------ care


def care(city: City, progress: Progress) -> None:
    rng = city.rng("care")
    loader = city.loader
    checkins = loader.table(CheckIn, ["person_id", "at", "source"])
    calls = loader.table(Call, ["id", "street_id", "committee_id", "person_id", "kind", "source", "status",
                                "created_at", "acknowledged_at", "acknowledged_by_id", "on_the_way_at", "on_site_at",
                                "closed_at", "outcome", "actions", "notified", "late_steps"])  # fmt: skip
    events = loader.table(
        CallEvent, ["call_id", "at", "actor_id", "action", "from_status", "to_status", "note", "data"]
    )
    audit = loader.table(AuditLog, ["at", "actor_id", "street_id", "action", "object_type", "object_id", "data"])
    calls_street = split(city.volumes.calls_per_day, len(city.streets))
    for day in city.days():
        for s, plan in enumerate(city.streets):
            people = plan.care_people
            for (pid, _c), at in zip(people, times(rng, day, HOURS_CHECKIN, len(people)), strict=True):
                if rng.random() < 0.96:
                    checkins.add((pid, at, "tap"))
            workers = plan.staff.get("social_worker", [])
            for at in times(rng, day, HOURS_MORNING_EVENING, calls_street[s]):
                pid, committee = people[rng.randrange(len(people))]
                cid = loader.ids(Call)
                who = rng.choice(workers)
                ack, way, site = (at + dt.timedelta(seconds=rng.randrange(10, 90)), at + dt.timedelta(minutes=3),
                                  at + dt.timedelta(minutes=rng.randrange(8, 30)))  # fmt: skip
                closed = site + dt.timedelta(minutes=40)
                calls.add((cid, plan.street.pk, committee, pid, "emergency", "button", "closed", at, ack, who, way,
                           site, closed, "已到场处置，老人平安", [], [who], []))  # fmt: skip
                prev = "new"
                for action, to, t in (("acknowledge", "acknowledged", ack), ("on_the_way", "on_the_way", way),
                                      ("on_site", "on_site", site), ("close", "closed", closed)):  # fmt: skip
                    events.add((cid, t, who, action, prev, to, "", {}))
                    prev = to
                audit.add((ack, who, plan.street.pk, "care.person.view.pushed", "care.person", str(pid), {}))
        if day.day == 1:
            progress(f"care {day}")


def staff_audit(city: City, progress: Progress) -> None:
    """The rest of the staff audit trail: sensitive views and staff writes across the domains."""
    rng = city.rng("audit")
    audit = city.loader.table(AuditLog, ["at", "actor_id", "street_id", "action", "object_type", "object_id", "data"])
    actions = [("meals.profile.view", "meals.mealprofile", "station_staff"), ("care.register.list", "", "social_worker"),
               ("meals.menu_lock", "meals.menu", "kitchen_operator"), ("access.log.view", "", "property_manager"),
               ("care.family.view", "care.person", "care_lead"), ("meals.production_start", "meals.menu", "kitchen_operator"),
               ("cases.export", "", "admin")]  # fmt: skip
    per_street = split(city.volumes.audit_per_day, len(city.streets))
    for day in city.days():
        for s, plan in enumerate(city.streets):
            for at in times(rng, day, HOURS_OFFICE, per_street[s]):
                action, otype, role = actions[rng.randrange(len(actions))]
                actor = rng.choice(plan.staff.get(role) or plan.staff["admin"])
                audit.add((at, actor, plan.street.pk, action, otype, str(rng.randrange(1, 10_000)) if otype else "",
                           {"synthetic": True}))  # fmt: skip
        if day.day == 1:
            progress(f"audit {day}")


DOMAINS: list[tuple[str, Callable[[City, Progress], None]]] = [
    ("meals", meals),
    ("activities", activities),
    ("cases", cases),
    ("access", taps),
    ("assistant", questions),
    ("affairs", affairs),
    ("care", care),
    ("audit", staff_audit),
]
