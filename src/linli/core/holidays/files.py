"""The State Council's holiday notice as a file: iCalendar (RFC 5545) or CSV `date,kind,name`.

CSV: a header `date,kind,name` (also `日期,类型,名称`; extra columns are ignored) or no header and those three
columns in that order; `,` `;` tab or `，` between cells. `kind` is `holiday` (also 放假, 休, 假, off) or `workday`
(also 上班, 班, 补班, 调休上班, work); a bare 调休 is refused as ambiguous. `name` is the holiday (国庆节, National Day,
国庆 ...). iCalendar: one VEVENT per day or per run of days (DTSTART;VALUE=DATE, DTEND exclusive), the kind from
`X-LINLI-KIND`, `CATEGORIES` or the SUMMARY ("国庆节 休", "国庆节（班）", "National Day holiday"), the name from
the SUMMARY.

Every error carries the file's line number; the caller writes nothing when there is any.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import field_error
from linli.core.holidays.names import canonical_name
from linli.core.i18n import Text
from linli.core.lenient import code, norm, parse_date

_WORKDAY_WORDS = ("调休上班", "补班", "上班", "班", "workday", "working_day", "work_day", "work", "adjusted_workday")
_HOLIDAY_WORDS = ("放假", "休假", "休息", "休", "假", "holiday", "day_off", "off", "rest")
_AMBIGUOUS = ("调休",)
_HEADER = {
    "date": ("date", "日期", "day"),
    "kind": ("kind", "类型", "type", "类别"),
    "name": ("name", "名称", "节日", "holiday", "节假日"),
}


@dataclass
class NoticeDay:
    line: int
    date: dt.date
    kind: str  # "holiday" | "workday"
    name: str = ""
    name_en: str = ""


@dataclass
class Parsed:
    days: list[NoticeDay] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    format: str = "csv"

    def error(self, line: int | None, column: str, message: Text) -> None:
        where = format_lazy(_("第 {line} 行：{message}"), line=line, message=message) if line else message
        entry: dict[str, Any] = field_error(column, where)
        if line:
            entry = {"line": line, **entry}
        self.errors.append(entry)


def kind_of(text: str) -> str | None:
    """ "holiday", "workday", "ambiguous" or None for a kind cell or a SUMMARY."""
    word = code(text)
    if word in _WORKDAY_WORDS:
        return "workday"
    if word in _HOLIDAY_WORDS:
        return "holiday"
    if word in _AMBIGUOUS:
        return "ambiguous"
    return None


def _kind_in_summary(summary: str) -> str | None:
    text = norm(summary).lower()
    if "班" in text or re.search(r"\bwork(ing)?[ _-]?day\b", text):
        return "workday"
    if "调休" in text:
        return "ambiguous"
    if any(w in text for w in ("放假", "休", "假")) or re.search(r"\b(holiday|day off)\b", text):
        return "holiday"
    return None


def _name_from(text: str) -> tuple[str, str]:
    stripped = re.sub(r"[（(【\[].*?[）)】\]]", " ", norm(text))
    for word in sorted((*_WORKDAY_WORDS, *_HOLIDAY_WORDS, *_AMBIGUOUS), key=len, reverse=True):
        if not word.isascii():
            stripped = stripped.replace(word, " ")
    stripped = re.sub(r"(?i)\b(holiday|workday|working day|day off|off|work)\b", " ", stripped)
    stripped = " ".join(stripped.split()).strip(" -·:：")
    return canonical_name(stripped) if stripped else ("", "")


def parse_notice(text: str) -> Parsed:
    body = text.removeprefix("\ufeff")
    if body.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        return _parse_ics(body)
    return _parse_csv(body)


# ------------------------------------------------------------------------------------------------ CSV


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "，")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _parse_csv(text: str) -> Parsed:
    out = Parsed(format="csv")
    if not text.strip():
        out.error(None, "file", _("文件是空的"))
        return out
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    columns = {"date": 0, "kind": 1, "name": 2}
    first = True
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            out.error(reader.line_num, "file", format_lazy(_("无法解析：{error}"), error=e))
            break
        line = reader.line_num
        cells = [norm(c) for c in raw]
        if not any(cells):
            continue
        if first:
            first = False
            if parse_date(cells[0]) is None:  # a header
                found = {}
                for i, cell in enumerate(cells):
                    for key, words in _HEADER.items():
                        if code(cell) in words and key not in found:
                            found[key] = i
                missing = [k for k in ("date", "kind") if k not in found]
                if missing:
                    out.error(
                        line,
                        "header",
                        format_lazy(_("列名应为 date,kind,name，缺少 {missing}"), missing=", ".join(missing)),
                    )
                    return out
                extra = [c for i, c in enumerate(cells) if c and i not in found.values()]
                if extra:
                    out.notes.append(f"忽略的列 ignored columns: {', '.join(extra)}")
                columns = found
                continue

        picked = {key: cells[i] if i < len(cells) else "" for key, i in columns.items()}
        _add_day(out, line, picked.get("date", ""), picked.get("kind", ""), picked.get("name", ""))
    return out


def _add_day(out: Parsed, line: int, date_text: str, kind_text: str, name_text: str) -> None:
    day = parse_date(date_text)
    ok = True
    if day is None:
        out.error(line, "date", format_lazy(_("日期 {date_text} 无效，应为 2027-01-01"), date_text=repr(date_text)))
        ok = False
    kind = kind_of(kind_text)
    if kind == "ambiguous":
        out.error(
            line,
            "kind",
            format_lazy(
                _("“{kind}”含义不明：放假写 holiday（或 放假），调休上班写 workday（或 上班）"), kind=kind_text
            ),
        )
        ok = False
    elif kind is None:
        out.error(
            line,
            "kind",
            format_lazy(
                _("类型 {kind_text} 无效，应为 holiday（放假）或 workday（调休上班）"), kind_text=repr(kind_text)
            ),
        )
        ok = False
    if ok and day is not None and kind is not None:
        zh, en = canonical_name(name_text) if name_text else ("", "")
        out.days.append(NoticeDay(line=line, date=day, kind=kind, name=zh, name_en=en))


# ---------------------------------------------------------------------------------------- iCalendar


def _event_lines(text: str) -> list[int]:
    """The line number of each BEGIN:VEVENT, in order."""
    return [n for n, raw in enumerate(text.splitlines(), start=1) if raw.strip().upper() == "BEGIN:VEVENT"]


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def _parse_ics(text: str) -> Parsed:
    import icalendar

    out = Parsed(format="ics")
    try:
        cal = icalendar.Calendar.from_ical(text)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        out.error(1, "file", format_lazy(_("无法解析日历文件：{error}"), error=exc))
        return out
    lines = _event_lines(text)
    for i, ev in enumerate(cal.walk("VEVENT")):
        line = lines[i] if i < len(lines) else 1
        summary = norm(ev.get("summary") or "")
        start = _as_date(getattr(ev.get("dtstart"), "dt", None))
        if start is None:
            out.error(line, "DTSTART", _("缺少或无效的 DTSTART"))
            continue
        end = _as_date(getattr(ev.get("dtend"), "dt", None))
        duration = getattr(ev.get("duration"), "dt", None)
        if end is None and isinstance(duration, dt.timedelta):
            end = start + dt.timedelta(days=max(duration.days, 1))
        if end is None or end <= start:
            end = start + dt.timedelta(days=1)
        if (end - start).days > 31:
            out.error(line, "DTEND", _("一个事件跨度超过 31 天"))
            continue
        kind_text = norm(ev.get("x-linli-kind") or "")
        kind = kind_of(kind_text) if kind_text else None
        if kind is None:
            for cat in _categories(ev):
                kind = kind_of(cat) or kind
        if kind is None:
            kind = _kind_in_summary(summary)
        if kind is None or kind == "ambiguous":
            out.error(
                line,
                "SUMMARY",
                format_lazy(
                    _(
                        "无法判断“{summary}”是放假还是调休上班（写 X-LINLI-KIND:holiday 或 workday，或在标题里写 休/班）"
                    ),
                    summary=summary,
                ),
            )
            continue
        zh, en = _name_from(summary)
        day = start
        while day < end:
            out.days.append(NoticeDay(line=line, date=day, kind=kind, name=zh, name_en=en))
            day += dt.timedelta(days=1)
    if not lines:
        out.error(None, "file", _("日历文件里没有 VEVENT"))
    return out


def _categories(ev: Any) -> list[str]:
    raw = ev.get("categories")
    if raw is None:
        return []
    out: list[str] = []
    for prop in raw if isinstance(raw, list) else [raw]:
        cats = getattr(prop, "cats", None)
        out.extend(str(c) for c in cats) if cats is not None else out.extend(str(prop).split(","))
    return [c.strip() for c in out if c.strip()]
