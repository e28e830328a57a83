"""Writes to the holiday table: the seed from chinese-calendar and the State Council's notice as a file.

Both replace a whole year's national rows in one transaction and call `holidays_changed()`, so every process
answers from the new table. Street closures and single days are edited in the back office (admin.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.holidays.calendar import holidays_changed
from linli.core.holidays.files import NoticeDay, parse_notice
from linli.core.holidays.models import Holiday, HolidayKind, HolidayYear
from linli.core.holidays.package import days_of_year, package_years, source
from linli.core.i18n import Text
from linli.core.services import audit_log

MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass
class NoticeResult:
    year: int
    holidays: int = 0
    workdays: int = 0
    replaced: int = 0
    format: str = "csv"
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "holidays": self.holidays,
            "workdays": self.workdays,
            "replaced": self.replaced,
            "format": self.format,
            "notes": list(self.notes),
        }


def holidays_seed(*, years: list[int] | None = None, actor: Any = None) -> list[int]:
    """Add the years chinese-calendar knows that the table does not hold yet (a year already in the table, seeded
    or imported or edited, is left as it is). Returns the years added."""
    with transaction.atomic():
        have = set(HolidayYear.objects.select_for_update().values_list("year", flat=True))
        todo = sorted(y for y in package_years() if y not in have and (years is None or y in years))
        for year in todo:
            days = list(days_of_year(year))
            Holiday.objects.filter(street__isnull=True, date__in=[d.date for d in days]).delete()
            Holiday.objects.bulk_create(
                Holiday(date=d.date, kind=d.kind, name=d.name, name_en=d.name_en, year=year, source=source())
                for d in days
            )
            HolidayYear.objects.create(year=year, source=source())
        if todo:
            audit_log(actor=actor, action="holidays.seed", data={"years": todo, "source": source()})
            holidays_changed()
    return todo


def _check(days: list[NoticeDay], year: int, errors: list[dict[str, Any]]) -> None:
    def error(line: int, column: str, message: Text) -> None:
        errors.append(
            field_error(column, format_lazy(_("第 {line} 行：{message}"), line=line, message=message), line=line)
        )

    seen: dict[dt.date, NoticeDay] = {}
    for d in days:
        if not (d.date.year == year or (d.date.year == year - 1 and d.date.month == 12)):
            error(
                d.line,
                "date",
                format_lazy(_("{date} 不属于 {year} 年的放假安排"), date=d.date, year=year),
            )
            continue
        if d.kind == HolidayKind.WORKDAY and d.date.weekday() < 5:
            error(
                d.line,
                "kind",
                format_lazy(_("{date} 是周一至周五的一天，本来就上班，不是调休上班日"), date=d.date),
            )
            continue
        first = seen.get(d.date)
        if first is not None and first.kind != d.kind:
            error(
                d.line,
                "date",
                format_lazy(_("{date} 与第 {line} 行矛盾（一处放假、一处上班）"), date=d.date, line=first.line),
            )
        seen.setdefault(d.date, d)
    if not any(d.kind == HolidayKind.HOLIDAY for d in days) and not errors:
        errors.append({"field": "file", "message": _("文件里没有放假日")})


def holidays_import(*, text: str, year: int, source_name: str = "", actor: Any = None) -> NoticeResult:
    """Load the State Council's arrangement for `year` from a notice file (see `files`), all or nothing: the
    year's national rows are replaced and the year is marked official. Every error carries its line number."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Problem("validation_error", detail=format_lazy(_("年份 {year} 无效"), year=year))
    parsed = parse_notice(text)
    errors = list(parsed.errors)
    _check(parsed.days, year, errors)
    if errors:
        raise Problem(
            "import_invalid",
            detail=format_lazy(_("共 {count} 处错误，未写入任何数据"), count=len(errors)),
            errors=errors,
        )
    days: dict[dt.date, NoticeDay] = {}
    for d in parsed.days:
        days.setdefault(d.date, d)
    label = f"{source_name or 'notice'} ({parsed.format})"
    result = NoticeResult(year=year, format=parsed.format, notes=list(parsed.notes))
    with transaction.atomic():
        stale = Holiday.objects.filter(street__isnull=True).filter(year=year) | Holiday.objects.filter(
            street__isnull=True, date__in=list(days)
        )
        result.replaced = stale.count()
        stale.delete()
        Holiday.objects.bulk_create(
            Holiday(date=d.date, kind=d.kind, name=d.name, name_en=d.name_en, year=year, source=label)
            for d in days.values()
        )
        HolidayYear.objects.update_or_create(year=year, defaults={"source": label, "loaded_at": timezone.now()})
        result.holidays = sum(1 for d in days.values() if d.kind == HolidayKind.HOLIDAY)
        result.workdays = len(days) - result.holidays
        audit_log(actor=actor, action="holidays.import", data=result.as_dict())
        holidays_changed()
    return result
