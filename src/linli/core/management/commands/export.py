"""`linli export KIND --street CODE [-o FILE]`: write a street's data as GeoJSON (the import format); kinds are
those registered in `linli.core.transfers`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.core import transfers
from linli.core.errors import Problem
from linli.core.i18n import both_languages
from linli.core.selectors import street_get


class Command(BaseCommand):
    help = (
        "导出 Export: linli export {places,grids,compounds} --street CODE [-o FILE] (GeoJSON), "
        "linli export affairs --street CODE (事项目录 CSV, the import format)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=f"what to export: {', '.join(transfers.export_kinds())}")
        parser.add_argument("--street", required=True, help="street code")
        parser.add_argument("-o", "--output", default="-", help="output file (default: stdout)")

    def handle(self, *args: Any, kind: str, street: str, output: str, **options: Any) -> None:
        exporter = transfers.exporter_get(kind)
        if exporter is None:
            raise CommandError(f"unknown kind {kind!r}; expected one of {', '.join(transfers.export_kinds())}")
        try:
            target = street_get(code=street)
        except Problem as p:
            raise CommandError(both_languages(p.detail)) from None
        data = exporter(street=target)
        body = data.rstrip("\n") if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=1)
        if output == "-":
            self.stdout.write(body)
        else:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(body + "\n")
            self.stderr.write(f"wrote {output}")
