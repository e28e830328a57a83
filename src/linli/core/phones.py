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
