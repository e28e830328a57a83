"""Quality pages with Django's test client: the resident's rating page (also in elder mode), the supervisor's
kitchen list, inspection with camera inputs, tasting, the kitchen dashboard with waste form and charts, and
inspection photos served to the street's staff only."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from linli.meals.models import Inspection, InspectionPhoto, Rating, TastingScore, WasteRecord
from linli.meals.services import quality as services
from linli.meals.tests.factories import DishFactory, KitchenFactory, OrderFactory, StreetFactory, UserFactory
from linli.meals.tests.factories_quality import days_ago, jpeg_bytes, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(user=None, elder=False) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    if elder:
        client.cookies["linli_elder"] = "1"
    return client


@pytest.fixture
def kitchen():
    return KitchenFactory(street=StreetFactory(code="pageq", name="页面街道"), place__name="曹杨长者食堂")


def test_rating_page_big_buttons_and_submit(kitchen):
    order = OrderFactory(menu__kitchen=kitchen, status="collected")
    client = client_for(order.user, elder=True)
    url = f"/me/meals/orders/{order.pk}/rate/"
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and 'class="elder"' in html
    assert "曹杨长者食堂" in html
    for name in ("taste", "portion", "price"):
        for n in range(1, 6):
            assert f'id="{name}-{n}"' in html and f'for="{name}-{n}"' in html
    assert "<script>" not in html and "onclick" not in html  # no inline JS
    resp = client.post(url, {"taste": "5", "portion": "4", "price": "3", "comment": "软硬正好"})
    assert resp.status_code == 302 and resp["Location"].endswith("?thanks=1")
    rating = Rating.objects.get(order=order)
    assert (rating.taste, rating.portion, rating.price, rating.comment) == (5, 4, 3, "软硬正好")
    thanks = client.get(resp["Location"]).content.decode()
    assert "谢谢您的评价" in thanks and 'id="rate-submit"' not in thanks
    # Posting again does not change the rating.
    client.post(url, {"taste": "1", "portion": "1", "price": "1"})
    assert Rating.objects.get(order=order).taste == 5


def test_rating_page_missing_score_keeps_choices_and_explains(kitchen):
    order = OrderFactory(menu__kitchen=kitchen, status="collected")
    client = client_for(order.user)
    resp = client.post(f"/me/meals/orders/{order.pk}/rate/", {"taste": "5", "portion": "", "price": "2"})
    html = resp.content.decode()
    assert resp.status_code == 422 and 'id="problem"' in html and "分量请打 1 到 5 分" in html
    assert re.search(r'id="taste-5"\s+required\s+checked', html)
    assert not Rating.objects.exists()


def test_rating_page_for_others_and_not_yet_collected(kitchen):
    order = OrderFactory(menu__kitchen=kitchen, status="placed")
    url = f"/me/meals/orders/{order.pk}/rate/"
    assert client_for().get(url).status_code == 302
    assert client_for(UserFactory()).get(url).status_code == 404
    html = client_for(order.user).get(url).content.decode()
    assert 'id="not-yet"' in html and 'id="rate-submit"' not in html
    resp = client_for(order.user).post(url, {"taste": "5", "portion": "5", "price": "5"})
    assert resp.status_code == 409 and not Rating.objects.exists()


def test_supervisor_home_lists_only_own_street_kitchens(kitchen):
    other = KitchenFactory(street=StreetFactory(code="pageq2"), place__name="别的街道食堂")
    supervisor = staff_of(kitchen.street, "food_supervisor")
    html = client_for(supervisor).get("/quality/").content.decode()
    assert "曹杨长者食堂" in html and "别的街道食堂" not in html
    assert f"/quality/kitchens/{kitchen.pk}/inspect/" in html and f"/quality/kitchens/{kitchen.pk}/tasting/" in html
    assert client_for(staff_of(kitchen.street, "kitchen_operator")).get("/quality/").status_code == 403
    assert client_for(supervisor).get(f"/quality/kitchens/{other.pk}/inspect/").status_code == 403


def test_inspection_page_and_post_with_camera_photo(kitchen):
    supervisor = staff_of(kitchen.street, "food_supervisor")
    client = client_for(supervisor)
    url = f"/quality/kitchens/{kitchen.pk}/inspect/"
    html = client.get(url).content.decode()
    for area in ("washing", "sample_retention", "pastry", "wok", "hygiene", "storage"):
        assert f'name="result_{area}"' in html and f'name="photo_{area}"' in html
    assert html.count('accept="image/*" capture="environment"') == 7
    assert 'enctype="multipart/form-data"' in html
    resp = client.post(
        url,
        {
            "result_washing": "pass",
            "result_sample_retention": "issue",
            "note_sample_retention": "留样不足 48 小时",
            "summary": "留样需整改",
            "photo_sample_retention": SimpleUploadedFile("IMG_1.JPG", jpeg_bytes()),
        },
    )
    assert resp.status_code == 302 and resp["Location"] == "/quality/?done=inspected"
    inspection = Inspection.objects.get()
    assert inspection.inspector == supervisor and inspection.summary == "留样需整改"
    assert InspectionPhoto.objects.get().area == "sample_retention"
    assert 'id="done"' in client.get(resp["Location"]).content.decode()


def test_inspection_page_bad_photo_shows_problem_and_keeps_input(kitchen):
    client = client_for(staff_of(kitchen.street, "food_supervisor"))
    resp = client.post(
        f"/quality/kitchens/{kitchen.pk}/inspect/",
        {"result_wok": "issue", "note_wok": "油烟", "photo_wok": SimpleUploadedFile("x.jpg", b"not an image")},
    )
    html = resp.content.decode()
    assert resp.status_code == 422 and 'data-code="photo_invalid"' in html
    assert 'value="油烟"' in html and re.search(r'id="r-wok-issue"\s+checked', html)
    assert not Inspection.objects.exists()


def test_tasting_page(kitchen):
    new = DishFactory(kitchen=kitchen, name="南瓜小米粥", is_new=True)
    DishFactory(kitchen=kitchen, name="老菜")
    supervisor = staff_of(kitchen.street, "food_supervisor")
    client = client_for(supervisor)
    url = f"/quality/kitchens/{kitchen.pk}/tasting/"
    html = client.get(url).content.decode()
    assert html.index("南瓜小米粥") < html.index("老菜")  # new dishes first
    resp = client.post(url, {"dish": new.pk, "score": "4", "comment": "稍稀"})
    assert resp.status_code == 302
    assert TastingScore.objects.get().score == 4
    html = client.get(resp["Location"]).content.decode()
    assert "您今天已为这道菜打分" in html and 'id="scored"' in html
    resp = client.post(url, {"dish": new.pk, "score": "5"})
    assert resp.status_code == 409 and resp.content.decode().count('id="problem"') == 1
    other_dish = DishFactory(kitchen=KitchenFactory())
    resp = client.post(url, {"dish": other_dish.pk, "score": "5"})
    assert resp.status_code == 404 and 'data-code="not_found"' in resp.content.decode()
    assert client_for(staff_of(kitchen.street, "kitchen_operator")).get(url).status_code == 403


def test_kitchen_dashboard_with_waste_form_and_charts(kitchen):
    operator = staff_of(kitchen.street, "kitchen_operator")
    supervisor = staff_of(kitchen.street, "food_supervisor")
    services.inspection_create(
        kitchen=kitchen, inspector=supervisor, items={"wok": ("issue", "灶台")}, photos=[("wok", jpeg_bytes())]
    )
    client = client_for(operator)
    page = client.get("/kitchen/quality/")
    html = page.content.decode()
    assert page.status_code == 200 and "曹杨长者食堂" in html and 'id="waste-submit"' in html
    assert "1 项需整改" in html
    photo = InspectionPhoto.objects.get()
    assert f'src="/quality/photos/{photo.pk}/"' in html
    for chart_id in ("trend-chart", "waste-chart"):
        svg = re.search(rf'<figure class="chart-box" id="{chart_id}">(.*?)</figure>', html, re.S).group(1)
        ET.fromstring(svg)  # noqa: S314 - valid XML (our own output)
    resp = client.post(
        "/kitchen/quality/", {"kitchen": kitchen.pk, "date": days_ago(1).isoformat(), "grams": "2500", "note": ""}
    )
    assert resp.status_code == 302 and WasteRecord.objects.get().grams == 2500
    resp = client.post("/kitchen/quality/", {"kitchen": kitchen.pk, "date": "昨天", "grams": "2500"})
    assert resp.status_code == 422 and 'id="problem"' in resp.content.decode()
    # A supervisor sees the dashboard but has no waste form (and cannot post one).
    html = client_for(supervisor).get(f"/kitchen/quality/?kitchen={kitchen.pk}").content.decode()
    assert "曹杨长者食堂" in html and 'id="waste-submit"' not in html
    resp = client_for(supervisor).post(
        "/kitchen/quality/", {"kitchen": kitchen.pk, "date": days_ago(0).isoformat(), "grams": "1"}
    )
    assert resp.status_code == 403 and WasteRecord.objects.count() == 1


def test_kitchen_dashboard_refuses_other_streets(kitchen):
    other = KitchenFactory(street=StreetFactory(code="dashb"))
    operator = staff_of(kitchen.street, "kitchen_operator")
    assert client_for(operator).get(f"/kitchen/quality/?kitchen={other.pk}").status_code == 403
    assert client_for(UserFactory()).get("/kitchen/quality/").status_code == 403
    assert client_for().get("/kitchen/quality/").status_code == 302


def test_inspection_photo_is_served_only_to_the_streets_staff(kitchen):
    supervisor = staff_of(kitchen.street, "food_supervisor")
    services.inspection_create(
        kitchen=kitchen, inspector=supervisor, items={"wok": ("pass", "")}, photos=[("wok", jpeg_bytes())]
    )
    photo = InspectionPhoto.objects.get()
    url = f"/quality/photos/{photo.pk}/"
    resp = client_for(staff_of(kitchen.street, "kitchen_operator")).get(url)
    assert resp.status_code == 200 and resp["Content-Type"] == "image/jpeg"
    assert b"".join(resp.streaming_content)[:3] == b"\xff\xd8\xff"
    assert client_for(staff_of(StreetFactory(code="photob"), "admin")).get(url).status_code == 403
    assert client_for(UserFactory()).get(url).status_code == 403
    assert client_for().get(url).status_code == 302
    assert client_for(supervisor).get("/quality/photos/99999/").status_code == 404
