"""The date resolver: Chinese date and time expressions against the Shanghai calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linli.assistant.engine.dates import TZ, cn_number, resolve

# Holidays come from the holiday table (seeded from chinese-calendar by the migrations).
pytestmark = pytest.mark.django_db

# Monday 30 November 2026, 10:00 in Shanghai.
NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=TZ)


def d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("今天有活动吗", "2026-11-30", "2026-11-30"),
        ("明天", "2026-12-01", "2026-12-01"),
        ("后天上午", "2026-12-02", "2026-12-02"),
        ("大后天", "2026-12-03", "2026-12-03"),
        ("本周六", "2026-12-05", "2026-12-05"),
        ("这周六", "2026-12-05", "2026-12-05"),
        ("周六", "2026-12-05", "2026-12-05"),
        ("下周三", "2026-12-09", "2026-12-09"),
        ("下礼拜天", "2026-12-13", "2026-12-13"),
        ("下星期一", "2026-12-07", "2026-12-07"),
        ("周末", "2026-12-05", "2026-12-06"),
        ("下周末", "2026-12-12", "2026-12-13"),
        ("这周", "2026-11-30", "2026-12-06"),
        ("下周", "2026-12-07", "2026-12-13"),
        ("这个月", "2026-11-30", "2026-11-30"),
        ("下个月", "2026-12-01", "2026-12-31"),
        ("月底", "2026-11-30", "2026-11-30"),
        ("12月5日", "2026-12-05", "2026-12-05"),
        ("十二月五号", "2026-12-05", "2026-12-05"),
        ("12.5", "2026-12-05", "2026-12-05"),
        ("5号", "2026-12-05", "2026-12-05"),
        ("30号", "2026-11-30", "2026-11-30"),
        ("1月3日", "2027-01-03", "2027-01-03"),
        ("2026年10月10日", "2026-10-10", "2026-10-10"),
        ("元旦", "2027-01-01", "2027-01-01"),
    ],
)
def test_expressions(text, start, end):
    when = resolve(text, NOW)
    assert when is not None, text
    assert (when.start, when.end) == (d(start), d(end))


def test_parts_of_the_day():
    assert resolve("明天上午", NOW).part == "morning"  # type: ignore[union-attr]
    assert resolve("今天中午", NOW).part == "noon"  # type: ignore[union-attr]
    assert resolve("后天下午", NOW).part == "afternoon"  # type: ignore[union-attr]
    assert resolve("今天晚上", NOW).part == "evening"  # type: ignore[union-attr]
    lo, hi = resolve("明天上午", NOW).bounds()  # type: ignore[union-attr]
    assert (lo.hour, hi.hour, lo.date(), lo.tzinfo) == (5, 12, d("2026-12-01"), TZ)
    # "晚上" with no day: this evening while it lasts.
    assert resolve("晚上", NOW).start == NOW.date()  # type: ignore[union-attr]


def test_holidays_from_chinese_calendar():
    may = resolve("五一开门吗", dt.datetime(2026, 4, 20, 9, tzinfo=TZ))
    assert may is not None and (may.start, may.end, may.holiday) == (d("2026-05-01"), d("2026-05-05"), "Labour Day")
    national = resolve("国庆节", dt.datetime(2026, 9, 1, tzinfo=TZ))
    assert national is not None and (national.start, national.end) == (d("2026-10-01"), d("2026-10-07"))
    spring = resolve("春节", dt.datetime(2026, 1, 10, tzinfo=TZ))
    assert spring is not None and spring.start == d("2026-02-15") and not spring.unpublished


def test_holiday_of_an_unpublished_year_is_flagged_not_guessed():
    national = resolve("国庆节", NOW)  # 2027's arrangement is not in chinese_calendar
    assert national is not None and national.start == d("2027-10-01") and national.unpublished
    spring = resolve("春节", NOW)  # a lunar date is never guessed
    assert spring is not None and spring.unpublished and spring.start == NOW.date()


def test_no_date():
    assert resolve("兰溪食堂有什么菜", NOW) is None
    assert resolve("十一点开门吗", NOW) is None or resolve("十一点开门吗", NOW).holiday is None  # type: ignore[union-attr]


@given(st.integers(min_value=1, max_value=99))
def test_cn_numbers_round_trip(n):
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    text = ("" if tens == 0 else ("" if tens == 1 else digits[tens]) + "十") + (digits[ones] if ones else "")
    assert cn_number(text) == n
    assert cn_number(str(n)) == n


@given(st.datetimes(min_value=dt.datetime(2005, 1, 1), max_value=dt.datetime(2030, 12, 31)))
def test_relative_days_follow_the_shanghai_date(naive):
    now = naive.replace(tzinfo=TZ)
    for word, offset in (("今天", 0), ("明天", 1), ("后天", 2)):
        when = resolve(word, now)
        assert when is not None and when.start == now.date() + dt.timedelta(days=offset) == when.end


@given(
    st.datetimes(min_value=dt.datetime(2005, 1, 1), max_value=dt.datetime(2030, 12, 31)),
    st.sampled_from("一二三四五六日"),
)
def test_weekdays_land_on_that_weekday_and_not_in_the_past(naive, wd):
    now = naive.replace(tzinfo=TZ)
    wanted = "一二三四五六日".index(wd)
    for prefix in ("", "这周", "下周", "下礼拜"):
        text = (prefix or "周") + wd if prefix else "周" + wd
        when = resolve(text, now)
        assert when is not None and when.start.weekday() == wanted
        if prefix in ("", "下周", "下礼拜"):
            assert when.start >= now.date()
        if prefix.startswith("下"):
            assert 1 <= (when.start - now.date()).days <= 13


@given(st.datetimes(min_value=dt.datetime(2005, 1, 1), max_value=dt.datetime(2030, 12, 31)))
def test_month_windows_are_inside_their_month(naive):
    now = naive.replace(tzinfo=TZ)
    this = resolve("这个月", now)
    nxt = resolve("下个月", now)
    assert this is not None and nxt is not None
    assert this.start == now.date() and this.end.month == now.month and this.end >= this.start
    assert nxt.start.day == 1 and nxt.start > this.end and nxt.end.month == nxt.start.month
