"""Properties of the money: the discounts of any bill (pricing.discounts_compute) and the wallet ledger under any
sequence of top-ups, orders and cancellations."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from linli.core.errors import Problem
from linli.meals.models import MenuItem, Order, OrderLine, PricingTier, Wallet, WalletEntry
from linli.meals.services import orders as order_services
from linli.meals.services.pricing import discounts_compute
from linli.meals.services.wallet import wallet_topup
from linli.meals.tests.factories_orders import build_world

HARDSHIPS = ["dibao", "low_income", "living_alone", "disabled", "pure_elderly"]
SLOTS = ["breakfast", "lunch", "dinner"]


@st.composite
def tier(draw, pk: int) -> PricingTier:
    kind = draw(st.sampled_from(["age", "hardship"]))
    discount_type = draw(st.sampled_from(["percent", "fixed"]))
    value = draw(st.integers(0, 100)) if discount_type == "percent" else draw(st.integers(0, 5000))
    return PricingTier(
        pk=pk,
        kind=kind,
        name=f"t{pk}",
        min_age=draw(st.integers(50, 100)) if kind == "age" else None,
        hardship=draw(st.sampled_from(HARDSHIPS)) if kind == "hardship" else "",
        discount_type=discount_type,
        value=value,
        slots=draw(st.lists(st.sampled_from(SLOTS), max_size=2, unique=True)),
        is_active=draw(st.booleans()),
    )


@st.composite
def tiers(draw, max_size: int = 8) -> list[PricingTier]:
    n = draw(st.integers(0, max_size))
    return [draw(tier(pk=i + 1)) for i in range(n)]


ages = st.one_of(st.none(), st.integers(0, 110))
hardship_sets = st.lists(st.sampled_from(HARDSHIPS), unique=True, max_size=5)
list_prices = st.integers(0, 200_000)


@settings(max_examples=300, deadline=None)
@given(tiers=tiers(), age=ages, hardships=hardship_sets, slot=st.sampled_from(SLOTS), list_fen=list_prices)
def test_discounts_never_take_the_total_below_zero_and_add_up(tiers, age, hardships, slot, list_fen):
    discounts = discounts_compute(tiers=tiers, age=age, hardships=hardships, slot=slot, list_fen=list_fen)
    total = list_fen - sum(d.amount_fen for d in discounts)
    assert 0 <= total <= list_fen
    assert all(d.amount_fen > 0 for d in discounts)
    # at most one age tier, and it is the highest the resident reached among active tiers for the slot
    by_id = {t.pk: t for t in tiers}
    applied = [by_id[d.tier_id] for d in discounts]
    age_applied = [t for t in applied if t.kind == "age"]
    assert len(age_applied) <= 1
    if age_applied:
        reached = [
            t
            for t in tiers
            if t.kind == "age"
            and t.is_active
            and (not t.slots or slot in t.slots)
            and age is not None
            and age >= t.min_age
        ]
        assert age_applied[0].min_age == max(t.min_age for t in reached)
    for t in applied:
        assert t.is_active and (not t.slots or slot in t.slots)
        if t.kind == "hardship":
            assert t.hardship in hardships


@settings(max_examples=300, deadline=None)
@given(
    tiers=tiers(max_size=6),
    extra=st.data(),
    age=ages,
    hardships=hardship_sets,
    slot=st.sampled_from(SLOTS),
    list_fen=list_prices,
)
def test_a_further_hardship_tier_never_increases_the_total(tiers, extra, age, hardships, slot, list_fen):
    before = list_fen - sum(
        d.amount_fen for d in discounts_compute(tiers=tiers, age=age, hardships=hardships, slot=slot, list_fen=list_fen)
    )
    more = extra.draw(tier(pk=len(tiers) + 1))
    more.kind, more.min_age = "hardship", None
    more.hardship = more.hardship or "dibao"
    after = list_fen - sum(
        d.amount_fen
        for d in discounts_compute(tiers=[*tiers, more], age=age, hardships=hardships, slot=slot, list_fen=list_fen)
    )
    assert 0 <= after <= before


@settings(max_examples=200, deadline=None)
@given(
    tiers=tiers(max_size=6),
    age=st.integers(0, 110),
    extra_hardship=st.sampled_from(HARDSHIPS),
    hardships=hardship_sets,
    slot=st.sampled_from(SLOTS),
    list_fen=list_prices,
)
def test_holding_one_more_hardship_never_increases_the_total(tiers, age, extra_hardship, hardships, slot, list_fen):
    def total(held):
        ds = discounts_compute(tiers=tiers, age=age, hardships=held, slot=slot, list_fen=list_fen)
        return list_fen - sum(d.amount_fen for d in ds)

    assert total({*hardships, extra_hardship}) <= total(set(hardships))


def test_age_tier_highest_wins_not_the_sum():
    t60 = PricingTier(
        pk=1, kind="age", name="60+", min_age=60, discount_type="percent", value=10, slots=[], is_active=True
    )
    t80 = PricingTier(
        pk=2, kind="age", name="80+", min_age=80, discount_type="fixed", value=200, slots=[], is_active=True
    )
    t90 = PricingTier(
        pk=3, kind="age", name="90+", min_age=90, discount_type="percent", value=50, slots=["lunch"], is_active=True
    )
    ds = discounts_compute(tiers=[t60, t80, t90], age=92, hardships=[], slot="lunch", list_fen=1000)
    assert [(d.label, d.amount_fen) for d in ds] == [("90+", 500)]
    ds = discounts_compute(tiers=[t60, t80, t90], age=92, hardships=[], slot="dinner", list_fen=1000)
    assert [(d.label, d.amount_fen) for d in ds] == [("80+", 200)]  # the 90+ tier is lunch-only
    assert discounts_compute(tiers=[t60, t80, t90], age=59, hardships=[], slot="lunch", list_fen=1000) == []
    assert discounts_compute(tiers=[t60, t80, t90], age=None, hardships=[], slot="lunch", list_fen=1000) == []


# ------------------------------------------------------------------------------------- wallet ledger


def ledger_consistent(user) -> None:
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is None:
        return
    entries = list(WalletEntry.objects.filter(wallet=wallet).order_by("at", "id"))
    assert wallet.balance_fen >= 0
    assert wallet.balance_fen == sum(e.amount_fen for e in entries)
    if entries:
        assert entries[-1].balance_after_fen == wallet.balance_fen
    running = 0
    for e in entries:
        running += e.amount_fen
        assert e.balance_after_fen == running >= 0


@pytest.mark.django_db
class TestWalletLedger:
    """Random top-ups, orders (some refused: no money, sold out) and cancellations by two residents: the ledger
    invariant holds after every step, and the dishes' `sold` equals the live orders' portions."""

    def test_ledger_invariant_under_random_operations(self):
        world = build_world(code="ledgerjie", fish_limit=4)
        residents = [world.resident(balance_fen=0), world.resident(balance_fen=0)]
        items = [world.rice, world.fish, world.soup]
        now = world.menu.cutoff_at - dt.timedelta(hours=3)
        seen: dict[str, int] = {"placed": 0, "refused": 0, "cancelled": 0}

        class Ledger(RuleBasedStateMachine):
            @initialize()
            def start(self):
                self.expected = {
                    u.pk: int(Wallet.objects.get(user=u).balance_fen) if Wallet.objects.filter(user=u).exists() else 0
                    for u in residents
                }

            @rule(who=st.integers(0, 1), amount=st.integers(1, 5000))
            def topup(self, who, amount):
                wallet_topup(user=residents[who], amount_fen=amount, actor=None)
                self.expected[residents[who].pk] += amount

            @rule(
                who=st.integers(0, 1),
                picks=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 3), st.booleans()), min_size=1, max_size=3),
            )
            def order(self, who, picks):
                user = residents[who]
                basket = [
                    {"menu_item_id": items[i].pk, "quantity": q, "half": h and items[i].half_price_fen is not None}
                    for i, q, h in picks
                ]
                try:
                    order = order_services.order_create(
                        user=user,
                        date=world.menu.date,
                        slot="lunch",
                        destination={"place_id": world.meal_point.pk},
                        items=basket,
                        now=now,
                    )
                except Problem as problem:
                    assert problem.code in {"insufficient_balance", "sold_out", "validation_error"}, problem.code
                    seen["refused"] += 1
                    return
                seen["placed"] += 1
                self.expected[user.pk] -= order.total_fen

            @rule(who=st.integers(0, 1), pick=st.integers(0, 20))
            def cancel(self, who, pick):
                user = residents[who]
                placed = list(Order.objects.filter(user=user, status="placed").order_by("id"))
                if not placed:
                    return
                order = Order.objects.select_related("street", "user").get(pk=placed[pick % len(placed)].pk)
                order_services.order_cancel(order=order, actor=user, now=now)
                self.expected[user.pk] += order.total_fen
                seen["cancelled"] += 1

            @invariant()
            def consistent(self):
                for user in residents:
                    ledger_consistent(user)
                    wallet = Wallet.objects.filter(user=user).first()
                    assert (wallet.balance_fen if wallet else 0) == self.expected[user.pk]
                for item in items:
                    fresh = MenuItem.objects.get(pk=item.pk)
                    live = sum(
                        OrderLine.objects.filter(menu_item=item, order__status="placed").values_list(
                            "quantity", flat=True
                        )
                    )
                    assert fresh.sold == live
                    assert fresh.daily_limit is None or fresh.sold <= fresh.daily_limit

        Ledger.TestCase.settings = settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        Ledger.TestCase().runTest()
        assert all(seen.values()), seen  # the run exercised orders, refusals and cancellations
