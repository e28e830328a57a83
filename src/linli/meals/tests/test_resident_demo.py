"""The sample street's meals data (`linli demo`): kitchens serving meal points and activity venues, a week of
menus, sample pricing tiers and residents with wallets; a second run changes nothing; `--reset` removes the
meals data too, even when residents have ordered (orders point at menus, venues and activities)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from linli.core.models import Street, User
from linli.demo.loader import demo_load
from linli.demo.meals import SH, demo_meals_load
from linli.meals.models import Kitchen, Menu, MenuItem, Order, PricingTier, Wallet, WalletEntry
from linli.meals.services import orders as order_services
from linli.meals.services.wallet import wallet_balance

pytestmark = pytest.mark.django_db


def test_demo_meals_world_order_and_reset(capsys):
    result = demo_load()
    street = result.street
    today = dt.datetime.now(SH).date()

    kitchens = {k.place.external_id: k for k in Kitchen.objects.filter(street=street).select_related("place")}
    assert set(kitchens) == {"wl-ck-001", "wl-cc-001", "wl-cc-002", "wl-ec-001", "wl-ec-002"}
    central = kitchens["wl-ck-001"]
    served = set(central.serves.values_list("external_id", flat=True))
    assert {"wl-meal-001", "wl-psc-001", "wl-pss-001", "wl-cul-001"} <= served
    assert kitchens["wl-ec-001"].is_elder_canteen

    for kitchen in kitchens.values():
        lunches = Menu.objects.filter(kitchen=kitchen, slot="lunch", status="published")
        assert sorted(m.date for m in lunches) == [today + dt.timedelta(days=n) for n in range(8)]
    lunch = Menu.objects.get(kitchen=central, date=today + dt.timedelta(days=1), slot="lunch")
    items = list(lunch.items.select_related("dish"))
    assert len(items) == 7
    assert sum(i.is_elder_discount_set for i in items) == 1
    assert all(i.sold == 0 for i in items)
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
    assert wallet_balance(user=elder) == 30000
    phones = {user.phone for _account, user in result.accounts}
    assert {"+8613800000011", "+8613800000012", "+8613800000005", "+8613800000008"} <= phones

    # A second run changes nothing (no new menus, items or top-ups).
    counts = (Menu.objects.count(), MenuItem.objects.count(), WalletEntry.objects.count())
    again = demo_meals_load(street=street)
    assert again.counts["menus new"] == 0 and again.counts["menu items new"] == 0
    assert (Menu.objects.count(), MenuItem.objects.count(), WalletEntry.objects.count()) == counts

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
    assert wallet_balance(user=elder) == 30000 - order.total_fen

    call_command("demo", "--reset")
    out = capsys.readouterr().out
    assert "13800000011" in out and "meals:" in out
    street = Street.objects.get(code="wanli")
    assert not Order.objects.exists()
    assert Kitchen.objects.filter(street=street).count() == 5
    elder_wallet = Wallet.objects.get(user=elder)
    assert elder_wallet.balance_fen == 30000  # the sample top-up again, the old order's ledger gone
    assert sum(WalletEntry.objects.filter(wallet=elder_wallet).values_list("amount_fen", flat=True)) == 30000
