"""The demo's tests run like each domain's own: SMS to the outbox, an empty cache, no LLM configured."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from linli.core.models import Street
from linli.core.sms import OutboxSmsBackend
from linli.demo.loader import demo_load


@pytest.fixture(autouse=True)
def _outbox_cache_and_offline_assistant(settings) -> Iterator[None]:  # noqa: ANN001
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    settings.LINLI_ASSISTANT_LLM_URL = ""
    cache.clear()
    OutboxSmsBackend.clear()
    yield
    cache.clear()
    OutboxSmsBackend.clear()


@pytest.fixture(scope="module")
def demo_street_shared(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Street]:
    """The sample street built once for a module whose tests only read it (the assistant's questions): inside a
    transaction rolled back after the module's last test; each test runs in a savepoint of it (pytest-django's own
    per-test transaction), so what a test writes is gone for the next. Each build takes 20-45 s: a module of 13
    questions built it 13 times."""
    sms = override_settings(LINLI_SMS_BACKEND="linli.core.sms.OutboxSmsBackend")  # the demo's notices, kept
    with django_db_blocker.unblock(), sms:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            OutboxSmsBackend.clear()
            yield demo_load().street
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            OutboxSmsBackend.clear()
