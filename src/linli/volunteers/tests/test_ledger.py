"""The time bank's invariant, under any sequence of credits and exchanges (hypothesis): every transfer nets to
zero, each balance equals its entries, no volunteer goes below zero, and all balances sum to zero."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from linli.core.errors import Problem
from linli.volunteers.models import Account, TransferKind
from linli.volunteers.services import ledger, timebank
from linli.volunteers.tests.factories import build_world, volunteer_make

OPS = st.lists(
    st.tuples(st.sampled_from(["credit", "pay"]), st.integers(0, 3), st.integers(0, 3), st.integers(1, 300)),
    min_size=1,
    max_size=25,
)


class LedgerInvariant(TestCase):
    @settings(max_examples=40)
    @given(ops=OPS)
    def test_every_sequence_keeps_the_ledger_whole(self, ops: list[tuple[str, int, int, int]]) -> None:
        world = build_world(code="ledgerjie")
        people = [world.volunteer, world.other] + [volunteer_make(world.street) for _ in range(2)]
        stations = [world.station, world.station2]
        refused = 0
        for n, (op, a, b, minutes) in enumerate(ops):
            try:
                if op == "credit":
                    ledger.credit_hours(station=stations[a % 2], owner=people[b], minutes=minutes,
                                        kind=TransferKind.SHIFT, ref=f"test:{n}")  # fmt: skip
                elif a != b:
                    timebank.exchange_pay(payer=people[a], payee=people[b], minutes=minutes, memo="帮忙",
                                          actor=people[a].user)  # fmt: skip
            except Problem as problem:
                assert problem.code == "time_balance_insufficient"
                refused += 1
        assert ledger.ledger_check() == []
        assert sum(Account.objects.values_list("balance", flat=True)) == 0
        assert all(a.balance >= 0 for a in Account.objects.exclude(kind="station"))


@pytest.mark.django_db
def test_a_credit_with_the_same_ref_happens_once() -> None:
    world = build_world(code="refjie")
    first = ledger.credit_hours(station=world.station, owner=world.volunteer, minutes=60, kind="shift", ref="signup:x")
    again = ledger.credit_hours(station=world.station, owner=world.volunteer, minutes=60, kind="shift", ref="signup:x")
    assert first is not None and again is None
    assert ledger.account_for(world.volunteer).balance == 60


@pytest.mark.django_db
def test_spending_more_than_one_has_is_refused() -> None:
    world = build_world(code="spendjie")
    with pytest.raises(Problem) as poor:
        timebank.exchange_pay(payer=world.volunteer, payee=world.other, minutes=30, memo="x", actor=world.retired)
    assert poor.value.code == "time_balance_insufficient"
    assert ledger.ledger_check() == []
