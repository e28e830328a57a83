"""Delivery: run planning (route order), assignment, pick-up, hand-over, collection with the pickup code."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from linli.core.errors import Problem
from linli.core.sms import OutboxSmsBackend
from linli.meals.models import DeliveryRun, DeliveryStop, OrderEvent, OrderStatus, RunStatus
from linli.meals.services.delivery import (
    nearest_neighbour,
    order_collect,
    order_collect_self,
    path_length,
    route_order,
    run_assign,
    run_pick_up,
    runs_plan,
    stop_hand_over,
)
from linli.meals.tests.factories import (
    KitchenFactory,
    MenuFactory,
    OrderFactory,
    PlaceFactory,
    RoleAssignmentFactory,
    StreetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ORIGIN = (31.25, 121.39)
D = 0.001
# Offsets (lat, lng) in thousandths of a degree: nearest neighbour visits 2,0,3,1,4; 2-opt finds the best open
# path 0,2,3,1,4 (checked against every permutation below).
OFFSETS = [(-2, 4), (3, -3), (0, 4), (2, 5), (4, -4)]
POINTS = [(ORIGIN[0] + a * D, ORIGIN[1] + b * D) for a, b in OFFSETS]


def test_route_nearest_neighbour_then_two_opt_is_optimal_here():
    assert nearest_neighbour(ORIGIN, POINTS) == [2, 0, 3, 1, 4]
    route = route_order(ORIGIN, POINTS)
    assert route == [0, 2, 3, 1, 4]
    best = min(itertools.permutations(range(5)), key=lambda p: path_length(ORIGIN, POINTS, p))
    assert path_length(ORIGIN, POINTS, route) == pytest.approx(path_length(ORIGIN, POINTS, best))
    assert path_length(ORIGIN, POINTS, route) < path_length(ORIGIN, POINTS, [2, 0, 3, 1, 4])
    assert path_length(ORIGIN, POINTS, route) <= path_length(ORIGIN, POINTS, range(5))


def test_route_never_longer_than_naive_or_nearest_neighbour():
    import random

    rng = random.Random(7)
    for _ in range(30):
        pts = [(ORIGIN[0] + rng.uniform(-0.01, 0.01), ORIGIN[1] + rng.uniform(-0.01, 0.01)) for _ in range(9)]
        route = route_order(ORIGIN, pts)
        assert sorted(route) == list(range(9))
        length = path_length(ORIGIN, pts, route)
        assert length <= path_length(ORIGIN, pts, range(9)) + 1e-6
        assert length <= path_length(ORIGIN, pts, nearest_neighbour(ORIGIN, pts)) + 1e-6


@pytest.fixture
def dlv():
    street = StreetFactory(code="dstreet")
    kitchen = KitchenFactory(street=street, place__lat=ORIGIN[0], place__lng=ORIGIN[1], place__name="中央厨房")
    menu = MenuFactory(kitchen=kitchen, date=timezone.localdate(), status="locked")
    points = [
        PlaceFactory(street=street, name=f"P{i}", kind="meal_point", lat=lat, lng=lng)
        for i, (lat, lng) in enumerate(POINTS)
    ]
    operator = RoleAssignmentFactory(street=street, role="kitchen_operator").user
    rider = RoleAssignmentFactory(street=street, role="rider").user
    staff = RoleAssignmentFactory(street=street, role="station_staff").user
    return {
        "street": street,
        "kitchen": kitchen,
        "menu": menu,
        "points": points,
        "operator": operator,
        "rider": rider,
        "staff": staff,
    }


def _order(dlv, place_index=0, **kw):
    kw.setdefault("status", OrderStatus.LOCKED)
    if "destination_place" not in kw and kw.get("destination_type") != "home":
        kw["destination_place"] = dlv["points"][place_index]
    return OrderFactory(menu=dlv["menu"], **kw)


def _plan(dlv, **kw):
    return runs_plan(kitchen=dlv["kitchen"], date=dlv["menu"].date, slot="lunch", actor=dlv["operator"], **kw)


def test_plan_orders_stops_by_route_and_groups_orders_per_place(dlv):
    orders = [_order(dlv, i) for i in range(5)]
    second_at_p3 = _order(dlv, 3)
    _order(dlv, 1, status=OrderStatus.CANCELLED)
    report = _plan(dlv)
    (run,) = report.runs
    stops = list(run.stops.order_by("seq"))
    assert [s.label for s in stops] == ["P0", "P2", "P3", "P1", "P4"]
    assert run.distance_m == round(path_length(ORIGIN, POINTS, [0, 2, 3, 1, 4]))
    assert run.distance_m <= round(path_length(ORIGIN, POINTS, range(5)))
    p3 = next(s for s in stops if s.label == "P3")
    assert set(p3.orders.values_list("pk", flat=True)) == {orders[3].pk, second_at_p3.pk}
    assert run.status == RunStatus.PLANNED and run.rider is None


def test_plan_home_with_and_without_coordinates_and_dine_in(dlv):
    home = _order(
        dlv,
        destination_type="home",
        destination_place=None,
        home_address="梅岭北路1号",
        home_lat=31.255,
        home_lng=121.395,
    )
    lost = _order(dlv, destination_type="home", destination_place=None, home_address="无坐标路2号")
    dine_in = _order(dlv, destination_place=dlv["kitchen"].place)
    report = _plan(dlv)
    (run,) = report.runs
    (stop,) = run.stops.all()
    assert stop.place is None and (stop.lat, stop.lng) == (31.255, 121.395) and "梅岭北路1号" in stop.label
    home.refresh_from_db()
    assert home.run_stop == stop
    assert [s["order_id"] for s in report.skipped] == [lost.pk]
    assert report.skipped[0]["reason"] == "home_without_coordinates"
    assert report.dine_in == 1
    dine_in.refresh_from_db()
    assert dine_in.run_stop is None


def test_plan_splits_by_riders_and_max_stops(dlv):
    for i in range(5):
        _order(dlv, i)
    report = _plan(dlv, riders_count=2)
    assert sorted(r.stops.count() for r in report.runs) == [2, 3]
    report = _plan(dlv, max_stops_per_run=2)  # re-planning replaces the planned runs
    assert sorted(r.stops.count() for r in report.runs) == [1, 2, 2]
    assert DeliveryRun.objects.filter(kitchen=dlv["kitchen"]).count() == 3
    assert DeliveryStop.objects.filter(run__kitchen=dlv["kitchen"]).count() == 5


def test_replan_refused_after_pick_up(dlv):
    _order(dlv, 0)
    (run,) = _plan(dlv).runs
    run_assign(run=run, rider=dlv["rider"], actor=dlv["operator"])
    run_pick_up(run=run, actor=dlv["rider"])
    with pytest.raises(Problem) as exc:
        _plan(dlv)
    assert exc.value.code == "run_invalid_transition"
    assert DeliveryRun.objects.filter(pk=run.pk, status=RunStatus.PICKED_UP).exists()


def test_plan_permission(dlv):
    for user in (dlv["rider"], dlv["staff"], UserFactory(), RoleAssignmentFactory(role="kitchen_operator").user):
        with pytest.raises(Problem) as exc:
            runs_plan(kitchen=dlv["kitchen"], date=dlv["menu"].date, slot="lunch", actor=user)
        assert exc.value.code == "permission_denied"


def test_assign_needs_a_rider_of_the_street(dlv):
    _order(dlv, 0)
    (run,) = _plan(dlv).runs
    foreign_rider = RoleAssignmentFactory(role="rider").user  # rider of another street
    for who in (foreign_rider, dlv["staff"]):
        with pytest.raises(Problem) as exc:
            run_assign(run=run, rider=who, actor=dlv["operator"])
        assert exc.value.code == "validation_error"
    with pytest.raises(Problem) as exc:
        run_assign(run=run, rider=dlv["rider"], actor=dlv["rider"])  # riders do not assign themselves
    assert exc.value.code == "permission_denied"
    run_assign(run=run, rider=dlv["rider"], actor=dlv["operator"])
    run.refresh_from_db()
    assert run.rider == dlv["rider"]


def test_full_delivery_flow_with_events_and_sms(dlv, django_capture_on_commit_callbacks):
    a = _order(dlv, 0, user=UserFactory(phone="+8613900000001"), pickup_code="111111")
    b = _order(dlv, 2, status=OrderStatus.IN_PRODUCTION, user=UserFactory(phone="+8613900000002"), pickup_code="222222")
    (run,) = _plan(dlv).runs
    with pytest.raises(Problem) as exc:
        run_pick_up(run=run, actor=dlv["operator"])  # no rider yet
    assert exc.value.code == "run_invalid_transition"
    run_assign(run=run, rider=dlv["rider"], actor=dlv["operator"])

    other_rider = RoleAssignmentFactory(street=dlv["street"], role="rider").user
    with pytest.raises(Problem) as exc:
        run_pick_up(run=run, actor=other_rider)
    assert exc.value.code == "permission_denied"

    OutboxSmsBackend.clear()
    with pytest.raises(Problem) as exc:
        stop_hand_over(stop=run.stops.first(), actor=dlv["rider"])  # not picked up yet
    assert exc.value.code == "run_invalid_transition"

    with django_capture_on_commit_callbacks(execute=True):
        run_pick_up(run=run, actor=dlv["rider"])
    run.refresh_from_db()
    assert run.status == RunStatus.PICKED_UP and run.picked_up_at is not None
    sent = {(m.phone, m.message) for m in OutboxSmsBackend.outbox}
    assert len(sent) == 2
    assert any(p == "+8613900000001" and "已出发" in t and "111111" in t and "P0" in t for p, t in sent)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == b.status == OrderStatus.OUT_FOR_DELIVERY
    assert list(OrderEvent.objects.filter(order=a).values_list("to_status", flat=True)) == [
        "in_production",
        "out_for_delivery",
    ]

    with pytest.raises(Problem) as exc:
        run_pick_up(run=run, actor=dlv["rider"])  # twice
    assert exc.value.code == "run_invalid_transition"

    first, second = run.stops.order_by("seq")
    assert (first.label, second.label) == ("P2", "P0")  # P2 is nearer the kitchen
    OutboxSmsBackend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        stop_hand_over(stop=first, actor=dlv["rider"], to_name="王阿姨")
    (arrived,) = OutboxSmsBackend.outbox
    assert arrived.phone == "+8613900000002" and "已送到P2" in arrived.message and "222222" in arrived.message
    with pytest.raises(Problem) as exc:
        stop_hand_over(stop=first, actor=dlv["rider"])
    assert exc.value.code == "run_invalid_transition"
    run.refresh_from_db()
    assert run.status == RunStatus.PICKED_UP
    stop_hand_over(stop=second, actor=dlv["rider"])
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.done_at is not None
    a.refresh_from_db()
    assert a.status == OrderStatus.DELIVERED and a.delivered_at is not None
    assert list(OrderEvent.objects.filter(order=a).values_list("to_status", flat=True))[-1] == "delivered"
    first.refresh_from_db()
    assert first.handed_over_to == "王阿姨"


def test_home_delivery_hand_over_is_collected(dlv):
    home = _order(
        dlv,
        destination_type="home",
        destination_place=None,
        home_address="梅岭北路1号",
        home_lat=31.255,
        home_lng=121.395,
    )
    (run,) = _plan(dlv).runs
    run_assign(run=run, rider=dlv["rider"], actor=dlv["operator"])
    run_pick_up(run=run, actor=dlv["rider"])
    stop_hand_over(stop=run.stops.get(), actor=dlv["rider"])
    home.refresh_from_db()
    assert home.status == OrderStatus.COLLECTED


def _delivered(dlv, **kw):
    order = _order(dlv, 0, **kw)
    (run,) = _plan(dlv).runs
    run_assign(run=run, rider=dlv["rider"], actor=dlv["operator"])
    run_pick_up(run=run, actor=dlv["rider"])
    stop_hand_over(stop=run.stops.get(), actor=dlv["rider"])
    order.refresh_from_db()
    return order


def test_collect_with_pickup_code_at_the_meal_point(dlv):
    order = _delivered(dlv, pickup_code="123456")
    place = dlv["points"][0]
    with pytest.raises(Problem) as exc:
        order_collect(place=place, pickup_code="654321", actor=dlv["staff"])
    assert exc.value.code == "pickup_code_invalid"
    with pytest.raises(Problem) as exc:
        order_collect(place=dlv["points"][1], pickup_code="123456", actor=dlv["staff"])  # other meal point
    assert exc.value.code == "pickup_code_invalid"
    collected = order_collect(place=place, pickup_code=" 123 456 ", actor=dlv["staff"])
    assert collected.pk == order.pk and collected.status == OrderStatus.COLLECTED
    order.refresh_from_db()
    assert order.collected_at is not None
    with pytest.raises(Problem) as exc:
        order_collect(place=place, pickup_code="123456", actor=dlv["staff"])  # twice
    assert exc.value.code == "order_invalid_transition"


def test_collect_refused_before_delivery_and_for_other_streets(dlv):
    _order(dlv, 0, pickup_code="777777", status=OrderStatus.OUT_FOR_DELIVERY)
    place = dlv["points"][0]
    with pytest.raises(Problem) as exc:
        order_collect(place=place, pickup_code="777777", actor=dlv["staff"])
    assert exc.value.code == "order_invalid_transition"
    foreign_staff = RoleAssignmentFactory(role="station_staff").user
    for who in (foreign_staff, dlv["rider"], UserFactory()):
        with pytest.raises(Problem) as exc:
            order_collect(place=place, pickup_code="777777", actor=who)
        assert exc.value.code == "permission_denied"


def test_collect_by_menu_and_code_and_yesterdays_code_is_not_today(dlv):
    _delivered(dlv, pickup_code="888888")
    assert order_collect(menu=dlv["menu"], pickup_code="888888", actor=dlv["staff"]).status == "collected"
    with pytest.raises(Problem) as exc:
        order_collect(
            place=dlv["points"][0], pickup_code="888888", actor=dlv["staff"], on=dlv["menu"].date + dt.timedelta(days=1)
        )
    assert exc.value.code == "pickup_code_invalid"


def test_resident_collects_own_delivered_order_only(dlv):
    order = _delivered(dlv)
    with pytest.raises(Problem) as exc:
        order_collect_self(order=order, user=UserFactory())
    assert exc.value.code == "permission_denied"
    order_collect_self(order=order, user=order.user)
    order.refresh_from_db()
    assert order.status == OrderStatus.COLLECTED
    locked = _order(dlv, 1)
    with pytest.raises(Problem) as exc:
        order_collect_self(order=locked, user=locked.user)
    assert exc.value.code == "order_invalid_transition"
