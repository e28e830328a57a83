"""Gate wire waits: how long the gate wire's bounded waits take. The tests assert what each wait answers; how soon
it answers is a measurement, so it is here (DESIGN.md: tests assert behaviour, benchmarks measure time).

- `timeout`: `GateWire.open` to a gate no controller listens for, timeout 0.3 s, through Mosquitto: answers
  `timeout` (budget: between 0.25 s and 1 s: it waits its timeout, and not much longer);
- `broker_down`: `GateWire.open` against a port nobody listens on, timeout 3 s: answers `broker_down` (budget:
  under 1 s: it does not wait its timeout for a broker that is not there);
- `long_poll`: the HTTP gates' long poll on the in-process queue (embedded mode), a 5 s wait, a command pushed
  0.3 s into it: the poll answers with it (budget: within 0.2 s of the push, not at the end of the wait);
- `redis_pop`: the same poll on Redis with nothing queued, a 0.3 s wait: answers nothing (budget: after at least
  0.25 s: it blocks rather than spins).

Run alone: `.venv/bin/python bench/run.py gate_waits`; needs Mosquitto (LINLI_BENCH_MQTT_URL) and Redis
(LINLI_BENCH_REDIS_URL; keys under a fresh prefix, nothing flushed). REPEATS (LINLI_BENCH_GATE_WAITS_REPEATS, 5)
runs of each; the figures are seconds (min, median, max).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:  # bench/common.py
    sys.path.insert(0, str(BENCH_DIR))
import common  # noqa: E402

REPEATS = int(os.environ.get("LINLI_BENCH_GATE_WAITS_REPEATS", "5"))
PUSH_AFTER = 0.3


def _figures(samples: list[float]) -> dict:
    return {
        "min_s": round(min(samples), 3),
        "median_s": round(statistics.median(samples), 3),
        "max_s": round(max(samples), 3),
    }


def _timed(work: Callable[[], object], expect: Callable[[object], bool]) -> list[float]:
    samples = []
    for _ in range(REPEATS):
        started = time.monotonic()
        answer = work()
        samples.append(time.monotonic() - started)
        if not expect(answer):
            raise RuntimeError(f"unexpected answer: {answer!r}")
    return samples


def part_timeout() -> dict:
    from linli.access.gatewire import protocol
    from linli.access.gatewire.client import GateWire

    wire = GateWire(common.mqtt_url(), record_heartbeats=False, record_late_reports=False)
    if not wire.wait_connected(5):
        raise RuntimeError(f"could not connect to {common.mqtt_url()}")
    try:
        gate = protocol.new_gate_public_id()
        _, command_key = protocol.derive_keys(protocol.new_device_secret())
        samples = _timed(
            lambda: wire.open(gate_public_id=gate, command_key=command_key, tap_id=1, timeout=0.3),
            lambda result: result.outcome == "timeout",  # type: ignore[attr-defined]
        )
    finally:
        wire.stop()
    out = _figures(samples)
    out["within_budget"] = min(samples) >= 0.25 and max(samples) < 1.0
    return out


def part_broker_down() -> dict:
    from linli.access.gatewire import protocol
    from linli.access.gatewire.client import GateWire

    samples = []
    for _ in range(REPEATS):
        with socket.socket() as closed:  # a port nobody listens on
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        dead = GateWire(f"mqtt://127.0.0.1:{port}", record_heartbeats=False)
        gate = protocol.new_gate_public_id()
        _, command_key = protocol.derive_keys(protocol.new_device_secret())
        try:
            started = time.monotonic()
            result = dead.open(gate_public_id=gate, command_key=command_key, tap_id=1, timeout=3.0)
            samples.append(time.monotonic() - started)
        finally:
            dead.stop()
        if result.outcome != "broker_down":
            raise RuntimeError(f"expected broker_down, got {result!r}")
    out = _figures(samples)
    out["within_budget"] = max(samples) < 1.0
    return out


def _poll_wake(queue: object) -> float:
    from linli.access.gatewire import protocol

    gate = protocol.new_gate_public_id()
    _, command_key = protocol.derive_keys(protocol.new_device_secret())
    command = protocol.make_open_command(gate=gate, command_key=command_key, tap=1, now=time.time())
    pushed_at: list[float] = []

    def push() -> None:
        pushed_at.append(time.monotonic())
        queue.push_command(gate, command)  # type: ignore[attr-defined]

    timer = threading.Timer(PUSH_AFTER, push)
    timer.start()
    answer = queue.pop_commands(gate, 5.0)  # type: ignore[attr-defined]
    woke = time.monotonic()
    timer.join()
    if answer != [command]:
        raise RuntimeError(f"the poll answered {answer!r}")
    return woke - pushed_at[0]


def part_long_poll() -> dict:
    from linli.access.gatewire.queues import LocalCommandQueue

    queue = LocalCommandQueue()
    samples = [_poll_wake(queue) for _ in range(REPEATS)]
    out = _figures(samples)
    out["within_budget"] = max(samples) < 0.2
    return out


def part_redis_pop() -> dict:
    from linli.access.gatewire import protocol
    from linli.access.gatewire.queues import RedisCommandQueue

    queue = RedisCommandQueue(common.redis_url(), prefix=f"bench:gate-waits:{protocol.new_command_id()}")
    gate = protocol.new_gate_public_id()
    samples = _timed(lambda: queue.pop_commands(gate, 0.3), lambda answer: answer == [])
    out = _figures(samples)
    out["within_budget"] = min(samples) >= 0.25
    return out


def run() -> dict:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    os.environ.setdefault("LINLI_VAR_DIR", tempfile.mkdtemp(prefix="linli-bench-gate-waits-"))
    common.require_mqtt("bench_gate_waits")
    import django

    django.setup()  # the gate wire's package loads the access models; no database is used
    result: dict = {"bench": "gate_waits", "repeats": REPEATS}
    for name, part in (
        ("timeout", part_timeout),
        ("broker_down", part_broker_down),
        ("long_poll", part_long_poll),
        ("redis_pop", part_redis_pop),
    ):
        try:
            result[name] = part()
        except Exception as exc:  # noqa: BLE001 - one failed part must not hide the others' figures
            result[name] = {"error": f"{exc.__class__.__name__}: {exc}", "within_budget": False}
    result["within_budget"] = all(
        result[p]["within_budget"] for p in ("timeout", "broker_down", "long_poll", "redis_pop")
    )
    return result


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2))
