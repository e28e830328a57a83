"""`linli token create|revoke|list`: bearer tokens for devices, scripts and tests.

`TOKEN=$(linli token create --phone 13800000000 --role admin --street wanli)` captures only the token.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core import selectors, services
from linli.core.commands import json_line, problems_exit_1
from linli.core.errors import Problem
from linli.core.models import ApiToken, Role, User
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone


def existing_user(phone: str) -> User:
    try:
        normalized = normalize_phone(phone)
    except InvalidPhone:
        raise Problem("invalid_phone", detail=format_lazy(_("{phone} 不是中国大陆手机号"), phone=repr(phone))) from None
    user = User.objects.filter(phone=normalized).first()
    if user is None:
        raise Problem("not_found", detail=format_lazy(_("没有用户 {phone}"), phone=mask_phone(normalized)))
    return user


class Command(BaseCommand):
    help = "Create, revoke or list API bearer tokens (创建、撤销、列出接口令牌)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token; prints only the token")
        create.add_argument("--phone", required=True)
        create.add_argument("--role", choices=Role.values)
        create.add_argument("--street", help="street code (required with --role)")
        create.add_argument("--name", default="", help="a label, e.g. the device")
        create.add_argument("--display-name", default="")
        create.add_argument("--json", action="store_true", help="print {token, prefix, user, role, street} as JSON")
        revoke = sub.add_parser("revoke", help="revoke tokens of a user (all, or one by --prefix)")
        revoke.add_argument("--phone", required=True)
        revoke.add_argument("--prefix")
        lst = sub.add_parser("list", help="list a user's tokens (prefix only)")
        lst.add_argument("--phone", required=True)

    @problems_exit_1
    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "create":
            if opts.get("role") and not opts.get("street"):
                raise CommandError("--role needs --street CODE (角色需指定街道)", returncode=1)
            street = selectors.street_get(code=opts["street"]) if opts.get("street") else None
            user = services.user_get_or_create(phone=opts["phone"], display_name=opts.get("display_name") or "")
            if opts.get("role") and street is not None:
                services.role_assign(user=user, street=street, role=opts["role"])
            raw = services.token_create(user=user, name=opts.get("name") or "cli")
            if opts.get("json"):
                data = {
                    "token": raw,
                    "prefix": raw[:10],
                    "user": mask_phone(user.phone),
                    "role": opts.get("role"),
                    "street": street.code if street else None,
                }
                self.stdout.write(json_line(data))
            else:
                self.stdout.write(raw)  # the token alone on its line: TOKEN=$(linli token create ...)
        elif action == "revoke":
            user = existing_user(opts["phone"])
            count = services.token_revoke(user=user, prefix=opts.get("prefix"))
            self.stderr.write(f"revoked {count} token(s) for {mask_phone(user.phone)}")
        elif action == "list":
            user = existing_user(opts["phone"])
            for t in ApiToken.objects.filter(user=user).order_by("created_at"):
                state = "revoked" if t.revoked_at else "active"
                used = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "-"
                created = t.created_at.isoformat(timespec="seconds")
                self.stdout.write(f"{t.prefix}…\t{state}\t{t.name or '-'}\tcreated {created}\tlast used {used}")
