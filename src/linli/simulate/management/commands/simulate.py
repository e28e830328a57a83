"""`linli simulate city --scale F --days N [--seed S] [--end YYYY-MM-DD] [--database URL]`: a synthetic city at a
fraction F of Shanghai with N days of history (linli.simulate). With --database the command runs again against that
database (migrated first), in a child process with LINLI_DATABASE_URL set."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from linli.core.commands import json_line, problems_exit_1
from linli.simulate.generate import simulate_city


class Command(BaseCommand):
    help = "模拟城市 Synthetic city: `simulate city --scale 0.01 --days 30` (see linli.simulate)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["city"])
        parser.add_argument("--scale", type=float, required=True, help="fraction of Shanghai, e.g. 0.01")
        parser.add_argument("--days", type=int, required=True, help="days of history before --end")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--end", type=dt.date.fromisoformat, default=None, help="today (default) or YYYY-MM-DD")
        parser.add_argument("--database", default="", help="postgres://... (migrated, then filled)")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    @problems_exit_1
    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["database"]:
            env = {**os.environ, "LINLI_DATABASE_URL": opts["database"], "LINLI_PG_PREPARED_STATEMENTS": "0"}
            linli = [sys.executable, "-m", "linli.cli"]
            subprocess.run([*linli, "migrate", "--noinput", "-v", "0"], env=env, check=True)  # noqa: S603
            again = [*linli, "simulate", "city", "--scale", str(opts["scale"]), "--days", str(opts["days"]),
                     "--seed", str(opts["seed"]), *(["--end", opts["end"].isoformat()] if opts["end"] else []),
                     *(["--json"] if opts["json"] else [])]  # fmt: skip
            raise SystemExit(subprocess.run(again, env=env, check=False).returncode)  # noqa: S603
        summary = simulate_city(
            scale=opts["scale"], days=opts["days"], seed=opts["seed"], end=opts["end"],
            progress=lambda msg: self.stderr.write(msg),
        )  # fmt: skip
        if opts["json"]:
            self.stdout.write(json_line(summary))
            return
        self.stdout.write(
            f"模拟城市 synthetic city: {len(summary['streets'])} streets, {summary['rows_total']:,} rows in "
            f"{summary['seconds']} s (scale {summary['scale']}, {summary['days']} days, seed {summary['seed']})"
        )
        for table, n in summary["rows"].items():
            self.stdout.write(f"  {table}: {n:,}")
