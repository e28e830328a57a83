"""`linli access policy COMPOUND [--off | --on] [--hours HH:MM-HH:MM] [--partners A,B] [--max-per-hour N]
[--other-streets | --own-street] [--street CODE]` sets (and prints) a compound's rider access policy;
`linli access manager COMPOUND --phone P [--remove]` puts a property manager in charge of a compound;
`linli access sweep` records the alerts due now."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from linli.access import selectors
from linli.access.services import gates as gate_services
from linli.access.services import policy as policy_services
from linli.access.services.alerts import access_alert_sweep
from linli.core.commands import problems_exit_1
from linli.core.services import user_get_or_create


class Command(BaseCommand):
    help = "小区通行策略与物业 / A compound's rider access policy and its property managers."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        pol = sub.add_parser("policy", help="设置通行策略 set the policy (no option: print it)")
        pol.add_argument("compound")
        pol.add_argument("--street")
        onoff = pol.add_mutually_exclusive_group()
        onoff.add_argument("--on", dest="riders_allowed", action="store_const", const=True)
        onoff.add_argument("--off", dest="riders_allowed", action="store_const", const=False)
        pol.add_argument("--hours", help="HH:MM-HH:MM（可跨午夜 may cross midnight）；all 为全天 all day")
        pol.add_argument("--partners", help="A,B（平台代码或名称 codes or names）；all 为全部 all")
        pol.add_argument("--max-per-hour", type=int, help="每名骑手每小时次数；0 为不限 0: no limit")
        other = pol.add_mutually_exclusive_group()
        other.add_argument("--other-streets", dest="other_streets", action="store_const", const=True)
        other.add_argument("--own-street", dest="other_streets", action="store_const", const=False)
        mgr = sub.add_parser("manager", help="小区物业 a compound's property manager")
        mgr.add_argument("compound")
        mgr.add_argument("--street")
        mgr.add_argument("--phone", required=True)
        mgr.add_argument("--remove", action="store_true")
        sub.add_parser("sweep", help="记录告警 record due alerts")

    @problems_exit_1
    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "sweep":
            self.stdout.write(json.dumps(access_alert_sweep()))
            return
        compound = selectors.compound_by_external_id(external_id=opts["compound"], street=opts["street"])
        if opts["action"] == "manager":
            user = user_get_or_create(phone=opts["phone"])
            if opts["remove"]:
                gate_services.compound_manager_remove(compound=compound, user=user, actor=None)
            else:
                gate_services.compound_manager_add(compound=compound, user=user, actor=None)
            names = [m.user.phone[-4:] for m in compound.managers.select_related("user")]
            self.stdout.write(f"{compound.external_id}\tmanagers (last 4 digits): {', '.join(names) or '-'}")
            return
        changes: dict[str, Any] = {}
        if opts["riders_allowed"] is not None:
            changes["riders_allowed"] = opts["riders_allowed"]
        if opts["hours"] is not None:
            changes["hours"] = "" if opts["hours"] == "all" else opts["hours"]
        if opts["partners"] is not None:
            changes["partners"] = [] if opts["partners"] == "all" else opts["partners"].split(",")
        if opts["max_per_hour"] is not None:
            changes["max_per_hour"] = opts["max_per_hour"] or None
        if opts["other_streets"] is not None:
            changes["other_streets"] = opts["other_streets"]
        policy = policy_services.policy_set(compound=compound, actor=None, **changes) if changes else None
        data = policy_services.policy_dict(policy or policy_services.policy_get(compound=compound))
        self.stdout.write(f"{compound.street.code}/{compound.external_id} {compound.name}")
        self.stdout.write(json.dumps(data, ensure_ascii=False))
