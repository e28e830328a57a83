"""`linli holidays`: China's holidays and adjusted working days in the holiday table.

linli holidays status                         # which years have official data; a warning 90 days ahead
linli holidays seed                           # add the years chinese-calendar knows that the table lacks
linli holidays import FILE --year 2027        # the State Council's notice: iCalendar or CSV date,kind,name
linli holidays list [--year 2027] [--street CODE]
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from linli.core.errors import Problem
from linli.core.i18n import both_languages


class Command(BaseCommand):
    help = "节假日与调休 Holidays and adjusted working days: status, seed, import FILE --year Y, list."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status", help="years with official data; warns when the next 90 days lack it")
        status.add_argument("--json", action="store_true")
        seed = sub.add_parser("seed", help="add the years the chinesecalendar package knows (never overwrites)")
        seed.add_argument("--json", action="store_true")
        imp = sub.add_parser("import", help="load the State Council's notice (iCalendar or CSV date,kind,name)")
        imp.add_argument("file", help="the file ('-' for stdin)")
        imp.add_argument("--year", type=int, required=True, help="the notice's year, e.g. 2027")
        imp.add_argument("--json", action="store_true")
        lst = sub.add_parser("list", help="list the table")
        lst.add_argument("--year", type=int)
        lst.add_argument("--street", help="a street code: its extra closures")
        lst.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, f"_{opts['action']}")(opts)

    def _out(self, opts: dict[str, Any], data: Any, text: list[str]) -> None:
        if opts.get("json"):
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=1, default=str))
        else:
            for line in text:
                self.stdout.write(line)

    def _status(self, opts: dict[str, Any]) -> None:
        from linli.core.holidays import calendar
        from linli.core.holidays.models import HolidayYear

        today = timezone.localdate()
        missing = calendar.years_without_official_data(today)
        years = {y.year: y.source for y in HolidayYear.objects.all()}
        official = sorted(calendar.current().official_years)
        text = [f"有官方数据的年份 years with official data: {official[0]}–{official[-1]}" if official else "无 none"]
        text += [f"  {y}\t{years.get(y, 'chinesecalendar (package, not in the table)')}" for y in official[-3:]]
        if missing:
            text.append(
                f"警告 WARNING: {'、'.join(map(str, missing))} 年没有官方放假安排（未来 {calendar.WARN_DAYS} 天内用到）："
                f"只按周末计算。请导入国务院办公厅通知：linli holidays import FILE --year {missing[0]}"
            )
        self._out(opts, {"official_years": official, "missing_within_90_days": missing}, text)
        if missing and not opts.get("json"):
            self.stderr.write(f"no official holiday data for {', '.join(map(str, missing))}")

    def _seed(self, opts: dict[str, Any]) -> None:
        from linli.core.holidays.services import holidays_seed

        added = holidays_seed()
        text = [
            f"已加入 seeded: {', '.join(map(str, added))}" if added else "无需加入 nothing to seed (every year is in)"
        ]
        self._out(opts, {"seeded_years": added}, text)

    def _import(self, opts: dict[str, Any]) -> None:
        from linli.core.holidays.services import holidays_import
        from linli.core.lenient import read_text_file

        try:
            text, _encoding = read_text_file(opts["file"])
        except OSError as e:
            raise CommandError(f"无法读取文件 cannot read {opts['file']}: {e}") from None
        except UnicodeDecodeError:
            raise CommandError("文件编码无法识别（应为 UTF-8 或 GBK） / the file is neither UTF-8 nor GBK") from None
        try:
            result = holidays_import(text=text, year=opts["year"], source_name=opts["file"])
        except Problem as p:
            if opts.get("json"):
                self.stdout.write(json.dumps(p.as_dict(), ensure_ascii=False, indent=1))
            self.stderr.write(f"{both_languages(p.title)}: {both_languages(p.detail)}")
            for err in p.errors:
                self.stderr.write(both_languages(err.get("message", "")))
            sys.exit(1)
        text_out = [
            f"{result.year}: 放假 {result.holidays} 天，调休上班 {result.workdays} 天（替换 {result.replaced} 条）"
            f" / {result.holidays} days off, {result.workdays} adjusted working days ({result.replaced} replaced)",
            *result.notes,
        ]
        self._out(opts, result.as_dict(), text_out)

    def _list(self, opts: dict[str, Any]) -> None:
        from linli.core.holidays.models import Holiday
        from linli.core.selectors import street_get

        qs = Holiday.objects.select_related("street").order_by("date")
        if opts.get("year"):
            qs = qs.filter(year=opts["year"])
        if opts.get("street"):
            try:
                qs = qs.filter(street=street_get(code=opts["street"]))
            except Problem as p:
                raise CommandError(both_languages(p.detail)) from None
        rows = [
            {
                "date": h.date.isoformat(),
                "kind": h.kind,
                "name": h.name,
                "name_en": h.name_en,
                "street": h.street.code if h.street else None,
                "year": h.year,
                "source": h.source,
            }
            for h in qs
        ]
        text = [f"{r['date']}\t{r['kind']}\t{r['name']}\t{r['street'] or '-'}" for r in rows]
        self._out(opts, rows, text)
