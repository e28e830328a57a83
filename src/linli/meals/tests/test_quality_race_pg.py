"""Quality writes under real concurrency on PostgreSQL: a double-tapped rating is stored once, and the same
day's waste entered from two phones leaves one row. The SQLite pass skips these (it serialises writers)."""

from __future__ import annotations

from collections import Counter

import pytest

from linli.core.testing import race as shared_race
from linli.core.testing import require_postgres
from linli.meals.models import Rating, WasteRecord
from linli.meals.services import quality as services
from linli.meals.tests.factories import KitchenFactory, OrderFactory
from linli.meals.tests.factories_quality import days_ago, staff_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _need_postgres():
    require_postgres("quality race tests")


def race(n: int, work) -> list[str]:
    """Each racer's outcome; a refusal is named by its `reason` when it has one."""
    return shared_race(n, work, on_problem=lambda problem: problem.extra.get("reason", problem.code))


def test_double_tapped_rating_is_stored_once():
    order = OrderFactory(status="collected")
    outcomes = Counter(
        race(
            8,
            lambda i: (
                services.rating_create(order=order, user=order.user, taste=i % 5 + 1, portion=3, price=3) and "ok"
            ),
        )
    )
    assert outcomes == {"ok": 1, "already_rated": 7}
    assert Rating.objects.filter(order=order).count() == 1


def test_concurrent_waste_entries_leave_one_row():
    kitchen = KitchenFactory()
    operator = staff_of(kitchen.street, "kitchen_operator")
    day = days_ago(1)
    grams = [1000 + i for i in range(8)]
    outcomes = Counter(
        race(
            8,
            lambda i: services.waste_record_set(kitchen=kitchen, date=day, grams=grams[i], actor=operator) and "ok",
        )
    )
    assert outcomes == {"ok": 8}
    record = WasteRecord.objects.get(kitchen=kitchen, date=day)
    assert record.grams in grams
