"""Quality services and selectors: ratings (owner, collected, once, 1-5), inspections (role and street, photos
stripped, all-or-nothing), tasting scores, waste upsert; the kitchen's averages, weekly trend, waste series."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from PIL import Image

from linli.core.errors import Problem
from linli.core.i18n import in_language
from linli.core.models import AuditLog
from linli.meals.models import Inspection, InspectionItem, InspectionPhoto, Rating, TastingScore, WasteRecord
from linli.meals.selectors import quality as selectors
from linli.meals.services import quality as services
from linli.meals.tests.factories import (
    DishFactory,
    KitchenFactory,
    MenuFactory,
    OrderFactory,
    StreetFactory,
    UserFactory,
)
from linli.meals.tests.factories_quality import RatingFactory, days_ago, jpeg_bytes, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def kitchen():
    return KitchenFactory(street=StreetFactory(code="qjie", name="质量街道"))


# ---------------------------------------------------------------------------------------------- ratings


def test_owner_rates_a_collected_order_once(kitchen):
    order = OrderFactory(menu__kitchen=kitchen, status="collected")
    rating = services.rating_create(order=order, user=order.user, taste=5, portion=3, price=4, comment=" 好吃 ")
    assert (rating.taste, rating.portion, rating.price, rating.comment) == (5, 3, 4, "好吃")
    assert rating.kitchen_id == kitchen.pk
    with pytest.raises(Problem) as info:
        services.rating_create(order=order, user=order.user, taste=1, portion=1, price=1)
    assert info.value.code == "validation_error" and info.value.http_status == 409
    assert info.value.extra["reason"] == "already_rated"
    assert Rating.objects.get(order=order).taste == 5  # the first rating stands


def test_delivered_home_order_can_be_rated(kitchen):
    order = OrderFactory(menu__kitchen=kitchen, status="delivered", destination_type="home", destination_place=None)
    assert services.rating_create(order=order, user=order.user, taste=4, portion=4, price=4).pk


@pytest.mark.parametrize("status", ["placed", "locked", "in_production", "out_for_delivery", "cancelled", "refunded"])
def test_orders_not_collected_cannot_be_rated(kitchen, status):
    order = OrderFactory(menu__kitchen=kitchen, status=status)
    with pytest.raises(Problem) as info:
        services.rating_create(order=order, user=order.user, taste=4, portion=4, price=4)
    assert info.value.code == "order_invalid_transition" and info.value.extra["status"] == status
    assert not Rating.objects.exists()


def test_only_the_owner_rates(kitchen):
    order = OrderFactory(menu__kitchen=kitchen, status="collected")
    with pytest.raises(Problem) as info:
        services.rating_create(order=order, user=UserFactory(), taste=4, portion=4, price=4)
    assert info.value.code == "permission_denied"
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    ("scores", "bad"),
    [
        ({"taste": 0, "portion": 3, "price": 3}, {"taste"}),
        ({"taste": 6, "portion": 3, "price": 3}, {"taste"}),
        ({"taste": 3, "portion": None, "price": "5"}, {"portion", "price"}),
        ({"taste": True, "portion": 3, "price": -1}, {"taste", "price"}),
    ],
)
def test_scores_must_be_1_to_5(kitchen, scores, bad):
    order = OrderFactory(menu__kitchen=kitchen, status="collected")
    with pytest.raises(Problem) as info:
        services.rating_create(order=order, user=order.user, **scores)
    assert info.value.code == "validation_error"
    assert {e["field"] for e in info.value.errors} == bad
    assert all(e["message"] and in_language(e["message"], "en") != str(e["message"]) for e in info.value.errors)
    assert not Rating.objects.exists()


def test_comment_too_long_is_refused(kitchen):
    order = OrderFactory(menu__kitchen=kitchen, status="collected")
    with pytest.raises(Problem) as info:
        services.rating_create(order=order, user=order.user, taste=4, portion=4, price=4, comment="好" * 501)
    assert info.value.errors[0]["field"] == "comment"


def test_status_is_read_from_the_database_not_the_callers_copy(kitchen):
    order = OrderFactory(menu__kitchen=kitchen, status="collected")
    stale = type(order).objects.get(pk=order.pk)
    type(order).objects.filter(pk=order.pk).update(status="refunded")
    with pytest.raises(Problem) as info:
        services.rating_create(order=stale, user=order.user, taste=4, portion=4, price=4)
    assert info.value.code == "order_invalid_transition"


# ------------------------------------------------------------------------------------------ inspections

ALL_PASS = {"washing": ("pass", ""), "wok": ("issue", "油烟机油污较多"), "storage": ("pass", "")}


def test_supervisor_records_an_inspection_with_stripped_photos(kitchen):
    supervisor = staff_of(kitchen.street, "food_supervisor")
    inspection = services.inspection_create(
        kitchen=kitchen,
        inspector=supervisor,
        items=ALL_PASS,
        photos=[("wok", io.BytesIO(jpeg_bytes())), ("", jpeg_bytes(size=(3000, 1000)))],
        summary="整体良好",
    )
    items = {i.area: (i.result, i.note) for i in InspectionItem.objects.filter(inspection=inspection)}
    assert len(items) == 6  # the whole checklist, areas not given are "not seen"
    assert items["wok"] == ("issue", "油烟机油污较多")
    assert items["pastry"] == ("not_seen", "") and items["hygiene"] == ("not_seen", "")
    photos = list(InspectionPhoto.objects.filter(inspection=inspection).order_by("id"))
    assert [p.area for p in photos] == ["wok", ""]
    assert (photos[1].width, photos[1].height) == (2048, 683)
    for photo in photos:
        assert photo.image.name.endswith(".jpg") and photo.image.name.startswith("inspections/")
        with photo.image.open("rb") as fh:
            content = fh.read()
        stored = Image.open(io.BytesIO(content))
        assert stored.format == "JPEG" and len(stored.getexif()) == 0
        assert b"PhoneMaker" not in content
    log = AuditLog.objects.get(action="meals.inspection_create")
    assert log.actor == supervisor and log.data["issues"] == 1 and log.data["photos"] == 2


def test_admin_may_inspect_but_operator_and_other_street_may_not(kitchen):
    admin = staff_of(kitchen.street, "admin")
    assert services.inspection_create(kitchen=kitchen, inspector=admin, items=ALL_PASS).pk
    other_street = StreetFactory(code="otherq")
    for user in (
        staff_of(kitchen.street, "kitchen_operator"),
        staff_of(kitchen.street, "station_staff"),
        staff_of(other_street, "food_supervisor"),
        UserFactory(),
    ):
        with pytest.raises(Problem) as info:
            services.inspection_create(kitchen=kitchen, inspector=user, items=ALL_PASS)
        assert info.value.code == "permission_denied"
    assert Inspection.objects.count() == 1


def test_a_bad_photo_refuses_the_whole_inspection(kitchen, settings):
    supervisor = staff_of(kitchen.street, "food_supervisor")
    with pytest.raises(Problem) as info:
        services.inspection_create(
            kitchen=kitchen,
            inspector=supervisor,
            items=ALL_PASS,
            photos=[("wok", jpeg_bytes()), ("washing", b"just text, named photo.jpg")],
        )
    assert info.value.code == "photo_invalid" and info.value.errors[0]["field"] == "photos.1"
    assert not Inspection.objects.exists() and not InspectionPhoto.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ({"kitchen_floor": ("pass", "")}, "items.kitchen_floor"),
        ({"washing": ("ok", "")}, "items.washing"),
        ({"washing": ("pass", "x" * 301)}, "items.washing.note"),
        ({"washing": ("not_seen", "")}, "items"),
        ({}, "items"),
    ],
)
def test_checklist_is_validated(kitchen, items, field):
    supervisor = staff_of(kitchen.street, "food_supervisor")
    with pytest.raises(Problem) as info:
        services.inspection_create(kitchen=kitchen, inspector=supervisor, items=items)
    assert info.value.code == "validation_error" and field in {e["field"] for e in info.value.errors}
    assert not Inspection.objects.exists()


def test_too_many_photos_or_unknown_photo_area(kitchen):
    supervisor = staff_of(kitchen.street, "food_supervisor")
    with pytest.raises(Problem) as info:
        services.inspection_create(
            kitchen=kitchen, inspector=supervisor, items=ALL_PASS, photos=[("", jpeg_bytes())] * 13
        )
    assert info.value.errors[0]["field"] == "photos"
    with pytest.raises(Problem) as info:
        services.inspection_create(kitchen=kitchen, inspector=supervisor, items=ALL_PASS, photos=[("roof", b"x")])
    assert info.value.errors[0]["field"] == "photos.0.area"


def test_inspection_list_counts_issues(kitchen):
    supervisor = staff_of(kitchen.street, "food_supervisor")
    services.inspection_create(kitchen=kitchen, inspector=supervisor, items={"washing": ("pass", "")})
    services.inspection_create(
        kitchen=kitchen,
        inspector=supervisor,
        items={"washing": ("issue", "a"), "pastry": ("issue", "b"), "wok": ("pass", "")},
        photos=[("pastry", jpeg_bytes())],
    )
    rows = selectors.inspection_list(kitchen=kitchen)
    assert [r["issues"] for r in rows] == [2, 0]  # newest first
    assert rows[0]["photos"][0]["url"] == f"/quality/photos/{rows[0]['photos'][0]['id']}/"
    assert [i["area"] for i in rows[0]["items"]][:3] == ["washing", "sample_retention", "pastry"]


# -------------------------------------------------------------------------------------------- tastings


def test_tasting_scores_once_per_panel_day_and_averages(kitchen):
    dish = DishFactory(kitchen=kitchen, name="新菜红烧豆腐", is_new=True)
    a, b = staff_of(kitchen.street, "food_supervisor"), staff_of(kitchen.street, "admin")
    services.tasting_score_add(dish=dish, scorer=a, score=4, comment="偏咸", panel_date=days_ago(1))
    services.tasting_score_add(dish=dish, scorer=a, score=5)  # another panel day: today
    services.tasting_score_add(dish=dish, scorer=b, score=3)
    with pytest.raises(Problem) as info:
        services.tasting_score_add(dish=dish, scorer=b, score=5)
    assert info.value.http_status == 409 and info.value.extra["reason"] == "already_scored"
    [row] = selectors.tasting_averages(kitchen=kitchen, new_only=True)
    assert row["dish"] == "新菜红烧豆腐" and row["count"] == 3 and row["avg"] == 4.0
    assert row["last_panel"] == timezone.localdate()


def test_tasting_rules(kitchen):
    dish = DishFactory(kitchen=kitchen)
    supervisor = staff_of(kitchen.street, "food_supervisor")
    for bad in (0, 6, None):
        with pytest.raises(Problem) as info:
            services.tasting_score_add(dish=dish, scorer=supervisor, score=bad)
        assert info.value.errors[0]["field"] == "score"
    with pytest.raises(Problem) as info:
        services.tasting_score_add(dish=dish, scorer=supervisor, score=3, panel_date=days_ago(-1))
    assert info.value.errors[0]["field"] == "panel_date"
    for user in (staff_of(kitchen.street, "kitchen_operator"), staff_of(StreetFactory(), "food_supervisor")):
        with pytest.raises(Problem) as info:
            services.tasting_score_add(dish=dish, scorer=user, score=3)
        assert info.value.code == "permission_denied"
    assert not TastingScore.objects.exists()


# ----------------------------------------------------------------------------------------------- waste


def test_waste_is_one_figure_per_kitchen_and_day(kitchen):
    operator = staff_of(kitchen.street, "kitchen_operator")
    day = days_ago(1)
    services.waste_record_set(kitchen=kitchen, date=day, grams=3200, note="米饭剩余多", actor=operator)
    record = services.waste_record_set(kitchen=kitchen, date=day, grams=2800, note="", actor=operator)
    assert WasteRecord.objects.filter(kitchen=kitchen).count() == 1
    assert (record.grams, record.note, record.recorded_by) == (2800, "", operator)
    assert AuditLog.objects.filter(action="meals.waste_record_set").count() == 2


def test_waste_rules_and_roles(kitchen):
    operator = staff_of(kitchen.street, "kitchen_operator")
    for grams in (-1, 1_000_001, "12", None):
        with pytest.raises(Problem) as info:
            services.waste_record_set(kitchen=kitchen, date=days_ago(0), grams=grams, actor=operator)
        assert info.value.errors[0]["field"] == "grams"
    with pytest.raises(Problem) as info:
        services.waste_record_set(kitchen=kitchen, date=days_ago(-1), grams=10, actor=operator)
    assert info.value.errors[0]["field"] == "date"
    for user in (staff_of(kitchen.street, "food_supervisor"), staff_of(StreetFactory(), "kitchen_operator")):
        with pytest.raises(Problem) as info:
            services.waste_record_set(kitchen=kitchen, date=days_ago(0), grams=10, actor=user)
        assert info.value.code == "permission_denied"
    assert services.waste_record_set(
        kitchen=kitchen, date=days_ago(0), grams=0, actor=staff_of(kitchen.street, "admin")
    )
    assert WasteRecord.objects.count() == 1


# -------------------------------------------------------------------------------------------- selectors


def test_kitchen_averages_and_weekly_trend(kitchen):
    now = timezone.now()
    menu = MenuFactory(kitchen=kitchen)
    RatingFactory(order__menu=menu, taste=5, portion=4, price=3, created_at=now)
    RatingFactory(order__menu=menu, taste=4, portion=2, price=3, created_at=now)
    RatingFactory(order__menu=menu, taste=1, portion=1, price=1, created_at=now - dt.timedelta(weeks=3))
    RatingFactory(taste=1, portion=1, price=1)  # another kitchen: not counted
    q = selectors.kitchen_quality(kitchen=kitchen, weeks=4, days=7)
    assert q["ratings"] == {"count": 3, "taste": 3.33, "portion": 2.33, "price": 2.33}
    weekly = q["ratings_weekly"]
    assert len(weekly) == 4 and weekly[-1]["week_start"].weekday() == 0
    assert weekly[-1]["week_start"] <= timezone.localdate() < weekly[-1]["week_start"] + dt.timedelta(days=7)
    assert (weekly[-1]["count"], weekly[-1]["taste"], weekly[-1]["portion"]) == (2, 4.5, 3.0)
    assert (weekly[0]["count"], weekly[0]["taste"]) == (1, 1.0)
    assert weekly[1]["count"] == 0 and weekly[1]["taste"] is None


def test_waste_series_has_every_day(kitchen):
    WasteRecord.objects.create(kitchen=kitchen, date=days_ago(0), grams=500)
    WasteRecord.objects.create(kitchen=kitchen, date=days_ago(2), grams=700)
    WasteRecord.objects.create(kitchen=kitchen, date=days_ago(9), grams=900)  # outside the window
    series = selectors.waste_series(kitchen=kitchen, days=7)
    assert [d["date"] for d in series] == [days_ago(i) for i in range(6, -1, -1)]
    assert [d["grams"] for d in series] == [None, None, None, None, 700, None, 500]
