"""`linli gate-sim --gate ID`: a gate controller in software, so the whole tap flow runs on one laptop.

    linli gate-sim --gate gabc... [--secret S]        a real MQTT controller until Ctrl-C (broker: LINLI_MQTT_URL)
    linli gate-sim --gate gabc... --transport http    the same, long-polling the platform's HTTP interface
    linli gate-sim --gate gabc... --print-url         print the gate's current QR URL and exit

The platform never keeps a gate's device secret, so the simulator takes it from --secret, the environment variable
LINLI_GATE_SECRET, or var/demo-gates.json, where the demo keeps the secrets of the demo gates it creates.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.access.gatewire import protocol
from linli.access.gatewire.simulator import GateController, HttpGateController
from linli.access.models import Gate


def demo_gates_file() -> Path:
    return Path(getattr(settings, "VAR_DIR", Path("var"))) / "demo-gates.json"


def secret_from_demo_file(public_id: str, path: Path) -> str | None:
    """The gate's secret in the demo's file: `{"<public_id>": "<secret>"}`, `{"<public_id>": {"secret": ...}}`, or
    a list (or `{"gates": [...]}`) of objects with `public_id` and `secret`."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and isinstance(data.get("gates"), list):
        data = data["gates"]
    if isinstance(data, list):
        data = {item.get("public_id"): item for item in data if isinstance(item, dict)}
    if not isinstance(data, dict):
        return None
    entry = data.get(public_id)
    if isinstance(entry, dict):
        entry = entry.get("secret")
    return entry if isinstance(entry, str) else None


class Command(BaseCommand):
    help = "Run a simulated gate controller, or print a gate's current QR URL (门禁模拟器)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--gate", required=True, help="the gate's public id (g + 12 characters)")
        parser.add_argument(
            "--secret", default="", help="the device secret (shows in the process list: prefer $LINLI_GATE_SECRET)"
        )
        parser.add_argument("--print-url", action="store_true", help="print the current QR URL and exit")
        parser.add_argument("--transport", choices=["mqtt", "http"], default="mqtt")
        parser.add_argument("--broker", default="", help="MQTT broker URL (default: settings.LINLI_MQTT_URL)")
        parser.add_argument("--site", default="", help="platform URL (default: settings.LINLI_SITE_URL)")
        parser.add_argument("--heartbeat", type=float, default=30.0, help="seconds between heartbeats (default 30)")

    def handle(self, *args: Any, **opts: Any) -> None:
        public_id = opts["gate"].strip()
        if not protocol.is_public_id(public_id):
            raise CommandError(f"不是门禁编号 / not a gate id: {public_id!r}", returncode=2)
        site = opts["site"] or str(getattr(settings, "LINLI_SITE_URL", "") or "http://127.0.0.1:8000")
        secret = self._secret(public_id, opts["secret"])
        if opts["print_url"]:
            self.stdout.write(
                protocol.gate_url(
                    site, protocol.make_gate_token(public_id, self._token_key(public_id, secret), time.time())
                )
            )
            return
        if secret is None:
            raise CommandError(
                "缺少设备密钥：请用 --secret 或环境变量 LINLI_GATE_SECRET 提供 / "
                "the device secret is missing: give --secret or set LINLI_GATE_SECRET",
                returncode=2,
            )
        self._run(public_id, secret, opts, site)

    def _secret(self, public_id: str, given: str) -> str | None:
        secret = given or os.environ.get("LINLI_GATE_SECRET", "") or secret_from_demo_file(public_id, demo_gates_file())
        if not secret:
            return None
        try:
            protocol.derive_keys(secret)
        except protocol.SecretInvalid as exc:
            raise CommandError(f"设备密钥格式不正确 / the device secret is not valid: {exc}", returncode=2) from exc
        return secret

    def _token_key(self, public_id: str, secret: str | None) -> bytes:
        if secret is not None:
            return protocol.derive_keys(secret)[0]

        token_key = Gate.objects.filter(public_id=public_id).values_list("token_key", flat=True).first()
        if token_key is None:
            raise CommandError(f"没有这个门禁 / no such gate: {public_id}", returncode=1)
        return bytes(token_key)

    def _run(self, public_id: str, secret: str, opts: dict[str, Any], site: str) -> None:
        def opened(command: protocol.OpenCommand) -> None:
            stamp = time.strftime("%H:%M:%S")
            self.stdout.write(f"{stamp} 开门 OPEN  gate {public_id}  command {command.id}  tap {command.tap}")

        def refused(command_id: str | None, reason: str) -> None:
            stamp = time.strftime("%H:%M:%S")
            self.stdout.write(f"{stamp} 拒绝 REFUSED  gate {public_id}  command {command_id or '-'}  reason {reason}")

        controller: GateController | HttpGateController
        if opts["transport"] == "http":
            controller = HttpGateController(
                public_id, secret, site, heartbeat_every=opts["heartbeat"], on_open=opened, on_refuse=refused
            )
            where = f"{site} (HTTP long-poll)"
        else:
            broker = opts["broker"] or settings.LINLI_MQTT_URL
            controller = GateController(
                public_id, secret, broker, heartbeat_every=opts["heartbeat"], on_open=opened, on_refuse=refused
            )
            where = broker
        stop = threading.Event()
        # Ctrl-C and SIGTERM stop it, also when started from a background job (which ignores SIGINT, and Python
        # then raises no KeyboardInterrupt).
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        controller.start()
        self.stdout.write(f"门禁模拟器已启动 gate simulator running: {public_id} via {where}; Ctrl-C to stop")
        try:
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
            self.stdout.write(f"stopped; opened {len(controller.opened)}, refused {len(controller.refused)}")
