"""The places tests' fixtures: the small service map, and a fresh nearest index per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linli.places import selectors
from linli.places.tests.factories import MapData, build_map_data


@pytest.fixture(autouse=True)
def _fresh_nearest_index() -> Iterator[None]:
    """The nearest index is a process-wide cache; each test starts from the database it sees."""
    selectors.nearest_index_invalidate_local()
    yield
    selectors.nearest_index_invalidate_local()


@pytest.fixture
def map_data(db: None) -> MapData:
    return build_map_data()


@pytest.fixture
def live_map_data(transactional_db: None) -> MapData:
    return build_map_data()
