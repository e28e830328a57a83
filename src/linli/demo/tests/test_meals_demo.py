"""The sample street's meals data (`linli demo`): kitchens serving meal points and activity venues, a week of
menus, sample pricing tiers and residents with wallets, and three weeks of history (orders, ratings, waste,
inspections, tasting) so the street report and the quality pages have charts; a second run changes nothing;
`--reset` removes the meals data and the history's sample residents too, even when residents have ordered
(orders point at menus, venues and activities)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from linli.core.models import Street, User
from linli.demo.loader import demo_reset
from linli.demo.meals import EXTRA_PHONE_PREFIX, SH, demo_meals_load
from linli.meals.models import (
    Inspection,
    Kitchen,
    MealProfile,
    Menu,
    MenuItem,
    Order,
    OrderDiscount,
    OrderEvent,
    OrderLine,
    PricingTier,
    Rating,
    TastingScore,
    Wallet,
    WalletEntry,
    WasteRecord,
)
from linli.meals.selectors.quality import street_report
from linli.meals.services import orders as order_services
from linli.meals.services.order_states import LIVE_STATUSES, TRANSITIONS
from linli.meals.services.pricing import bill_compute
from linli.meals.services.wallet import wallet_balance

pytestmark = pytest.mark.django_db


def test_demo_meals_world_order_and_reset(capsys, demo_shared):
    result = demo_shared
    street = result.street
    today = dt.datetime.now(SH).date()

    kitchens = {k.place.external_id: k for k in Kitchen.objects.filter(street=street).select_related("place")}
    assert set(kitchens) == {"wl-ck-001", "wl-cc-001", "wl-cc-002", "wl-ec-001", "wl-ec-002"}
    central = kitchens["wl-ck-001"]
    served = set(central.serves.values_list("external_id", flat=True))
    assert {"wl-meal-001", "wl-psc-001", "wl-pss-001", "wl-cul-001"} <= served
    assert kitchens["wl-ec-001"].is_elder_canteen

    for kitchen in kitchens.values():
        # A week of lunches from today; today's is locked once its cut-off has passed (the week's orders fixed).
        lunches = Menu.objects.filter(kitchen=kitchen, slot="lunch", date__gte=today)
        assert sorted(m.date for m in lunches) == [today + dt.timedelta(days=n) for n in range(8)]
        assert all(m.status == ("locked" if m.cutoff_at <= timezone.now() else "published") for m in lunches)
    lunch = Menu.objects.get(kitchen=central, date=today + dt.timedelta(days=1), slot="lunch")
    items = list(lunch.items.select_related("dish"))
    assert len(items) == 7
    assert sum(i.is_elder_discount_set for i in items) == 1
    # Sold: what the week's sample orders took (demo.meals.week), no more.
    for i in items:
        assert i.sold == sum(OrderLine.objects.filter(menu_item=i).values_list("quantity", flat=True))
    assert any(i.half_price_fen for i in items) and any(i.daily_limit for i in items)
    assert any("soft" in i.dish.tags for i in items) and any("low_salt" in i.dish.tags for i in items)
    assert any(i.dish.allergens for i in items)
    assert Menu.objects.filter(kitchen__street=street, slot="breakfast").exists()
    assert Menu.objects.filter(kitchen__street=street, slot="dinner").exists()

    tiers = {
        (t.kind, t.min_age, t.hardship): (t.discount_type, t.value) for t in PricingTier.objects.filter(street=street)
    }
    assert tiers[("age", 60, "")] == ("percent", 10)
    assert tiers[("age", 90, "")] == ("percent", 40)
    assert tiers[("hardship", None, "dibao")] == ("fixed", 500)
    assert tiers[("hardship", None, "living_alone")] == ("fixed", 200)

    elder = User.objects.get(phone="+8613800000010")
    assert elder.birth_year == today.year - 78
    assert WalletEntry.objects.filter(wallet__user=elder, kind="topup", amount_fen=30000, street=street).exists()
    assert_wallets_match_their_ledgers()
    phones = {user.phone for _account, user in result.accounts}
    assert {"+8613800000011", "+8613800000012", "+8613800000005", "+8613800000008"} <= phones

    # A second run changes nothing (no new menus, items, top-ups, orders or history).
    counts = world_counts()
    again = demo_meals_load(street=street)
    assert again.counts["menus new"] == 0 and again.counts["menu items new"] == 0
    assert "history orders" not in again.counts
    assert world_counts() == counts
    elder_balance = wallet_balance(user=elder)

    # The elder orders lunch tomorrow at a meal point; then the demo is reset.
    point = central.serves.get(external_id="wl-meal-001")
    dish = next(i for i in items if not i.is_elder_discount_set)
    order = order_services.order_create(
        user=elder,
        date=lunch.date,
        slot="lunch",
        destination={"place_id": point.pk},
        items=[{"menu_item_id": dish.pk, "quantity": 1, "half": False}],
    )
    assert wallet_balance(user=elder) == elder_balance - order.total_fen

    call_command("demo", "--reset")
    out = capsys.readouterr().out
    assert "13800000011" in out and "meals:" in out
    street = Street.objects.get(code="wanli")
    # The live order is gone; the history and the week's sample orders are rebuilt.
    assert not Order.objects.filter(date__gte=today, user=elder, destination_place=point).exists()
    assert Kitchen.objects.filter(street=street).count() == 5
    assert_wallets_match_their_ledgers()
    assert not WalletEntry.objects.filter(order_id=order.pk).exists()
    assert Wallet.objects.get(user=elder).balance_fen == elder_balance  # the same history and top-up again


# ------------------------------------------------------------------------------------------------ history


def world_counts() -> tuple[int, ...]:
    models = (
        Menu,
        MenuItem,
        Order,
        OrderLine,
        OrderDiscount,
        OrderEvent,
        Rating,
        WasteRecord,
        Inspection,
        TastingScore,
        WalletEntry,
        MealProfile,
        User,
    )
    sold = sum(MenuItem.objects.values_list("sold", flat=True))
    balances = sum(Wallet.objects.values_list("balance_fen", flat=True))
    return (*(m.objects.count() for m in models), sold, balances)


def assert_wallets_match_their_ledgers() -> None:
    """balance == sum(entries); each entry's balance_after is the running sum in (at, id) order, never < 0."""
    wallets = {w.pk: w.balance_fen for w in Wallet.objects.all()}
    running: dict[int, int] = dict.fromkeys(wallets, 0)
    for entry in WalletEntry.objects.order_by("wallet_id", "at", "id"):
        running[entry.wallet_id] += entry.amount_fen
        assert entry.balance_after_fen == running[entry.wallet_id] >= 0, entry.pk
    assert running == wallets


def assert_sold_matches_live_portions() -> None:
    portions: dict[int, int] = {}
    for item_id, quantity in OrderLine.objects.filter(order__status__in=LIVE_STATUSES).values_list(
        "menu_item_id", "quantity"
    ):
        portions[item_id] = portions.get(item_id, 0) + quantity
    for item in MenuItem.objects.all():
        assert item.sold == portions.get(item.pk, 0), item.pk
        assert item.daily_limit is None or item.sold <= item.daily_limit


def test_demo_history_fills_the_report_and_the_ledgers_add_up(demo_street_shared):
    street = demo_street_shared
    today = dt.datetime.now(SH).date()
    report = street_report(street=street, date_from=today - dt.timedelta(days=14), date_to=today - dt.timedelta(days=1))
    assert report["totals"]["orders"] > 14 * 5 * 10
    assert report["totals"]["total_fen"] > 0 and report["totals"]["subsidies_fen"] > 0
    assert report["totals"]["waste_grams"] > 0
    labels = {s["label"] for s in report["subsidies"]}
    assert any("60岁以上" in label for label in labels) and any("低保" in label for label in labels)
    for day in report["sales_by_day"]:
        assert day["orders"] > 0, day["date"]
    for kitchen in report["sales_by_kitchen"]:
        assert 10 * 14 <= kitchen["orders"] <= 60 * 14, kitchen
    assert all(w["days"] == 14 and w["grams"] > 0 for w in report["waste"])
    assert all(r["count"] > 0 for r in report["ratings"])

    # Each past day: a locked lunch menu per kitchen, 10-60 orders each (a sold-out basket is skipped, so the
    # demo's 22-58 wanted orders can come out a few lower on some dates).
    for kitchen in Kitchen.objects.filter(street=street):
        for back in range(1, 22):
            day = today - dt.timedelta(days=back)
            menu = Menu.objects.get(kitchen=kitchen, date=day, slot="lunch")
            assert menu.status == "locked"
            assert 10 <= menu.orders.count() <= 60, (kitchen.pk, day)
        series = WasteRecord.objects.filter(kitchen=kitchen).order_by("date").values_list("grams", flat=True)
        first, last = list(series[:7]), list(series)[-7:]
        assert sum(last) < sum(first)  # trending down
        assert Rating.objects.filter(kitchen=kitchen).exists()

    # The bills are the street's tiers; totals add up; the timeline follows the state machine in time order.
    orders = list(Order.objects.filter(street=street, date__lt=today).select_related("user").order_by("id")[:300])
    assert {o.status for o in orders} == {"collected"}
    for order in orders[::10]:
        lines = [(line.menu_item, line.quantity, line.half) for line in order.lines.select_related("menu_item__dish")]
        bill = bill_compute(street=street, user=order.user, slot="lunch", on=order.date, lines=lines)
        assert (bill.list_fen, bill.discount_fen, bill.total_fen) == (
            order.list_fen,
            order.discount_fen,
            order.total_fen,
        )
        assert sorted(d.amount_fen for d in order.discounts.all()) == sorted(d.amount_fen for d in bill.discounts)
        events = list(order.events.order_by("at", "id"))
        assert events[0].to_status == "placed" and events[-1].to_status == "collected"
        for before, after in zip(events, events[1:], strict=False):
            assert after.from_status == before.to_status
            assert after.to_status in TRANSITIONS[before.to_status]
            assert before.at <= after.at
        assert order.created_at <= order.menu.cutoff_at <= order.delivered_at <= order.collected_at
        charge = WalletEntry.objects.get(order=order, kind="charge")
        assert charge.amount_fen == -order.total_fen and charge.at == order.created_at
    collected = Order.objects.filter(street=street, status="collected").count()
    assert 0.3 < Rating.objects.filter(order__street=street).count() / collected < 0.5
    assert Rating.objects.filter(taste__lte=2).exists() and Rating.objects.exclude(comment="").exists()

    assert_wallets_match_their_ledgers()
    assert_sold_matches_live_portions()
    extra = User.objects.filter(phone__startswith=EXTRA_PHONE_PREFIX)
    assert extra.count() >= 200
    years = list(extra.values_list("birth_year", flat=True))
    assert min(years) >= 1935 and max(years) <= 1990 and min(years) < 1945 and max(years) > 1975
    hardships = [h for p in MealProfile.objects.filter(user__in=extra) for h in p.hardships]
    assert "dibao" in hardships and "living_alone" in hardships
    assert Inspection.objects.filter(kitchen__street=street, items__result="issue").exists()
    assert 2 <= Inspection.objects.filter(kitchen__street=street).count() <= 3
    assert all(s.dish.is_new for s in TastingScore.objects.select_related("dish"))
    assert TastingScore.objects.filter(dish__kitchen__street=street).exists()

    # A second load changes nothing at all.
    counts = world_counts()
    demo_meals_load(street=street)
    assert world_counts() == counts

    # Reset removes the history and the history's sample residents (with their wallets).
    assert demo_reset()
    assert not Order.objects.exists() and not WasteRecord.objects.exists() and not Rating.objects.exists()
    assert not Inspection.objects.exists() and not TastingScore.objects.exists()
    assert not User.objects.filter(phone__startswith=EXTRA_PHONE_PREFIX).exists()
    assert not WalletEntry.objects.filter(street__isnull=False).exists()
    assert_wallets_match_their_ledgers()


def test_reset_keeps_a_sample_numbered_resident_who_has_used_the_app(demo_shared):
    someone = User.objects.get(phone=f"{EXTRA_PHONE_PREFIX}000003")
    User.objects.filter(pk=someone.pk).update(last_login=dt.datetime.now(SH))
    demo_reset()
    assert User.objects.filter(pk=someone.pk).exists()
    assert User.objects.filter(phone__startswith=EXTRA_PHONE_PREFIX).count() == 1
