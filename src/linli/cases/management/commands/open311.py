"""`linli open311 key create|list|revoke`: API keys of Open311 GeoReport v2 clients (partner apps, the 12345 bridge).

`KEY=$(linli open311 key create --street CODE --name "12345 热线")` captures only the key; it is shown once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.cases.services.clients import client_create, client_list, client_revoke
from linli.core import selectors
from linli.core.commands import json_line, problems_exit_1
from linli.core.errors import Problem


class Command(BaseCommand):
    help = "Manage Open311 client API keys (管理 Open311 客户端密钥)."

    def add_arguments(self, parser: CommandParser) -> None:
        top = parser.add_subparsers(dest="what", required=True)
        key = top.add_parser("key", help="client API keys")
        sub = key.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a key for a client; prints only the key")
        create.add_argument("--street", required=True, help="street code (the Open311 jurisdiction_id)")
        create.add_argument("--name", required=True, help="the client, e.g. '12345 热线'")
        create.add_argument("--json", action="store_true", help="print {key, prefix, client, street} as JSON")
        lst = sub.add_parser("list", help="list a street's clients (key prefix only)")
        lst.add_argument("--street", required=True)
        revoke = sub.add_parser("revoke", help="revoke a client's key by its prefix")
        revoke.add_argument("--street", required=True)
        revoke.add_argument("--prefix", required=True)

    @problems_exit_1
    def handle(self, *args: Any, **opts: Any) -> None:
        street = selectors.street_get(code=opts["street"])
        action = opts["action"]
        if action == "create":
            client, raw = client_create(street=street, name=opts["name"])
            if opts.get("json"):
                data = {"key": raw, "prefix": client.prefix, "client": client.name, "street": street.code}
                self.stdout.write(json_line(data))
            else:
                self.stdout.write(raw)  # the key alone on its line
        elif action == "list":
            for client in client_list(street=street):
                state = "revoked" if client.revoked_at else "active"
                created = client.created_at.isoformat(timespec="seconds")
                self.stdout.write(f"{client.prefix}…\t{state}\t{client.name}\tcreated {created}")
        elif action == "revoke":
            count = client_revoke(street=street, prefix=opts["prefix"])
            if count == 0:
                raise Problem(
                    "not_found",
                    detail=format_lazy(_("没有前缀为 {prefix} 的有效密钥"), prefix=opts["prefix"]),
                )
            self.stderr.write(f"revoked {count} key(s)")
