"""`linli wallet topup PHONE FEN` / `linli wallet topup --csv FILE` / `linli wallet balance PHONE`.

Batch top-ups (the street's monthly subsidy, a counter's cash book) come as a CSV with the columns `phone,fen`
(optional `note`); the whole file is checked first and written in one transaction: all or nothing.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from linli.core import services as core_services
from linli.core.commands import problems_exit_1
from linli.core.errors import Problem
from linli.core.lenient import norm, parse_int, read_text_file
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone
from linli.core.selectors import street_get
from linli.meals.services import wallet as wallet_services

# Header words of a batch file (any case or width): the platform's names, the Chinese ones, common synonyms.
COLUMNS = {
    "phone": ("phone", "手机", "手机号", "手机号码", "电话", "mobile"),
    "fen": ("fen", "金额分", "金额(分)", "分", "amount_fen"),
    "note": ("note", "备注", "说明", "remark"),
}


def _fen(raw: str) -> int:
    """A positive amount in fen: "5000", "５０００", "5,000"; yuan ("50.00") and words are refused."""
    fen = parse_int(raw)
    if fen is None or fen <= 0:
        raise ValueError(raw)
    return fen


def _header(names: list[str]) -> dict[str, str]:
    """The file's column name for phone, fen and note (extra columns are ignored)."""
    found: dict[str, str] = {}
    for name in names:
        key = norm(name).lower().replace(" ", "").replace("（", "(").replace("）", ")")
        for column, words in COLUMNS.items():
            if key in words and column not in found:
                found[column] = name
    return found


class Command(BaseCommand):
    help = "助餐钱包 Meal wallets: top up (one resident, or a CSV batch: phone,fen[,note]) and show balances."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        topup = sub.add_parser("topup", help="top up: PHONE FEN, or --csv FILE with columns phone,fen[,note]")
        topup.add_argument("phone", nargs="?")
        topup.add_argument("fen", nargs="?", help="amount in fen (分): 5000 is ¥50.00")
        topup.add_argument("--csv", dest="csv_file", help="batch file ('-' for stdin)")
        topup.add_argument(
            "--street", help="the street whose wallet is topped up (default: home street, or the only one)"
        )
        topup.add_argument("--note", default="", help="a note on the ledger entries")
        balance = sub.add_parser("balance", help="print a resident's balance in fen (all streets, or --street)")
        balance.add_argument("phone")
        balance.add_argument("--street", help="only this street's wallet")

    @problems_exit_1
    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "balance":
            user = core_services.user_get_or_create(phone=opts["phone"])
            only = street_get(code=opts["street"]) if opts.get("street") else None
            self.stdout.write(str(wallet_services.wallet_balance(user=user, street=only)))
            return
        street = street_get(code=opts["street"]) if opts.get("street") else None
        rows = self._rows(opts)
        with transaction.atomic():
            for phone, fen, note in rows:
                user = core_services.user_get_or_create(phone=phone)
                entry = wallet_services.wallet_topup(
                    user=user, amount_fen=fen, actor=None, street=street, note=note or opts["note"]
                )
                self.stdout.write(f"{mask_phone(user.phone)}\t+{fen}\t{entry.balance_after_fen}")
        self.stderr.write(f"topped up {len(rows)} wallet(s), {sum(r[1] for r in rows)} fen in all")

    def _rows(self, opts: dict[str, Any]) -> list[tuple[str, int, str]]:
        errors: list[dict[str, Any]] = []
        rows: list[tuple[str, int, str]] = []
        if opts.get("csv_file"):
            if opts.get("phone") or opts.get("fen"):
                raise Problem("validation_error", detail=_("--csv 与 PHONE FEN 只能二选一"))
            try:
                text, _encoding = read_text_file(opts["csv_file"])  # UTF-8 (BOM or not) or GBK
            except UnicodeDecodeError:
                raise Problem("csv_invalid", detail=_("文件编码应为 UTF-8 或 GBK")) from None
            reader = csv.DictReader(io.StringIO(text))
            columns = _header(list(reader.fieldnames or []))
            if not {"phone", "fen"} <= set(columns):
                raise Problem("csv_invalid", detail=_("表头须包含 phone,fen（或 手机号,金额分）"))
            for line_no, raw_row in enumerate(reader, start=2):
                row = {k: norm(raw_row.get(v) or "") for k, v in columns.items()}
                if not any(row.values()):
                    continue  # a blank line
                try:
                    phone = normalize_phone(row.get("phone") or "")
                except InvalidPhone:
                    errors.append(
                        {
                            "line": line_no,
                            "field": "phone",
                            "message": _("手机号格式不正确"),
                        }
                    )
                    continue
                try:
                    fen = _fen(row.get("fen") or "")
                except ValueError:
                    errors.append(
                        {
                            "line": line_no,
                            "field": "fen",
                            "message": _("金额须为正整数（分）"),
                        }
                    )
                    continue
                rows.append((phone, fen, (row.get("note") or "").strip()))
        else:
            if not opts.get("phone") or not opts.get("fen"):
                raise Problem(
                    "validation_error",
                    detail=_("用法：linli wallet topup 手机号 金额（分）"),
                )
            try:
                rows.append((normalize_phone(opts["phone"]), _fen(opts["fen"]), ""))
            except InvalidPhone:
                raise Problem("invalid_phone") from None
            except ValueError:
                raise Problem("validation_error", detail=_("金额须为正整数（分）")) from None
        if errors:
            raise Problem("csv_invalid", errors=errors)
        if not rows:
            raise Problem("csv_invalid", detail=_("文件中没有数据行"))
        return rows
