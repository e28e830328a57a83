"""`linli import KIND FILE --street CODE`: import a file, all or nothing.

Kinds are those registered in `linli.core.transfers` (each domain registers its own from its AppConfig.ready()):
a GeoJSON importer is fed the parsed FeatureCollection, a text importer the raw text (iCalendar, CSV).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.core import transfers
from linli.core.errors import Problem
from linli.core.selectors import street_get


def format_error(err: dict[str, Any]) -> str:
    if "feature" in err:
        where = f"feature {err['feature']}"
    elif "event" in err:
        where = f"event {err['event']} (UID {err.get('uid') or '-'})"
    else:
        where = "file"
    return f"{where}: {err.get('field', '')}: {err.get('message', '')} / {err.get('message_en', '')}"


class Command(BaseCommand):
    help = (
        "导入文件 Import a file: linli import {places,grids,compounds} GEOJSON --street CODE, "
        "linli import activities FILE.ics --street CODE, "
        "linli import menus FILE.csv --street CODE (菜单表格 menu CSV, columns "
        "date,slot,kitchen,dish,price_fen,half_price_fen,daily_limit,tags; kitchen = place id; prices in fen; "
        "tags split by '|': soft low_salt low_sugar low_oil vegetarian spicy halal, allergen:<code>, set, elder_set)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=f"what to import: {', '.join(transfers.import_kinds())}")
        parser.add_argument("file", help="GeoJSON FeatureCollection or iCalendar file ('-' for stdin)")
        parser.add_argument("--street", required=True, help="street code")

    def handle(self, *args: Any, kind: str, file: str, street: str, **options: Any) -> None:
        importer = transfers.importer_get(kind)
        if importer is None:
            raise CommandError(f"unknown kind {kind!r}; expected one of {', '.join(transfers.import_kinds())}")
        try:
            target = street_get(code=street)
        except Problem as p:
            raise CommandError(f"{p.detail_zh} / {p.detail_en}") from None
        try:
            text = sys.stdin.read() if file == "-" else open(file, encoding="utf-8-sig").read()  # noqa: SIM115
        except OSError as e:
            raise CommandError(f"无法读取文件 cannot read {file}: {e}") from None
        try:
            if importer.reads == "text":
                result = importer.run(street=target, text=text)
            else:
                try:
                    collection = json.loads(text)
                except json.JSONDecodeError as e:
                    raise CommandError(
                        f"不是有效的 JSON / not valid JSON: line {e.lineno} column {e.colno}: {e.msg}"
                    ) from None
                result = importer.run(street=target, collection=collection)
        except Problem as p:
            self.stderr.write(f"{p.title('zh')} / {p.title('en')}")
            if p.detail_zh or p.detail_en:
                self.stderr.write(f"{p.detail_zh} / {p.detail_en}")
            for err in p.errors:
                self.stderr.write(format_error(err))
            sys.exit(1)
        self.stdout.write(
            f"{kind}: created {result.created}, updated {result.updated}, unchanged {result.unchanged} "
            f"(新增 {result.created}，更新 {result.updated}，未变 {result.unchanged})"
        )
        for note in getattr(result, "notes", []):
            self.stdout.write(f"  注意 note: {note}")
