"""Each intent against the demo street, and the "never invents" property: every place, time and price in an answer
is the data's own."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.activities.models import Activity
from linli.assistant.engine import INTENTS, answer, normalize
from linli.assistant.engine.dates import TZ
from linli.assistant.engine.evaluate import card_exists
from linli.assistant.engine.tools import TOOLS, call_tool
from linli.meals.models import MenuItem
from linli.places.models import Place

pytestmark = pytest.mark.django_db

QUESTIONS = [
    "万里街道党群服务中心这个月有什么活动",
    "下周六有书法课吗",
    "明天上午有没有讲座",
    "附近哪里可以给电瓶车充电",
    "离真金路最近的助餐点在哪",
    "社区事务受理中心周六开门吗",
    "国庆节开门吗",
    "今天中午兰溪食堂有什么菜",
    "老人吃饭有优惠吗",
    "怎么预约活动",
    "兰西食堂电话多少",
    "今天天气怎么样",
]


@pytest.fixture
def street(demo_street_shared):  # noqa: ANN001, ANN201 - the sample street, built once for this module
    return demo_street_shared


def test_each_intent(street):
    now = timezone.localtime(timezone.now(), TZ)
    got = {q: answer(question=q, street=street, lat=31.2641, lng=121.4040, now=now) for q in QUESTIONS}
    assert got["万里街道党群服务中心这个月有什么活动"].intent == "activities"
    assert got["下周六有书法课吗"].intent == "activities"
    assert got["明天上午有没有讲座"].facts["date"] == (now.date() + dt.timedelta(days=1)).isoformat()
    charging = got["附近哪里可以给电瓶车充电"]
    assert charging.intent == "nearest_place"
    assert all("ebike_charging" in Place.objects.get(pk=c.id).amenities for c in charging.cards)
    assert got["离真金路最近的助餐点在哪"].cards[0].title == "真金路助餐点"
    hours = got["社区事务受理中心周六开门吗"]
    assert hours.intent == "opening_hours" and "09:00-12:00" in hours.text
    assert got["国庆节开门吗"].facts["holiday"] == "National Day"
    lunch = got["今天中午兰溪食堂有什么菜"]
    assert lunch.intent == "meals" and lunch.facts["slot"] == "lunch"
    assert lunch.cards and all(c.type == "menu_item" for c in lunch.cards)
    assert "九折" in got["老人吃饭有优惠吗"].text
    howto = got["怎么预约活动"]
    assert howto.intent == "how_to" and "/" not in howto.text  # the page by name; its link is a card
    assert any(c.type == "page" and c.url == "/s/wanli/activities/" for c in howto.cards)
    assert got["兰西食堂电话多少"].facts["phone"] == "021-60000107"
    unknown = got["今天天气怎么样"]
    assert unknown.intent == "unknown" and street.hotline in unknown.text
    for a in got.values():
        assert all(card_exists(c, street) for c in a.cards)


def test_never_invents_times_prices_or_places(street):
    """Every HH:MM of an activity answer is an activity's start, every price a menu item's, every card real."""
    now = timezone.localtime(timezone.now(), TZ)
    act = answer(question="这个月有什么活动", street=street, now=now)
    starts = {timezone.localtime(a.start, TZ).strftime("%H:%M") for a in Activity.objects.filter(street=street)}
    assert act.cards and set(re.findall(r"\b\d\d:\d\d\b", act.text.split("。")[0])) <= starts
    menu = answer(question="今天中午兰溪食堂有什么菜", street=street, now=now)
    prices = {
        f"{p // 100}" if p % 100 == 0 else f"{p / 100:g}" for p in MenuItem.objects.values_list("price_fen", flat=True)
    }
    mentioned = set(re.findall(r"(\d+(?:\.\d+)?)元", menu.text))
    assert mentioned and mentioned <= prices
    # A road that is not in the data is said so, and no place is made up for it.
    road = answer(question="离长寿路最近的助餐点在哪", street=street, now=now)
    assert road.facts["unknown_road"] == "长寿路" and "长寿路" in road.text and road.cards == ()
    # A place that does not exist is said so; no other place's menu is passed off as its.
    ghost = answer(question="火星路食堂今天有什么菜", street=street, now=now)
    assert ghost.intent == "unknown" and "火星路" in ghost.text
    assert [c.type for c in ghost.cards] == ["contact"]
    # An activity nobody runs is not found, and what is shown instead is labelled as other activities.
    piano = answer(question="有没有钢琴课", street=street, now=now)
    assert piano.facts["count"] == 0 and "钢琴" in piano.text
    assert all(card_exists(c, street) and "钢琴" not in c.title for c in piano.cards)
    # Opening hours are the place's own expression evaluated for that day, with China's calendar.
    hours = answer(question="2026年10月3日事务受理中心开门吗", street=street, now=now)
    assert hours.facts["open"] is False and "国庆节" in hours.text
    workday = answer(question="2026年10月10日受理中心上班吗", street=street, now=now)
    assert workday.facts["open"] is True and "调休" in workday.text and "08:30-17:00" in workday.text


def test_english_and_synonyms(street):
    en = answer(question="今天天气怎么样", street=street, lang="en")
    assert en.intent == "unknown" and street.hotline in en.text
    syn = answer(
        question="附近哪里可以给小毛驴充电", street=street, lat=31.2641, lng=121.4040, synonyms={"小毛驴": "电瓶车"}
    )
    assert syn.intent == "nearest_place" and syn.facts["need"] == "ebike_charging"
    assert normalize("请问，兰溪食堂？") == "兰溪食堂"


def test_tools_return_cards_of_real_objects(street):
    names = {t["function"]["name"] for t in TOOLS}
    assert names == {"search_places", "nearest_place", "list_activities", "opening_hours", "menu"}
    lanxi = Place.objects.get(street=street, external_id="wl-cc-001")
    calls = [
        ("search_places", {"q": "兰溪"}),
        ("nearest_place", {"need": "电瓶车充电"}),
        ("list_activities", {"date_from": "今天", "q": "书法"}),
        ("opening_hours", {"place_id": lanxi.pk, "date": "2026-10-03"}),
        ("menu", {"place_id": lanxi.pk, "slot": "lunch"}),
    ]
    for name, args in calls:
        result = call_tool(name, args, street=street, lat=None, lng=None, now=None)
        assert result["items"], name
        for item in result["items"]:
            card = item["card"]
            model = {"place": Place, "activity": Activity, "menu_item": MenuItem}[card["type"]]
            assert model.objects.filter(pk=card["id"]).exists()
    assert call_tool("nope", {}, street=street)["error"]
    assert call_tool("opening_hours", {"place_id": 999999}, street=street)["error"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    question=st.one_of(
        st.text(max_size=40),
        st.lists(
            st.sampled_from(
                [
                    "今天",
                    "下周六",
                    "兰溪食堂",
                    "书法",
                    "附近",
                    "电瓶车",
                    "开门",
                    "多少钱",
                    "电话",
                    "怎么",
                    "预约",
                    "取消",
                    "国庆",
                    "真金路",
                    "长寿路",
                    "吗",
                    "？",
                    "shu fa",
                    "'; DROP TABLE",
                    "🙂",
                    " ",
                ]
            ),  # fmt: skip
            max_size=6,
        ).map("".join),
    ),
    lang=st.sampled_from(["zh-hans", "en"]),
)
def test_any_question_gets_an_honest_answer(street, question, lang):
    """Whatever is typed: a known intent, some text, and only cards of objects that exist."""
    got = answer(question=question, street=street, lat=31.2641, lng=121.4040, lang=lang)
    assert got.intent in INTENTS and got.text
    assert 0.0 <= got.confidence <= 1.0
    assert all(card_exists(c, street) for c in got.cards)
