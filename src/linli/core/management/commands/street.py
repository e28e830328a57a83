"""`linli street add CODE --name NAME [...]`, `linli street defaults CODE` and `linli street list`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from linli.core import selectors, services
from linli.core.commands import problems_exit_1
from linli.core.street_defaults import street_defaults_apply, street_defaults_providers


class Command(BaseCommand):
    help = "Add or list streets (街道); give an existing street the defaults it lacks."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a street (with every capability's defaults)")
        add.add_argument("code", help="slug, e.g. wanli")
        add.add_argument("--name", required=True, help="中文名称, e.g. 万里街道")
        add.add_argument("--district", default="")
        add.add_argument("--name-en", default="")
        add.add_argument("--hotline", default="")
        add.add_argument("--lat", type=float, help="centre latitude (WGS-84)")
        add.add_argument("--lng", type=float, help="centre longitude (WGS-84)")
        add.add_argument("--json", action="store_true", help="print the street as JSON")
        defaults = sub.add_parser("defaults", help="add the per-street defaults a street lacks (edited ones stay)")
        defaults.add_argument("code")
        defaults.add_argument("--json", action="store_true")
        lst = sub.add_parser("list", help="list streets")
        lst.add_argument("--json", action="store_true")

    def _defaults_lines(self, created: dict[str, int]) -> list[str]:
        labels = {p.key: p.label for p in street_defaults_providers()}
        return [f"  {labels.get(k, k)}: +{n}" for k, n in created.items()]

    @problems_exit_1
    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "add":
            street = services.street_create(
                code=opts["code"],
                name=opts["name"],
                district=opts.get("district") or "",
                name_en=opts.get("name_en") or "",
                hotline=opts.get("hotline") or "",
                center_lat=opts.get("lat"),
                center_lng=opts.get("lng"),
            )
            created = self._provider_counts(street)
            if opts["json"]:
                self.stdout.write(
                    json.dumps(
                        {"id": street.pk, "code": street.code, "name": street.name, "defaults": created},
                        ensure_ascii=False,
                    )
                )
            else:
                self.stdout.write(f"{street.code}\t{street.name}")
                self.stderr.write("默认配置 defaults:\n" + "\n".join(self._defaults_lines(created)))
        elif action == "defaults":
            street = selectors.street_get(code=opts["code"])
            created = street_defaults_apply(street=street)
            if opts["json"]:
                self.stdout.write(json.dumps({"code": street.code, "created": created}, ensure_ascii=False))
            else:
                self.stdout.write(f"{street.code}: 补齐默认配置 missing defaults added")
                for line in self._defaults_lines(created):
                    self.stdout.write(line)
        else:
            streets = list(selectors.street_list())
            if opts["json"]:
                rows = [
                    {"id": s.pk, "code": s.code, "name": s.name, "district": s.district, "sample": s.is_sample}
                    for s in streets
                ]
                self.stdout.write(json.dumps(rows, ensure_ascii=False))
                return
            for s in streets:
                sample = "\tsample" if s.is_sample else ""
                self.stdout.write(f"{s.code}\t{s.name}\t{s.district}\t{s.name_en}{sample}")

    def _provider_counts(self, street: Any) -> dict[str, int]:
        """What `street_create` made: the audit record of the creation holds the counts."""
        from linli.core.models import AuditLog

        record = AuditLog.objects.filter(action="street.create", street=street).order_by("-at").first()
        return dict((record.data or {}).get("defaults", {})) if record else {}
