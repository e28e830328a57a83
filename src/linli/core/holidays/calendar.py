"""Is this a working day? The holiday table, read once per process and kept until a row changes.

A day is answered, in this order:

1. a street's extra closure (`Holiday.street` set) for that street: a day off;
2. a national row of the table (the State Council's arrangement, seeded from chinese-calendar or imported from
   the notice): `holiday` is a statutory day off, `workday` an adjusted working day (调休);
3. a year the table has no `HolidayYear` for but the installed chinese-calendar knows: the package answers (so a
   database whose seed was removed or never ran still answers like the package);
4. otherwise the year has **no official data**: Saturdays and Sundays are days off, nothing else
   (`DayInfo.official` is False, and staff pages warn ahead of such a year).

The snapshot is rebuilt when `holidays_changed()` bumps the shared version (every write goes through a service
or the back office, which call it); other processes notice within `VERSION_CHECK_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction

from linli.core.holidays.package import package_days, package_years

VERSION_KEY = "linli:holidays:version"
VERSION_CHECK_SECONDS = 1.0
WARN_DAYS = 90

HOLIDAY, ADJUSTED_WORKDAY, WORKDAY, WEEKEND = "holiday", "adjusted_workday", "workday", "weekend"


@dataclass(frozen=True)
class DayInfo:
    kind: str  # "holiday" | "adjusted_workday" | "workday" | "weekend"
    name: str = ""  # Chinese name of the holiday (or of the closure)
    name_en: str = ""
    official: bool = True  # False: the year has no official data (weekends only)
    closure: bool = False  # a street's extra closure

    @property
    def is_working_day(self) -> bool:
        return self.kind in (WORKDAY, ADJUSTED_WORKDAY)


@dataclass
class Snapshot:
    generation: int
    national: dict[dt.date, tuple[str, str, str, int]] = field(default_factory=dict)  # date -> kind, name, en, year
    official_years: frozenset[int] = frozenset()
    closures: dict[int, dict[dt.date, tuple[str, str]]] = field(default_factory=dict)  # street -> date -> names


class _State:
    snapshot: Snapshot | None = None
    version: object = None
    checked_at: float = 0.0
    generation: int = 0


_state = _State()
_lock = threading.Lock()


def _build(generation: int) -> Snapshot:
    from linli.core.holidays.models import Holiday, HolidayYear

    snap = Snapshot(generation=generation)
    table_years = set(HolidayYear.objects.values_list("year", flat=True))
    rows = Holiday.objects.values_list("street_id", "date", "kind", "name", "name_en", "year")
    for street_id, day, kind, name, name_en, year in rows:
        if street_id is None:
            snap.national[day] = (kind, name, name_en, year)
        else:
            snap.closures.setdefault(street_id, {})[day] = (name, name_en)
    fallback_years = package_years() - table_years
    for d in package_days():
        if d.year in fallback_years and d.date not in snap.national:
            snap.national[d.date] = (d.kind, d.name, d.name_en, d.year)
    snap.official_years = frozenset(table_years | fallback_years)
    return snap


def current() -> Snapshot:
    """This process's snapshot, rebuilt when another process (or this one) changed the table."""
    snap = _state.snapshot
    if snap is not None and time.monotonic() - _state.checked_at < VERSION_CHECK_SECONDS:
        return snap
    with _lock:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, time.time_ns(), timeout=None)
            version = cache.get(VERSION_KEY)
        if _state.snapshot is None or version != _state.version:
            _state.generation += 1
            _state.snapshot = _build(_state.generation)
            _state.version = version
        _state.checked_at = time.monotonic()
        return _state.snapshot


def invalidate_local() -> None:
    """Rebuild on this process's next read."""
    _state.snapshot = None
    _state.checked_at = 0.0


def holidays_changed() -> None:
    """Call after any write to the holiday tables: this process re-reads at once, every other process after the
    commit (within VERSION_CHECK_SECONDS)."""
    invalidate_local()

    def bump() -> None:
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)
        invalidate_local()

    transaction.on_commit(bump)


# ------------------------------------------------------------------------------------------- reads


def generation() -> int:
    """Changes whenever the snapshot is rebuilt: part of the key of every cache derived from the calendar."""
    return current().generation


def cache_key(street_id: int | None) -> tuple[int, int | None]:
    """(generation, street or None when the street has no closure of its own): what a cache of answers derived
    from the calendar must be keyed by, so streets without closures share entries."""
    snap = current()
    return snap.generation, (street_id if street_id in snap.closures else None)


def has_official_data(year: int) -> bool:
    return year in current().official_years


def day_info(day: dt.date, street_id: int | None = None) -> DayInfo:
    snap = current()
    if street_id is not None:
        closure = snap.closures.get(street_id)
        if closure and day in closure:
            name, name_en = closure[day]
            return DayInfo(HOLIDAY, name, name_en, official=day.year in snap.official_years, closure=True)
    weekend = day.weekday() >= 5
    row = snap.national.get(day)
    official = day.year in snap.official_years
    if row is None:
        return DayInfo(WEEKEND if weekend else WORKDAY, official=official)
    kind, name, name_en, _year = row
    if kind == "workday":
        return DayInfo(ADJUSTED_WORKDAY if weekend else WORKDAY, name, name_en, official=official)
    return DayInfo(HOLIDAY, name, name_en, official=official)


def day_kind(day: dt.date, street_id: int | None = None) -> str:
    """ "holiday", "adjusted_workday", "workday" or "weekend"."""
    return day_info(day, street_id).kind


def is_working_day(day: dt.date, street_id: int | None = None) -> bool:
    return day_info(day, street_id).is_working_day


def holiday_days(name_en: str, year: int) -> list[dt.date] | None:
    """The statutory days off of one holiday (by its English name) in one notice year; None when the year has
    no official data."""
    snap = current()
    if year not in snap.official_years:
        return None
    return sorted(
        day
        for day, (kind, _name, en, notice) in snap.national.items()
        if kind == "holiday" and en == name_en and notice == year
    )


def years_without_official_data(start: dt.date, days: int = WARN_DAYS) -> list[int]:
    """The years touched by [start, start + days] that have no official data."""
    snap = current()
    return [y for y in range(start.year, (start + dt.timedelta(days=days)).year + 1) if y not in snap.official_years]
