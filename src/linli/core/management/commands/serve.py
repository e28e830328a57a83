"""`linli serve`: run Linli with the arrangement the configuration calls for.

Embedded (SQLite, no Redis): one uvicorn process serves pages, API and WebSockets, because the in-memory
channel layer lives inside that one process.
Production (PostgreSQL + Redis): gunicorn (gthread workers, WSGI) serves pages and API on --port; a separate
uvicorn process serves /ws/ on --ws-port; nginx routes between them (deploy/nginx.conf) and the two share
events through the Redis channel layer. Measured on the 2-core machine, gunicorn served the sync views 2–6×
faster than uvicorn (see DESIGN.md), which is why HTTP does not go through ASGI there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import uvicorn
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from linli.core.background import start_embedded_scheduler, start_embedded_services
from linli.core.sms import sms_backend_check


class Command(BaseCommand):
    help = "Serve Linli (embedded: one uvicorn process; production: gunicorn + uvicorn for /ws/)"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("LINLI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=settings.LINLI_PORT)
        parser.add_argument("--ws-port", type=int, default=None, help="production: WebSocket port (default port+1)")
        parser.add_argument("--workers", type=int, default=None, help="production: gunicorn workers (default 2×cores)")
        parser.add_argument("--threads", type=int, default=4, help="production: threads per gunicorn worker")
        parser.add_argument(
            "--mode", choices=["auto", "embedded", "production"], default="auto", help="override the arrangement"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            sms_backend_check()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc), returncode=1) from exc
        mode = settings.LINLI_MODE if opts["mode"] == "auto" else opts["mode"]
        host, port = opts["host"], opts["port"]
        if not settings.LINLI_SITE_URL_SET and port != settings.LINLI_PORT:
            # `linli serve --port N` without LINLI_SITE_URL: the QR codes point at this port (here and in children).
            os.environ["LINLI_PORT"] = str(port)
            settings.LINLI_SITE_URL = f"http://127.0.0.1:{port}"
        if mode == "embedded":
            self.stdout.write(f"Linli 邻里 · embedded mode · http://{host}:{port}/  (Ctrl-C to stop)")
            start_embedded_scheduler()  # reminders and other periodic tasks, in process (no Celery beat here)
            start_embedded_services()  # e.g. the gate listener (no separate service here); retries while no broker
            uvicorn.run("linli.asgi:application", host=host, port=port, log_level="info", lifespan="off")
            return

        call_command("collectstatic", interactive=False, verbosity=0)
        ws_port = opts["ws_port"] or port + 1
        workers = opts["workers"] or 2 * (os.cpu_count() or 1)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "linli.settings"}
        gunicorn = [
            sys.executable, "-m", "gunicorn", "linli.wsgi:application",
            "--bind", f"{host}:{port}", "--worker-class", "gthread",
            "--workers", str(workers), "--threads", str(opts["threads"]),
            "--access-logfile", "-", "--timeout", "30", "--graceful-timeout", "20",
            # Its control socket in this node's var directory (the default, ~/.gunicorn/gunicorn.ctl, is one path
            # for every node on the machine and read-only under deploy/linli.service's ProtectSystem).
            "--control-socket", str(settings.VAR_DIR / f"gunicorn-{port}.ctl"),
        ]  # fmt: skip
        uvicorn_cmd = [
            sys.executable, "-m", "uvicorn", "linli.asgi:application",
            "--host", host, "--port", str(ws_port), "--lifespan", "off", "--no-access-log",
        ]  # fmt: skip
        self.stdout.write(
            f"Linli 邻里 · production mode · pages+API http://{host}:{port}/ (gunicorn, {workers}×{opts['threads']}) · "
            f"WebSockets ws://{host}:{ws_port}/ws/ (uvicorn) — route /ws/ to it in nginx (deploy/nginx.conf)"
        )
        procs = [subprocess.Popen(gunicorn, env=env), subprocess.Popen(uvicorn_cmd, env=env)]  # noqa: S603

        def stop(*_: Any) -> None:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        finally:
            stop()
            for p in procs:
                try:
                    p.wait(timeout=25)
                except subprocess.TimeoutExpired:
                    p.kill()
        codes = [p.returncode for p in procs]
        if any(codes):
            sys.exit(max(abs(c or 0) for c in codes))
