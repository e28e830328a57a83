"""Quality writes under real concurrency on PostgreSQL: a double-tapped rating is stored once, and the same
day's waste entered from two phones leaves one row. The SQLite pass skips these (it serialises writers)."""

from __future__ import annotations

import os
import threading
from collections import Counter

import pytest
from django.db import connection

from linli.core.errors import Problem
from linli.meals.models import Rating, WasteRecord
from linli.meals.services import quality as services
from linli.meals.tests.factories import KitchenFactory, OrderFactory
from linli.meals.tests.factories_quality import days_ago, staff_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _need_postgres():
    if connection.vendor != "postgresql":
        if os.environ.get("LINLI_DATABASE_URL", "").startswith("postgres"):
            pytest.fail("LINLI_DATABASE_URL names PostgreSQL but the test connection is not PostgreSQL")
        pytest.skip("quality race tests need PostgreSQL: `make test-pg` runs them (CI does)")


def race(n: int, work) -> list[str]:
    barrier = threading.Barrier(n)
    results = [""] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Problem as problem:
            results[i] = problem.extra.get("reason", problem.code)
        except Exception as exc:  # noqa: BLE001 - any other outcome is a failure the test reports
            results[i] = f"error:{exc.__class__.__name__}:{exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


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
