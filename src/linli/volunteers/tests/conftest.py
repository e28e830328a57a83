"""The volunteers tests' fixtures: SMS to the outbox and the world of factories.build_world."""

from __future__ import annotations

from typing import Any

import pytest

from linli.volunteers.tests.factories import VolWorld, build_world


@pytest.fixture(autouse=True)
def _outbox(settings: Any) -> None:
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"


@pytest.fixture
def world(db: None) -> VolWorld:
    return build_world()
