"""Plumbing shared by the benchmarks: the bench's own PostgreSQL database, the Django environment of the servers
(or Django in this process, for the in-process benchmarks), gunicorn and uvicorn in the production arrangement,
other server processes (`linli gate-listener`), CPU accounting per process from /proc, and wrk runs with their
JSON summary. The load generators written in Python (open-loop schedules, a light HTTP client, percentiles) are
bench/openloop.py.

Every load benchmark runs the servers, PostgreSQL and the load generator on the same (2-core) machine, so next to
wall-clock figures it reports CPU seconds per operation: `CpuMeter` charges named groups of processes (gunicorn
master + workers, uvicorn, the bench database's PostgreSQL backends, wrk, Mosquitto, ...) for one load run, a
figure other processes on a shared machine do not distort.

Used by bench_booking_storm, bench_lunch_rush, bench_dispatch, bench_gate_tap (load), bench_assistant and
bench_nearest_selector (in-process Django). Imported as `common`: each bench puts bench/ on sys.path first.

Environment: LINLI_BENCH_PG_URL (server URL, default postgres://postgres@127.0.0.1:5432/postgres),
LINLI_BENCH_REDIS_URL (default redis://127.0.0.1:6379/13), LINLI_BENCH_MQTT_URL (default mqtt://127.0.0.1:1883),
LINLI_BENCH_DB_SUFFIX (appended to every bench database's name, so concurrent runs keep apart),
LINLI_BENCH_PG_PREPARED (default 1), LINLI_BENCH_DATABASE_URL (the in-process benchmarks; default a SQLite file).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
PING_PATH = "/api/v1/ping"
WRK_THREADS = 2
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"


# ------------------------------------------------------------------------------------------ database


def pg_server_url() -> str:
    return os.environ.get("LINLI_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def pg_admin(sql: str) -> None:
    """One statement on the server's maintenance database (CREATE / DROP DATABASE), in autocommit."""
    import psycopg

    with psycopg.connect(pg_server_url(), autocommit=True) as conn:
        conn.execute(sql)


class Database:
    """A PostgreSQL database of the bench's own, dropped and created for every run."""

    def __init__(self, name: str) -> None:
        # LINLI_BENCH_DB_SUFFIX: several people benchmarking on one PostgreSQL server must not drop each other's
        # database (every run drops and creates its own).
        self.name = name + os.environ.get("LINLI_BENCH_DB_SUFFIX", "")

    @property
    def url(self) -> str:
        return f"{pg_server_url().rsplit('/', 1)[0]}/{self.name}"

    def create(self) -> None:
        self.drop()
        pg_admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        pg_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def execute(self, sql: str) -> None:
        """One statement without rows (ANALYZE, VACUUM), outside a transaction."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def snapshot(self, queries: list[tuple[str, tuple]]) -> list[list[tuple]]:
        """Several reads in one REPEATABLE READ transaction: one consistent picture of the database."""
        import psycopg

        with psycopg.connect(self.url) as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            out = [conn.execute(sql, params).fetchall() for sql, params in queries]
            conn.rollback()
        return out

    def backend_pids(self) -> list[int]:
        return [r[0] for r in self.query("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.name,))]

    def drain(self, timeout: float = 30) -> float:
        """Wait until the server has finished the requests wrk stopped waiting for: no other session of the
        database inside a statement or transaction for 3 polls in a row. Returns the seconds waited."""
        t0 = time.monotonic()
        quiet = 0
        while quiet < 3 and time.monotonic() - t0 < timeout:
            busy = self.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                "AND state <> 'idle'",
                (self.name,),
            )[0][0]
            quiet = quiet + 1 if busy == 0 else 0
            time.sleep(0.1)
        return round(time.monotonic() - t0, 2)


def redis_url() -> str:
    return os.environ.get("LINLI_BENCH_REDIS_URL", DEFAULT_REDIS_URL)


def redis_flush(url: str | None = None) -> None:
    try:
        import redis

        redis.Redis.from_url(url or redis_url()).flushdb()
    except Exception:  # noqa: BLE001 - Redis is optional for the figures; a failed flush must not hide them
        pass


def mqtt_url() -> str:
    return os.environ.get("LINLI_BENCH_MQTT_URL", "mqtt://127.0.0.1:1883")


def require_mqtt(bench: str, url: str | None = None) -> None:
    """Fail early, with the fix, when no MQTT broker (Mosquitto) listens at `url`."""
    parts = urllib.parse.urlsplit(url or mqtt_url())
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 1883), timeout=3).close()
    except OSError as exc:
        raise RuntimeError(
            f"{bench} needs an MQTT broker at {url or mqtt_url()}: `sudo apt-get install -y mosquitto` ({exc})"
        ) from exc


# ------------------------------------------------------------------------------------------ Django


def django_env(tmp: Path, db: Database, *, redis: str | None = None, extra: dict[str, str] | None = None) -> dict:
    """The servers' environment: this process's, without any LINLI_* setting but the bench's own, plus the
    production-like configuration of the bench (PostgreSQL, Redis, persistent connections, DEBUG off)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_") or k.startswith("LINLI_BENCH_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "linli.settings",
            "LINLI_DATABASE_URL": db.url,
            "LINLI_REDIS_URL": redis or redis_url(),
            "LINLI_CONN_MAX_AGE": "600",
            "LINLI_PG_PREPARED_STATEMENTS": os.environ.get("LINLI_BENCH_PG_PREPARED", "1"),
            "LINLI_DEBUG": "0",
            "LINLI_SMS_CONSOLE_ALLOWED": "1",  # the bench's sign-ins read codes from the console backend
            "LINLI_SECRET_KEY": "bench-" + secrets.token_urlsafe(32),
            "LINLI_VAR_DIR": str(tmp),
            "PYTHONPATH": str(ROOT / "src"),
            **(extra or {}),
        }
    )
    return env


def linli_command() -> list[str]:
    """The `linli` command of this virtualenv (or `python -m linli.cli`)."""
    linli = Path(sys.executable).with_name("linli")
    return [str(linli)] if linli.exists() else [sys.executable, "-m", "linli.cli"]


def migrate(env: dict[str, str]) -> None:
    """`linli migrate` against the bench database, in a subprocess with the bench's environment."""
    subprocess.run([*linli_command(), "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)  # noqa: S603


def populate(script: str, args: list[str], env: dict[str, str]) -> dict:
    """Run `python SCRIPT --populate ARGS...` with the bench's environment; its last stdout line is JSON."""
    out = subprocess.run(  # noqa: S603
        [sys.executable, script, "--populate", *args], env=env, check=True, cwd=ROOT, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextmanager
def django_in_process() -> Iterator[str]:
    """Django set up in this process on a fresh database, for the in-process benchmarks: a SQLite file in a
    temporary directory, or with LINLI_BENCH_DATABASE_URL=postgres://... PostgreSQL (its test database is created,
    and dropped on exit). No Redis. Yields the backend's name ("sqlite" or "postgresql")."""
    tmp = tempfile.mkdtemp(prefix="linli-bench-")
    url = os.environ.get("LINLI_BENCH_DATABASE_URL", "")
    if url:
        os.environ["LINLI_DATABASE_URL"] = url
    else:
        os.environ.pop("LINLI_DATABASE_URL", None)
        os.environ["LINLI_SQLITE_PATH"] = str(Path(tmp) / "bench.sqlite3")
    os.environ.pop("LINLI_REDIS_URL", None)
    os.environ["LINLI_VAR_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection

    if url:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    try:
        yield "postgresql" if url else "sqlite"
    finally:
        if url:
            connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------------------------------ servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A server process with its output appended to `log`; `stop()` sends SIGTERM, then kills after 25 s.
    An HTTP server sets `base` ("http://127.0.0.1:PORT") for `wait_ready()`."""

    base = ""

    def __init__(self, cmd: list[str], env: dict[str, str], log: Path) -> None:
        self._log = log.open("ab")
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)  # noqa: S603

    def wait_http(self, url: str, timeout: float = 60) -> int:
        """Wait until `url` answers (any HTTP status, returned); raise if the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310
                    return resp.status
            except urllib.error.HTTPError as e:
                return e.code
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer in time")

    def wait_ready(self, path: str = PING_PATH, timeout: float = 60) -> int:
        return self.wait_http(self.base + path, timeout)

    def child_pids(self) -> list[int]:
        return child_pids(self.proc.pid)

    def pids(self) -> list[int]:
        """The process and its children (gunicorn: master + workers), for `CpuMeter`."""
        return [self.proc.pid, *self.child_pids()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


class Server(Proc):
    """gunicorn in the production arrangement (`linli serve --mode production`: gthread workers). An `app` other
    than Linli's is one of the floor baselines (bench/loadgen/bare_*.py, imported from that directory)."""

    def __init__(
        self,
        env: dict[str, str],
        workers: int,
        threads: int,
        log: Path,
        app: str = "linli.wsgi:application",
        *,
        access_log: bool = True,
    ) -> None:
        self.workers, self.threads, self.port = workers, threads, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        chdir = ["--chdir", str(BENCH_DIR / "loadgen")] if not app.startswith("linli.") else []
        cmd = [
            sys.executable, "-m", "gunicorn", app, *chdir,
            "--bind", f"127.0.0.1:{self.port}", "--worker-class", "gthread",
            "--workers", str(workers), "--threads", str(threads),
            *(["--access-logfile", "-"] if access_log else []), "--timeout", "30", "--graceful-timeout", "20",
        ]  # fmt: skip
        super().__init__(cmd, env, log)

    def worker_pids(self) -> list[int]:
        return self.child_pids()


class Uvicorn(Proc):
    """uvicorn `linli.asgi:application` (the WebSocket side of the production arrangement): one process, no
    access log, no lifespan."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [
            sys.executable, "-m", "uvicorn", "linli.asgi:application",
            "--host", "127.0.0.1", "--port", str(self.port), "--lifespan", "off", "--no-access-log",
        ]  # fmt: skip
        super().__init__(cmd, env, log)


class LinliProc(Proc):
    """A `linli` management command running as a server process (e.g. `gate-listener`)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        super().__init__([*linli_command(), *args], env, log)


# ------------------------------------------------------------------------------------------ CPU accounting

_TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def child_pids(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)  # noqa: S603,S607
    return [int(p) for p in out.stdout.split()]


def pids_named(name: str) -> list[int]:
    """Processes whose name is exactly `name` (e.g. the machine's mosquitto)."""
    out = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True, check=False)  # noqa: S603,S607
    return [int(p) for p in out.stdout.split()]


class CpuMeter:
    """CPU seconds per group of processes between `__init__` (or `start()`) and `done(n)`.

    `groups` maps a name to a function giving the group's pids at the time of sampling (processes may come
    and go: each pid is charged what it used since the first sample it appears in). With `db`, the database's
    PostgreSQL backends are the group "postgres". With `wrk`, this process's finished children (wrk) are
    charged as "wrk". `server` names the groups that make up the server's cost (default: every group but wrk).

    `done(n)` gives `<group>_s`, and with n > 0 the cost per operation: per request (`per=None`, the wrk
    benchmarks' keys) `<group>_ms_per_request`, `server_ms_per_request` and `two_core_capacity_rps`; per
    another operation (`per="tap"`) `per_tap_ms` {group: ms}, `server_cpu_ms_per_tap` and
    `two_core_capacity_taps_per_s`. The capacity is what two cores could serve if the server had them to itself:
    an upper bound."""

    def __init__(
        self,
        groups: dict[str, Callable[[], list[int]]],
        *,
        db: Database | None = None,
        wrk: bool = True,
        server: tuple[str, ...] | None = None,
    ) -> None:
        self.groups = dict(groups)
        if db is not None:
            self.groups["postgres"] = db.backend_pids
        self.wrk = wrk
        self.server = server or tuple(self.groups)
        self.start()

    @classmethod
    def for_server(cls, server: Server, db: Database) -> CpuMeter:
        """gunicorn (master + workers), the bench database's backends and wrk."""
        return cls({"gunicorn": server.pids}, db=db)

    def _sample(self) -> dict[str, dict[int, float]]:
        return {name: {p: proc_cpu(p) for p in pids()} for name, pids in self.groups.items()}

    @staticmethod
    def _children_s() -> float:
        times = os.times()
        return times.children_user + times.children_system

    def start(self) -> None:
        self.before = self._sample()
        self.children0 = self._children_s()

    def done(self, n: int, per: str | None = None) -> dict:
        after = self._sample()
        out: dict = {}
        for name in self.groups:
            out[f"{name}_s"] = round(sum(v - self.before[name].get(p, 0.0) for p, v in after[name].items()), 3)
        kinds = list(self.groups)
        if self.wrk:
            out["wrk_s"] = round(self._children_s() - self.children0, 3)
            kinds.append("wrk")
        if not n:
            return out
        server_ms = sum(out[f"{name}_s"] for name in self.server) * 1000 / n
        capacity = round(2000 / server_ms, 1) if server_ms else None
        each = {name: round(out[f"{name}_s"] * 1000 / n, 3) for name in kinds}
        if per is None:
            out.update({f"{name}_ms_per_request": ms for name, ms in each.items()})
            out["server_ms_per_request"] = round(server_ms, 3)
            out["two_core_capacity_rps"] = capacity
        else:
            out[f"per_{per}_ms"] = each
            out[f"server_cpu_ms_per_{per}"] = round(server_ms, 3)
            out[f"two_core_capacity_{per}s_per_s"] = capacity
        return out


# ------------------------------------------------------------------------------------------ load


def wrk(
    server: Server,
    mode: str,
    path: str,
    clients: int,
    seconds: float,
    tokens_file: Path | None = None,
    *,
    lua: Path,
    db: Database,
    threads: int = WRK_THREADS,
) -> dict:
    """One wrk run with the Lua script `lua` (arguments: MODE PATH TOKENS MARKER_DIR THREADS; it prints one
    `WRK_JSON {...}` summary line, see bench/loadgen/storm.lua). In "book" mode the run ends when every wrk
    thread has used its share of the tokens (the script leaves a marker file); the requests wrk stopped waiting
    for are then drained from the database before the CPU is charged for every request sent."""
    meter = CpuMeter.for_server(server, db)
    markers = Path(tempfile.mkdtemp(prefix="linli-bench-wrk-"))
    threads = min(threads, clients)
    cmd = [
        "wrk", "-t", str(threads), "-c", str(clients), "-d", f"{int(seconds)}s", "--timeout", "10s",
        "-s", str(lua), server.base + path, "--", mode, path, str(tokens_file or ""), str(markers), str(threads),
    ]  # fmt: skip
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    exhausted = False
    try:
        while proc.poll() is None:
            if mode == "book" and len(list(markers.glob("exhausted.*"))) >= threads:
                exhausted = True
                proc.send_signal(signal.SIGINT)  # wrk reports at once instead of sleeping out -d
                break
            if time.monotonic() - t0 > seconds + 30:
                proc.kill()
                break
            time.sleep(0.05)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        shutil.rmtree(markers, ignore_errors=True)
    line = next((ln for ln in stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary: {stdout[-2000:]} {stderr[-2000:]}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    # The server still finishes the requests wrk stopped waiting for: let it, then charge all of them.
    drained_s = db.drain() if mode == "book" else 0.0
    served = int(raw["sent"]) if mode == "book" else sum(int(v) for v in raw["statuses"].values())
    cpu = meter.done(served)
    duration = raw["duration_us"] / 1e6
    statuses = {str(k): int(v) for k, v in sorted(raw["statuses"].items())}
    answered = sum(statuses.values())
    errors = {k: int(v) for k, v in raw["errors"].items()}
    # wrk's "timeout" counts connections found waiting longer than --timeout at its 2 s checks; the answer still
    # comes and is counted, so it is a slow answer, not a missing one.
    socket_errors = errors["connect"] + errors["read"] + errors["write"]
    return {
        "clients": clients,
        "wrk_threads": threads,
        "duration_s": round(duration, 3),
        "ended_because": "every user tried once" if exhausted else "duration",
        "drained_s": drained_s,
        "sent": int(raw["sent"]),
        "answered": answered,
        # Sent by wrk but not yet answered when it stopped (it abandons the connections then); the server still
        # answers them (the database shows their rows). Not counted as unanswered.
        "in_flight_at_stop": max(0, int(raw["sent"]) - answered - socket_errors),
        "rps": round(answered / duration, 1) if duration else 0.0,
        "statuses": statuses,
        "problem_codes_client": {str(k): int(v) for k, v in sorted(raw["codes"].items())},
        "errors": errors,
        "server_errors_5xx": sum(v for k, v in statuses.items() if k.startswith("5")),
        "unanswered": socket_errors + sum(v for k, v in statuses.items() if k.startswith("5")),
        "p50_ms": round(raw["latency_us"]["p50"] / 1000, 2),
        "p90_ms": round(raw["latency_us"]["p90"] / 1000, 2),
        "p99_ms": round(raw["latency_us"]["p99"] / 1000, 2),
        "max_ms": round(raw["latency_us"]["max"] / 1000, 2),
        "cpu": cpu,
    }


def gunicorn_5xx_lines(log: Path) -> int:
    """Lines of the gunicorn access log with a 5xx status."""
    return sum(1 for ln in log.read_text(errors="replace").splitlines() if '" 5' in ln)


def require_wrk(bench: str) -> None:
    if shutil.which("wrk") is None:
        raise RuntimeError(f"{bench} needs wrk: `sudo apt-get install -y wrk` (Debian/Ubuntu)")


# ------------------------------------------------------------------------------------------ budgets


def budget(
    what: str, value: float | None, limit: float, *, at_most: bool = True, baseline: dict | None = None, unit: str = ""
) -> dict:
    """One budget of DESIGN.md as `bench/run.py` lists them: the figure, the limit (a ratio to a baseline measured
    in the same run where there is one: `baseline` says which and its value), and whether it is met."""
    met = value is not None and (value <= limit if at_most else value >= limit)
    return {"what": what, "value": value, "budget": f"{'<=' if at_most else '>='} {limit:g}{unit}",
            "baseline": baseline, "met": bool(met)}  # fmt: skip


def floor_bare_django(
    env: dict[str, str],
    workers: int,
    threads: int,
    log: Path,
    clients: int,
    seconds: float,
    *,
    lua: Path,
    db: Database,
    warmup: float = 3,
) -> dict:
    """The budgets' baseline: a bare Django view (bench/loadgen/bare_django.py: no middleware, no database) under
    the same gunicorn arrangement, pinged by the same wrk: rps, p99 and gunicorn CPU per request."""
    server = Server(env, workers, threads, log, app="bare_django:application")
    try:
        server.wait_ready(PING_PATH)
        wrk(server, "ping", PING_PATH, clients, warmup, lua=lua, db=db)
        floor = wrk(server, "ping", PING_PATH, clients, seconds, lua=lua, db=db)
    finally:
        server.stop()
    return {"rps": floor["rps"], "p99_ms": floor["p99_ms"], "statuses": floor["statuses"],
            "cpu_ms_per_request": floor["cpu"].get("gunicorn_ms_per_request")}  # fmt: skip
