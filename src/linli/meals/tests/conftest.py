import pytest
from django.core.cache import cache

from linli.core.sms import OutboxSmsBackend


@pytest.fixture(autouse=True)
def _outbox_and_cache(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    cache.clear()
    OutboxSmsBackend.clear()
    yield
    OutboxSmsBackend.clear()
