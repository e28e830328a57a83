"""`linli street add CODE --name NAME [...]` and `linli street list`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from linli.core import selectors, services
from linli.core.commands import problems_exit_1


class Command(BaseCommand):
    help = "Add or list streets (街道)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a street")
        add.add_argument("code", help="slug, e.g. wanli")
        add.add_argument("--name", required=True, help="中文名称, e.g. 万里街道")
        add.add_argument("--district", default="")
        add.add_argument("--name-en", default="")
        add.add_argument("--hotline", default="")
        add.add_argument("--lat", type=float, help="centre latitude (WGS-84)")
        add.add_argument("--lng", type=float, help="centre longitude (WGS-84)")
        sub.add_parser("list", help="list streets")

    @problems_exit_1
    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "add":
            street = services.street_create(
                code=opts["code"],
                name=opts["name"],
                district=opts.get("district") or "",
                name_en=opts.get("name_en") or "",
                hotline=opts.get("hotline") or "",
                center_lat=opts.get("lat"),
                center_lng=opts.get("lng"),
            )
            self.stdout.write(f"{street.code}\t{street.name}")
        else:
            for s in selectors.street_list():
                sample = "\tsample" if s.is_sample else ""
                self.stdout.write(f"{s.code}\t{s.name}\t{s.district}\t{s.name_en}{sample}")
