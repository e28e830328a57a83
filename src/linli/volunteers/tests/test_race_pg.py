"""Never more sign-ups than places under real concurrency (PostgreSQL; SQLite serialises writers, so the SQLite
pass skips these and `make test-pg` runs them)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from linli.core.testing import race, require_postgres
from linli.volunteers.models import ServiceItem, Shift, Signup
from linli.volunteers.services import ledger, menu, shifts
from linli.volunteers.tests.factories import build_world, shift_make, volunteer_make

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _need_postgres(settings: Any) -> None:
    require_postgres("volunteer sign-up race tests")


def test_forty_volunteers_race_for_three_places() -> None:
    world = build_world()
    shift = shift_make(world.station, places=3)
    people = [volunteer_make(world.street) for _ in range(40)]
    outcomes = Counter(race(40, lambda i: shifts.signup_create(shift=shift.pk, volunteer=people[i]).status))
    assert outcomes == {"signed_up": 3, "shift_full": 37}, outcomes
    assert Shift.objects.get(pk=shift.pk).taken == 3 == Signup.objects.filter(shift=shift).count()


def test_one_volunteer_tapping_ten_times_signs_up_once() -> None:
    world = build_world()
    shift = shift_make(world.station, places=5)
    outcomes = Counter(race(10, lambda i: shifts.signup_create(shift=shift.pk, volunteer=world.volunteer).status))
    assert outcomes == {"signed_up": 1, "already_signed_up": 9}, outcomes
    assert Shift.objects.get(pk=shift.pk).taken == 1


def test_drops_and_sign_ups_racing_keep_the_counter_exact() -> None:
    world = build_world()
    shift = shift_make(world.station, places=4)
    holders = [volunteer_make(world.street) for _ in range(4)]
    held = [shifts.signup_create(shift=shift.pk, volunteer=v) for v in holders]
    newcomers = [volunteer_make(world.street) for _ in range(16)]

    def work(i: int) -> str:
        if i < 4:
            return shifts.signup_drop(signup=held[i], actor=holders[i].user).status
        return shifts.signup_create(shift=shift.pk, volunteer=newcomers[i - 4]).status

    race(20, work)
    fresh = Shift.objects.get(pk=shift.pk)
    live = Signup.objects.filter(shift=shift, status="signed_up").count()
    assert fresh.taken == live <= fresh.places


def test_claims_racing_never_commit_more_people_than_needed() -> None:
    world = build_world()
    people = [volunteer_make(world.street) for _ in range(12)]
    outcomes = Counter(race(12, lambda i: menu.claim_create(item=world.item.pk, user=people[i].user).status))
    assert outcomes == {"claimed": 4, "item_fully_claimed": 8}, outcomes
    assert ServiceItem.objects.get(pk=world.item.pk).claimed == 4


def test_concurrent_credits_and_payments_keep_the_ledger_whole() -> None:
    world = build_world()
    people = [volunteer_make(world.street) for _ in range(4)]
    for v in people:
        ledger.credit_hours(station=world.station, owner=v, minutes=100, kind="shift", ref=f"seed:{v.pk}")
    from linli.volunteers.services import timebank

    def work(i: int) -> str:
        payer, payee = people[i % 4], people[(i + 1) % 4]
        timebank.exchange_pay(payer=payer, payee=payee, minutes=30, memo="互助", actor=payer.user)
        return "paid"

    race(16, work)
    assert ledger.ledger_check() == []
