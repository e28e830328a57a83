import pytest


@pytest.fixture(autouse=True)
def _fresh_nearest_index():
    """The nearest index is a process-wide cache; each test starts from the database it sees."""
    from linli.places import selectors

    selectors.nearest_index_invalidate_local()
    yield
    selectors.nearest_index_invalidate_local()
