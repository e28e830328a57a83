"""The gate simulator: heartbeats, reconnection, and the `linli gate-sim` command (QR URL, secrets from the flag,
the environment or the demo file, and a real controller process until Ctrl-C)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from linli.access.gatewire import protocol
from linli.access.gatewire.client import GateWire
from linli.access.gatewire.simulator import ControllerLogic, GateController
from linli.access.tests.factories_wire import BROKER, Gate, Spy, events, registered_gate, require_mosquitto

SITE = "https://linli.example.org"


def test_controller_sends_signed_heartbeats_from_the_moment_it_connects() -> None:
    require_mosquitto()
    gate = Gate()
    spy = Spy(protocol.evt_topic(gate.public_id))
    controller = GateController(gate.public_id, gate.secret, BROKER, heartbeat_every=0.2).start()
    try:
        assert spy.wait_for(lambda m: len(events(m, "heartbeat")) >= 3, timeout=5)
        for _, payload in spy.messages:
            event = protocol.check_event(payload, command_key=gate.command_key, now=time.time(), gate=gate.public_id)
            assert event.type == "heartbeat" and event.command is None
    finally:
        controller.stop()
        spy.stop()


def test_controller_reconnects_and_keeps_opening(wire: GateWire, controllers: Callable[..., GateController]) -> None:
    gate = Gate()
    controller = controllers(gate)
    sock = controller._client.socket()
    assert isinstance(sock, socket.socket)
    sock.shutdown(socket.SHUT_RDWR)
    deadline = time.monotonic() + 5
    while controller.connected() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert controller.wait_connected(8)
    assert wire.open(gate_public_id=gate.public_id, command_key=gate.command_key, tap_id=1, timeout=2).opened


def test_controller_logic_reports_against_the_command_id_only_when_there_is_one() -> None:
    gate = Gate()
    opened: list[str] = []
    logic = ControllerLogic(gate.public_id, gate.secret, on_open=lambda c: opened.append(c.id))
    command = protocol.make_open_command(gate=gate.public_id, command_key=gate.command_key, tap=3, now=time.time())
    report = logic.handle(protocol.encode(command))
    assert report is not None and report["type"] == "opened" and opened == [command["id"]]
    assert logic.handle(b"garbage") is None
    replay = logic.handle(command)
    assert replay is not None and (replay["type"], replay["reason"]) == ("refused", "replayed")
    assert logic.refused == [(None, "malformed"), (command["id"], "replayed")]
    with pytest.raises(ValueError):
        ControllerLogic("not-a-gate", gate.secret)


# --------------------------------------------------------------------------------------------- the command


def _qr_token(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == SITE and parts.path == "/access/tap/"
    return parse_qs(parts.query)["t"][0]


def _print_url(*args: str) -> str:
    out = StringIO()
    with override_settings(LINLI_SITE_URL=SITE):
        call_command("gate-sim", *args, "--print-url", stdout=out)
    return out.getvalue().strip()


def test_print_url_with_the_secret_from_flag_env_or_demo_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = Gate()
    monkeypatch.delenv("LINLI_GATE_SECRET", raising=False)
    # "--secret=…": a random secret may begin with "-", which argparse would take for an option
    token = _qr_token(_print_url("--gate", gate.public_id, f"--secret={gate.secret}"))
    protocol.check_gate_token(token, gate.token_key, time.time())
    assert protocol.parse_gate_token(token)[0] == gate.public_id

    monkeypatch.setenv("LINLI_GATE_SECRET", gate.secret)
    protocol.check_gate_token(_qr_token(_print_url("--gate", gate.public_id)), gate.token_key, time.time())
    monkeypatch.delenv("LINLI_GATE_SECRET")

    for layout in (
        {gate.public_id: gate.secret},
        {gate.public_id: {"secret": gate.secret, "name": "东门"}},
        {"gates": [{"public_id": gate.public_id, "secret": gate.secret}]},
    ):
        (tmp_path / "demo-gates.json").write_text(json.dumps(layout), encoding="utf-8")
        with override_settings(VAR_DIR=tmp_path):
            token = _qr_token(_print_url("--gate", gate.public_id))
        protocol.check_gate_token(token, gate.token_key, time.time())


def test_print_url_without_a_secret_uses_the_platforms_token_key(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINLI_GATE_SECRET", raising=False)
    row, secret = registered_gate()
    with override_settings(VAR_DIR=Path("/nonexistent")):
        token = _qr_token(_print_url("--gate", row.public_id))
        protocol.check_gate_token(token, protocol.derive_keys(secret)[0], time.time())
        with pytest.raises(CommandError, match="no such gate"):
            _print_url("--gate", protocol.new_gate_public_id())


def test_gate_sim_rejects_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINLI_GATE_SECRET", raising=False)
    with pytest.raises(CommandError, match="not a gate id"):
        call_command("gate-sim", "--gate", "door-1")
    with pytest.raises(CommandError, match="not valid"):
        call_command("gate-sim", "--gate", Gate().public_id, "--secret", "short")
    with override_settings(VAR_DIR=Path("/nonexistent")), pytest.raises(CommandError, match="secret is missing"):
        call_command("gate-sim", "--gate", Gate().public_id)


def test_gate_sim_runs_a_real_controller_until_interrupted(wire: GateWire) -> None:
    gate = Gate()
    env = {**os.environ, "LINLI_MQTT_URL": BROKER, "LINLI_GATE_SECRET": gate.secret, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "linli.cli", "gate-sim", "--gate", gate.public_id, "--heartbeat", "60"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[4],
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "gate simulator running" in first and gate.public_id in first
        result = None
        for _ in range(50):  # the controller subscribes right after printing; retry until it answers
            result = wire.open(gate_public_id=gate.public_id, command_key=gate.command_key, tap_id=77, timeout=0.2)
            if result.opened:
                break
        assert result is not None and result.opened
        opened_line = process.stdout.readline()
        assert "OPEN" in opened_line and result.command_id in opened_line and "tap 77" in opened_line
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=15)
        assert process.returncode == 0
        assert "opened 1" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
