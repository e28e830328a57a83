"""Opening hours: OSM `opening_hours` expressions evaluated against China's real holiday calendar.

opening-hours-py parses and evaluates the expression, but its built-in CN holiday calendar knows only one day per
festival (1 October, not 1-7 October) and nothing of adjusted working days (调休). The holiday table
(`linli.core.holidays.calendar`: the State Council's arrangement, seeded from chinese-calendar or loaded from the
notice, plus a street's extra closures) knows both, so every day is evaluated by substitution:

* statutory holiday (e.g. 2026-10-02 National Day) or a street's extra closure: evaluated on a date the library
  itself treats as PH, with the same weekday where one exists, so `PH off` and `PH 10:00-16:00` apply;
* adjusted working day (a Saturday or Sunday that is a workday): evaluated on a normal Monday that the library
  does not treat as PH. Chosen rule: **an adjusted working day runs the Monday-Friday timetable**, like the
  offices that set these hours (the State Council notice says such a day is worked "as a normal workday");
* normal day the library wrongly thinks is PH: evaluated on the same weekday one week earlier or later.

The substitute day's intervals are mapped back onto the real day. Holiday substitution only happens when the
expression mentions `PH`; otherwise holidays do not change the hours. In a year without official data (no
notice loaded) the expression is evaluated plainly (with the library's CN calendar, which knows the fixed-date
festivals), apart from a street's extra closures.

Every cache here is keyed by the day's kind or by the calendar's generation, so an edited holiday table is
followed at once (the calendar checks for changes at most once a second).

Limitations (documented, not hidden): date-specific selectors (`Oct 1-7 off`, `2026 ...`) are read on the
substitute date on substituted days; a rule that runs past midnight spills into the next calendar day as the
substitute's weekday would, not the real one.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import opening_hours

from linli.core.holidays import calendar

TZ = ZoneInfo("Asia/Shanghai")
LOOKAHEAD_DAYS = 14

OPEN, CLOSED, UNKNOWN = "open", "closed", "unknown"

_ONE_DAY = dt.timedelta(days=1)

Segment = tuple[dt.datetime, dt.datetime, str, str]  # naive local start, end, state, comment


@dataclass(frozen=True)
class HoursStatus:
    state: str  # "open" | "closed" | "unknown"
    open_now: bool | None
    next_open: dt.datetime | None
    next_close: dt.datetime | None
    comment: str = ""


def check_opening_hours(expr: str) -> str | None:
    """None if `expr` is a valid opening_hours expression (empty = hours unknown), else a short error message."""
    if not (expr or "").strip():
        return None
    try:
        _parse(expr.strip())
    except (SyntaxError, opening_hours.ParserError) as exc:  # type: ignore[attr-defined]
        detail = " ".join(str(exc).split())
        return f"invalid opening_hours {expr!r}: {detail}"
    return None


@functools.lru_cache(maxsize=4096)
def _parse(expr: str) -> opening_hours.OpeningHours:
    return opening_hours.OpeningHours(expr, country="CN")


# --- calendar -------------------------------------------------------------------------------------------


def holiday_name(day: dt.date, street_id: int | None = None) -> str | None:
    """English name of the statutory holiday (or street closure) on `day` (e.g. "National Day"), or None."""
    info = calendar.day_info(day, street_id)
    if info.kind != calendar.HOLIDAY:
        return None  # the adjusted working days carry a holiday's name too; they are not holidays
    return info.name_en or info.name or None


def day_type(day: dt.date, street_id: int | None = None) -> str:
    """Kind of day in mainland China: "holiday", "adjusted_workday", "workday" or "weekend"."""
    return calendar.day_kind(day, street_id)


def _eval_kind(day: dt.date, street_id: int | None) -> str | None:
    """The kind that decides `day`'s substitution; None: evaluate plainly (no official data, no closure)."""
    info = calendar.day_info(day, street_id)
    if not info.official and not info.closure:
        return None
    return info.kind


@functools.lru_cache(maxsize=64)
def _library_ph_days(year: int) -> frozenset[dt.date]:
    """The days opening-hours-py's own CN calendar treats as PH in `year`."""
    probe = _parse("PH 00:00-24:00")
    days = set()
    start = dt.datetime(year, 1, 1)
    for seg_start, seg_end, state, _comment in probe.intervals(start, dt.datetime(year + 1, 1, 1)):
        if state == opening_hours.State.OPEN:
            d = seg_start.date()
            while dt.datetime.combine(d, dt.time()) < seg_end:
                days.add(d)
                d += _ONE_DAY
    return frozenset(days)


def _is_library_ph(day: dt.date) -> bool:
    return day in _library_ph_days(day.year)


def _ph_substitute(day: dt.date) -> dt.date:
    """A library-PH date with the same weekday as `day`, as close in time as possible."""
    candidates = [d for y in range(day.year - 6, day.year + 7) for d in _library_ph_days(y)]
    same_weekday = [d for d in candidates if d.weekday() == day.weekday()]
    pool = same_weekday or candidates
    return min(pool, key=lambda d: (abs((d - day).days), d))


def _same_weekday_non_ph(day: dt.date) -> dt.date:
    """The same weekday one week earlier or later (then two, ...) that the library does not treat as PH."""
    for k in range(1, 10):
        for cand in (day - dt.timedelta(weeks=k), day + dt.timedelta(weeks=k)):
            if not _is_library_ph(cand):
                return cand
    return day


def _weekday_timetable_monday(day: dt.date) -> dt.date:
    """The nearest Monday (the following one first) that the library does not treat as PH."""
    following = day + dt.timedelta(days=(7 - day.weekday()) % 7 or 7)
    for k in range(0, 10):
        for cand in (following + dt.timedelta(weeks=k), following - dt.timedelta(weeks=k + 1)):
            if not _is_library_ph(cand):
                return cand
    return following


def _substitute(expr: str, day: dt.date, kind: str | None) -> dt.date:
    """The date whose plain evaluation by the library gives `day`'s real hours."""
    if kind is None:
        return day  # no official data for this year: plain evaluation
    if kind == "adjusted_workday":
        return _weekday_timetable_monday(day)
    if "PH" not in expr:
        return day  # holidays do not change these hours
    if kind == "holiday":
        return day if _is_library_ph(day) else _ph_substitute(day)
    return _same_weekday_non_ph(day) if _is_library_ph(day) else day


# --- evaluation -----------------------------------------------------------------------------------------


def _state_name(state: opening_hours.State) -> str:
    if state == opening_hours.State.OPEN:
        return OPEN
    if state == opening_hours.State.CLOSED:
        return CLOSED
    return UNKNOWN


def _day_segments(expr: str, day: dt.date, street_id: int | None = None) -> tuple[Segment, ...]:
    """The day's full timeline [00:00, 24:00) as (start, end, state, comment), naive local time."""
    return _kind_segments(expr, day, _eval_kind(day, street_id))


@functools.lru_cache(maxsize=65536)
def _kind_segments(expr: str, day: dt.date, kind: str | None) -> tuple[Segment, ...]:
    oh = _parse(expr)
    sub = _substitute(expr, day, kind)
    shift = dt.datetime.combine(day, dt.time()) - dt.datetime.combine(sub, dt.time())
    start = dt.datetime.combine(sub, dt.time())
    segments: list[Segment] = []
    for s, e, state, comment in oh.intervals(start, start + _ONE_DAY):
        s, e = max(s, start), min(e, start + _ONE_DAY)
        if s < e:
            segments.append((s + shift, e + shift, _state_name(state), comment or ""))
    return tuple(segments)


def _timeline(expr: str, first: dt.date, days: int, street_id: int | None):
    """Segments from `first` on, with adjacent equal segments merged across midnight."""
    current: list | None = None
    for i in range(days):
        for s, e, state, comment in _day_segments(expr, first + i * _ONE_DAY, street_id):
            if current and current[2] == state and current[3] == comment and current[1] == s:
                current[1] = e
                continue
            if current:
                yield tuple(current)
            current = [s, e, state, comment]
    if current:
        yield tuple(current)


def _aware(naive: dt.datetime) -> dt.datetime:
    return naive.replace(tzinfo=TZ)


def hours_status(expr: str, at: dt.datetime, street_id: int | None = None) -> HoursStatus:
    """Open now? When does it next open or close? `at` is tz-aware; results are in Asia/Shanghai.

    When open, `next_close` is the end of the current open period (None if it lasts past the 14-day look-ahead,
    e.g. 24/7) and `next_open` is None. When closed, `next_open` is the next opening within 14 days (None if
    none) and `next_close` is None. Unknown hours (empty expression or an `unknown` rule) give state "unknown".
    `street_id`: the place's street, whose extra closures count as holidays.
    """
    expr = (expr or "").strip()
    if not expr:
        return HoursStatus(state=UNKNOWN, open_now=None, next_open=None, next_close=None)
    if at.tzinfo is None:
        raise ValueError("hours_status needs a timezone-aware datetime")
    # opening_hours has minute resolution, so the answer is the same for every second of a minute: cache it
    # (a nearest search evaluates many places sharing a few expressions).
    local = at.astimezone(TZ).replace(tzinfo=None, second=0, microsecond=0)
    generation, scope = calendar.cache_key(street_id)
    return _hours_status_at_minute(expr, local, scope, generation)


@functools.lru_cache(maxsize=16384)
def _hours_status_at_minute(expr: str, local: dt.datetime, street_id: int | None, _generation: int) -> HoursStatus:
    horizon = local + dt.timedelta(days=LOOKAHEAD_DAYS)
    # One iterator: the search for the next opening resumes right after the current segment.
    timeline = _timeline(expr, local.date(), LOOKAHEAD_DAYS + 2, street_id)
    now_seg = None
    for seg in timeline:
        if seg[0] <= local < seg[1]:
            now_seg = seg
            break
    if now_seg is None:  # cannot happen: the timeline covers every instant of the first day
        return HoursStatus(state=UNKNOWN, open_now=None, next_open=None, next_close=None)
    _s, end, state, comment = now_seg
    if state == OPEN:
        next_close = _aware(end) if end <= horizon else None
        return HoursStatus(state=OPEN, open_now=True, next_open=None, next_close=next_close, comment=comment)
    next_open = None
    for s, _e, st, _c in timeline:
        if s > horizon:
            break
        if st == OPEN:
            next_open = _aware(s)
            break
    open_now = None if state == UNKNOWN else False
    return HoursStatus(state=state, open_now=open_now, next_open=next_open, next_close=None, comment=comment)


def day_intervals(expr: str, day: dt.date, street_id: int | None = None) -> list[tuple[dt.datetime, dt.datetime]]:
    """The open intervals of `day` (tz-aware, Asia/Shanghai), for a "today's hours" line."""
    expr = (expr or "").strip()
    if not expr:
        return []
    return [(_aware(s), _aware(e)) for s, e, state, _c in _day_segments(expr, day, street_id) if state == OPEN]
