"""The street's own gazetteer: a spot named in words, and a typed place or address found, from the street's data."""

from __future__ import annotations

import pytest
from django.utils import translation

from linli.core.models import Compound
from linli.places import gazetteer
from linli.places.tests.factories import PlaceFactory, StreetFactory

pytestmark = pytest.mark.django_db


def square(lat: float, lng: float, d: float = 0.0006) -> dict:
    ring = [[lng - d, lat - d], [lng + d, lat - d], [lng + d, lat + d], [lng - d, lat + d], [lng - d, lat - d]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def street():
    street = StreetFactory(code="gzjie")
    # 真金路 runs north-south at lng 121.3950; 大渡河路 east-west at lat 31.2650.
    Compound.objects.create(
        street=street,
        external_id="c1",
        name="万里城一期",
        address="上海市普陀区真金路588弄",
        geometry=square(31.2600, 121.3958),
        lat=31.2600,
        lng=121.3958,
    )
    Compound.objects.create(
        street=street,
        external_id="c2",
        name="新湖明珠城",
        address="上海市普陀区大渡河路1888弄",
        geometry=square(31.2655, 121.4020),
        lat=31.2655,
        lng=121.4020,
    )
    PlaceFactory(street=street, name="真金路助医点", address="上海市普陀区真金路500号", lat=31.2580, lng=121.3950)
    PlaceFactory(street=street, name="真金路助餐点", address="上海市普陀区真金路720号", lat=31.2630, lng=121.3950)
    PlaceFactory(street=street, name="大渡河路驿站", address="上海市普陀区大渡河路1999号", lat=31.2650, lng=121.4060)
    PlaceFactory(street=street, name="大渡河路食堂", address="上海市普陀区大渡河路1500号", lat=31.2650, lng=121.3990)
    return street


def test_a_spot_inside_a_compound_is_named_by_the_compound_its_road_and_the_nearest_place(street):
    spot = gazetteer.spot_name(street, 31.2601, 121.3957)
    assert spot["compound"] == "万里城一期"
    assert spot["road"] == "真金路"
    assert spot["near"]["name"] in {"真金路助医点", "真金路助餐点"}
    with translation.override("zh-hans"):
        assert gazetteer.spot_text(spot).startswith("万里城一期 · 真金路 · 离 ")
    zh, en = gazetteer.spot_texts(street, 31.2601, 121.3957)
    assert (
        zh.endswith(" 米") and " m from " in en and en.startswith("万里城一期 · Zhenjin Rd")
    )  # the road in pinyin, as its signs


def test_a_spot_on_the_east_west_road_is_on_that_road_not_in_a_compound(street):
    spot = gazetteer.spot_name(street, 31.2651, 121.4040)
    assert spot["road"] == "大渡河路" and spot["compound"] is None


@pytest.mark.parametrize(
    ("typed", "label", "kind"),
    [
        ("万里城一期", "万里城一期", "compound"),
        ("真金路588弄", "万里城一期", "compound"),
        ("上海市普陀区真金路588弄", "万里城一期", "compound"),
        ("真金路助餐点", "真金路助餐点", "place"),
        ("真金路", "真金路", "road"),
        ("大渡河路1900号", "大渡河路", "road"),
    ],
)
def test_a_typed_place_compound_address_or_road_is_found(street, typed, label, kind):
    found = gazetteer.spot_find(street, typed)
    assert found is not None and (found["label"], found["kind"]) == (label, kind)


def test_an_address_on_a_road_lands_at_the_nearest_house_number(street):
    found = gazetteer.spot_find(street, "大渡河路1900号")
    assert (found["lat"], found["lng"]) == (31.2655, 121.4020)  # 1888弄: nearer 1900 than 1500号 or 1999号


def test_an_unknown_place_is_not_guessed(street):
    assert gazetteer.spot_find(street, "人民广场") is None
    assert gazetteer.spot_find(street, "  ") is None


def test_the_map_sorts_from_a_typed_address(client, street):
    html = client.get("/s/gzjie/", {"at": "真金路588弄"}).content.decode()
    assert 'data-origin-label="万里城一期"' in html and 'data-origin="31.260000,121.395800"' in html
    listed = html[html.index('id="place-list"') :]
    first = listed.index("真金路助医点"), listed.index("真金路助餐点"), listed.index("大渡河路驿站")
    assert first[2] > max(first[0], first[1]), "the far place comes last"
    unknown = client.get("/s/gzjie/", {"at": "人民广场"}).content.decode()
    assert 'data-origin=""' in unknown


def test_outlines_give_compounds_grids_and_straight_roads(street):
    outlines = gazetteer.outlines(street)
    assert {c["name"] for c in outlines["compounds"]} == {"万里城一期", "新湖明珠城"}
    roads = {r["name"]: r["line"] for r in outlines["roads"]}
    assert set(roads) == {"真金路", "大渡河路"}
    (a_lat, a_lng), (b_lat, b_lng) = roads["大渡河路"]
    assert abs(a_lat - b_lat) < 0.001 < abs(a_lng - b_lng), "an east-west road drawn east-west"


def test_a_road_is_named_in_pinyin_on_an_english_page():
    with translation.override("en"):
        assert [gazetteer.road_label(r) for r in ("真金路", "大渡河路", "世纪大道", "")] == [
            "Zhenjin Rd",
            "Daduhe Rd",
            "Shiji Ave",
            "",
        ]
    with translation.override("zh-hans"):
        assert gazetteer.road_label("真金路") == "真金路"
