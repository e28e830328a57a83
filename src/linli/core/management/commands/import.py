"""`linli import KIND FILE --street CODE`: import a file, all or nothing.

Kinds are looked up in `IMPORTERS` (kind → dotted path of a function `f(*, street, collection) -> ImportResult`,
fed the parsed JSON of a GeoJSON FeatureCollection) or in `TEXT_IMPORTERS` (kind → dotted path of a function
`f(*, street, text) -> ImportResult`, fed the raw text, e.g. iCalendar); later domains add theirs to the dicts.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

from linli.core.errors import Problem

IMPORTERS: dict[str, str] = {
    "places": "linli.places.services.places_import",
    "grids": "linli.core.imports.grids_import",
    "compounds": "linli.core.imports.compounds_import",
}

# Importers that read the file's raw text themselves (not JSON).
TEXT_IMPORTERS: dict[str, str] = {
    "activities": "linli.activities.calendar.activities_import",
    "menus": "linli.meals.services.menus.menus_import",
}


def _kinds() -> list[str]:
    return sorted([*IMPORTERS, *TEXT_IMPORTERS])


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
        parser.add_argument("kind", help=f"what to import: {', '.join(_kinds())}")
        parser.add_argument("file", help="GeoJSON FeatureCollection or iCalendar file ('-' for stdin)")
        parser.add_argument("--street", required=True, help="street code")

    def handle(self, *args: Any, kind: str, file: str, street: str, **options: Any) -> None:
        from linli.core.selectors import street_get

        if kind not in IMPORTERS and kind not in TEXT_IMPORTERS:
            raise CommandError(f"unknown kind {kind!r}; expected one of {', '.join(_kinds())}")
        try:
            target = street_get(code=street)
        except Problem as p:
            raise CommandError(f"{p.detail_zh} / {p.detail_en}") from None
        try:
            text = sys.stdin.read() if file == "-" else open(file, encoding="utf-8-sig").read()  # noqa: SIM115
        except OSError as e:
            raise CommandError(f"无法读取文件 cannot read {file}: {e}") from None
        try:
            if kind in TEXT_IMPORTERS:
                result = import_string(TEXT_IMPORTERS[kind])(street=target, text=text)
            else:
                try:
                    collection = json.loads(text)
                except json.JSONDecodeError as e:
                    raise CommandError(
                        f"不是有效的 JSON / not valid JSON: line {e.lineno} column {e.colno}: {e.msg}"
                    ) from None
                result = import_string(IMPORTERS[kind])(street=target, collection=collection)
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
