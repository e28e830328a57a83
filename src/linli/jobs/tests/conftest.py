from __future__ import annotations

import pytest

from linli.jobs.tests.factories import JobsWorld, build_jobs_world


@pytest.fixture
def world(db: None) -> JobsWorld:
    return build_jobs_world()
