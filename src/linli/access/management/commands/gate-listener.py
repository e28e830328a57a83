"""`linli gate-listener`: the service that records what gates report (heartbeats, last events) on the Gate rows.

One MQTT client subscribed to `linli/gates/+/evt`; every event's MAC is verified with the gate's command_key and
the newest times are written once a second per gate (`gatewire.recorder`); events that do not verify are ignored
and counted. `--shared GROUP` subscribes as an MQTT shared subscription (`$share/GROUP/...`), so several listeners
split the gates' events between them. Runs until SIGTERM / Ctrl-C; deploy/linli-gate-listener.service runs it.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from linli.access.gatewire.listener import GateListener


class Command(BaseCommand):
    help = "Record gate heartbeats and events from MQTT (门禁心跳与事件记录服务)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--broker", default="", help="MQTT broker URL (default: settings.LINLI_MQTT_URL)")
        parser.add_argument("--shared", default="", help="shared-subscription group, to run several listeners")
        parser.add_argument("--flush-every", type=float, default=1.0, help="seconds between database writes")
        parser.add_argument("--stats-every", type=float, default=300.0, help="seconds between statistics lines")

    def handle(self, *args: Any, **opts: Any) -> None:
        listener = GateListener(
            opts["broker"] or settings.LINLI_MQTT_URL, shared_group=opts["shared"], flush_every=opts["flush_every"]
        )
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):  # also when a background job started it (SIGINT ignored)
            signal.signal(signum, lambda *_: stop.set())
        listener.start()
        self.stdout.write(f"gate listener: {listener.broker_url} {listener.topic_filter}")
        next_stats = time.monotonic() + opts["stats_every"]
        try:
            while not stop.wait(1.0):
                if time.monotonic() >= next_stats:
                    next_stats += opts["stats_every"]
                    self.stdout.write(f"gate listener: {listener.stats_line()}")
        except KeyboardInterrupt:
            pass
        finally:
            listener.stop()
            self.stdout.write(f"gate listener stopped: {listener.stats_line()}")
