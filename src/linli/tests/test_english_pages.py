"""Pages of several domains in English (the request's language through gettext): a resident's meals and report
pages, the case console, and the meal work pages of each role."""

from __future__ import annotations

import pytest

from linli.cases.tests.factories import CaseFactory, build_world
from linli.core.models import RoleAssignment
from linli.core.testing import assert_english, english_client, page
from linli.core.tests.factories import StreetFactory, UserFactory
from linli.meals.tests.factories import KitchenFactory, PlaceFactory


@pytest.mark.django_db
def test_resident_meal_and_report_pages_in_english():
    street = StreetFactory(code="enjie")
    point = PlaceFactory(street=street, kind="meal_point")
    KitchenFactory(street=street, serves=[point])
    client = english_client(UserFactory(home_street=street))

    assert_english(
        page(client, "/meals/"),
        ["Sort by distance from me", "My meals · pickup codes", "Meal points in this street"],
        ["按离我远近排序", "本街道助餐点"],
    )
    assert_english(page(client, "/me/meals/"), ["Meal wallet", "Order a meal"], ["助餐钱包", "去订餐"])
    assert_english(
        page(client, "/s/enjie/report/"), ["What is the problem?", "Submit report"], ["是什么问题？", "提交上报"]
    )


@pytest.mark.django_db
def test_case_console_in_english_for_street_staff():
    world = build_world("encase")
    CaseFactory(street=world.street, category=world.categories[next(iter(world.categories))])
    client = english_client(world.admin)
    assert_english(
        page(client, "/staff/cases/?street=encase"),
        ["Export CSV", "Overdue only", "Last 30 days", "1 case"],
        ["事件处置", "导出 CSV", "近30天统计"],
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "url", "english", "chinese"),
    [
        (
            "kitchen_operator",
            "/kitchen/production/",
            ["Print box labels", "Download CSV", "Box labels", "Delivery runs"],
            ["打印餐盒标签", "下载 CSV", "餐盒标签"],
        ),
        ("kitchen_operator", "/kitchen/menus/", ["Menu plan", "Next week"], ["菜单计划", "下一周"]),
        ("kitchen_operator", "/kitchen/runs/", ["Plan deliveries", "Number of riders"], ["规划配送", "骑手人数"]),
        ("rider", "/rider/runs/", ["Today's deliveries"], ["今天的配送"]),
        ("food_supervisor", "/quality/", ["Food safety", "Start inspection"], ["食安监督", "开始检查"]),
        (
            "admin",
            "/staff/meals/?street=enk",
            ["Orders", "Daily sales", "Food waste (kg)"],
            ["每日销售明细", "厨余（千克）"],
        ),
        ("admin", "/staff/meals/counter/?street=enk", ["Meal wallet top-up", "Confirm top-up"], ["确认充值"]),
    ],
)
def test_meal_work_pages_in_english(role, url, english, chinese):
    street = StreetFactory(code="enk")
    KitchenFactory(street=street)
    user = UserFactory()
    RoleAssignment.objects.create(user=user, street=street, role=role)
    assert_english(page(english_client(user), url), english, chinese)
