"""The assistant's date answers read the holiday table: a year without official data is said to be one, and a
loaded notice (invented TEST data for 2027: the real one was not public) changes the answer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from linli.assistant.engine import answer
from linli.assistant.engine.dates import TZ
from linli.core.holidays.services import holidays_import

pytestmark = pytest.mark.django_db

TEST_CSV = Path(__file__).parents[2] / "core" / "tests" / "data" / "holidays_2027_TEST.csv"


def test_hours_in_a_year_without_and_with_official_data(world):
    affairs = world.place("affairs")
    affairs.opening_hours = "Mo-Fr 08:30-17:00; PH off"
    affairs.save()
    now = dt.datetime(2027, 9, 20, 9, tzinfo=TZ)
    sunday = answer(question="2027年9月26日事务受理服务中心开门吗", street=world.street, now=now)
    assert sunday.facts["no_official_holiday_data"] == [2027]
    assert "2027年的法定节假日和调休安排还没有导入" in sunday.text and sunday.facts["open"] is False

    holidays_import(text=TEST_CSV.read_text(encoding="utf-8"), year=2027)
    sunday = answer(question="2027年9月26日事务受理服务中心开门吗", street=world.street, now=now)
    assert "no_official_holiday_data" not in sunday.facts
    assert sunday.facts["open"] is True and "调休" in sunday.text and "08:30-17:00" in sunday.text
    monday = answer(question="2027年10月4日事务受理服务中心开门吗", street=world.street, now=now)
    assert monday.facts["open"] is False and "国庆节" in monday.text


def test_the_assistant_reads_the_table():
    from linli.assistant.engine.dates import resolve

    asked = dt.datetime(2027, 9, 1, 9, tzinfo=TZ)
    before = resolve("国庆节开门吗", asked)
    assert before is not None and before.unpublished and before.start == dt.date(2027, 10, 1)
    holidays_import(text=(TEST_CSV.parent / "holidays_2027_TEST.ics").read_text(encoding="utf-8"), year=2027)
    after = resolve("国庆节开门吗", asked)
    assert after is not None and not after.unpublished
    assert (after.start, after.end) == (dt.date(2027, 10, 1), dt.date(2027, 10, 7))
