"""The Open311 tests' fixtures: a street with the default categories, a unit grid over the test point, another
street, and an API key."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from linli.cases.services.clients import client_create
from linli.cases.services.reports import categories_default_create
from linli.core.models import Grid
from linli.core.tests.factories import StreetFactory


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def street():
    s = StreetFactory(code="o311jie", name="测试街道", name_en="Test Subdistrict", hotline="021-60000000")
    categories_default_create(street=s)
    return s


@pytest.fixture
def grid(street):
    return Grid.objects.create(
        street=street,
        external_id="U1",
        name="第一网格",
        level="unit",
        geometry={
            "type": "Polygon",
            "coordinates": [[[121.39, 31.25], [121.40, 31.25], [121.40, 31.26], [121.39, 31.26], [121.39, 31.25]]],
        },
        min_lat=31.25,
        min_lng=121.39,
        max_lat=31.26,
        max_lng=121.40,
    )


@pytest.fixture
def other_street():
    s = StreetFactory(code="o311other", name="别的街道")
    categories_default_create(street=s)
    return s


@pytest.fixture
def key(street):
    _client, raw = client_create(street=street, name="12345 热线")
    return raw
