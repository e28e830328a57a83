"""The voice tests' fixtures: SMS to the outbox, photos into a temporary media root, an empty cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from linli.core.sms import OutboxSmsBackend


@pytest.fixture(autouse=True)
def _env(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    OutboxSmsBackend.clear()
    yield
    OutboxSmsBackend.clear()
