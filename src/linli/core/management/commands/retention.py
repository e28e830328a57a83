"""`linli retention run|status`: monthly partitions made ahead, old ones and expired rows dropped (linli.core.partitions).

The beat task `core.partitions_maintain` does the same every six hours; this is for operators (a dry run first).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from linli.core import partitions
from linli.core.commands import json_line


class Command(BaseCommand):
    help = "Partitions ahead and retention of the append-only tables (分区与保留期限)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="make partitions ahead, drop what is past its retention; audit-logged")
        run.add_argument("--dry-run", action="store_true", help="say what would be made and dropped, change nothing")
        run.add_argument("--table", action="append", help="only this table (or name: taps, questions, audit, ...)")
        run.add_argument("--now", help="ISO date-time to act as of (default: now)")
        run.add_argument("--json", action="store_true", help="print the report as one JSON line")
        status = sub.add_parser("status", help="each table's retention, partitions and rows")
        status.add_argument("--json", action="store_true", help="print one JSON line")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "status":
            self._status(as_json=opts["json"])
            return
        now = None
        if opts.get("now"):
            now = parse_datetime(opts["now"])
            if now is None or now.tzinfo is None:
                raise CommandError(f"--now: not an ISO date-time with a zone: {opts['now']!r}", returncode=1)
        report = partitions.maintain(now=now, dry_run=opts["dry_run"], only=opts.get("table"))
        if report is None:
            raise CommandError(
                "another retention run holds the lock; try again later (另一次运行正在进行)", returncode=1
            )
        data = report.as_dict()
        if opts["json"]:
            self.stdout.write(json_line(data))
            return
        verb = "would " if report.dry_run else ""
        for name in data["created"]:
            self.stdout.write(f"{verb}create {name}")
        for item in data["detached"]:
            action = "detach and drop" if item["dropped"] else "detach (kept)"
            self.stdout.write(f"{verb}{action} {item['partition']} ({item['rows']} rows)")
        for table, n in data["deleted"].items():
            self.stdout.write(f"{verb}delete {n} rows of {table}")
        if not (data["created"] or data["detached"] or data["deleted"]):
            self.stdout.write("nothing to do")

    def _status(self, *, as_json: bool) -> None:
        rows: list[dict[str, Any]] = []
        for entry in partitions.registered():
            parted = partitions.is_partitioned(entry.table)
            rows.append(
                {
                    "name": entry.name,
                    "table": entry.table,
                    "retention": entry.describe(),
                    "setting": entry.setting,
                    "partitioned": parted,
                    "partitions": [
                        {"name": p.name, "rows": p.rows}
                        for p in (partitions.partitions(entry.table, count_rows=True) if parted else [])
                    ],
                }
            )
        if as_json:
            self.stdout.write(json_line(rows))
            return
        for row in rows:
            kind = f"{len(row['partitions'])} partitions" if row["partitioned"] else "plain table"
            self.stdout.write(f"{row['table']} ({row['name']}): keep {row['retention']}; {kind}")
            for p in row["partitions"]:
                self.stdout.write(f"  {p['name']}: {p['rows']} rows")
