"""The core tests' fixtures: SMS to the outbox and an empty cache for every test."""

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
