"""Notices to people (a booking promoted, an order cancelled, a case closed): SMS through the configured
backend, sent after commit, in the person's language. Every domain sends through `notify_user`.

The full phone number goes to the SMS backend (it has to); logs only ever see the masked number.
"""

from __future__ import annotations

import logging

from django.db import transaction

from linli.core.models import User
from linli.core.phones import mask_phone
from linli.core.sms import SmsSendError, get_sms_backend

logger = logging.getLogger("linli.notifications")

PREFIX = "【邻里】"


def _send(phone: str, message: str) -> None:
    try:
        get_sms_backend().send(phone, message)
    except SmsSendError as exc:  # a failed notice must not break the write that caused it
        logger.warning("notice to %s not sent: %s", mask_phone(phone), exc)
    else:
        logger.info("notice sent to %s", mask_phone(phone))


def notify_user(*, user: User, message_zh: str, message_en: str = "") -> None:
    """Send `message_zh` (plus the English text, when given and the person prefers English) after commit."""
    phone = getattr(user, "phone", "") or ""
    if not phone:
        return
    text = message_zh
    if message_en and (getattr(user, "language", "") or "").startswith("en"):
        text = message_en
    if not text.startswith(PREFIX):
        text = PREFIX + text
    transaction.on_commit(lambda: _send(phone, text))
