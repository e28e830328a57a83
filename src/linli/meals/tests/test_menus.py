"""Menu services: cut-off computation, the elder-canteen rules, publish/unpublish, item edits and their freeze after
the cut-off, permissions per street, and `serves` in the places GeoJSON import/export."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from linli.core.errors import Problem
from linli.core.models import AuditLog, RoleAssignment
from linli.meals.models import Kitchen, Menu, MenuItem, MenuStatus
from linli.meals.selectors.menus import kitchens_serving, menus_for_place
from linli.meals.services import menus as svc
from linli.meals.tests.factories import (
    KitchenFactory,
    MenuFactory,
    MenuItemFactory,
    OrderFactory,
    PlaceFactory,
    StreetFactory,
    UserFactory,
)
from linli.places.selectors import places_export
from linli.places.services import places_import

pytestmark = pytest.mark.django_db

SH = dt.timezone(dt.timedelta(hours=8))


def ahead(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def operator_of(street, role="kitchen_operator"):
    user = UserFactory()
    RoleAssignment.objects.create(user=user, street=street, role=role)
    return user


@pytest.fixture
def kitchen():
    street = StreetFactory(code="chufang")
    place = PlaceFactory(street=street, external_id="K1", kind="community_canteen", name="社区食堂")
    return KitchenFactory(street=street, place=place)


@pytest.fixture
def elder():
    street = StreetFactory(code="zhangzhe")
    place = PlaceFactory(street=street, external_id="E1", kind="elder_canteen", name="长者食堂")
    return KitchenFactory(street=street, place=place, is_elder_canteen=True)


DISH = {"dish": "红烧肉", "price_fen": 1800, "half_price_fen": 1000, "daily_limit": 30, "tags": ["soft"]}
ELDER_SET = {"dish": "长者套餐", "price_fen": 1200, "tags": ["elder_set", "low_salt"]}


# ---------------------------------------------------------------------------------------- cut-off


def test_cutoff_defaults_breakfast_is_the_day_before(kitchen):
    d = dt.date(2026, 12, 10)
    assert svc.menu_cutoff_default(kitchen=kitchen, date=d, slot="breakfast") == dt.datetime(
        2026, 12, 9, 20, 0, tzinfo=SH
    )
    assert svc.menu_cutoff_default(kitchen=kitchen, date=d, slot="lunch") == dt.datetime(2026, 12, 10, 9, 30, tzinfo=SH)
    assert svc.menu_cutoff_default(kitchen=kitchen, date=d, slot="dinner") == dt.datetime(
        2026, 12, 10, 15, 0, tzinfo=SH
    )
    svc.kitchen_update(kitchen=kitchen, breakfast_cutoff=dt.time(18, 30), lunch_cutoff=dt.time(10, 0))
    kitchen.refresh_from_db()
    assert svc.menu_cutoff_default(kitchen=kitchen, date=d, slot="breakfast") == dt.datetime(
        2026, 12, 9, 18, 30, tzinfo=SH
    )
    assert svc.menu_cutoff_default(kitchen=kitchen, date=d, slot="lunch") == dt.datetime(2026, 12, 10, 10, 0, tzinfo=SH)


def test_menu_create_takes_the_default_cutoff_and_refuses_past_or_duplicate(kitchen):
    d = ahead(3)
    menu = svc.menu_create(kitchen=kitchen, date=d, slot="breakfast", items=[{"dish": "豆浆", "price_fen": 200}])
    assert menu.status == MenuStatus.DRAFT
    assert menu.cutoff_at == dt.datetime.combine(d - dt.timedelta(days=1), dt.time(20, 0), tzinfo=SH)
    with pytest.raises(Problem) as exc:
        svc.menu_create(kitchen=kitchen, date=d, slot="breakfast")
    assert exc.value.code == "validation_error"
    with pytest.raises(Problem) as exc:
        svc.menu_create(kitchen=kitchen, date=timezone.localdate() - dt.timedelta(days=1), slot="lunch")
    assert exc.value.errors[0]["field"] == "cutoff_at"
    with pytest.raises(Problem):
        svc.menu_create(kitchen=kitchen, date=d, slot="supper")
    assert Menu.objects.count() == 1


def test_menu_create_validates_every_item_and_writes_nothing_on_error(kitchen):
    with pytest.raises(Problem) as exc:
        svc.menu_create(
            kitchen=kitchen,
            date=ahead(3),
            slot="lunch",
            items=[DISH, {"dish": "半份贵", "price_fen": 500, "half_price_fen": 600}, {"dish": "", "price_fen": "x"}],
        )
    fields = [e["field"] for e in exc.value.errors]
    assert fields == ["items.1.half_price_fen", "items.2.dish", "items.2.price_fen"]
    assert Menu.objects.count() == 0 and MenuItem.objects.count() == 0


# ------------------------------------------------------------------------------------------- rules


def test_elder_canteen_rules_per_day_and_publish_refused(elder):
    d = ahead(3)
    lunch = svc.menu_create(kitchen=elder, date=d, slot="lunch", items=[{"dish": "清蒸鱼", "price_fen": 1500}])
    failures = svc.menu_rules_check(menu=lunch)
    assert {f["rule"] for f in failures} == {"small_portions", "elder_set_meal"}
    assert all(f["date"] == d.isoformat() for f in failures)
    assert next(f for f in failures if f["rule"] == "small_portions")["slot"] == "lunch"
    assert next(f for f in failures if f["rule"] == "elder_set_meal")["slot"] is None
    with pytest.raises(Problem) as exc:
        svc.menu_publish(menu=lunch)
    assert exc.value.code == "menu_invalid" and exc.value.http_status == 422
    assert {e["rule"] for e in exc.value.errors} == {"small_portions", "elder_set_meal"}
    lunch.refresh_from_db()
    assert lunch.status == MenuStatus.DRAFT

    svc.menu_item_add(menu=lunch, **DISH)  # a half portion now
    assert [f["rule"] for f in svc.menu_rules_check(menu=lunch)] == ["elder_set_meal"]
    svc.menu_item_add(menu=lunch, **ELDER_SET)
    assert svc.menu_rules_check(menu=lunch) == []
    assert svc.menu_publish(menu=lunch).status == MenuStatus.PUBLISHED
    assert AuditLog.objects.filter(action="menu.publish", object_id=str(lunch.pk)).count() == 1

    # the day's elder set meal on the published lunch covers dinner; dinner still needs its own small portions
    dinner = svc.menu_create(kitchen=elder, date=d, slot="dinner", items=[{"dish": "面条", "price_fen": 800}])
    assert [f["rule"] for f in svc.menu_rules_check(menu=dinner)] == ["small_portions"]
    # a different day: nothing carries over
    other = svc.menu_create(kitchen=elder, date=ahead(4), slot="lunch", items=[DISH])
    assert [f["rule"] for f in svc.menu_rules_check(menu=other)] == ["elder_set_meal"]
    # the editor's view of a kitchen's day sees drafts too
    assert [f["rule"] for f in svc.menu_rules_check(kitchen=elder, date=d)] == ["small_portions"]


def test_elder_set_on_a_draft_does_not_let_another_menu_publish(elder):
    d = ahead(3)
    svc.menu_create(kitchen=elder, date=d, slot="lunch", items=[DISH, ELDER_SET])  # stays draft
    dinner = svc.menu_create(kitchen=elder, date=d, slot="dinner", items=[DISH])
    assert [f["rule"] for f in svc.menu_rules_check(menu=dinner)] == ["elder_set_meal"]


def test_ordinary_canteen_needs_only_a_dish(kitchen):
    menu = svc.menu_create(kitchen=kitchen, date=ahead(3), slot="lunch")
    with pytest.raises(Problem) as exc:
        svc.menu_publish(menu=menu)
    assert exc.value.code == "menu_invalid" and [e["rule"] for e in exc.value.errors] == ["no_items"]
    svc.menu_item_add(menu=menu, dish="炒饭", price_fen=1000)
    assert svc.menu_publish(menu=menu).status == "published"
    with pytest.raises(Problem):
        svc.menu_publish(menu=menu)  # published → published is not a transition


# --------------------------------------------------------------------------------- edits, cut-off


def test_unpublish_only_without_orders(kitchen):
    menu = svc.menu_create(kitchen=kitchen, date=ahead(3), slot="lunch", items=[DISH])
    svc.menu_publish(menu=menu)
    assert svc.menu_unpublish(menu=menu).status == MenuStatus.DRAFT
    svc.menu_publish(menu=menu)
    OrderFactory(menu=menu)
    with pytest.raises(Problem):
        svc.menu_unpublish(menu=menu)
    menu.refresh_from_db()
    assert menu.status == MenuStatus.PUBLISHED


def test_item_update_limits_and_remove(kitchen):
    menu = svc.menu_create(kitchen=kitchen, date=ahead(3), slot="lunch", items=[DISH])
    item = menu.items.get()
    MenuItem.objects.filter(pk=item.pk).update(sold=12)
    with pytest.raises(Problem) as exc:
        svc.menu_item_update(item=item, daily_limit=11)
    assert exc.value.errors[0]["field"] == "daily_limit"
    item.refresh_from_db()
    assert item.daily_limit == 30
    updated = svc.menu_item_update(item=item, daily_limit=12, price_fen=1900, half_price_fen=None)
    assert (updated.daily_limit, updated.price_fen, updated.half_price_fen) == (12, 1900, None)
    assert svc.menu_item_update(item=item, daily_limit=None).daily_limit is None  # unlimited
    with pytest.raises(Problem):
        svc.menu_item_update(item=item, half_price_fen=5000)  # a half portion dearer than the whole
    with pytest.raises(Problem):
        svc.menu_item_remove(item=item)  # sold portions: cannot remove
    other = svc.menu_item_add(menu=menu, dish="青菜", price_fen=500)
    svc.menu_item_remove(item=other)
    assert list(menu.items.values_list("dish__name", flat=True)) == ["红烧肉"]


def test_after_cutoff_the_menu_is_frozen(kitchen):
    menu = MenuFactory(kitchen=kitchen, date=timezone.localdate(), cutoff_at=timezone.now() - dt.timedelta(minutes=1))
    item = MenuItemFactory(menu=menu, price_fen=1500, daily_limit=50)
    for call in (
        lambda: svc.menu_item_update(item=item, price_fen=1),
        lambda: svc.menu_item_update(item=item, daily_limit=60),
        lambda: svc.menu_item_add(menu=menu, dish="新菜", price_fen=1000),
        lambda: svc.menu_item_remove(item=item),
        lambda: svc.menu_update(menu=menu, note="x"),
    ):
        with pytest.raises(Problem) as exc:
            call()
        assert exc.value.code == "after_cutoff"
    item.refresh_from_db()
    assert (item.price_fen, item.daily_limit) == (1500, 50) and menu.items.count() == 1


# ------------------------------------------------------------------------------------ permissions


def test_permissions_per_street(kitchen):
    other_op = operator_of(StreetFactory(code="biejie"))
    station = operator_of(kitchen.street, role="station_staff")
    for user in (other_op, station):
        with pytest.raises(Problem) as exc:
            svc.menu_create(kitchen=kitchen, date=ahead(3), slot="lunch", items=[DISH], actor=user)
        assert exc.value.code == "permission_denied"
    menu = svc.menu_create(
        kitchen=kitchen, date=ahead(3), slot="lunch", items=[DISH], actor=operator_of(kitchen.street)
    )
    admin = operator_of(kitchen.street, role="admin")
    with pytest.raises(Problem):
        svc.menu_publish(menu=menu, actor=other_op)
    with pytest.raises(Problem):
        svc.menu_item_update(item=menu.items.get(), price_fen=1, actor=other_op)
    with pytest.raises(Problem):
        svc.kitchen_update(kitchen=kitchen, lunch_cutoff=dt.time(8, 0), actor=other_op)
    assert svc.menu_publish(menu=menu, actor=admin).status == "published"


def test_kitchen_update_serves_same_street_only(kitchen):
    point = PlaceFactory(street=kitchen.street, kind="meal_point")
    far = PlaceFactory(street=StreetFactory(code="yuanjie"), kind="meal_point")
    with pytest.raises(Problem):
        svc.kitchen_update(kitchen=kitchen, serves=[point, far])
    svc.kitchen_update(kitchen=kitchen, serves=[point])
    assert list(kitchen.serves.all()) == [point]


# ------------------------------------------------------------------------------------- selectors


def test_kitchens_serving_and_menus_for_place(kitchen):
    point = PlaceFactory(street=kitchen.street, kind="meal_point")
    central = KitchenFactory(street=kitchen.street, serves=[point])
    assert list(kitchens_serving(point)) == [central]
    assert list(kitchens_serving(kitchen.place)) == [kitchen]  # a canteen serves itself
    kitchen.serves.add(point)
    assert set(kitchens_serving(point)) == {central, kitchen}
    d = ahead(2)
    published = svc.menu_create(kitchen=central, date=d, slot="lunch", items=[DISH])
    svc.menu_publish(menu=published)
    svc.menu_create(kitchen=kitchen, date=d, slot="lunch", items=[DISH])  # draft: not shown
    assert [m.pk for m in menus_for_place(place=point, date=d)] == [published.pk]
    assert menus_for_place(place=point, date=ahead(3)) == []


# --------------------------------------------------------------------------------- places serves


def _feature(ext: str, kind: str, lng: float = 121.39, **props) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lng, 31.252]},
        "properties": {"id": ext, "name": f"点位{ext}", "kind": kind, "address": "上海市普陀区测试路1号", **props},
    }


def _coll(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def test_places_import_serves_creates_kitchens_and_round_trips():
    street = StreetFactory(code="servesjie")
    coll = _coll(
        _feature("CK", "central_kitchen", serves=["MP1", "MP2"]),
        _feature("EC", "elder_canteen", serves=["MP2"]),
        _feature("CC", "community_canteen"),
        _feature("MP1", "meal_point"),
        _feature("MP2", "meal_point", lng=121.391),
    )
    assert places_import(street=street, collection=coll).created == 5
    ck = Kitchen.objects.get(place__external_id="CK")
    assert sorted(ck.serves.values_list("external_id", flat=True)) == ["MP1", "MP2"] and not ck.is_elder_canteen
    ec = Kitchen.objects.get(place__external_id="EC")
    assert ec.is_elder_canteen and list(ec.serves.values_list("external_id", flat=True)) == ["MP2"]
    assert Kitchen.objects.get(place__external_id="CC").serves.count() == 0
    exported = places_export(street=street)
    props = {f["properties"]["id"]: f["properties"] for f in exported["features"]}
    assert props["CK"]["serves"] == ["MP1", "MP2"] and props["CC"]["serves"] == [] and "serves" not in props["MP1"]
    again = places_import(street=street, collection=json.loads(json.dumps(exported)))
    assert again.as_dict() == {"created": 0, "updated": 0, "unchanged": 5}
    # changing serves alone counts as an update
    props["CK"]["serves"] = ["MP1"]
    assert places_import(street=street, collection=exported).updated == 1
    assert list(ck.serves.values_list("external_id", flat=True)) == ["MP1"]
    # a second street gets its own copy from the export
    other = StreetFactory(code="servesjie2")
    assert places_import(street=other, collection=places_export(street=street)).created == 5
    assert Kitchen.objects.filter(street=other).count() == 3


def test_places_import_serves_errors_all_or_nothing():
    street = StreetFactory(code="servesbad")
    PlaceFactory(street=street, external_id="OLD", kind="meal_point")
    coll = _coll(
        _feature("CK", "central_kitchen", serves=["OLD", "GHOST"]),
        _feature("MP", "meal_point", serves=["OLD"]),
        _feature("EC", "elder_canteen", serves="OLD"),
    )
    with pytest.raises(Problem) as exc:
        places_import(street=street, collection=coll)
    assert exc.value.code == "import_invalid"
    assert sorted((e["feature"], e["field"]) for e in exc.value.errors) == [
        (0, "properties.serves"),
        (1, "properties.serves"),
        (2, "properties.serves"),
    ]
    assert "GHOST" in next(e for e in exc.value.errors if e["feature"] == 0)["message"]
    assert Kitchen.objects.count() == 0 and street.places.count() == 1


def test_adding_a_known_dish_without_tags_keeps_its_tags_and_elder_flag_makes_a_set_meal(kitchen):
    svc.menu_create(kitchen=kitchen, date=ahead(3), slot="lunch", items=[{**DISH, "allergens": ["soy"]}])
    tuesday = svc.menu_create(
        kitchen=kitchen, date=ahead(4), slot="lunch", items=[{"dish": "红烧肉", "price_fen": 1700}]
    )
    dish = tuesday.items.get().dish
    assert (dish.tags, dish.allergens) == (["soft"], ["soy"])
    item = svc.menu_item_update(item=tuesday.items.get(), tags=[])
    item.dish.refresh_from_db()
    assert item.dish.tags == [] and item.dish.allergens == ["soy"]
    meal = svc.menu_item_add(menu=tuesday, dish="套餐A", price_fen=1000)
    assert not meal.dish.is_set_meal
    meal = svc.menu_item_update(item=meal, is_elder_discount_set=True)
    assert meal.is_elder_discount_set and meal.dish.is_set_meal
