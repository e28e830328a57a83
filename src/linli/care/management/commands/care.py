"""`linli care device PERSON_ID [--name NAME] [--json]` gives a registered person a call device and prints its
token (shown this once); `linli care sweep [--json]` runs every care clock once (what Celery beat runs every 15 s)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from linli.care import selectors
from linli.care.services import calls, checks, followups, register, visits
from linli.core.commands import json_line, problems_exit_1


class Command(BaseCommand):
    help = "关爱：呼叫设备和时钟 / Care: call devices and the clocks."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        device = sub.add_parser("device", help="登记呼叫设备 give a registered person a call device")
        device.add_argument("person", type=int, help="关爱对象编号 the registered person's id")
        device.add_argument("--name", default="")
        device.add_argument("--json", action="store_true", help="print {device, token, person} as JSON")
        sweep = sub.add_parser("sweep", help="运行一次所有时钟 run every care clock once")
        sweep.add_argument("--json", action="store_true")

    @problems_exit_1
    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "device":
            person = selectors.person_get(person_id=opts["person"])
            device, token = register.device_create(actor=None, person=person, name=opts["name"])
            if opts["json"]:
                self.stdout.write(json_line({"device": device.pk, "token": token, "person": person.pk}))
            else:
                self.stdout.write(f"device: {device.pk}")
                self.stdout.write(f"token:  {token}")
            self.stderr.write("设备令牌只显示这一次 / the device token is shown this once: put it in the device now")
            return
        result = {
            "calls": calls.calls_sweep(),
            "alerts": checks.alerts_sweep(),
            "visits": visits.visits_sweep(),
            "followups": followups.followups_sweep(),
        }
        self.stdout.write(json_line(result) if opts["json"] else str(result))
