"""`linli import KIND FILE --street CODE`: import a file, all or nothing.

Kinds are those registered in `linli.core.transfers` (each domain registers its own from its AppConfig.ready()):
a GeoJSON importer is fed the parsed FeatureCollection, a text importer the raw text (iCalendar, CSV).
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.core import transfers
from linli.core.commands import json_line
from linli.core.errors import Problem
from linli.core.i18n import both_languages
from linli.core.inputs import MAX_JSON_DEPTH
from linli.core.lenient import read_text_file
from linli.core.selectors import street_get

logger = logging.getLogger("linli.import")


def format_error(err: dict[str, Any]) -> str:
    if "feature" in err:
        where = f"feature {err['feature']}"
    elif "event" in err:
        where = f"event {err['event']} (UID {err.get('uid') or '-'})"
    elif "line" in err:
        where = f"line {err['line']}"
    elif "date" in err:
        where = f"{err['date']} {err.get('slot') or ''}".strip()
    else:
        where = "file"
    return f"{where}: {err.get('field', '')}: {both_languages(err.get('message', ''))}"


class Command(BaseCommand):
    help = (
        "导入文件 Import a file: linli import {places,grids,compounds} GEOJSON --street CODE, "
        "linli import activities FILE.ics --street CODE, "
        "linli import menus FILE.csv --street CODE (菜单表格 menu CSV, columns "
        "date,slot,kitchen,dish,price_fen,half_price_fen,daily_limit,tags; kitchen = place id; prices in fen; "
        "tags split by '|': soft low_salt low_sugar low_oil vegetarian spicy halal, allergen:<code>, set, elder_set), "
        "linli import affairs FILE.csv --street CODE (事项目录 affairs catalogue, columns code,name,department,channels,"
        "prereview,entrusted,time_limit_days,fee_fen,eligibility,materials,keywords,legal_basis)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=f"what to import: {', '.join(transfers.import_kinds())}")
        parser.add_argument("file", help="GeoJSON FeatureCollection or iCalendar file ('-' for stdin)")
        parser.add_argument("--street", required=True, help="street code")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="menus: also publish them; refused whole (nothing imported) if any day fails the elder-canteen rules",
        )
        parser.add_argument("--json", action="store_true", help="print {kind, created, updated, unchanged, notes}")

    def handle(self, *args: Any, kind: str, file: str, street: str, **options: Any) -> None:
        importer = transfers.importer_get(kind)
        if importer is None:
            raise CommandError(f"unknown kind {kind!r}; expected one of {', '.join(transfers.import_kinds())}")
        if options.get("publish") and kind != "menus":
            raise CommandError("--publish 只用于菜单 / --publish is for menus only")
        try:
            target = street_get(code=street)
        except Problem as p:
            raise CommandError(both_languages(p.detail)) from None
        try:
            text, encoding = read_text_file(file)  # UTF-8 (BOM or not), UTF-16 with a BOM, or GBK/GB18030
        except OSError as e:
            raise CommandError(f"无法读取文件 cannot read {file}: {e}") from None
        except UnicodeDecodeError:
            raise CommandError("文件编码无法识别（应为 UTF-8 或 GBK）/ the file is neither UTF-8 nor GBK") from None
        try:
            if importer.reads == "text":
                extra = {"publish": True} if options.get("publish") else {}
                result = importer.run(street=target, text=text, **extra)
            else:
                try:
                    collection = json.loads(text)
                except json.JSONDecodeError as e:
                    raise CommandError(
                        f"不是有效的 JSON / not valid JSON: line {e.lineno} column {e.colno}: {e.msg}"
                    ) from None
                except RecursionError:
                    raise CommandError(
                        f"JSON 嵌套过深（最多 {MAX_JSON_DEPTH} 层）/ JSON nested too deeply (at most {MAX_JSON_DEPTH})"
                    ) from None
                result = importer.run(street=target, collection=collection)
        except CommandError:
            raise
        except Problem as p:
            if options.get("json"):
                self.stdout.write(json_line(p.as_dict()))
            self.stderr.write(both_languages(p.title))
            if str(p.detail):
                self.stderr.write(both_languages(p.detail))
            for err in p.errors:
                self.stderr.write(format_error(err))
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - the last line of the edge: one line, exit 1, never a traceback
            # Every import writes in one transaction, so nothing was written. The details go to the log.
            logger.exception("import of %s from %s failed", kind, file)
            raise CommandError(
                f"导入失败，未写入任何数据 / import failed, nothing written: {type(exc).__name__}: {str(exc)[:200]}"
            ) from None
        notes = list(getattr(result, "notes", []))
        if encoding == "gb18030":
            notes.insert(0, "文件按 GBK/GB18030 编码读取 read as GBK/GB18030 (not UTF-8)")
        if options.get("json"):
            self.stdout.write(json_line({"kind": kind, **result.as_dict(), "notes": notes}))
            return
        self.stdout.write(
            f"{kind}: created {result.created}, updated {result.updated}, unchanged {result.unchanged} "
            f"(新增 {result.created}，更新 {result.updated}，未变 {result.unchanged})"
        )
        for note in notes:
            self.stdout.write(f"  注意 note: {note}")
