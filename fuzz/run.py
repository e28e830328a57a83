"""`make fuzz`: schemathesis over the whole API of a live server on the demo street (issue 14 item 5).

Starts `linli serve` on a fresh demo database (SQLite under a temporary directory; PostgreSQL when
LINLI_FUZZ_DATABASE_URL names a database, which is dropped and created anew), mints a resident's and a street
admin's token with `linli token create`, then runs `st run` against /api/v1/openapi.json three times — anonymous,
resident, staff — with a bounded number of examples per operation and the checks not_a_server_error,
status_code_conformance, content_type_conformance and response_schema_conformance. Exit status 0 only when every
run found nothing. Reports (JUnit XML and the failures' reproductions) go to fuzz/report/ (or LINLI_FUZZ_REPORT).

Environment: LINLI_FUZZ_EXAMPLES (examples per operation, default 10), LINLI_FUZZ_PORT (default 8140),
LINLI_FUZZ_SEED (default 1), LINLI_FUZZ_PHASES (default examples,coverage,fuzzing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
RESIDENT_PHONE = "13800000009"  # the demo resident (linli.demo.ACCOUNTS)
STAFF_PHONE = "13800000001"  # the demo street admin


def linli(*args: str, env: dict[str, str]) -> str:
    return subprocess.run(  # noqa: S603 - our own command
        [str(BIN / "linli"), *args], env=env, check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout


def fresh_postgres(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - our own loopback server
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"fuzz: the server did not answer {url} within {seconds:.0f} s")
        time.sleep(0.5)


def failures(junit: Path) -> list[str]:
    """Each failing operation of a run and what its check said first (the run's own output is long)."""
    import xml.etree.ElementTree as ET  # noqa: N817, S405 - our own run's report

    if not junit.exists() or not junit.stat().st_size:
        return [f"no report at {junit}"]
    lines = []
    for case in ET.parse(junit).iter("testcase"):  # noqa: S314 - our own run's report
        for found in case:
            if found.tag in ("failure", "error"):
                said = [x.strip() for x in (found.text or found.get("message") or "").splitlines() if x.strip()]
                lines.append(f"{case.get('name')}: {' / '.join(said[1:4])}")
    return lines


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    port = int(os.environ.get("LINLI_FUZZ_PORT", "8140"))
    examples = os.environ.get("LINLI_FUZZ_EXAMPLES", "10")
    seed = os.environ.get("LINLI_FUZZ_SEED", "1")
    phases = os.environ.get("LINLI_FUZZ_PHASES", "examples,coverage,fuzzing")
    report = Path(os.environ.get("LINLI_FUZZ_REPORT", ROOT / "fuzz" / "report"))
    report.mkdir(parents=True, exist_ok=True)
    var = Path(tempfile.mkdtemp(prefix="linli-fuzz-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_") or k.startswith("LINLI_FUZZ")}
    env |= {
        "LINLI_VAR_DIR": str(var),
        "LINLI_PORT": str(port),
        "LINLI_SMS_BACKEND": "linli.core.sms.OutboxSmsBackend",  # nothing printed, nothing sent
        "LINLI_MQTT_URL": "mqtt://127.0.0.1:1",  # no gate broker: the listener keeps retrying quietly
        "LINLI_LOG_LEVEL": "ERROR",
    }
    database = os.environ.get("LINLI_FUZZ_DATABASE_URL", "")
    if database:
        fresh_postgres(database)
        env["LINLI_DATABASE_URL"] = database
    server = None
    started = time.monotonic()
    try:
        linli("migrate", "--noinput", env=env)
        linli("demo", env=env)
        resident = json.loads(linli("token", "create", "--phone", RESIDENT_PHONE, "--name", "fuzz", "--json", env=env))
        staff = json.loads(linli("token", "create", "--phone", STAFF_PHONE, "--name", "fuzz", "--json", env=env))
        log = open(report / "server.log", "w")  # noqa: SIM115 - closed with the server
        server = subprocess.Popen(  # noqa: S603 - our own command
            [str(BIN / "linli"), "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        schema = f"http://127.0.0.1:{port}/api/v1/openapi.json"
        wait_for(schema)
        print(f"fuzz: server up after {time.monotonic() - started:.0f} s on {'PostgreSQL' if database else 'SQLite'}")
        # The three runs go at once (each is one process, mostly waiting for the server): CI's time.
        runs: dict[str, tuple[subprocess.Popen[str], float]] = {}
        for who, token in (("anonymous", None), ("resident", resident["token"]), ("staff", staff["token"])):
            command = [
                str(BIN / "st"), "run", schema,
                "--checks", CHECKS,
                "--max-examples", examples,
                "--phases", phases,
                "--seed", seed,
                "--workers", "1",  # hypothesis' lambda descriptions are not thread-safe on CPython 3.11
                "--no-shrink",
                "--request-timeout", "30",
                "--suppress-health-check", "all",
                "--report", "junit",
                "--report-junit-path", str(report / f"{who}.xml"),
            ]  # fmt: skip
            if token:  # signing out would revoke the run's own token
                command += ["--header", f"Authorization: Bearer {token}", "--exclude-path", "/api/v1/auth/logout"]
            print(f"fuzz: {who} …", flush=True)
            out = open(report / f"{who}.txt", "w")  # noqa: SIM115 - closed when the run ends
            process = subprocess.Popen(  # noqa: S603 - schemathesis with our arguments
                command, cwd=ROOT, env=env | {"NO_COLOR": "1"}, stdout=out, stderr=subprocess.STDOUT, text=True
            )
            runs[who] = (process, time.monotonic())
        failed = []
        for who, (process, begun) in runs.items():
            code = process.wait()
            text = (report / f"{who}.txt").read_text()
            summary = [line for line in text.splitlines() if "passed" in line or "failed" in line]
            print(f"fuzz: {who}: exit {code} in {time.monotonic() - begun:.0f} s; {' '.join(summary[-2:])}")
            if code != 0:
                failed.append(who)
                for line in failures(report / f"{who}.xml"):
                    print(f"  {line}")
                print(text[-3000:])
        print(
            f"fuzz: {len(failed)} of 3 runs failed ({', '.join(failed) or 'none'}) in {time.monotonic() - started:.0f} s"
        )
        return 1 if failed else 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
