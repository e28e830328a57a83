"""Load generators written in Python, for the benchmarks whose load is not plain HTTP that wrk could send (a
multipart report with a push to wait for on a WebSocket, a tap whose token is made at send time, an MQTT command):
open-loop schedules on asyncio and on a thread pool, a light keep-alive HTTP/1.1 client, and latency percentiles.

Open loop: each operation starts at its scheduled time whatever the earlier ones are doing, so a server that
falls behind shows as latency (queueing), not as a lower offered rate, as it would with a fixed set of clients
each waiting for its answer.

Used by bench_dispatch and bench_gate_tap; imported as `openloop` (each bench puts bench/ on sys.path first).
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def percentiles(values: list[float]) -> dict:
    """n, p50/p95/p99/max/mean in ms (nearest rank) of latencies in ms; {"n": 0} when there are none."""
    if not values:
        return {"n": 0}
    s = sorted(values)

    def q(p: float) -> float:
        return round(s[min(len(s) - 1, max(0, int(round(p * len(s) + 0.5)) - 1))], 2)

    return {
        "n": len(s),
        "p50_ms": q(0.50),
        "p95_ms": q(0.95),
        "p99_ms": q(0.99),
        "max_ms": round(s[-1], 2),
        "mean_ms": round(statistics.fmean(s), 2),
    }


async def open_loop(n: int, rate: float, one: Callable[[int, float], Coroutine[Any, Any, None]]) -> tuple[float, float]:
    """Start `one(i, scheduled)` for i in 0..n-1 as asyncio tasks at `rate` per second, each at its scheduled time
    (`time.perf_counter()` value) whatever the earlier ones are doing (open loop: a slow server shows as latency,
    not as a lower offered rate), and wait for all. Returns (seconds to send the last one, seconds until every
    one had finished), both from the first start."""
    start = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for i in range(n):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, scheduled)))
    send_s = time.perf_counter() - start
    await asyncio.gather(*tasks)
    return send_s, time.perf_counter() - start


def open_loop_threads(
    call: Callable[[int], str], rate: float, seconds: float, threads: int = 64
) -> tuple[list[tuple[float, str]], float]:
    """Run `call(i) -> outcome` at `rate` per second for `seconds` from a thread pool (as gunicorn's threads would
    call it); each call's latency counts from its scheduled start, so a late dispatcher shows in the figures. An
    exception is the outcome "error:<type>". Returns [(latency ms, outcome)] and the send duration."""
    n = int(rate * seconds)
    results: list[tuple[float, str]] = []
    lock = threading.Lock()

    def one(i: int, scheduled: float) -> None:
        try:
            outcome = call(i)
        except Exception as exc:  # noqa: BLE001 - a crash is an outcome to count, not a reason to stop
            outcome = f"error:{type(exc).__name__}"
        with lock:
            results.append(((time.perf_counter() - scheduled) * 1000, outcome))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        start = time.perf_counter()
        for i in range(n):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, i, scheduled)
        sent_s = time.perf_counter() - start
    return results, sent_s


class HttpPool:
    """Keep-alive HTTP/1.1 connections on asyncio streams: a load generator that costs a fraction of httpx's CPU
    per request (httpx took ~3.5 ms a tap here, a third of the machine at 200 taps/s)."""

    def __init__(self, api: str, size: int) -> None:
        address = api.split("//", 1)[1]
        self.host, port = address.rsplit(":", 1)
        self.port = int(port)
        self.size = size
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.size):
            self.idle.put_nowait(await asyncio.open_connection(self.host, self.port))

    async def acquire(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await self.idle.get()

    async def post_json(
        self, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], path: str, body: bytes, headers: str
    ) -> tuple[int, bytes]:
        """One request on an acquired connection, which goes back to the pool (a broken one is replaced)."""
        reader, writer = connection
        try:
            writer.write(
                f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n{headers}"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            payload = await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            writer.close()
            self.idle.put_nowait(await asyncio.open_connection(self.host, self.port))
            raise
        self.idle.put_nowait((reader, writer))
        return status, payload

    async def close(self) -> None:
        while not self.idle.empty():
            _, writer = self.idle.get_nowait()
            writer.close()
