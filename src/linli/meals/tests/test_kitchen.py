"""Kitchen side: the cut-off lock (scheduled, manual, idempotent), production counts, exports, labels."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from linli.core.errors import Problem
from linli.core.models import AuditLog
from linli.meals.exports import production_csv, production_xlsx
from linli.meals.models import Menu, MenuStatus, OrderEvent, OrderStatus
from linli.meals.selectors.kitchen import labels_list, mask_name, production_list
from linli.meals.services.kitchen import menu_lock, menus_lock_due, production_start
from linli.meals.tasks import lock_due_menus
from linli.meals.tests.factories import (
    DishFactory,
    KitchenFactory,
    MenuFactory,
    MenuItemFactory,
    OrderFactory,
    PlaceFactory,
    RoleAssignmentFactory,
    StreetFactory,
    UserFactory,
)
from linli.meals.tests.factories_kitchen import order_with_lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit():
    street = StreetFactory(code="kstreet")
    kitchen = KitchenFactory(street=street, place__name="万里中央厨房")
    menu = MenuFactory(kitchen=kitchen)
    fish = MenuItemFactory(
        menu=menu, dish=DishFactory(kitchen=kitchen, name="清蒸鱼", tags=["soft", "low_salt"]), sort_order=1
    )
    greens = MenuItemFactory(menu=menu, dish=DishFactory(kitchen=kitchen, name="炒青菜", tags=[]), sort_order=2)
    point_a = PlaceFactory(street=street, name="A助餐点", kind="meal_point")
    point_b = PlaceFactory(street=street, name="B助餐点", kind="meal_point")
    operator = RoleAssignmentFactory(street=street, role="kitchen_operator").user
    return {
        "street": street,
        "kitchen": kitchen,
        "menu": menu,
        "fish": fish,
        "greens": greens,
        "a": point_a,
        "b": point_b,
        "operator": operator,
    }


def _after_cutoff(menu: Menu) -> dt.datetime:
    return menu.cutoff_at + dt.timedelta(minutes=1)


# ------------------------------------------------------------------------------------------ lock


def test_lock_before_cutoff_does_nothing(kit):
    order = OrderFactory(menu=kit["menu"], destination_place=kit["a"])
    assert menus_lock_due(now=kit["menu"].cutoff_at - dt.timedelta(seconds=1)) == 0
    kit["menu"].refresh_from_db()
    order.refresh_from_db()
    assert kit["menu"].status == MenuStatus.PUBLISHED
    assert order.status == OrderStatus.PLACED


def test_lock_after_cutoff_locks_menu_and_placed_orders_once(kit):
    menu = kit["menu"]
    placed = OrderFactory(menu=menu, destination_place=kit["a"])
    cancelled = OrderFactory(menu=menu, destination_place=kit["a"], status=OrderStatus.CANCELLED)
    draft = MenuFactory(status=MenuStatus.DRAFT, kitchen=kit["kitchen"], date=menu.date, slot="dinner")
    now = _after_cutoff(menu)

    assert menus_lock_due(now=now) == 1
    menu.refresh_from_db()
    placed.refresh_from_db()
    cancelled.refresh_from_db()
    draft.refresh_from_db()
    assert menu.status == MenuStatus.LOCKED and menu.locked_at == now
    assert placed.status == OrderStatus.LOCKED
    assert cancelled.status == OrderStatus.CANCELLED
    assert draft.status == MenuStatus.DRAFT
    events = list(OrderEvent.objects.filter(order=placed).values_list("from_status", "to_status"))
    assert events == [("placed", "locked")]

    # twice: nothing more happens, no second event
    assert menus_lock_due(now=now + dt.timedelta(minutes=1)) == 0
    assert OrderEvent.objects.filter(order=placed).count() == 1
    menu.refresh_from_db()
    assert menu.locked_at == now


def test_lock_sweeps_an_order_that_raced_the_lock(kit):
    menu = kit["menu"]
    menus_lock_due(now=_after_cutoff(menu))
    late = OrderFactory(menu=menu, destination_place=kit["a"])  # written by a request that lost the race
    assert menus_lock_due(now=_after_cutoff(menu)) == 0
    late.refresh_from_db()
    assert late.status == OrderStatus.LOCKED


def test_celery_task_locks_due_menus(kit):
    menu = kit["menu"]
    OrderFactory(menu=menu, destination_place=kit["a"])
    assert lock_due_menus(now_iso=_after_cutoff(menu).isoformat()) == 1
    assert lock_due_menus(now_iso=_after_cutoff(menu).isoformat()) == 0
    with pytest.raises(ValueError):
        lock_due_menus(now_iso="not a time")


def test_manual_lock_by_operator_and_refusals(kit):
    menu = kit["menu"]
    order = OrderFactory(menu=menu, destination_place=kit["a"])
    resident = UserFactory()
    with pytest.raises(Problem) as exc:
        menu_lock(menu=menu, actor=resident)
    assert exc.value.code == "permission_denied"
    other_operator = RoleAssignmentFactory(role="kitchen_operator").user  # another street
    with pytest.raises(Problem):
        menu_lock(menu=menu, actor=other_operator)

    menu_lock(menu=menu, actor=kit["operator"])
    order.refresh_from_db()
    assert menu.status == MenuStatus.LOCKED and order.status == OrderStatus.LOCKED
    assert AuditLog.objects.filter(action="meals.menu_lock").count() == 1
    menu_lock(menu=menu, actor=kit["operator"])  # idempotent
    assert AuditLog.objects.filter(action="meals.menu_lock").count() == 1

    draft = MenuFactory(status=MenuStatus.DRAFT, kitchen=kit["kitchen"], slot="dinner")
    with pytest.raises(Problem) as exc:
        menu_lock(menu=draft, actor=kit["operator"])
    assert exc.value.code == "menu_invalid" and exc.value.http_status == 409


def test_production_start_needs_lock_and_moves_locked_orders(kit):
    menu = kit["menu"]
    order = OrderFactory(menu=menu, destination_place=kit["a"])
    with pytest.raises(Problem) as exc:
        production_start(menu=menu, actor=kit["operator"])
    assert exc.value.code == "menu_invalid"
    menus_lock_due(now=_after_cutoff(menu))
    assert production_start(menu=menu, actor=kit["operator"]) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PRODUCTION


# ------------------------------------------------------------------------------------ production


def _orders(kit):
    menu = kit["menu"]
    order_with_lines(menu=menu, destination_place=kit["a"], lines=[(kit["fish"], 2, False), (kit["greens"], 1, True)])
    order_with_lines(menu=menu, destination_place=kit["a"], lines=[(kit["fish"], 1, True)])
    order_with_lines(menu=menu, destination_place=kit["b"], lines=[(kit["greens"], 3, False)])
    order_with_lines(
        menu=menu,
        destination_type="home",
        destination_place=None,
        home_address="梅岭北路1弄2号301",
        home_lat=31.26,
        home_lng=121.39,
        lines=[(kit["fish"], 1, False)],
    )
    order_with_lines(
        menu=menu,
        destination_type="home",
        destination_place=None,
        home_address="梅岭北路5号",
        lines=[(kit["greens"], 1, False)],
    )
    order_with_lines(
        menu=menu, destination_place=kit["b"], status=OrderStatus.CANCELLED, lines=[(kit["fish"], 5, False)]
    )
    order_with_lines(
        menu=menu, destination_place=kit["b"], status=OrderStatus.REFUNDED, lines=[(kit["greens"], 7, True)]
    )


def test_production_counts_half_apart_per_destination_live_only(kit):
    _orders(kit)
    data = production_list(kitchen=kit["kitchen"], on=kit["menu"].date, slot="lunch", actor=kit["operator"])
    dishes = {d["dish"]: (d["full"], d["half"]) for d in data["dishes"]}
    assert dishes == {"清蒸鱼": (3, 1), "炒青菜": (4, 1)}
    assert [d["dish"] for d in data["dishes"]] == ["清蒸鱼", "炒青菜"]  # menu order
    by_dest = {d["label"]: d for d in data["destinations"]}
    assert list(by_dest) == ["A助餐点", "B助餐点", "送餐上门"]  # homes last
    assert {d["dish"]: (d["full"], d["half"]) for d in by_dest["A助餐点"]["dishes"]} == {
        "清蒸鱼": (2, 1),
        "炒青菜": (0, 1),
    }
    assert by_dest["A助餐点"]["orders"] == 2
    assert {d["dish"]: (d["full"], d["half"]) for d in by_dest["B助餐点"]["dishes"]} == {"炒青菜": (3, 0)}
    assert by_dest["B助餐点"]["orders"] == 1  # cancelled and refunded orders not counted
    assert by_dest["送餐上门"]["orders"] == 2
    assert data["totals"] == {"orders": 5, "full": 7, "half": 2}


def test_production_for_menu_is_the_same_list(kit):
    from linli.meals.selectors.kitchen import production_list_for_menu

    _orders(kit)
    by_menu = production_list_for_menu(menu=kit["menu"], actor=kit["operator"])
    assert by_menu == production_list(kitchen=kit["kitchen"], on=kit["menu"].date, slot="lunch", actor=kit["operator"])
    assert by_menu["menu"]["id"] == kit["menu"].pk


def test_production_permission_by_role_and_street(kit):
    for user in (
        UserFactory(),
        RoleAssignmentFactory(role="kitchen_operator").user,
        RoleAssignmentFactory(street=kit["street"], role="rider").user,
    ):
        with pytest.raises(Problem) as exc:
            production_list(kitchen=kit["kitchen"], on=kit["menu"].date, slot="lunch", actor=user)
        assert exc.value.code == "permission_denied"
    admin = RoleAssignmentFactory(street=kit["street"], role="admin").user
    assert (
        production_list(kitchen=kit["kitchen"], on=kit["menu"].date, slot="lunch", actor=admin)["totals"]["orders"] == 0
    )
    with pytest.raises(Problem) as exc:
        production_list(kitchen=kit["kitchen"], on=kit["menu"].date, slot="supper", actor=admin)
    assert exc.value.code == "validation_error"


def test_activity_orders_count_at_the_venue_with_the_activity_named(kit):
    from linli.activities.tests.factories import ActivityFactory

    venue = PlaceFactory(street=kit["street"], name="文化活动中心")
    activity = ActivityFactory(street=kit["street"], place=venue, title="重阳节茶话会")
    order_with_lines(
        menu=kit["menu"],
        destination_type="activity",
        destination_place=venue,
        activity=activity,
        lines=[(kit["fish"], 1, False)],
    )
    data = production_list(kitchen=kit["kitchen"], on=kit["menu"].date, slot="lunch", actor=kit["operator"])
    (dest,) = data["destinations"]
    assert dest["label"] == "文化活动中心" and dest["activities"] == ["重阳节茶话会"]


def test_csv_export_has_bom_rows_totals_and_is_audited(kit):
    _orders(kit)
    body = production_csv(kitchen=kit["kitchen"], on=kit["menu"].date, slot="lunch", actor=kit["operator"])
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["送达地点 Destination", "地址 Address", "菜品 Dish", "整份 Full", "半份 Half", "订单数 Orders"]
    a_rows = [r for r in rows if r[0] == "A助餐点"]
    assert [(r[2], r[3], r[4]) for r in a_rows] == [
        ("清蒸鱼", "2", "1"),
        ("炒青菜", "0", "1"),
        ("小计 Subtotal", "2", "2"),
    ]
    assert a_rows[-1][5] == "2"
    assert rows[-1] == ["合计 Total", "", "合计 Total", "7", "2", "5"]
    log = AuditLog.objects.get(action="meals.production_export")
    assert log.actor == kit["operator"] and log.street == kit["street"]


def test_xlsx_export_content(kit):
    _orders(kit)
    body = production_xlsx(kitchen=kit["kitchen"], on=kit["menu"].date, slot="lunch", actor=kit["operator"])
    ws = load_workbook(io.BytesIO(body)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert "万里中央厨房" in values[0][0] and "午餐" in values[0][0]
    assert values[1][2] == "菜品 Dish"
    assert ["送餐上门", None, "清蒸鱼", 1, 0, None] in values
    assert values[-1][2:] == ["合计 Total", 7, 2, 5]
    assert ws.cell(row=ws.max_row, column=1).font.bold


def test_export_refused_for_resident(kit):
    with pytest.raises(Problem):
        production_csv(kitchen=kit["kitchen"], on=kit["menu"].date, slot="lunch", actor=UserFactory())
    assert not AuditLog.objects.filter(action="meals.production_export").exists()


def test_labels_one_per_live_order_masked_with_qr(kit):
    user = UserFactory(display_name="张阿姨", phone="+8613912345678")
    order_with_lines(
        menu=kit["menu"],
        destination_place=kit["a"],
        user=user,
        pickup_code="482913",
        lines=[(kit["fish"], 1, True), (kit["greens"], 1, False)],
    )
    order_with_lines(
        menu=kit["menu"], destination_place=kit["b"], status=OrderStatus.CANCELLED, lines=[(kit["fish"], 1, False)]
    )
    labels = labels_list(kitchen=kit["kitchen"], on=kit["menu"].date, slot="lunch", actor=kit["operator"])
    assert len(labels) == 1
    (label,) = labels
    assert label["pickup_code"] == "482913" and label["destination"] == "A助餐点"
    assert label["name"] == "张**" and label["phone"] == "139****5678"
    assert label["tags"] == ["软烂", "少盐"]
    assert label["lines"][0] == {"dish": "清蒸鱼", "quantity": 1, "half": True}
    assert label["qr_svg"].startswith("<svg") and "13912345678" not in label["qr_svg"]


def test_mask_name():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("") == ""


def test_lock_uses_business_time_cutoff(kit):
    """The factory menu closes at 09:30 Shanghai time on its day: 09:29 → open, 09:31 → locked."""
    menu = kit["menu"]
    local = timezone.localtime(menu.cutoff_at)
    assert (local.hour, local.minute) == (9, 30)
    assert menus_lock_due(now=menu.cutoff_at - dt.timedelta(minutes=1)) == 0
    assert menus_lock_due(now=menu.cutoff_at + dt.timedelta(minutes=1)) == 1


def test_canteen_serves_its_dining_room_orders_at_the_counter(kit):
    """Orders to the canteen itself skip delivery: after production starts, "堂食出餐" makes them delivered;
    orders for meal points stay in production for the riders."""
    from linli.meals.services.kitchen import dine_in_serve

    here = OrderFactory(menu=kit["menu"], destination_place=kit["kitchen"].place)
    away = OrderFactory(menu=kit["menu"], destination_place=kit["a"])
    menus_lock_due(now=_after_cutoff(kit["menu"]))
    production_start(menu=kit["menu"], actor=kit["operator"])
    assert dine_in_serve(menu=kit["menu"], actor=kit["operator"]) == 1
    here.refresh_from_db()
    away.refresh_from_db()
    assert here.status == OrderStatus.DELIVERED and here.delivered_at is not None
    assert away.status == OrderStatus.IN_PRODUCTION
    assert OrderEvent.objects.filter(order=here, to_status="delivered").count() == 1
    assert dine_in_serve(menu=kit["menu"], actor=kit["operator"]) == 0  # nothing left to serve
    with pytest.raises(Problem) as exc:
        dine_in_serve(menu=kit["menu"], actor=UserFactory())
    assert exc.value.code == "permission_denied"
