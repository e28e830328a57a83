"""Chinese date and time expressions, resolved against the Shanghai calendar.

`resolve(text, now)` finds the first date expression in `text` (今天, 后天, 本周六, 下周三, 这个月, 月底, 周末, 五一,
国庆, 春节, 12月5日, 12.5, 5号, ...) and the part of the day (上午, 中午, 下午, 晚上) and returns a `When`: an
inclusive day range plus the part of day, with the matched characters so the caller can drop them before
matching names. Weeks start on Monday. Public holidays come from the holiday table
(`linli.core.holidays.calendar`: the State Council's arrangement, seeded from chinese-calendar or loaded from the
notice); for a year without official data the solar holidays fall back to their fixed first day and are flagged
`unpublished` (the adjusted arrangement is not published), and the lunar ones are not guessed at all.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import get_language, gettext_lazy

from linli.core.holidays import calendar as holiday_calendar
from linli.core.i18n import Text

TZ = ZoneInfo("Asia/Shanghai")
ONE_DAY = dt.timedelta(days=1)

# Part of the day → [from, to) local hours.
PARTS: dict[str, tuple[int, int]] = {
    "morning": (5, 12),
    "noon": (11, 14),
    "afternoon": (12, 18),
    "evening": (17, 24),
}
_PART_WORDS = [
    ("上午", "morning"),
    ("早上", "morning"),
    ("早晨", "morning"),
    ("清早", "morning"),
    ("一早", "morning"),
    ("中午", "noon"),
    ("下午", "afternoon"),
    ("傍晚", "evening"),
    ("晚上", "evening"),
    ("夜里", "evening"),
    ("今晚", "evening"),
    ("明晚", "evening"),
]

# Holiday words → the holiday's English name (as chinese-calendar and the table write it), and the fixed first day of the solar ones.
HOLIDAYS: dict[str, tuple[str, tuple[int, int] | None]] = {
    "元旦": ("New Year's Day", (1, 1)),
    "春节": ("Spring Festival", None),
    "过年": ("Spring Festival", None),
    "大年初一": ("Spring Festival", None),
    "清明": ("Tomb-sweeping Day", None),
    "五一": ("Labour Day", (5, 1)),
    "劳动节": ("Labour Day", (5, 1)),
    "端午": ("Dragon Boat Festival", None),
    "中秋": ("Mid-autumn Festival", None),
    "国庆": ("National Day", (10, 1)),
    "十一长假": ("National Day", (10, 1)),
    "十一假期": ("National Day", (10, 1)),
    "十一期间": ("National Day", (10, 1)),
}
# chinese-calendar's (English) holiday names -> the holidays' names for residents.
HOLIDAY_NAMES: dict[str, Text] = {
    "New Year's Day": gettext_lazy("元旦"),
    "Spring Festival": gettext_lazy("春节"),
    "Tomb-sweeping Day": gettext_lazy("清明节"),
    "Labour Day": gettext_lazy("劳动节"),
    "Dragon Boat Festival": gettext_lazy("端午节"),
    "Mid-autumn Festival": gettext_lazy("中秋节"),
    "National Day": gettext_lazy("国庆节"),
}

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_WEEKDAYS.update({str(i + 1): i for i in range(7)})


@dataclass(frozen=True)
class When:
    start: dt.date
    end: dt.date  # inclusive
    part: str | None = None  # "morning" | "noon" | "afternoon" | "evening"
    label: str = ""  # the words that were matched, e.g. "下周六"
    holiday: str | None = None  # the holiday's English name, for holiday questions
    unpublished: bool = False  # the holiday's arrangement for that year is not known
    spans: tuple[tuple[int, int], ...] = ()  # character spans of the matched words in the text

    @property
    def single_day(self) -> bool:
        return self.start == self.end

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[from, to) as aware datetimes in Shanghai, narrowed to the part of the day when one was given."""
        lo = dt.datetime.combine(self.start, dt.time(), tzinfo=TZ)
        hi = dt.datetime.combine(self.end + ONE_DAY, dt.time(), tzinfo=TZ)
        if self.part and self.single_day:
            h0, h1 = PARTS[self.part]
            lo = lo.replace(hour=h0)
            hi = lo.replace(hour=0) + dt.timedelta(hours=h1)
        return lo, hi

    def as_facts(self) -> dict[str, str]:
        facts = {"date_from": self.start.isoformat(), "date_to": self.end.isoformat()}
        if self.single_day:
            facts["date"] = self.start.isoformat()
        if self.part:
            facts["part"] = self.part
        if self.holiday:
            facts["holiday"] = self.holiday
        return facts


def cn_number(text: str) -> int | None:
    """'12' / '十二' / '二十五' / '三十一' → int; None when it is not a number."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN_DIGITS and c != "十" for c in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        t = _CN_DIGITS.get(tens, 0) if tens else 1
        o = _CN_DIGITS.get(ones, 0) if ones else 0
        if tens and tens not in _CN_DIGITS or ones and ones not in _CN_DIGITS:
            return None
        return t * 10 + o
    if len(text) == 1:
        return _CN_DIGITS[text]
    return None


def now_shanghai(now: dt.datetime | None = None) -> dt.datetime:
    now = now or dt.datetime.now(TZ)
    if now.tzinfo is None:
        now = now.replace(tzinfo=TZ)
    return now.astimezone(TZ)


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, 1)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def holiday_days(name: str, year: int) -> list[dt.date] | None:
    """The statutory days off of holiday `name` in `year` (the holiday table), None if the year has no official
    data."""
    return holiday_calendar.holiday_days(name, year)


def _holiday(name: str, fixed: tuple[int, int] | None, today: dt.date) -> tuple[dt.date, dt.date, bool] | None:
    """The upcoming (or current) occurrence of a holiday: (first day, last day, unpublished)."""
    for year in (today.year, today.year + 1):
        days = holiday_days(name, year)
        if days is None:
            if fixed is None:
                return None
            day = dt.date(year, *fixed)
            if day >= today:
                return day, day, True
            continue
        if days and days[-1] >= today:
            return days[0], days[-1], False
    return None


_RE_FULL = re.compile(r"(?:(\d{4})年)?([一二三四五六七八九十\d]{1,3})月([一二三四五六七八九十\d]{1,3})[日号]?")
_RE_DOTTED = re.compile(r"(?<![\d.])(1[0-2]|0?[1-9])[./](3[01]|[12]\d|0?[1-9])(?![\d.])")
_RE_DAY = re.compile(r"(?<![\d月.])([一二三四五六七八九十\d]{1,3})[号日](?![子])")
_RE_WEEKDAY = re.compile(r"(下下|下|这|本|上)?(?:个)?(?:周|星期|礼拜)([一二三四五六日天末1-7])")
_RE_WEEK = re.compile(r"(下下|下|这|本)(?:个)?(?:周|星期|礼拜)(?![一二三四五六日天末1-7])")
_RELATIVE = [
    ("大后天", 3),
    ("后天", 2),
    ("明天", 1),
    ("明日", 1),
    ("明儿", 1),
    ("明早", 1),
    ("明晚", 1),
    ("今天", 0),
    ("今日", 0),
    ("今儿", 0),
    ("今晚", 0),
    ("今早", 0),
    ("现在", 0),
    ("此刻", 0),
    ("马上", 0),
    ("待会", 0),
    ("等会", 0),
]
_MONTHS = [
    ("下下个月", 2),
    ("下个月", 1),
    ("下月", 1),
    ("这个月", 0),
    ("这月", 0),
    ("本月", 0),
    ("当月", 0),
    ("月内", 0),
]
_SOON = ("最近", "近期", "接下来", "这几天", "近几天", "过几天", "最近几天")


def _part(text: str) -> tuple[str | None, list[tuple[int, int]]]:
    for word, part in _PART_WORDS:
        i = text.find(word)
        if i >= 0:
            return part, [(i, i + len(word))]
    return None, []


def resolve(text: str, now: dt.datetime | None = None) -> When | None:
    """The first date expression in `text`, resolved against `now` (default: the current Shanghai time)."""
    today = now_shanghai(now).date()
    part, part_spans = _part(text)
    found = _resolve_days(text, today)
    if found is None:
        if part is None:
            return None
        # "上午有讲座吗" with no day: today, or tomorrow when that part of today is over.
        hour = now_shanghai(now).hour
        day = today if hour < PARTS[part][1] else today + ONE_DAY
        return When(day, day, part, label="", spans=tuple(part_spans))
    start, end, label, spans, holiday, unpublished = found
    return When(start, end, part, label, holiday, unpublished, tuple(spans + part_spans))


_Found = tuple[dt.date, dt.date, str, list[tuple[int, int]], str | None, bool]


def _resolve_days(text: str, today: dt.date) -> _Found | None:  # noqa: C901 - one flat list of cases reads best
    for word, (name, fixed) in HOLIDAYS.items():
        i = text.find(word)
        if i >= 0:
            hit = _holiday(name, fixed, today)
            spans = [(i, i + len(word) + (1 if text[i + len(word) : i + len(word) + 1] == "节" else 0))]
            if hit is None:
                return today, today, word, spans, name, True
            return hit[0], hit[1], word, spans, name, hit[2]
    m = _RE_FULL.search(text)
    if m:
        year = int(m.group(1)) if m.group(1) else None
        got = _date(year, cn_number(m.group(2)), cn_number(m.group(3)), today, roll="year")
        if got:
            return got, got, m.group(0), [m.span()], None, False
    m = _RE_DOTTED.search(text)
    if m:
        got = _date(None, int(m.group(1)), int(m.group(2)), today, roll="year")
        if got:
            return got, got, m.group(0), [m.span()], None, False
    for word, offset in _RELATIVE:
        i = text.find(word)
        if i >= 0:
            day = today + dt.timedelta(days=offset)
            return day, day, word, [(i, i + len(word))], None, False
    m = _RE_WEEKDAY.search(text)
    if m:
        prefix, wd = m.group(1) or "", m.group(2)
        weekend = wd == "末"
        monday = _monday(today)
        if prefix in ("下", "下下"):
            monday += dt.timedelta(weeks=len(prefix))
        elif prefix == "上":
            monday -= dt.timedelta(weeks=1)
        if weekend:
            start = monday + dt.timedelta(days=5)
            end = start + ONE_DAY
            if prefix in ("", "这", "本") and today > start:
                start = today
            return start, end, m.group(0), [m.span()], None, False
        day = monday + dt.timedelta(days=_WEEKDAYS[wd])
        if not prefix and day < today:
            day += dt.timedelta(weeks=1)  # a bare "周三" on a Thursday means next Wednesday
        return day, day, m.group(0), [m.span()], None, False
    m = _RE_WEEK.search(text)
    if m:
        prefix = m.group(1)
        monday = _monday(today) + dt.timedelta(weeks=len(prefix) if prefix.startswith("下") else 0)
        start = max(monday, today)
        return start, monday + dt.timedelta(days=6), m.group(0), [m.span()], None, False
    i = text.find("月底")
    if i >= 0:
        end = _month_end(today)
        return max(today, end - dt.timedelta(days=6)), end, "月底", [(i, i + 2)], None, False
    i = text.find("月初")
    if i >= 0:
        first = _add_months(today, 1) if today.day > 10 else today.replace(day=1)
        return max(today, first), first + dt.timedelta(days=6), "月初", [(i, i + 2)], None, False
    for word, months in _MONTHS:
        i = text.find(word)
        if i >= 0:
            first = _add_months(today, months) if months else today
            return first, _month_end(first), word, [(i, i + len(word))], None, False
    m = _RE_DAY.search(text)
    if m:
        n = cn_number(m.group(1))
        if n is not None and 1 <= n <= 31:
            got = _date(None, today.month, n, today, roll="month")
            if got:
                return got, got, m.group(0), [m.span()], None, False
    for word in _SOON:
        i = text.find(word)
        if i >= 0:
            return today, today + dt.timedelta(days=13), word, [(i, i + len(word))], None, False
    return None


def _date(year: int | None, mon: int | None, day: int | None, today: dt.date, *, roll: str) -> dt.date | None:
    """A calendar date; without a year (or month) the next one on or after today (a past date rolls forward)."""
    if mon is None or day is None or not 1 <= mon <= 12 or not 1 <= day <= 31:
        return None
    try:
        got = dt.date(year or today.year, mon, day)
    except ValueError:
        got = None
    if year is not None:
        return got
    if roll == "year":
        if got is None or got < today - dt.timedelta(days=7):  # "12月1日" asked on 3 December: still this year
            try:
                got = dt.date(today.year + 1, mon, day)
            except ValueError:
                return None
        return got
    # A bare day of the month ("5号"): this month, or next month once it has passed.
    if got is not None and got >= today:
        return got
    nxt = _add_months(today, 1)
    try:
        return nxt.replace(day=day)
    except ValueError:
        return None


def holiday_label(day: dt.date, street_id: int | None = None) -> str | None:
    """The name of the statutory holiday (or street closure) on `day` in the active language (国庆节, National Day),
    or None: the calendar's own names, else chinese-calendar's holidays by their (translated) names."""
    info = holiday_calendar.day_info(day, street_id)
    if info.kind != holiday_calendar.HOLIDAY:
        return None
    own = info.name_en if (get_language() or "").startswith("en") else info.name
    return own or str(HOLIDAY_NAMES.get(info.name_en, "")) or info.name or info.name_en or None
