"""The embedded mode under a crowd: a real `linli serve` (uvicorn, SQLite in WAL) in a process of its own, and
CLIENTS residents at once — each books the one popular activity, orders lunch twice (one order sent twice with the
same Idempotency-Key), reports a hazard with a phone photo and reads their bookings — all released together.

Every request must be answered (no 5xx, no dropped connection), and afterwards the database must hold exactly the
writes the clients were told about: one booking row per 201 (never more confirmed than seats), one order per
distinct order id (the retried key replays, it is not charged again), portions and wallets that add up, one report
and one stored photo per report 201.

The server's database is a fresh SQLite file (the test's own database may be PostgreSQL), so this runs in every
pass. LINLI_TEST_SERVE_PORT picks the port (default: a free one).
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from linli.tests import crowd_world

CLIENTS = 36
ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    wanted = os.environ.get("LINLI_TEST_SERVE_PORT", "").strip()
    if wanted:
        return int(wanted)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(var: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINLI_", "DJANGO_")) or k in ("LINLI_LOG_LEVEL",)}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "linli.settings",
            "LINLI_VAR_DIR": str(var),
            "LINLI_PORT": str(port),
            "LINLI_MQTT_URL": "mqtt://127.0.0.1:9",  # the embedded gate listener retries quietly; no shared broker
            "LINLI_SMS_CONSOLE_ALLOWED": "1",  # a test server: SMS (booking confirmations) go to its log
            "PYTHONPATH": str(ROOT / "src"),
        }
    )
    return env


def _phone_photo() -> bytes:
    """A 1512×2016 JPEG with some texture, as a phone sends it (decoding and re-encoding it takes real CPU)."""
    rng = random.Random(13)
    small = Image.new("RGB", (189, 252))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(189 * 252)])
    big = small.resize((1512, 2016), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    big.save(out, format="JPEG", quality=90)
    return out.getvalue()


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[str] = Counter()
        self.errors: list[str] = []
        self.bookings: dict[int, str] = {}  # booking id -> status
        self.orders: dict[str, int] = {}  # idempotency key -> order id
        self.order_replays: list[tuple[int, int]] = []  # (first id, replayed id)
        self.reports: set[int] = set()
        self.booking_refusals: Counter[str] = Counter()

    def seen(self, what: str, resp: httpx.Response) -> None:
        with self.lock:
            self.statuses[f"{what} {resp.status_code}"] += 1
            if resp.status_code >= 500:
                self.errors.append(f"{what} {resp.status_code}: {resp.text[:200]}")


def _client_run(i: int, base: str, world: dict, photo: bytes, start: threading.Barrier, tally: Tally) -> None:
    headers = {"Authorization": f"Bearer {world['tokens'][i]}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:

        def book() -> None:
            resp = client.post(
                f"/api/v1/activities/{world['activity_id']}/bookings", headers={"Idempotency-Key": uuid.uuid4().hex}
            )
            tally.seen("booking", resp)
            if resp.status_code == 201:
                tally.bookings[resp.json()["booking_id"]] = resp.json()["status"]
            elif resp.status_code < 500:
                tally.booking_refusals[resp.json().get("code", "?")] += 1

        def order(items: list[dict[str, int]], retry: bool) -> None:
            key = uuid.uuid4().hex
            body = {"date": world["date"], "slot": "lunch", "destination": {"place_id": world["place_id"]}}
            body["items"] = items
            resp = client.post("/api/v1/meals/orders", json=body, headers={"Idempotency-Key": key})
            tally.seen("order", resp)
            if resp.status_code == 201:
                tally.orders[key] = resp.json()["order_id"]
                if retry:  # the phone did not hear the answer and sends the same order again
                    again = client.post("/api/v1/meals/orders", json=body, headers={"Idempotency-Key": key})
                    tally.seen("order retry", again)
                    if again.status_code == 201:
                        tally.order_replays.append((resp.json()["order_id"], again.json()["order_id"]))

        def report() -> None:
            resp = client.post(
                "/api/v1/reports",
                data={
                    "street": world["street"],
                    "category": "fire_passage",
                    "lat": f"{crowd_world.LAT + i * 0.0001:.6f}",
                    "lng": f"{crowd_world.LNG:.6f}",
                    "description": f"楼道堆物 {i}",
                },
                files={"photos": (f"p{i}.jpg", photo, "image/jpeg")},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            tally.seen("report", resp)
            if resp.status_code == 201:
                tally.reports.add(resp.json()["report_id"])

        def read() -> None:
            tally.seen("read", client.get("/api/v1/me/bookings"))

        limited = [{"menu_item_id": world["limited_item"], "quantity": 1}]
        plain = [{"menu_item_id": world["unlimited_item"], "quantity": 1}]
        steps = [
            book,
            lambda: order(limited + plain, retry=True),
            report,
            lambda: order(plain, retry=False),
            read,
        ]
        # Everybody starts at once; the steps are rotated so bookings, orders and photo reports overlap.
        steps = steps[i % len(steps) :] + steps[: i % len(steps)]
        start.wait()
        for step in steps:
            try:
                step()
            except httpx.HTTPError as exc:
                with tally.lock:
                    tally.errors.append(f"{type(exc).__name__}: {exc}")


def _wait_ready(base: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise AssertionError(f"linli serve exited with {proc.returncode}:\n{tail}")
        try:
            if httpx.get(f"{base}/api/v1/ping", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("linli serve did not answer /api/v1/ping")


def _db_account(path: Path, world: dict) -> dict[str, Any]:
    db = sqlite3.connect(path)
    try:

        def one(sql: str, *params: Any) -> Any:
            return db.execute(sql, params).fetchone()[0]

        activity = world["activity_id"]
        return {
            "booking_rows": dict(
                db.execute(
                    "SELECT status, count(*) FROM activities_booking WHERE activity_id = ? GROUP BY status", (activity,)
                ).fetchall()
            ),
            "booking_ids": {
                r[0] for r in db.execute("SELECT id FROM activities_booking WHERE activity_id = ?", (activity,))
            },
            "booked_counters": db.execute(
                "SELECT booked, waitlisted FROM activities_activity WHERE id = ?", (activity,)
            ).fetchone(),
            "people_with_two_bookings": one(
                "SELECT count(*) FROM (SELECT user_id FROM activities_booking GROUP BY user_id HAVING count(*) > 1)"
            ),
            "order_ids": {r[0] for r in db.execute("SELECT id FROM meals_order")},
            "sold": dict(db.execute("SELECT id, sold FROM meals_menuitem").fetchall()),
            "portions": dict(
                db.execute(
                    "SELECT l.menu_item_id, sum(l.quantity) FROM meals_orderline l JOIN meals_order o ON o.id = l.order_id "
                    "WHERE o.status != 'cancelled' GROUP BY l.menu_item_id"
                ).fetchall()
            ),
            "wallets_off_ledger": one(
                "SELECT count(*) FROM meals_wallet w WHERE w.balance_fen != "
                "(SELECT coalesce(sum(e.amount_fen), 0) FROM meals_walletentry e WHERE e.wallet_id = w.id)"
            ),
            "charges_off_total": one(
                "SELECT count(*) FROM meals_order o WHERE -o.total_fen != "
                "(SELECT coalesce(sum(e.amount_fen), 0) FROM meals_walletentry e WHERE e.order_id = o.id)"
            ),
            "report_ids": {r[0] for r in db.execute("SELECT id FROM cases_report")},
            "photos_per_report": dict(
                db.execute("SELECT report_id, count(*) FROM cases_casephoto GROUP BY report_id").fetchall()
            ),
        }
    finally:
        db.close()


def _schema_copied(path: Path) -> bool:
    """Copy the test run's migrated SQLite database (empty in a transactional test) to `path`: much quicker than
    running the migrations again. False when the tests run on PostgreSQL (the world's process then migrates)."""
    from django.db import connection

    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        return False
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    return True


@pytest.mark.django_db(transaction=True)
def test_a_crowd_on_the_embedded_server_gets_no_server_error_and_no_lost_or_double_write(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    port = _free_port()
    env = _env(var, port)
    migrate = [] if _schema_copied(var / "linli.sqlite3") else ["--migrate"]
    made = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "linli.tests.crowd_world", str(CLIENTS), *migrate],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-2000:]
    world = json.loads(made.stdout.strip().splitlines()[-1])
    photo = _phone_photo()

    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "linli.cli", "serve", "--mode", "embedded", "--port", str(port)],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(base, server, log_path)
            tally = Tally()
            start = threading.Barrier(CLIENTS)
            threads = [
                threading.Thread(target=_client_run, args=(i, base, world, photo, start, tally)) for i in range(CLIENTS)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            assert not any(t.is_alive() for t in threads), "a client never finished"
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    server_log = log_path.read_text(encoding="utf-8", errors="replace")

    # Every request answered, none with a server error (the log would name "database is locked").
    assert tally.errors == [], (dict(tally.statuses), tally.errors[:3], server_log.count("database is locked"))
    assert "database is locked" not in server_log
    assert sum(n for k, n in tally.statuses.items() if k.startswith("booking")) == CLIENTS
    assert sum(n for k, n in tally.statuses.items() if k.startswith("report ")) == CLIENTS

    account = _db_account(var / "linli.sqlite3", world)
    # Bookings: one row per 201, no more confirmed than seats, counters = rows, nobody twice.
    assert account["booking_ids"] == set(tally.bookings)
    statuses = Counter(tally.bookings.values())
    assert account["booking_rows"] == dict(statuses)
    assert statuses["confirmed"] == crowd_world.CAPACITY  # 36 residents for 8 seats: every seat taken
    assert statuses["waitlisted"] == crowd_world.WAITLIST
    assert account["booked_counters"] == (crowd_world.CAPACITY, crowd_world.WAITLIST)
    assert tally.booking_refusals == {"activity_full": CLIENTS - crowd_world.CAPACITY - crowd_world.WAITLIST}
    assert account["people_with_two_bookings"] == 0
    # Orders: one row per answered order, the retried key replayed the same order, and the money adds up.
    assert account["order_ids"] == set(tally.orders.values())
    assert tally.order_replays and all(first == again for first, again in tally.order_replays)
    for item, sold in account["sold"].items():
        assert sold == account["portions"].get(item, 0)
    assert account["sold"][world["limited_item"]] <= crowd_world.DISH_LIMIT
    assert account["wallets_off_ledger"] == 0
    assert account["charges_off_total"] == 0
    # Reports: one row and one stored photo per 201.
    assert account["report_ids"] == tally.reports
    assert len(tally.reports) == CLIENTS
    assert account["photos_per_report"] == dict.fromkeys(tally.reports, 1)
