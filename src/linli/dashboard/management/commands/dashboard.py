"""`linli dashboard rebuild|check [--street CODE] [--days N] [--json]`: the dashboard's counters, rebuilt from the
source tables, or compared with them (exit status 1 when they differ)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from linli.core.commands import json_line, problems_exit_1
from linli.core.models import Street
from linli.core.selectors import street_get
from linli.dashboard.services import counters


class Command(BaseCommand):
    help = "重建或核对指挥大屏的指标计数 rebuild or check the dashboard's KPI counters"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "check"])
        parser.add_argument("--street", help="street code (default: every street)")
        parser.add_argument("--days", type=int, default=None, help="days back from today (rebuild 400, check 7)")
        parser.add_argument("--json", action="store_true")

    @problems_exit_1
    def handle(self, *args: Any, **options: Any) -> None:
        streets = [street_get(code=options["street"])] if options["street"] else list(Street.objects.order_by("code"))
        action = options["action"]
        days = options["days"] or (400 if action == "rebuild" else 7)
        if days < 1 or days > 4000:
            raise CommandError("--days: 1..4000")
        today = timezone.localdate()
        report: dict[str, Any] = {}
        differ = False
        for street in streets:
            if action == "rebuild":
                report[street.code] = {"counters": counters.counters_rebuild(street=street, days=days)}
            else:
                diffs = counters.counters_check(
                    street=street, first_day=today - timedelta(days=days - 1), last_day=today
                )
                differ = differ or bool(diffs)
                report[street.code] = {"differences": len(diffs), "first": [d.as_dict() for d in diffs[:50]]}
        if options["json"]:
            self.stdout.write(json_line(report))
        else:
            for code, row in report.items():
                if action == "rebuild":
                    self.stdout.write(f"{code}: 重建 rebuilt {row['counters']} counters")
                else:
                    self.stdout.write(f"{code}: 不一致 differences {row['differences']}")
                    for d in row["first"]:
                        self.stdout.write(
                            f"  {d['day']} grid={d['grid']} {d['kpi']}: stored {d['stored']} ≠ source {d['source']}"
                        )
        if differ:
            raise CommandError("计数与源数据不一致 the counters differ from the source tables", returncode=1)
