"""Menus at least a week ahead, checkable: per kitchen, which meals it cooks (`Kitchen.slots`) over the next 7
days have no published menu; shown on the week plan, on the menu editor and on the street staff's meals page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from linli.meals.models import MenuStatus
from linli.meals.selectors.menus import kitchens_not_week_ahead, week_ahead
from linli.meals.tests.factories import KitchenFactory, MenuFactory, StreetFactory
from linli.meals.tests.factories_quality import staff_of

pytestmark = pytest.mark.django_db


def ahead(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def _publish_week(kitchen, slots, *, skip=(), status=MenuStatus.PUBLISHED):
    for n in range(1, 8):
        for slot in slots:
            if (n, slot) not in skip:
                MenuFactory(kitchen=kitchen, date=ahead(n), slot=slot, status=status)


@pytest.fixture
def street():
    return StreetFactory(code="zhouqian")


def test_each_cooked_meal_of_the_next_seven_days_needs_a_published_menu(street):
    full = KitchenFactory(street=street, place__name="全厨房", slots=["breakfast", "lunch"])
    _publish_week(full, ["breakfast", "lunch"])
    MenuFactory(kitchen=full, date=ahead(8), slot="lunch", status=MenuStatus.DRAFT)  # beyond the week: no matter
    gap = KitchenFactory(street=street, place__name="缺厨房", slots=["lunch", "dinner"])
    _publish_week(gap, ["lunch", "dinner"], skip={(3, "dinner"), (6, "lunch")})
    MenuFactory(kitchen=gap, date=ahead(6), slot="lunch", status=MenuStatus.DRAFT)  # a draft is not published
    lunch_only = KitchenFactory(street=street, place__name="午厨房")  # default: lunch
    MenuFactory(kitchen=lunch_only, date=ahead(1), slot="lunch", status=MenuStatus.LOCKED)  # locked counts

    status = week_ahead(kitchens=[full, gap, lunch_only])
    assert status[full.pk]["ok"] and status[full.pk]["missing"] == [] and status[full.pk]["expected"] == 14
    assert status[full.pk]["ahead_until"] == ahead(7)
    assert status[gap.pk]["missing"] == [{"date": ahead(3), "slot": "dinner"}, {"date": ahead(6), "slot": "lunch"}]
    assert status[gap.pk]["ahead_until"] == ahead(2) and not status[gap.pk]["ok"]
    assert len(status[lunch_only.pk]["missing"]) == 6 and status[lunch_only.pk]["ahead_until"] == ahead(1)

    late = kitchens_not_week_ahead(street=street)
    assert [s["kitchen"].pk for s in late] == [lunch_only.pk, gap.pk]  # fewest days ahead first


def test_week_plan_and_menu_editor_show_the_status(street):
    kitchen = KitchenFactory(street=street, place__name="周厨房", slots=["lunch"])
    _publish_week(kitchen, ["lunch"], skip={(4, "lunch")})
    c = Client()
    c.force_login(staff_of(street, "kitchen_operator"))
    html = c.get(f"/kitchen/menus/?kitchen={kitchen.pk}").content.decode()
    assert 'id="unpublished"' in html and 'data-missing="1"' in html
    assert f'data-date="{ahead(4).isoformat()}"' in html
    assert html.count('data-due="1"') == 1  # the one lunch cell of the plan still due
    assert 'id="kitchen-settings"' in html
    editor = c.get(f"/kitchen/menus/{kitchen.pk}/{ahead(2).isoformat()}/lunch/").content.decode()
    assert 'id="week-ahead"' in editor and 'id="unpublished"' in editor

    MenuFactory(kitchen=kitchen, date=ahead(4), slot="lunch")
    html = c.get(f"/kitchen/menus/?kitchen={kitchen.pk}").content.decode()
    assert 'data-ok="1"' in html and 'id="unpublished"' not in html and 'data-due="1"' not in html


def test_street_staff_meals_page_lists_the_kitchens_not_a_week_ahead(street):
    ready = KitchenFactory(street=street, place__name="准时厨房")
    _publish_week(ready, ["lunch"])
    late = KitchenFactory(street=street, place__name="迟到食堂", slots=["lunch", "dinner"])
    _publish_week(late, ["lunch"])
    other = KitchenFactory(street=StreetFactory(code="bieqi"), place__name="别街厨房")
    c = Client()
    c.force_login(staff_of(street, "station_staff"))
    html = c.get(f"/staff/meals/?street={street.code}").content.decode()
    assert 'id="week-ahead-table"' in html
    assert f'data-kitchen="{late.pk}"' in html and f'data-kitchen="{ready.pk}"' not in html
    assert f'data-kitchen="{other.pk}"' not in html
    assert "7 / 14" in html  # seven dinners of fourteen meals missing

    MenuFactory.create_batch(1, kitchen=late, date=ahead(1), slot="dinner")
    _publish_week(late, ["dinner"], skip={(1, "dinner")})
    html = c.get(f"/staff/meals/?street={street.code}").content.decode()
    assert 'id="week-ahead-ok"' in html and 'id="week-ahead-table"' not in html


def test_kitchens_api_says_which_meals_are_missing(street, client):
    kitchen = KitchenFactory(street=street, place__name="接口厨房", slots=["breakfast", "lunch"])
    _publish_week(kitchen, ["breakfast", "lunch"], skip={(2, "breakfast")})
    (body,) = client.get(f"/api/v1/meals/kitchens?street={street.code}").json()
    assert body["slots"] == ["breakfast", "lunch"]
    assert body["week_ahead"] == {
        "ok": False,
        "ahead_until": ahead(1).isoformat(),
        "expected": 14,
        "missing": [{"date": ahead(2).isoformat(), "slot": "breakfast"}],
    }
