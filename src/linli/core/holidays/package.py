"""What the `chinesecalendar` package knows: the State Council's arrangements up to the year it was released."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass

import chinese_calendar

from linli.core.holidays.names import canonical_name


@dataclass(frozen=True)
class PackageDay:
    year: int  # the notice year
    date: dt.date
    kind: str  # "holiday" | "workday"
    name: str
    name_en: str


def notice_year(day: dt.date, name_en: str) -> int:
    """The notice a day belongs to: New Year's Day's break (and its working days) may start in December."""
    if name_en == "New Year's Day" and day.month == 12:
        return day.year + 1
    return day.year


def source() -> str:
    return f"chinesecalendar {getattr(chinese_calendar, '__version__', '')}".strip()


@functools.cache
def package_days() -> tuple[PackageDay, ...]:
    """Every statutory day off and adjusted working day the package knows, by date."""
    out = []
    for kind, table in (("holiday", chinese_calendar.holidays), ("workday", chinese_calendar.workdays)):
        for day, name_en in table.items():
            zh, en = canonical_name(name_en)
            out.append(PackageDay(notice_year(day, name_en), day, kind, zh, en))
    return tuple(sorted(out, key=lambda d: d.date))


@functools.cache
def package_years() -> frozenset[int]:
    return frozenset(d.year for d in package_days())


def days_of_year(year: int) -> Iterator[PackageDay]:
    return (d for d in package_days() if d.year == year)
