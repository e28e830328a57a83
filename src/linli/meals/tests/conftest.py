import pytest
from django.core.cache import cache

from linli.core.sms import OutboxSmsBackend
from linli.meals.tests.factories_resident import Meals, build_meals


@pytest.fixture(autouse=True)
def _outbox_and_cache(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    cache.clear()
    OutboxSmsBackend.clear()
    yield
    OutboxSmsBackend.clear()


@pytest.fixture
def meals() -> Meals:
    """A street with a kitchen serving a meal point and a venue, tomorrow's lunch menu and pricing tiers."""
    return build_meals()
