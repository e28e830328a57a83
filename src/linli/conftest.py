"""The project's shared fixtures are a pytest plugin in core (`linli.core.testing.plugin`); each domain's own are
in its `tests/conftest.py`. Test data: each domain's `tests/factories*.py`.

Here, above every domain: after each test's body, the process-wide gate-wire threads a test may have started (a tap
on an MQTT gate starts the wire client and its event recorder; `linli serve`'s embedded listener) are stopped while
the test's database is still there. Left running, their recorder wrote after the test, with database access
blocked, and its log line met pytest's closed output."""

from __future__ import annotations

from collections.abc import Generator

import pytest

pytest_plugins = ["linli.core.testing.plugin"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    try:
        return (yield)
    finally:
        from linli.access.gatewire import client, listener

        client.reset_wire()
        listener.stop_in_process()
