from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from linli.assistant.tests.factories import World, build_world


@pytest.fixture(autouse=True)
def _fresh_limits(settings) -> Iterator[None]:  # noqa: ANN001
    """Rate-limit counters live in the cache; every test starts with none and without an LLM configured."""
    settings.LINLI_ASSISTANT_LLM_URL = ""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db: None) -> World:
    return build_world()
