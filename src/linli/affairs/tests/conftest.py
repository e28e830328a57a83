"""The affairs tests' fixtures (shared ones come from the core pytest plugin): private files in a temporary
folder, SMS to the outbox, a street with an affairs centre, items, windows and a remote point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from linli.affairs.tests.factories import AffairsWorld, build_world


@pytest.fixture(autouse=True)
def _private_files(settings: Any, tmp_path: Path) -> None:
    settings.LINLI_PRIVATE_ROOT = str(tmp_path / "private")
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"


@pytest.fixture
def world(db: None) -> AffairsWorld:
    return build_world()
