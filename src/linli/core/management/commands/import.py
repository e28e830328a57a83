"""`linli import KIND FILE --street CODE`: import a GeoJSON FeatureCollection, all or nothing.

Kinds are looked up in `IMPORTERS` (kind → dotted path of a function `f(*, street, collection) -> ImportResult`);
later domains add theirs to the dict.
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


def format_error(err: dict[str, Any]) -> str:
    where = f"feature {err['feature']}" if "feature" in err else "file"
    return f"{where}: {err.get('field', '')}: {err.get('message', '')} / {err.get('message_en', '')}"


class Command(BaseCommand):
    help = "导入 GeoJSON 文件 Import a GeoJSON file: linli import {places,grids,compounds} FILE --street CODE"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=f"what to import: {', '.join(sorted(IMPORTERS))}")
        parser.add_argument("file", help="GeoJSON FeatureCollection file ('-' for stdin)")
        parser.add_argument("--street", required=True, help="street code")

    def handle(self, *args: Any, kind: str, file: str, street: str, **options: Any) -> None:
        from linli.core.selectors import street_get

        if kind not in IMPORTERS:
            raise CommandError(f"unknown kind {kind!r}; expected one of {', '.join(sorted(IMPORTERS))}")
        try:
            target = street_get(code=street)
        except Problem as p:
            raise CommandError(f"{p.detail_zh} / {p.detail_en}") from None
        try:
            text = sys.stdin.read() if file == "-" else open(file, encoding="utf-8-sig").read()  # noqa: SIM115
        except OSError as e:
            raise CommandError(f"无法读取文件 cannot read {file}: {e}") from None
        try:
            collection = json.loads(text)
        except json.JSONDecodeError as e:
            raise CommandError(f"不是有效的 JSON / not valid JSON: line {e.lineno} column {e.colno}: {e.msg}") from None
        importer = import_string(IMPORTERS[kind])
        try:
            result = importer(street=target, collection=collection)
        except Problem as p:
            self.stderr.write(f"{p.title('zh')} / {p.title('en')}")
            for err in p.errors:
                self.stderr.write(format_error(err))
            sys.exit(1)
        self.stdout.write(
            f"{kind}: created {result.created}, updated {result.updated}, unchanged {result.unchanged} "
            f"(新增 {result.created}，更新 {result.updated}，未变 {result.unchanged})"
        )
