"""Mainland China mobile numbers: normalisation to E.164 (+86...) and masking for lists and logs."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str) -> str:
    """Return '+86' followed by the 11-digit mobile number, or raise InvalidPhone."""
    digits = re.sub(r"[\s\-()]", "", str(raw or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not _MOBILE.match(digits):
        raise InvalidPhone(raw)
    return "+86" + digits


def mask_phone(phone: str) -> str:
    """+8613812345678 -> 138****5678 (PIPL: lists and logs never show the whole number)."""
    digits = phone[3:] if phone.startswith("+86") else phone
    if len(digits) < 7:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


# A mobile number as people type it into free text: 13812345678, 138 1234 5678, 138-1234-5678, +86 138…, 0086…
_MOBILE_IN_TEXT = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?!\d)")
# A resident identity card number: 17 digits and a check digit (0-9 or X).
_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{6}[\s-]?\d{8}[\s-]?\d{3}[\dXx](?![0-9A-Za-z])")


def mask_personal_text(text: str) -> str:
    """Free text made fit to publish (PIPL): mobile numbers become 138****5678 and identity card numbers
    ****************** wherever they appear. Every text shown to people other than its author goes through this
    (Open311, case pages, activity pages and feeds, the assistant's log, every CSV and Excel cell)."""
    if not text:
        return text
    text = _ID_NUMBER_IN_TEXT.sub("*" * 18, text)
    return _MOBILE_IN_TEXT.sub(r"\1****\2", text)
