"""Gate tap: a rider's tap → the gate controller reports `opened`, through Mosquitto, in the production arrangement.

Budget (DESIGN.md): rider tap → gate opens (through Mosquitto): p99 <= 150 ms at 200 taps/s.

What it does (run alone: `.venv/bin/python bench/run.py gate_tap`; needs PostgreSQL, Redis, Mosquitto, wrk). The
database, servers, CPU accounting and wrk run are bench/common.py's, the open-loop schedules, HTTP client and
percentiles bench/openloop.py's:

(a) The wire alone. GATES simulated controllers (`GateController`, real paho clients) run in a separate process
    (`python bench/bench_gate_tap.py --controllers FILE`); this process offers RATE open commands/s for SECONDS
    seconds (open loop: each command starts on its schedule whatever the others do, from a pool of threads, as
    gunicorn's threads would call it) through one `GateWire` (the per-process client `open_gate` uses): signed
    command → Mosquitto → controller verifies, opens, reports → Mosquitto → the waiter. Latency counts from the
    command's scheduled start, so a late dispatcher shows in the figures. Baseline in the same run: a bare MQTT
    ping → echo → pong through the same broker at the same rate (no signing, no verifying).
(b) The full tap through HTTP. Drops and creates the PostgreSQL database `linli_bench_gate_tap`, migrates and
    fills it in a subprocess (`--populate`, JSON on stdout): one street, one compound, GATES gates registered by
    `gate_create` (their secrets go to the controllers' process only), RIDERS verified riders with bearer tokens.
    Starts gunicorn `linli.wsgi:application` (gthread, as `linli serve --mode production` but without the access
    log, Redis cache db 11 for the rate limits, CONN_MAX_AGE=600), `linli gate-listener` (records the heartbeats:
    the gates must be online), and the controllers' process; waits until every gate is online. Baseline: the
    trivial endpoint (`GET /api/v1/ping`) under wrk for PING_SECONDS at 32 connections (its rps and CPU per
    request). Then RATE taps/s for SECONDS seconds, then 100 taps/s (LINLI_BENCH_GATE_TAP_RATES) (open loop on
    asyncio, `openloop.HttpPool`: 64 keep-alive connections on asyncio streams, the token read when a connection
    is free): `POST /api/v1/access/taps` `{gate_token}` with a fresh token of a gate (made from the gate's token
    key at send time) and a rider's bearer token, round robin. The answer comes once the controller has reported
    (or after the 1 s timeout), so the answer's time is tap → opened. Counts allow / deny reasons / opened, and
    checks the Tap rows. CPU seconds of gunicorn and the bench database's PostgreSQL backends per tap (the
    server's cost), and of Mosquitto, the listener, the controllers and the load generator beside them.

Every process shares the 2 cores with the load generator, so the figures sit beside the baselines of the same run.

Environment: LINLI_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), LINLI_BENCH_GATE_REDIS_URL
(default redis://127.0.0.1:6379/11, flushed before and after), LINLI_BENCH_MQTT_URL (default mqtt://127.0.0.1:1883),
LINLI_BENCH_GATE_RATE (200), LINLI_BENCH_GATE_TAP_RATES ("200,100"), LINLI_BENCH_GATE_SECONDS (15),
LINLI_BENCH_GATE_GATES (20), LINLI_BENCH_GATE_PARTS ("wire,tap"), LINLI_BENCH_GATE_KEEP=1 (keep the database and
the logs).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:  # bench/common.py
    sys.path.insert(0, str(BENCH_DIR))
import common  # noqa: E402
import openloop  # noqa: E402

DB_NAME = "linli_bench_gate_tap"
DB = common.Database(DB_NAME)
STREET = "bench-gate"

RATE = float(os.environ.get("LINLI_BENCH_GATE_RATE", "200"))
# Part (b) runs one phase per rate: the budget's 200/s, then a lower one to show the path when the 2 cores are not
# saturated (the server, PostgreSQL and the load generator share them).
TAP_RATES = [float(r) for r in os.environ.get("LINLI_BENCH_GATE_TAP_RATES", f"{RATE:g},100").split(",") if r.strip()]
SECONDS = float(os.environ.get("LINLI_BENCH_GATE_SECONDS", "15"))
GATES = int(os.environ.get("LINLI_BENCH_GATE_GATES", "20"))
PARTS = {p.strip() for p in os.environ.get("LINLI_BENCH_GATE_PARTS", "wire,tap").split(",") if p.strip()}
RIDERS = 400  # a rider may tap 30 times a minute: the run's 4,500 taps over 400 riders stay below it
BASELINE_SECONDS = 5.0
PING_SECONDS = 5
PING_CONNECTIONS = 32
WARMUP_TAPS = 40
CONNECTIONS = 64  # the load generator's HTTP connections (phones in flight at once)
GUNICORN_WORKERS, GUNICORN_THREADS = 2, 4
BUDGET_P99_MS = 100  # DESIGN.md (issue 23): tap → opened p99 <= 100 ms at 200 taps/s


def _redis_url() -> str:
    return os.environ.get("LINLI_BENCH_GATE_REDIS_URL", "redis://127.0.0.1:6379/11")


# ------------------------------------------------------------------------------------------ subprocess modes


def populate_main() -> None:
    """Runs in a subprocess with the bench's Django settings: street, compound, gates, verified riders, tokens."""
    import django

    django.setup()
    from django.db import transaction

    from linli.access.services.gates import gate_create
    from linli.access.services.riders import rider_verify
    from linli.core.auth import token_digest
    from linli.core.models import ApiToken, Compound, Street

    out: dict = {"gates": [], "riders": []}
    with transaction.atomic():
        street = Street.objects.create(code=STREET, name="压测街道", center_lat=31.21, center_lng=121.41)
        compound = Compound.objects.create(
            street=street,
            external_id="c-bench",
            name="压测小区",
            geometry={"type": "Point", "coordinates": [121.41, 31.21]},
            lat=31.21,
            lng=121.41,
        )
        for g in range(GATES):
            new = gate_create(compound=compound, name=f"压测门{g}", actor=None)
            out["gates"].append(
                {"public_id": new.gate.public_id, "secret": new.secret, "token_key": bytes(new.gate.token_key).hex()}
            )
        for i in range(RIDERS):
            credential = rider_verify(
                street=street, phone=f"136{i:08d}", partner="饿了么", real_name=f"骑手{i}", actor=None
            )
            raw = f"llb_{i}_{secrets.token_urlsafe(24)}"
            ApiToken.objects.create(user=credential.user, name="bench", prefix=raw[:8], digest=token_digest(raw))
            out["riders"].append(raw)
    print(json.dumps(out))


def _django_setup() -> None:
    """The gate wire's modules import the access models (the recorder), so Django's apps must be ready first; the
    wire part and the controllers use no database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    import django

    django.setup()


def controllers_main(spec_file: str) -> None:
    """Runs the controllers of the gates in `spec_file` (and an MQTT echo for the baseline) until SIGTERM, then
    prints one JSON line with what they did."""
    _django_setup()
    import paho.mqtt.client as mqtt

    from linli.access.gatewire.client import ack_now, new_mqtt_client, parse_broker_url, set_nodelay
    from linli.access.gatewire.simulator import GateController

    spec = json.loads(Path(spec_file).read_text(encoding="utf-8"))
    broker = spec["broker"]
    controllers = [
        GateController(g["public_id"], g["secret"], broker, heartbeat_every=spec.get("heartbeat_every", 30)).start()
        for g in spec["gates"]
    ]
    echo = new_mqtt_client(parse_broker_url(broker), "linli-bench-echo")
    ping, pong = f"{spec['echo_prefix']}/ping", f"{spec['echo_prefix']}/pong"
    echo_ready = threading.Event()

    def on_connect(client: mqtt.Client, *_: object) -> None:
        set_nodelay(client)
        client.subscribe(ping, qos=0)

    echo.on_connect = on_connect
    echo.on_subscribe = lambda *_: echo_ready.set()

    def on_echo(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        ack_now(client)  # as the controllers and the platform's client do (see gatewire.client.ack_now)
        client.publish(pong, message.payload, qos=0)

    echo.on_message = on_echo
    address = parse_broker_url(broker)
    echo.connect(address.host, address.port)
    echo.loop_start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if all(c.wait_connected(10) for c in controllers) and echo_ready.wait(10):
        print("READY", flush=True)
    stop.wait()
    for c in controllers:
        c.stop()
    echo.disconnect()
    echo.loop_stop()
    refused: dict[str, int] = {}
    for c in controllers:
        for _command, reason in c.refused:
            refused[reason] = refused.get(reason, 0) + 1
    print(json.dumps({"opened": sum(len(c.opened) for c in controllers), "refused": refused}), flush=True)


class Controllers:
    """The controllers' process."""

    def __init__(self, gates: list[dict], tmp: Path, env: dict[str, str], heartbeat_every: float = 30) -> None:
        self.echo_prefix = f"bench/{secrets.token_hex(6)}"
        spec = tmp / f"controllers-{secrets.token_hex(4)}.json"
        spec.write_text(
            json.dumps(
                {
                    "broker": common.mqtt_url(),
                    "gates": gates,
                    "echo_prefix": self.echo_prefix,
                    "heartbeat_every": heartbeat_every,
                }
            ),
            encoding="utf-8",
        )
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, __file__, "--controllers", str(spec)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=(tmp / "controllers.log").open("ab"),
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "READY":
            self.proc.kill()
            raise RuntimeError(f"the controllers did not start: {line!r}")

    def stop(self) -> dict:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=30)
        lines = [ln for ln in out.splitlines() if ln.startswith("{")]
        return json.loads(lines[-1]) if lines else {}


# ------------------------------------------------------------------------------------------ measuring


def _summary(results: list[tuple[float, str]], sent_s: float, wanted: str) -> dict:
    outcomes: dict[str, int] = {}
    for _, outcome in results:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    good = [ms for ms, outcome in results if outcome == wanted]
    return {
        "offered_rate_per_s": RATE,
        "sent": len(results),
        "achieved_send_rate_per_s": round(len(results) / sent_s, 1) if sent_s else None,
        "outcomes": outcomes,
        "lost": len(results) - len(good),
        "latency": openloop.percentiles(good),
        "latency_all": openloop.percentiles([ms for ms, _ in results]),
    }


# ------------------------------------------------------------------------------------------ (a) the wire


def part_wire(tmp: Path, env: dict[str, str]) -> dict:
    _django_setup()
    import paho.mqtt.client as mqtt

    from linli.access.gatewire import protocol
    from linli.access.gatewire.client import GateWire, ack_now, new_mqtt_client, parse_broker_url, set_nodelay

    gates = []
    for _ in range(GATES):
        secret = protocol.new_device_secret()
        gates.append({"public_id": protocol.new_gate_public_id(), "secret": secret})
    keys = [protocol.derive_keys(g["secret"])[1] for g in gates]
    controllers = Controllers(gates, tmp, env, heartbeat_every=60)
    wire = GateWire(common.mqtt_url(), record_heartbeats=False, record_late_reports=False)  # no database here
    mosquitto = common.pids_named("mosquitto")
    me = os.getpid()
    meter = common.CpuMeter(
        {"bench_process": lambda: [me], "controllers": lambda: [controllers.proc.pid], "mosquitto": lambda: mosquitto},
        wrk=False,
    )
    out: dict = {"gates": GATES, "rate_per_s": RATE, "seconds": SECONDS}
    try:
        # Baseline: a bare MQTT ping → echo → pong at the same rate through the same broker.
        base = new_mqtt_client(parse_broker_url(common.mqtt_url()), "linli-bench-ping")
        waiting: dict[bytes, threading.Event] = {}
        ready = threading.Event()

        def on_connect(client: mqtt.Client, *_: object) -> None:
            set_nodelay(client)
            client.subscribe(f"{controllers.echo_prefix}/pong", qos=0)

        def on_message(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
            ack_now(client)
            event = waiting.get(bytes(message.payload))
            if event is not None:
                event.set()

        base.on_connect = on_connect
        base.on_subscribe = lambda *_: ready.set()
        base.on_message = on_message
        address = parse_broker_url(common.mqtt_url())
        base.connect(address.host, address.port)
        base.loop_start()
        assert ready.wait(10), "baseline client did not subscribe"

        def ping(i: int) -> str:
            token = secrets.token_hex(16).encode()
            event = waiting[token] = threading.Event()
            try:
                base.publish(f"{controllers.echo_prefix}/ping", token, qos=0)
                return "pong" if event.wait(1.0) else "timeout"
            finally:
                waiting.pop(token, None)

        ping(0)
        results, sent_s = openloop.open_loop_threads(ping, RATE, BASELINE_SECONDS)
        out["baseline_bare_mqtt_round_trip"] = _summary(results, sent_s, "pong")
        base.disconnect()
        base.loop_stop()

        def command(i: int) -> str:
            g = i % GATES
            return wire.open(gate_public_id=gates[g]["public_id"], command_key=keys[g], tap_id=i, timeout=1.0).outcome

        assert wire.wait_connected(10), "the gate wire did not connect"
        for i in range(GATES):  # warm-up: every controller once
            command(i)
        meter.start()
        results, sent_s = openloop.open_loop_threads(command, RATE, SECONDS)
        out["open_gate_round_trip"] = _summary(results, sent_s, "opened")
        out["cpu"] = {
            **meter.done(max(len(results), 1), "command"),
            "note": "bench_process = the platform side (signing, publishing, verifying the reports) + the load loop; "
            "server_cpu_ms_per_command = the three groups together",
        }
        out["wire_stats"] = dict(wire.stats)
    finally:
        wire.stop()
        out["controllers"] = controllers.stop()
    p99 = out.get("open_gate_round_trip", {}).get("latency", {}).get("p99_ms")
    out["within_budget"] = bool(p99 is not None and p99 <= BUDGET_P99_MS and out["open_gate_round_trip"]["lost"] == 0)
    return out


# ------------------------------------------------------------------------------------------ (b) the tap


def _wrk_ping(server: common.Server) -> dict:
    """The trivial endpoint under wrk (bench/loadgen/storm.lua in "ping" mode): its rps and server CPU."""
    ping = common.wrk(
        server, "ping", common.PING_PATH, PING_CONNECTIONS, PING_SECONDS, lua=BENCH_DIR / "loadgen" / "storm.lua", db=DB
    )
    return {
        "url_path": common.PING_PATH.lstrip("/"),
        "connections": PING_CONNECTIONS,
        "rps": ping["rps"],
        "requests": ping["answered"],
        "p99_ms": ping["p99_ms"],
        "cpu": ping["cpu"],
        "server_cpu_ms_per_request": ping["cpu"].get("server_ms_per_request"),
    }


async def _taps(api: str, data: dict, meter: common.CpuMeter, rate: float, first_tap: int) -> dict:
    from linli.access.gatewire import protocol

    gates = [(g["public_id"], bytes.fromhex(g["token_key"])) for g in data["gates"]]
    riders = data["riders"]
    n_taps = int(rate * SECONDS)
    latencies: list[float] = []
    denied: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    statuses: dict[str, int] = {}
    errors = 0
    error_kinds: dict[str, int] = {}
    allowed = opened = 0
    pool = openloop.HttpPool(api, CONNECTIONS)
    await pool.open()
    try:

        async def one(i: int, scheduled: float, record: bool = True) -> None:
            nonlocal errors, allowed, opened
            public_id, token_key = gates[i % len(gates)]
            # The QR code is read when the phone can send: a tap queued in the client behind busy connections
            # must not present a token that aged meanwhile (that would measure token_expired).
            connection = await pool.acquire()
            token = protocol.make_gate_token(public_id, token_key, time.time())
            try:
                status, payload = await pool.post_json(
                    connection,
                    "/api/v1/access/taps",
                    json.dumps({"gate_token": token}).encode(),
                    f"Authorization: Bearer {riders[i % len(riders)]}\r\n",
                )
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                errors += 1
                error_kinds[type(exc).__name__] = error_kinds.get(type(exc).__name__, 0) + 1
                return
            ms = (time.perf_counter() - scheduled) * 1000
            if not record:
                return
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if status != 200:
                return
            body = json.loads(payload)
            if body.get("decision") == "allow":
                allowed += 1
                outcome = "opened" if body.get("opened") else str(body.get("outcome") or "not_opened")
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                if body.get("opened"):
                    opened += 1
                    latencies.append(ms)
            else:
                reason = str(body.get("reason"))
                denied[reason] = denied.get(reason, 0) + 1

        # Warm-up outside the figures: each gunicorn thread's first request and each worker's MQTT connection.
        await asyncio.gather(*(one(i, time.perf_counter(), record=False) for i in range(WARMUP_TAPS)))
        await asyncio.sleep(0.5)
        await asyncio.to_thread(meter.start)
        send_s, done_s = await openloop.open_loop(n_taps, rate, lambda i, scheduled: one(first_tap + i, scheduled))
    finally:
        await pool.close()
    return {
        "taps_sent": n_taps,
        "offered_rate_per_s": rate,
        "achieved_send_rate_per_s": round(n_taps / send_s, 1) if send_s else None,
        "completed_per_s": round(n_taps / done_s, 1) if done_s else None,
        "statuses": statuses,
        "client_errors": errors,
        "client_error_kinds": error_kinds,
        "allowed": allowed,
        "opened": opened,
        "allowed_not_opened": outcomes,
        "denied": denied,
        "tap_to_opened": openloop.percentiles(latencies),
        # gunicorn + PostgreSQL are the server's cost; the others are beside it.
        "cpu": await asyncio.to_thread(meter.done, n_taps, "tap"),
    }


def _gates_online(wanted: int, timeout: float = 30) -> int:
    """Wait until `wanted` gates have sent a heartbeat the listener recorded; the number online at the end."""
    deadline = time.monotonic() + timeout
    online = 0
    while time.monotonic() < deadline:
        sql = "SELECT count(*) FROM access_gate WHERE last_heartbeat_at > now() - interval '60 seconds'"
        online = DB.query(sql)[0][0]
        if online == wanted:
            break
        time.sleep(0.2)
    return online


def part_tap(tmp: Path, env: dict[str, str]) -> dict:
    out: dict = {
        "arrangement": {
            "api": f"gunicorn gthread {GUNICORN_WORKERS}x{GUNICORN_THREADS} (linli.wsgi, no access log), "
            "CONN_MAX_AGE=600",
            "database": "PostgreSQL",
            "cache": "Redis db 11 (rate limits)",
            "broker": "Mosquitto (the machine's, default settings)",
            "listener": "linli gate-listener (1 process)",
            "controllers": f"{GATES} GateController in one separate process",
            "riders": RIDERS,
        }
    }
    procs: list[common.Proc] = []
    controllers: Controllers | None = None
    common.redis_flush(_redis_url())
    DB.create()
    try:
        t0 = time.monotonic()
        common.migrate(env)
        data = common.populate(__file__, [], env)
        out["setup_s"] = round(time.monotonic() - t0, 1)
        server = common.Server(env, GUNICORN_WORKERS, GUNICORN_THREADS, tmp / "gunicorn.log", access_log=False)
        procs.append(server)
        listener = common.LinliProc(["gate-listener", "--flush-every", "0.5"], env, tmp / "listener.log")
        procs.append(listener)
        server.wait_ready()
        controllers = Controllers(
            [{"public_id": g["public_id"], "secret": g["secret"]} for g in data["gates"]], tmp, env
        )
        out["gates_online_before_load"] = _gates_online(GATES)
        mosquitto = common.pids_named("mosquitto")
        controllers_pid = controllers.proc.pid
        me = os.getpid()
        meter = common.CpuMeter(
            {
                "load_generator": lambda: [me],
                "gunicorn": server.pids,
                "mosquitto": lambda: mosquitto,
                "listener": lambda: [listener.proc.pid],
                "controllers": lambda: [controllers_pid],
            },
            db=DB,
            wrk=False,
            server=("gunicorn", "postgres"),
        )
        out["baseline_trivial_endpoint"] = _wrk_ping(server)
        ping_cpu = out["baseline_trivial_endpoint"]["server_cpu_ms_per_request"]
        first_tap = WARMUP_TAPS
        for rate in TAP_RATES:
            phase = asyncio.run(_taps(server.base, data, meter, rate, first_tap))
            first_tap += phase["taps_sent"]
            if ping_cpu:
                phase["server_cpu_per_tap_vs_trivial_request"] = round(
                    phase["cpu"]["server_cpu_ms_per_tap"] / ping_cpu, 1
                )
            p99 = phase["tap_to_opened"].get("p99_ms")
            phase["within_budget"] = bool(
                p99 is not None and p99 <= BUDGET_P99_MS and phase["opened"] == phase["allowed"] == phase["taps_sent"]
            )
            out[f"at_{rate:g}_per_s"] = phase
            time.sleep(2)
        rows = DB.query("SELECT decision, outcome, count(*) FROM access_tap GROUP BY decision, outcome ORDER BY 1, 2")
        out["tap_rows"] = [{"decision": d, "outcome": o, "count": c} for d, o, c in rows]
        out["within_budget"] = out[f"at_{TAP_RATES[0]:g}_per_s"]["within_budget"]
    finally:
        if controllers is not None:
            out["controllers"] = controllers.stop()
        for p in procs:
            p.stop()
        if os.environ.get("LINLI_BENCH_GATE_KEEP") != "1":
            DB.drop()
        common.redis_flush(_redis_url())
    return out


# ------------------------------------------------------------------------------------------ run


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run() -> dict:
    sys.path.insert(0, str(ROOT / "src"))
    common.require_mqtt("bench_gate_tap")
    if "tap" in PARTS:
        common.require_wrk("bench_gate_tap (the baseline of part tap)")
    tmp = Path(tempfile.mkdtemp(prefix="linli-bench-gate-"))
    extra = {
        "LINLI_MQTT_URL": common.mqtt_url(),
        "LINLI_SMS_BACKEND": "linli.core.sms.OutboxSmsBackend",
        "LINLI_LOG_LEVEL": "WARNING",
    }
    env = common.django_env(tmp, DB, redis=_redis_url(), extra=extra)
    keep = os.environ.get("LINLI_BENCH_GATE_KEEP") == "1"
    result: dict = {
        "bench": "gate_tap",
        "budget": {"tap_to_opened_p99_ms": BUDGET_P99_MS, "rate_per_s": 200},
        "load_average_before": _loadavg(),
    }
    try:
        if "wire" in PARTS:
            result["wire"] = part_wire(tmp, env)
        if "tap" in PARTS:
            result["tap"] = part_tap(tmp, env)
    finally:
        result["load_average_after"] = _loadavg()
        if keep:
            result["kept"] = str(tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    result["within_budget"] = all(result[p].get("within_budget", False) for p in ("wire", "tap") if p in result)
    if "tap" in result and f"at_{RATE:g}_per_s" in result["tap"]:
        phase = result["tap"][f"at_{RATE:g}_per_s"]
        base = result["tap"].get("baseline_trivial_endpoint", {})
        result["budgets"] = [
            common.budget(
                f"tap → opened p99 at {RATE:g}/s",
                phase["tap_to_opened"].get("p99_ms"),
                BUDGET_P99_MS,
                unit=" ms",
                baseline={
                    "ping_p99_ms": base.get("p99_ms"),
                    "ping_cpu_ms_per_request": base.get("server_cpu_ms_per_request"),
                },
            ),  # fmt: skip
            common.budget("taps not opened", phase["taps_sent"] - phase["opened"], 0),
        ]
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["--populate"]:
        sys.path.insert(0, str(ROOT / "src"))
        populate_main()
    elif len(sys.argv) > 2 and sys.argv[1] == "--controllers":
        sys.path.insert(0, str(ROOT / "src"))
        controllers_main(sys.argv[2])
    else:
        print(json.dumps(run(), ensure_ascii=False, indent=2))
