"""The floor of the booking-storm machine: a WSGI app that does nothing, served by the same gunicorn arrangement.

`gunicorn bench.loadgen.bare_wsgi:application` (or with `--chdir bench/loadgen ... bare_wsgi:application`): every
request answers `{"pong": true}`; no framework, no database. bench_booking_storm.py measures it beside Linli's
own ping so the report shows what two cores give before Django and Linli spend anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BODY = b'{"pong": true}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
