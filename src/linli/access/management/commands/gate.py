"""`linli gate add COMPOUND --name NAME [--device-id X] [--transport mqtt|http] [--street CODE]` registers a gate
and prints its public id and device secret (shown this once); `linli gate list [COMPOUND]` lists gates with their
online state; `linli gate rekey GATE` prints a new device secret."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.access import selectors
from linli.access.models import Gate, Transport
from linli.access.services import gates as gate_services
from linli.core.commands import json_line, problems_exit_1
from linli.core.errors import Problem


class Command(BaseCommand):
    help = "登记和查看门禁 / Register and list gates."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="登记门禁 register a gate")
        add.add_argument("compound", help="小区编号 the compound's external id")
        add.add_argument("--name", required=True)
        add.add_argument("--device-id", default="")
        add.add_argument("--transport", default=Transport.MQTT, choices=Transport.values)
        add.add_argument("--street", help="街道代码 the street's code, when the external id is ambiguous")
        add.add_argument("--json", action="store_true", help="print {gate, secret, compound, street} as JSON")
        lst = sub.add_parser("list", help="列出门禁 list gates")
        lst.add_argument("compound", nargs="?")
        lst.add_argument("--street")
        rekey = sub.add_parser("rekey", help="更换设备密钥 new device secret")
        rekey.add_argument("gate", help="门禁编号 the gate's public id")
        rekey.add_argument("--json", action="store_true", help="print {gate, secret, compound, street} as JSON")

    def _print_secret(self, opts: dict[str, Any], gate: Gate, secret: str) -> None:
        """The gate's id and its device secret, each on a line of its own (or one JSON object)."""
        if opts.get("json"):
            data = {"gate": gate.public_id, "secret": secret, "compound": gate.compound.external_id}
            self.stdout.write(json_line({**data, "street": gate.street.code}))
        else:
            self.stdout.write(f"gate:   {gate.public_id}")
            self.stdout.write(f"secret: {secret}")
        self.stderr.write("设备密钥只显示这一次 / the device secret is shown this once: put it in the controller now")

    @problems_exit_1
    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "add":
            compound = selectors.compound_by_external_id(external_id=opts["compound"], street=opts["street"])
            new = gate_services.gate_create(
                compound=compound,
                name=opts["name"],
                device_id=opts["device_id"],
                transport=opts["transport"],
                actor=None,
            )
            self._print_secret(opts, new.gate, new.secret)
        elif action == "rekey":
            gate = Gate.objects.select_related("street").filter(public_id=opts["gate"]).first()
            if gate is None:
                raise Problem("not_found", detail=format_lazy(_("没有门禁 {gate}"), gate=opts["gate"]))
            self._print_secret(opts, gate, gate_services.gate_rekey(gate=gate, actor=None))
        else:
            qs = Gate.objects.select_related("compound", "street").order_by("street__code", "compound__external_id")
            if opts["compound"]:
                qs = qs.filter(
                    compound=selectors.compound_by_external_id(external_id=opts["compound"], street=opts["street"])
                )
            elif opts["street"]:
                qs = qs.filter(street__code=opts["street"])
            for gate in qs:
                state = "online" if gate_services.gate_online(gate) else "offline"
                active = "" if gate.active else "\tinactive"
                self.stdout.write(
                    f"{gate.public_id}\t{gate.street.code}\t{gate.compound.external_id}\t{gate.name}\t{gate.transport}\t{state}{active}"
                )
