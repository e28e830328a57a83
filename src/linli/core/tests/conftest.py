from __future__ import annotations

import pytest
from django.core.cache import cache

from linli.core.sms import OutboxSmsBackend


@pytest.fixture(autouse=True)
def _clean_cache_and_outbox(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    cache.clear()
    OutboxSmsBackend.clear()
    yield
    cache.clear()
    OutboxSmsBackend.clear()


@pytest.fixture
def outbox():
    return OutboxSmsBackend.outbox


def last_code(phone: str) -> str:
    """The 6-digit code of the last SMS sent to `phone` (E.164)."""
    import re

    for sms in reversed(OutboxSmsBackend.outbox):
        if sms.phone == phone:
            return re.search(r"\d{6}", sms.message).group(0)
    raise AssertionError(f"no SMS sent to {phone}")
