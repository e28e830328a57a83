"""Every access test ends with no gate-wire thread of its own left running.

A tap on an MQTT gate starts the process's wire client (`gatewire.client.wire()`), whose event recorder thread
writes to the database; `linli serve`'s embedded listener does the same. Left running, they would write during
later tests, outside any test's database access, or on a test database connection that has gone away. So the
process-wide ones are stopped right after each test's body, while its database is still there (for every test of
the project, by src/linli/conftest.py: a page test that taps a gate starts the client too), and a recorder thread
that a test started and did not stop fails that test.

Fixtures of the wire tests: `wire` (a platform client connected to the real Mosquitto) and `controllers` (start
simulated gate controllers, stopped after the test). Their test data is in `factories_wire`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator

import pytest

from linli.access.gatewire.client import GateWire
from linli.access.gatewire.simulator import GateController
from linli.access.tests.factories_wire import BROKER, Gate, require_mosquitto

RECORDER_THREAD = "gate-event-recorder"


def recorder_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == RECORDER_THREAD and t.is_alive()]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    before: set[threading.Thread] = getattr(item, "_gate_threads_before", set())
    result = yield
    deadline = time.monotonic() + 5
    while (left := [t for t in recorder_threads() if t not in before]) and time.monotonic() < deadline:
        time.sleep(0.05)
    if left:
        raise AssertionError(f"{item.nodeid} left {len(left)} gate event recorder thread(s) running")
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item._gate_threads_before = set(recorder_threads())  # type: ignore[attr-defined]


@pytest.fixture
def wire() -> Iterator[GateWire]:
    require_mosquitto()
    gate_wire = GateWire(BROKER, record_heartbeats=False, record_late_reports=False)
    assert gate_wire.wait_connected(5)
    yield gate_wire
    gate_wire.stop()


@pytest.fixture
def controllers() -> Iterator[Callable[..., GateController]]:
    started: list[GateController] = []

    def start(gate: Gate, **kwargs: object) -> GateController:
        controller = GateController(gate.public_id, gate.secret, BROKER, **kwargs).start()  # type: ignore[arg-type]
        assert controller.wait_connected(5)
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()
