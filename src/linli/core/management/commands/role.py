"""`linli role grant|revoke --phone P --role R --street C` and `linli role list --street C`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from linli.core import selectors, services
from linli.core.commands import problems_exit_1
from linli.core.management.commands.token import existing_user
from linli.core.models import Role, RoleAssignment
from linli.core.phones import mask_phone


class Command(BaseCommand):
    help = "Grant, revoke or list staff roles per street (角色)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("grant", "revoke"):
            p = sub.add_parser(name)
            p.add_argument("--phone", required=True)
            p.add_argument("--role", required=True, help=", ".join(Role.values))
            p.add_argument("--street", required=True)
        lst = sub.add_parser("list")
        lst.add_argument("--street", required=True)

    @problems_exit_1
    def handle(self, *args: Any, **opts: Any) -> None:
        street = selectors.street_get(code=opts["street"])
        action = opts["action"]
        if action == "grant":
            user = services.user_get_or_create(phone=opts["phone"])
            services.role_assign(user=user, street=street, role=opts["role"])
            self.stdout.write(f"{mask_phone(user.phone)}\t{street.code}\t{opts['role']}")
        elif action == "revoke":
            user = existing_user(opts["phone"])
            if not services.role_revoke(user=user, street=street, role=opts["role"]):
                self.stderr.write(f"{mask_phone(user.phone)} did not hold {opts['role']} in {street.code}")
        else:
            rows = RoleAssignment.objects.filter(street=street).select_related("user").order_by("role", "user__phone")
            for r in rows:
                name = r.user.display_name or "-"
                self.stdout.write(f"{mask_phone(r.user.phone)}\t{name}\t{r.role}")
