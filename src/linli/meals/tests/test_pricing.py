"""The bill: list price, each discount (age tier, hardship subsidies), what the resident pays — in fen."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.core.errors import Problem
from linli.meals.models import MealProfile, PricingTier
from linli.meals.services.pricing import bill_compute, discounts_compute, fen_to_yuan, resident_age
from linli.meals.tests.factories import MenuItemFactory, PricingTierFactory, StreetFactory, UserFactory

DAY = dt.date(2026, 12, 1)


def tier(kind="age", name="", min_age=None, hardship="", discount_type="percent", value=10, slots=(), pk=None):
    return PricingTier(
        pk=pk,
        kind=kind,
        name=name or f"{kind}{min_age or hardship}",
        min_age=min_age,
        hardship=hardship,
        discount_type=discount_type,
        value=value,
        slots=list(slots),
        is_active=True,
    )


TIERS = [
    tier(min_age=60, value=10, name="60岁以上", pk=1),
    tier(min_age=70, value=20, name="70岁以上", pk=2),
    tier(min_age=80, value=30, name="80岁以上", pk=3),
    tier(min_age=90, value=40, name="90岁以上", pk=4),
    tier(kind="hardship", hardship="dibao", discount_type="fixed", value=500, name="低保补贴", pk=5),
    tier(kind="hardship", hardship="living_alone", discount_type="fixed", value=200, name="独居补贴", pk=6),
]


@pytest.mark.parametrize(
    ("age", "expected"),
    [(None, []), (59, []), (60, [("60岁以上", 200)]), (75, [("70岁以上", 400)]), (92, [("90岁以上", 800)])],
)
def test_the_highest_age_tier_reached_applies_alone(age, expected):
    got = discounts_compute(tiers=TIERS, age=age, hardships=[], slot="lunch", list_fen=2000)
    assert [(d.label, d.amount_fen) for d in got] == expected


def test_hardship_subsidies_stack_after_the_age_tier_and_never_go_below_zero():
    got = discounts_compute(tiers=TIERS, age=85, hardships=["dibao", "living_alone"], slot="lunch", list_fen=2000)
    # 30 % of 2000 = 600, then 500 off the remaining 1400, then 200 off the remaining 900.
    assert [(d.label, d.amount_fen) for d in got] == [("80岁以上", 600), ("低保补贴", 500), ("独居补贴", 200)]
    small = discounts_compute(tiers=TIERS, age=None, hardships=["dibao", "living_alone"], slot="lunch", list_fen=600)
    assert [(d.label, d.amount_fen) for d in small] == [("低保补贴", 500), ("独居补贴", 100)]
    assert sum(d.amount_fen for d in small) == 600


def test_a_tier_limited_to_a_slot_and_inactive_tiers_do_not_apply():
    lunch_only = tier(kind="hardship", hardship="disabled", discount_type="fixed", value=300, slots=["lunch"])
    off = tier(min_age=60, value=50)
    off.is_active = False
    assert (
        discounts_compute(tiers=[lunch_only, off], age=70, hardships=["disabled"], slot="dinner", list_fen=1000) == []
    )
    got = discounts_compute(tiers=[lunch_only, off], age=70, hardships=["disabled"], slot="lunch", list_fen=1000)
    assert [d.amount_fen for d in got] == [300]


def test_percent_rounds_down_to_whole_fen():
    got = discounts_compute(tiers=[tier(min_age=60, value=15)], age=60, hardships=[], slot="lunch", list_fen=1999)
    assert got[0].amount_fen == 299  # 299.85 fen → 299


@pytest.mark.django_db
def test_bill_from_the_database_with_half_portions_and_the_profile():
    street = StreetFactory()
    PricingTierFactory(street=street, min_age=80, value=30, name="80岁以上")
    PricingTierFactory(
        street=street, kind="hardship", min_age=None, hardship="dibao", discount_type="fixed", value=500, name="低保"
    )
    user = UserFactory(birth_year=1940)
    MealProfile.objects.create(user=user, street=street, hardships=["dibao"])
    meat = MenuItemFactory(price_fen=1500, half_price_fen=800)
    veg = MenuItemFactory(menu=meat.menu, price_fen=600, half_price_fen=None)
    bill = bill_compute(street=street, user=user, slot="lunch", on=DAY, lines=[(meat, 1, True), (veg, 2, False)])
    assert bill.list_fen == 800 + 1200
    assert [(d.label, d.amount_fen) for d in bill.discounts] == [("80岁以上", 600), ("低保", 500)]
    assert bill.total_fen == 900 and bill.discount_fen == 1100
    assert bill.as_dict()["lines"][0] == {
        "menu_item_id": meat.pk,
        "dish": meat.dish.name,
        "quantity": 1,
        "half": True,
        "unit_price_fen": 800,
        "line_fen": 800,
    }
    with pytest.raises(Problem) as exc:
        bill_compute(street=street, user=user, slot="lunch", on=DAY, lines=[(veg, 1, True)])
    assert exc.value.code == "validation_error" and exc.value.errors[0]["field"] == "items.0.half"


def test_age_and_yuan_helpers():
    assert resident_age(UserFactory.build(birth_year=1946), DAY) == 80
    assert resident_age(UserFactory.build(birth_year=None), DAY) is None
    assert fen_to_yuan(1250) == "12.50" and fen_to_yuan(5) == "0.05" and fen_to_yuan(-300) == "-3.00"
