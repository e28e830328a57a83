"""Resident pages of the service map, through Django's test client: zh and en, filters, elder mode, CSP, 404."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from linli.core.geo import haversine_m, wgs84_to_gcj02
from linli.places.templatetags.linli_places import distance, hours_lines, walk, when

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def list_names(html: str) -> list[str]:
    return re.findall(r'<span class="place-item__name">([^<]+)</span>', html)


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="zh-CN")


def test_home_redirects_to_first_street_and_remembers_choice(client, map_data):
    from linli.core.models import Street

    Street.objects.create(code="zzz", name="另一个街道")
    resp = client.get("/")
    assert resp.status_code == 302 and resp["Location"] == "/s/testjie/"
    resp = client.get("/?street=zzz&need=meal")
    assert resp["Location"] == "/s/zzz/?need=meal"
    client.get("/s/zzz/")
    assert client.get("/")["Location"] == "/s/zzz/"


def test_home_without_streets_explains_what_to_do(client):
    resp = client.get("/")
    assert resp.status_code == 200
    assert "还没有街道" in resp.content.decode()


def test_map_page_lists_every_place_with_map_data_and_strict_csp(client, map_data):
    resp = client.get("/s/testjie/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert set(list_names(html)) == map_data.names("meal", "canteen", "affairs", "medical", "rider")
    assert "测试街道" in html  # header shows the street
    for label in ("我要吃饭", "我要办事", "我要充电", "我要看病", "找工作", "歇歇脚", "全部", "只看营业中", "附近"):
        assert label in html
    assert 'id="places-data"' in html and 'id="map-config"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/vendor/htmx/htmx.min.js" in html
    csp = resp["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    # Nothing the CSP would block: no inline scripts (JSON data blocks are not executed), no style attributes.
    for attrs in re.findall(r"<script([^>]*)>", html):
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
    assert "style=" not in html and "<style" not in html
    # Language and elder-mode switches are CSRF-protected POST forms.
    assert re.search(r'<form[^>]+method="post" action="/i18n/setlang/"', html)
    assert re.search(r'<form[^>]+method="post" action="/elder/"', html)
    assert html.count("csrfmiddlewaretoken") >= 2


def json_block(html: str, element_id: str) -> object:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_map_config_and_places_data(client, map_data, settings):
    settings.LINLI_MAP_TILE_URL = ""
    html = client.get("/s/testjie/").content.decode()
    config = json_block(html, "map-config")
    assert config["tileUrl"] == "" and config["center"] == [31.2530, 121.3920]
    assert config["markerLabels"]["meal_point"] == "餐" and config["i18n"]["you"] == "您的位置"
    data = json_block(html, "places-data")
    meal = next(p for p in data if p["name"] == "测试助餐点")
    assert (meal["lat"], meal["lng"], meal["kind"], meal["group"]) == (31.25, 121.39, "meal_point", "meal")
    assert meal["url"] == f"/places/{map_data.places['meal'].id}/"
    settings.LINLI_MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.LINLI_MAP_TILE_ATTRIBUTION = "© Example"
    config = json_block(client.get("/s/testjie/").content.decode(), "map-config")
    assert config["tileUrl"] == "https://tiles.example.org/{z}/{x}/{y}.png" and config["attribution"] == "© Example"


@pytest.mark.parametrize(
    ("need", "expected"),
    [
        ("meal", {"meal", "canteen"}),
        ("affairs", {"affairs"}),
        ("charging", {"rider"}),
        ("medical", {"medical"}),
        ("rest", {"rider"}),
        ("employment", set()),
        ("", {"meal", "canteen", "affairs", "medical", "rider"}),
        ("nonsense", {"meal", "canteen", "affairs", "medical", "rider"}),
    ],
)
def test_need_filter(client, map_data, need, expected):
    html = client.get(f"/s/testjie/?need={need}").content.decode()
    assert set(list_names(html)) == map_data.names(*expected)
    if not expected:
        assert "没有找到符合条件的点位" in html


def test_htmx_request_gets_only_the_list(client, map_data):
    resp = client.get("/s/testjie/?need=meal", HTTP_HX_REQUEST="true")
    html = resp.content.decode()
    assert "<html" not in html and "places-data" not in html
    assert set(list_names(html)) == map_data.names("meal", "canteen")
    assert "HX-Request" in resp["Vary"]
    # A history restore asks for the whole page.
    full = client.get("/s/testjie/?need=meal", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in full.content.decode()


def test_open_now_filter_and_badges(client, map_data):
    html = client.get("/s/testjie/").content.decode()
    assert "营业中" in html and "已关闭" in html and "开放时间未知" in html
    html = client.get("/s/testjie/?open=1").content.decode()
    assert set(list_names(html)) == map_data.names("meal", "affairs", "rider")


def test_search(client, map_data):
    html = client.get("/s/testjie/?q=食堂").content.decode()
    assert list_names(html) == ["测试长者食堂"]
    html = client.get("/s/testjie/?q=测试路102号").content.decode()
    assert list_names(html) == ["测试社区事务受理服务中心"]


def test_origin_sorts_by_distance_with_walking_time(client, map_data):
    lat, lng = 31.2598, 121.3995  # next to the rider station
    html = client.get(f"/s/testjie/?from={lat},{lng}").content.decode()
    names = list_names(html)
    by_distance = sorted(map_data.places.values(), key=lambda p: haversine_m(lat, lng, p.lat, p.lng))
    assert names == [p.name for p in by_distance]
    assert "步行约" in html and "15分钟生活圈内" in html and "由近到远" in html
    distances = [int(d) for d in re.findall(r'data-distance="(\d+)"', html)]
    assert distances == sorted(distances)
    # Detail links carry the origin so the detail page shows the walk.
    assert f"/places/{map_data.places['rider'].id}/?from={lat:.6f},{lng:.6f}" in html


def test_malformed_origin_is_ignored(client, map_data):
    for bad in ("abc", "1,2,3", "91,0", "31.2,north"):
        resp = client.get(f"/s/testjie/?from={bad}")
        assert resp.status_code == 200
        assert "步行约" not in resp.content.decode()


def test_unknown_street_is_a_friendly_404(client):
    resp = client.get("/s/nowhere/")
    assert resp.status_code == 404
    html = resp.content.decode()
    assert "找不到这个页面" in html and "回到服务地图" in html


def test_detail_page(client, map_data):
    place = map_data.places["meal"]
    resp = client.get(f"/places/{place.id}/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "测试助餐点" in html and "助餐点" in html and "上海市普陀区测试路100号" in html
    assert 'href="tel:02160001234"' in html and "拨打电话" in html
    assert "营业中" in html and "每天 全天" in html
    assert "助餐" in html and "Meals" in html  # service names in both languages
    assert "休息座椅" in html and "可容纳 40 人" in html and "午餐 11:00 开始供应。" in html
    glat, glng = wgs84_to_gcj02(place.lat, place.lng)
    amap = re.search(r'id="nav-amap" href="([^"]+)"', html).group(1)
    assert f"{glng:.6f},{glat:.6f}" in amap
    assert re.search(r'id="nav-baidu" href="https://api\.map\.baidu\.com/', html)
    assert f'id="nav-geo" href="geo:{place.lat:.6f},{place.lng:.6f}' in html
    assert "高德导航" in html and "百度地图" in html and "其他地图" in html
    assert "步行约" not in html  # no origin, no walk
    assert "style=" not in html


def test_detail_page_with_origin_shows_walk(client, map_data):
    place = map_data.places["meal"]
    html = client.get(f"/places/{place.id}/?from=31.2510,121.3905").content.decode()
    assert 'id="walk-info"' in html and "步行约" in html and "15分钟生活圈内" in html
    assert "/s/testjie/?from=31.251000,121.390500" in html  # back to the map keeps the origin


def test_detail_of_closed_place_says_when_it_opens(client, map_data):
    html = client.get(f"/places/{map_data.places['canteen'].id}/").content.decode()
    assert "已关闭" in html


def test_unknown_or_inactive_place_is_404(client, map_data):
    assert client.get("/places/999999/").status_code == 404
    place = map_data.places["meal"]
    place.is_active = False
    place.save()
    assert client.get(f"/places/{place.id}/").status_code == 404


def test_english_pages(map_data):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    html = client.get("/s/testjie/").content.decode()
    assert '<html lang="en"' in html
    for label in (
        "Eat",
        "Get things done",
        "Charge",
        "See a doctor",
        "Find work",
        "Take a rest",
        "Near me",
        "Open now only",
        "Test Subdistrict",
        "Meal point",
        "Closed",
        "Hours unknown",
    ):
        assert label in html, label
    assert "我要吃饭" not in html
    detail = client.get(f"/places/{map_data.places['meal'].id}/?from=31.2510,121.3905").content.decode()
    for label in ("Amap", "Baidu Maps", "Call", "Opening hours", "Every day all day", "Meals", "on foot"):
        assert label in detail, label


def test_language_switch_posts_to_setlang(map_data):
    client = Client(enforce_csrf_checks=False)
    resp = client.post("/i18n/setlang/", {"language": "en", "next": "/s/testjie/"})
    assert resp.status_code == 302 and resp["Location"] == "/s/testjie/"
    html = client.get("/s/testjie/").content.decode()
    assert "Eat" in html and 'value="zh-hans"' in html


def test_elder_mode_class_from_cookie(client, map_data):
    html = client.get("/s/testjie/").content.decode()
    assert 'class=""' in html.split("<head>")[0] and "长辈模式" in html
    client.cookies["linli_elder"] = "1"
    html = client.get("/s/testjie/").content.decode()
    assert '<html lang="zh-Hans" class="elder">' in html
    assert "退出长辈模式" in html and 'aria-pressed="true"' in html
    html = client.get(f"/places/{map_data.places['meal'].id}/").content.decode()
    assert 'class="elder"' in html


def test_hours_lines_are_readable():
    assert hours_lines("Mo-Fr 08:30-17:00; Sa 09:00-12:00; PH off") == [
        "周一至周五 08:30–17:00",
        "周六 09:00–12:00",
        "法定节假日 休息",
    ]
    assert hours_lines("Mo,We 11:00-13:00,17:00-19:00") == ["周一、周三 11:00–13:00、17:00–19:00"]
    assert hours_lines("24/7") == ["全天开放"]
    assert hours_lines("") == []
    assert hours_lines("sunrise-sunset") == ["sunrise-sunset"]  # unknown rules are shown as written


def test_when_distance_walk_filters():
    now = datetime(2026, 5, 6, 20, 0, tzinfo=SH)  # a Wednesday evening
    assert when("2026-05-06T21:00:00+08:00", now) == "今天 21:00"
    assert when("2026-05-07T08:30:00+08:00", now) == "明天 08:30"
    assert when("2026-05-11T08:30:00+08:00", now) == "周一 08:30"
    assert when("2026-06-01T08:30:00+08:00", now) == "6月1日 08:30"
    assert when("2026-05-07T00:30:00+00:00", now) == "明天 08:30"  # UTC shown in Shanghai time
    assert when(None, now) == ""
    assert distance(347) == "350 米" and distance(1234) == "1.2 公里"
    assert walk(7) == "步行约 7 分钟" and walk(0) == "步行约 1 分钟"
