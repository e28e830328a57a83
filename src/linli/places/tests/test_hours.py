"""Opening hours against China's real calendar: statutory holidays, adjusted working days (调休), next opening."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from linli.places.hours import TZ, HoursStatus, check_opening_hours, day_intervals, day_type, holiday_name, hours_status

# The calendar is the holiday table (seeded from chinese-calendar by the migrations).
pytestmark = pytest.mark.django_db

OFFICE = "Mo-Fr 08:30-17:00; Sa 09:00-12:00; PH off"


def at(y, m, d, hh=10, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


def test_calendar_facts_used_below():
    # Checked against chinese-calendar (State Council notice for 2026), not assumed.
    assert chinese_calendar.get_holiday_detail(dt.date(2026, 10, 2)) == (True, "National Day")
    assert dt.date(2026, 10, 2).weekday() == 4  # a Friday
    assert chinese_calendar.is_workday(dt.date(2026, 9, 20)) and dt.date(2026, 9, 20).weekday() == 6  # Sunday
    assert chinese_calendar.is_workday(dt.date(2026, 10, 10)) and dt.date(2026, 10, 10).weekday() == 5  # Saturday


def test_day_type_and_holiday_name():
    assert day_type(dt.date(2026, 10, 1)) == "holiday"
    assert day_type(dt.date(2026, 10, 3)) == "holiday"  # a Saturday inside the National Day break
    assert holiday_name(dt.date(2026, 10, 2)) == "National Day"
    assert day_type(dt.date(2026, 10, 10)) == "adjusted_workday"
    assert day_type(dt.date(2026, 9, 20)) == "adjusted_workday"
    assert holiday_name(dt.date(2026, 10, 10)) is None
    assert day_type(dt.date(2026, 10, 8)) == "workday"
    assert day_type(dt.date(2026, 11, 21)) == "weekend"
    assert holiday_name(dt.date(2026, 11, 21)) is None


@pytest.mark.parametrize("day", [1, 2, 5, 6, 7])  # Thu, Fri, Mon, Tue, Wed of the National Day break
def test_closed_on_statutory_holiday_weekdays(day):
    status = hours_status(OFFICE, at(2026, 10, day))
    assert status.state == "closed" and status.open_now is False
    assert status.next_open == at(2026, 10, 8, 8, 30)
    assert day_intervals(OFFICE, dt.date(2026, 10, day)) == []


def test_closed_on_saturday_inside_holiday():
    assert hours_status(OFFICE, at(2026, 10, 3, 10)).open_now is False


@pytest.mark.parametrize("day", [dt.date(2026, 9, 20), dt.date(2026, 10, 10), dt.date(2026, 2, 14)])
def test_adjusted_working_day_runs_weekday_timetable(day):
    moment = dt.datetime.combine(day, dt.time(16, 0), tzinfo=TZ)
    status = hours_status(OFFICE, moment)
    assert status == HoursStatus(state="open", open_now=True, next_open=None, next_close=moment.replace(hour=17))
    assert day_intervals(OFFICE, day) == [
        (dt.datetime.combine(day, dt.time(8, 30), tzinfo=TZ), dt.datetime.combine(day, dt.time(17, 0), tzinfo=TZ))
    ]


def test_plain_saturday_and_sunday():
    assert day_intervals(OFFICE, dt.date(2026, 11, 21)) == [(at(2026, 11, 21, 9), at(2026, 11, 21, 12))]
    sunday = hours_status(OFFICE, at(2026, 11, 22, 10))
    assert sunday.state == "closed" and sunday.next_open == at(2026, 11, 23, 8, 30)


def test_next_open_across_holiday_week():
    # Wednesday evening before the break: closed, and the next opening is after the whole week.
    status = hours_status(OFFICE, at(2026, 9, 30, 18))
    assert status.open_now is False
    assert status.next_open == at(2026, 10, 8, 8, 30)
    # Open in the afternoon of that Wednesday, closing at 17:00.
    assert hours_status(OFFICE, at(2026, 9, 30, 16)).next_close == at(2026, 9, 30, 17)


def test_special_holiday_hours():
    expr = "Mo-Fr 08:30-17:00; PH 10:00-16:00"
    assert day_intervals(expr, dt.date(2026, 10, 2)) == [(at(2026, 10, 2, 10), at(2026, 10, 2, 16))]
    assert day_intervals(expr, dt.date(2026, 10, 4)) == [(at(2026, 10, 4, 10), at(2026, 10, 4, 16))]  # Sunday
    assert hours_status(expr, at(2026, 10, 2, 9)).next_open == at(2026, 10, 2, 10)
    assert hours_status(expr, at(2026, 10, 2, 16, 30)).next_open == at(2026, 10, 3, 10)
    # A normal weekday keeps the weekday hours.
    assert day_intervals(expr, dt.date(2026, 10, 9)) == [(at(2026, 10, 9, 8, 30), at(2026, 10, 9, 17))]


def test_hours_without_ph_ignore_holidays():
    expr = "Mo-Su 07:00-19:00"  # a canteen open every day, holidays included
    assert day_intervals(expr, dt.date(2026, 10, 2)) == [(at(2026, 10, 2, 7), at(2026, 10, 2, 19))]


def test_whole_year_office_hours_follow_the_official_calendar():
    # Every day of 2025 and 2026: open exactly on official workdays and on plain Saturdays.
    day = dt.date(2025, 1, 1)
    while day.year < 2027:
        intervals = day_intervals(OFFICE, day)
        if chinese_calendar.is_workday(day):
            expected = [(8, 30, 17, 0)]
        elif day.weekday() == 5 and day_type(day) == "weekend":
            expected = [(9, 0, 12, 0)]
        else:
            expected = []
        got = [(s.hour, s.minute, e.hour, e.minute) for s, e in intervals]
        assert got == expected, day
        day += dt.timedelta(days=1)


def test_twenty_four_seven():
    status = hours_status("24/7", at(2026, 10, 1, 3))
    assert status.state == "open" and status.open_now is True
    assert status.next_close is None  # never closes within the look-ahead
    assert day_intervals("24/7", dt.date(2026, 10, 1)) == [(at(2026, 10, 1, 0), at(2026, 10, 2, 0))]


def test_midnight_spanning_hours():
    expr = "Mo-Su 18:00-02:00"
    late = hours_status(expr, at(2026, 11, 20, 1))
    assert late.open_now is True and late.next_close == at(2026, 11, 20, 2)
    evening = hours_status(expr, at(2026, 11, 20, 23))
    assert evening.open_now is True and evening.next_close == at(2026, 11, 21, 2)
    morning = hours_status(expr, at(2026, 11, 20, 3))
    assert morning.open_now is False and morning.next_open == at(2026, 11, 20, 18)


def test_unknown_and_comments():
    assert hours_status("", at(2026, 11, 20)) == HoursStatus("unknown", None, None, None)
    expr = 'Mo-Fr 08:00-12:00 "预约 by appointment"; Sa unknown'
    weekday = hours_status(expr, at(2026, 11, 20, 9))
    assert weekday.open_now is True and weekday.comment == "预约 by appointment"
    saturday = hours_status(expr, at(2026, 11, 21, 9))
    assert saturday.state == "unknown" and saturday.open_now is None
    assert saturday.next_open == at(2026, 11, 23, 8)


def test_closed_for_longer_than_lookahead():
    status = hours_status("Jan 10 09:00-10:00", at(2026, 11, 20))
    assert status.open_now is False and status.next_open is None


def test_input_in_another_timezone_is_converted():
    # 02:00 UTC is 10:00 in Shanghai on a normal Friday.
    status = hours_status(OFFICE, dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))
    assert status.open_now is True
    assert status.next_close == at(2026, 11, 20, 17)
    assert status.next_close.utcoffset() == dt.timedelta(hours=8)
    with pytest.raises(ValueError):
        hours_status(OFFICE, dt.datetime(2026, 11, 20, 10))


def test_years_outside_chinese_calendar_fall_back_to_plain_evaluation():
    future = dt.date(2035, 10, 1)
    with pytest.raises(NotImplementedError):
        chinese_calendar.get_holiday_detail(future)
    assert day_intervals(OFFICE, future) == []  # the library's own calendar still knows 1 October
    assert day_intervals(OFFICE, dt.date(2035, 10, 9)) == [
        (dt.datetime(2035, 10, 9, 8, 30, tzinfo=TZ), dt.datetime(2035, 10, 9, 17, tzinfo=TZ))
    ]


@pytest.mark.parametrize("expr", ["", "24/7", OFFICE, "Mo-Fr 08:00-12:00,13:30-17:00; PH off", "Mo-Su 18:00-02:00"])
def test_valid_expressions(expr):
    assert check_opening_hours(expr) is None


@pytest.mark.parametrize("expr", ["Mo-Fx 08:00-12:00", "Mo-Fr 8 to 5", "营业时间 9-17", "Mo-Fr 25:00-26:00"])
def test_invalid_expressions_rejected(expr):
    message = check_opening_hours(expr)
    assert message is not None
    assert "invalid opening_hours" in message and "expected" in message
