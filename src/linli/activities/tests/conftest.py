"""The activities tests' fixtures: the small service map of the places tests, for the browser test's live server."""

from __future__ import annotations

import pytest

from linli.places.tests.factories import MapData, build_map_data


@pytest.fixture
def live_map_data(transactional_db: None) -> MapData:
    return build_map_data()
