"""Measure where each write happens: a pytest plugin that records, for every request the tests make, which
service function issued each INSERT, UPDATE or DELETE and on which table, then writes the table in
docs/architecture.md ("Where each write happens") between its markers.

    make write-map        # runs the API and page tests with `-p write_map` (PYTHONPATH=tools)

A write whose stack has no frame in a domain's `services` (or `selectors`) module is listed as "(no service)":
that is a view writing on its own, which the layer rules forbid outside core's plumbing (sessions, idempotency
keys, the admin's log).
"""

from __future__ import annotations

import contextvars
import os
import re
import traceback
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- write-map:begin (tools/write_map.py) -->"
END = "<!-- write-map:end -->"
WRITE_RE = re.compile(r'(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([a-z0-9_]+)"?', re.I)
PLUMBING = {"django_session", "core_idempotencykey", "django_admin_log", "core_auditlog"}
SERVICE_PARTS = ("/services", "/selectors", "/gatewire/", "/engine/")

_request: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("write_map_request", default=None)
_writes: dict[tuple[str, str], set[tuple[str, str, str]]] = defaultdict(set)


def _module(filename: str) -> str:
    return filename.split("/linli/", 1)[1].removesuffix(".py").replace("/", ".")


def _writer() -> str:
    stack = traceback.extract_stack()
    for frame in stack:
        if "/linli/" in frame.filename and any(part in frame.filename for part in SERVICE_PARTS):
            return f"{_module(frame.filename)}.{frame.name}"
    for frame in reversed(stack):
        if "/linli/" in frame.filename and "/tests/" not in frame.filename:
            return f"{_module(frame.filename)}.{frame.name} (no service)"
    return "(outside linli)"


def _record(sql: Any) -> None:
    request = _request.get()
    if request is None or not isinstance(sql, str):
        return
    for match in WRITE_RE.finditer(sql):
        verb = match.group(1).split()[0].upper()
        if verb == "UPDATE" and sql[: match.start()].rstrip().upper().endswith("DO"):
            verb = "UPSERT"
        _writes[request].add((_writer(), verb, match.group(2)))


def pytest_configure(config: Any) -> None:
    from django.core.handlers import base
    from django.db.backends import utils
    from django.urls import Resolver404, resolve

    def route(request: Any) -> str:
        try:
            return "/" + resolve(request.path_info).route.replace("^", "").replace("$", "")
        except Resolver404:
            return request.path_info

    get_response, get_response_async = base.BaseHandler._get_response, base.BaseHandler._get_response_async

    def patched(self: Any, request: Any) -> Any:
        token = _request.set((request.method, route(request)))
        try:
            return get_response(self, request)
        finally:
            _request.reset(token)

    async def patched_async(self: Any, request: Any) -> Any:
        token = _request.set((request.method, route(request)))
        try:
            return await get_response_async(self, request)
        finally:
            _request.reset(token)

    base.BaseHandler._get_response = patched  # type: ignore[method-assign]
    base.BaseHandler._get_response_async = patched_async  # type: ignore[method-assign]
    execute, executemany = utils.CursorWrapper.execute, utils.CursorWrapper.executemany

    def patched_execute(self: Any, sql: Any, params: Any = None) -> Any:
        _record(sql)
        return execute(self, sql, params)

    def patched_executemany(self: Any, sql: Any, param_list: Any) -> Any:
        _record(sql)
        return executemany(self, sql, param_list)

    utils.CursorWrapper.execute = patched_execute  # type: ignore[method-assign]
    utils.CursorWrapper.executemany = patched_executemany  # type: ignore[method-assign]


def _domain(route: str, writers: set[str]) -> str:
    if route.startswith("/admin/") and not any("(no service)" not in w for w in writers):
        return "admin"
    domains = sorted({w.split(".", 1)[0] for w in writers if "(no service)" not in w})
    return domains[0] if domains else route.strip("/").split("/", 1)[0]


def table() -> str:
    by_domain: dict[str, list[str]] = defaultdict(list)
    for (method, route), writes in sorted(_writes.items(), key=lambda item: (item[0][1], item[0][0])):
        real = {(w, v, t) for w, v, t in writes if t not in PLUMBING and t.upper() != "SET"}
        if not real:
            continue
        writers = {w for w, _, _ in real}
        tables = sorted({f"{t} ({v.lower()})" for _, v, t in real})
        plumbing = sorted({t for _, _, t in writes if t in PLUMBING})
        cell = ", ".join(tables) + (f"; and {', '.join(plumbing)}" if plumbing else "")
        by_domain[_domain(route, writers)].append(
            f"| `{method} {route}` | {'<br>'.join(f'`{w}`' for w in sorted(writers))} | {cell} |"
        )
    out = [BEGIN, ""]
    for domain in sorted(by_domain):
        out += [f"**{domain}**", "", "| endpoint | service | tables written |", "|---|---|---|", *by_domain[domain], ""]
    out.append(END)
    return "\n".join(out)


def pytest_unconfigure(config: Any) -> None:
    if not _writes or os.environ.get("WRITE_MAP_DRY"):
        return
    text = DOC.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + table() + rest.split(END, 1)[1]
        DOC.write_text(text, encoding="utf-8")
