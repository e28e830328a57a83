"""Reading what partners actually send: the shared rules of every import ("liberal in what is accepted").

* Text files: UTF-8 with or without a BOM, UTF-16 with a BOM, and GB18030 (a superset of GBK, what Excel on a
  Chinese Windows writes for "CSV (逗号分隔)") when the bytes are not UTF-8. `decode_text` says which it used.
* Cells: full-width digits, letters and punctuation (１２３，ＡＢＣ) are read as their ASCII forms (NFKC), spaces
  around a value are dropped, codes are matched case-insensitively.
* Numbers: `1200`, `１２００`, `1,200`, `1，200` and ` 1200 ` are all 1200; a fraction or a word is refused.
* Dates: `2027-01-01`, `2027/1/1`, `2027.1.1`, `2027年1月1日`, `20270101`.

What no reading makes sane is refused by linli.core.inputs' rules: an integer beyond ±2^63, a date outside
1900–2100 (the parsers below answer None: "not a number", "not a date").
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from linli.core.inputs import InputError, check_date, check_int


def decode_text(data: bytes | str) -> tuple[str, str]:
    """(text, encoding name) of a file's bytes; the BOM is removed. Raises UnicodeDecodeError when it is none
    of UTF-8, UTF-16 (with a BOM) or GB18030."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"


def read_text_file(path: str) -> tuple[str, str]:
    """A file's text by `decode_text` (`-` reads standard input's bytes)."""
    import sys

    if path == "-":
        return decode_text(sys.stdin.buffer.read())
    with open(path, "rb") as fh:
        return decode_text(fh.read())


def norm(value: object) -> str:
    """A cell as plain text: NFKC (full-width → ASCII), outer spaces (also U+3000) removed."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def code(value: object) -> str:
    """A code as the platform writes it: NFKC, lower case, spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", norm(value).lower())


_INT = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+|[+-]?\d+")


def parse_int(value: object) -> int | None:
    """An integer written any usual way (full-width digits, thousands separators); None when it is not one."""
    text = norm(value).replace(" ", "")
    if not text or not _INT.fullmatch(text):
        return None
    try:
        return check_int(int(text.replace(",", "")))
    except InputError:
        return None


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{4})(\d{2})(\d{2})")


def parse_date(value: object) -> dt.date | None:
    """A calendar date written any usual way; None when it is not one."""
    m = _DATE.fullmatch(norm(value))
    if not m:
        return None
    y, mo, d = (m[1], m[2], m[3]) if m[1] else (m[4], m[5], m[6])
    try:
        return check_date(dt.date(int(y), int(mo), int(d)))
    except (ValueError, InputError):
        return None
