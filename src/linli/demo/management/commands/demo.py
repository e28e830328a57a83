"""`linli demo`: load the sample street (modelled on Wanli street, Putuo) and print the demo logins."""

from __future__ import annotations

import os
import unicodedata
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.core.errors import Problem
from linli.core.i18n import both_languages
from linli.core.phones import normalize_phone
from linli.core.probe import optional_services
from linli.demo import ACCOUNTS, ADMIN_PASSWORD
from linli.demo.access import demo_access_load
from linli.demo.loader import DemoError, demo_load

ADMIN_PHONE = next(a.phone for a in ACCOUNTS if a.superuser)

SMS_HOW = "手机验证码：在 /login/ 输入手机号，验证码打印在服务器控制台 / the code is printed on the server console"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


class Command(BaseCommand):
    help = (
        "加载示例街道（以普陀区万里街道为原型的示例数据）并打印演示账号 / Load the sample street and print demo logins"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="先删除示例街道再重建 / delete the sample street first (sample only)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = demo_load(reset=options["reset"])
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        except Problem as exc:
            details = "; ".join(
                f"#{e.get('feature', '-')} {e.get('field', '')}: {both_languages(e.get('message', ''))}"
                for e in exc.errors
            )
            raise CommandError(f"{exc.code}: {both_languages(exc.detail or exc.code)} {details}") from exc

        street = result.street
        out = self.stdout
        verb = "已创建 created" if result.street_created else "已更新 refreshed"
        out.write(self.style.SUCCESS(f"示例街道 {street.name}（{street.code}，{street.district}）{verb} — SAMPLE data"))
        out.write(f"  居委会 committees: {street.committees.count()}  (new: {result.committees_created})")
        for name, counts in result.imports.items():
            summary = ", ".join(f"{k} {v}" for k, v in counts.items())
            out.write(f"  {name}: {summary}")
        out.write("")
        rows = [["角色 role", "称呼 name", "手机号 phone", "先看 first page", "登录方式 how to sign in"]]
        for account, _user in result.accounts:
            how = "手机验证码 SMS code at /login/"
            if account.superuser:
                how += "；后台 /admin/ 密码见下 password below"
            first = account.first_page.format(street=street.code)
            rows.append([f"{account.label_zh} {account.label_en}", account.display_name, account.phone, first, how])
        out.write("演示账号 Demo logins（示例号码，非真实手机号 / sample numbers, not real phones）:")
        for line in _table(rows):
            out.write("  " + line)
        out.write(f"  {SMS_HOW}")
        out.write(f"  /admin/ 用户名 username: {normalize_phone(ADMIN_PHONE)}")
        out.write("  /admin/ 密码 password（示例 demo）:")
        out.write(ADMIN_PASSWORD)  # a secret on a line of its own
        demo_access_load(street=street, stdout=out)
        out.write("")
        out.write("可选服务 Optional services:")
        for found in optional_services():
            out.write(f"  {'✓' if found.found else '·'} {found.text}")
        port = os.environ.get("LINLI_PORT") or str(getattr(settings, "LINLI_PORT", 8000))
        site = str(getattr(settings, "LINLI_SITE_URL", "") or f"http://127.0.0.1:{port}").rstrip("/")
        out.write("")
        out.write(self.style.SUCCESS(f"打开 Open: {site}/"))
