"""The demo's tests run like each domain's own: SMS to the outbox, an empty cache, no LLM configured."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from linli.core.sms import OutboxSmsBackend


@pytest.fixture(autouse=True)
def _outbox_cache_and_offline_assistant(settings) -> Iterator[None]:  # noqa: ANN001
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    settings.LINLI_ASSISTANT_LLM_URL = ""
    cache.clear()
    OutboxSmsBackend.clear()
    yield
    cache.clear()
    OutboxSmsBackend.clear()
