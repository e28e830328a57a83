"""The whole-project tests' fixtures: SMS to the outbox and an empty cache, like each domain's own tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from linli.core.sms import OutboxSmsBackend


@pytest.fixture(autouse=True)
def _outbox_and_cache(settings: Any) -> Iterator[None]:
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    cache.clear()
    OutboxSmsBackend.clear()
    yield
    cache.clear()
    OutboxSmsBackend.clear()
