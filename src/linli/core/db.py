"""Read replicas: exports, dashboards and reports read from a PostgreSQL streaming replica when one is configured.

`LINLI_DATABASE_REPLICA_URL` names a hot standby of the primary (`pg_basebackup -R`; README "Many app nodes and a
read replica"). Settings then add the database alias "replica" and `ReplicaRouter`. Nothing reads from it unless
the code says so: a read that may be a little behind the primary opts in with `replica_reads()`, a context
manager and decorator, which export views, report selectors and the dashboard use. Every other read, and every
write, goes to the primary, as without a replica.

A replica is behind the primary by the replication lag (milliseconds on one machine, more under load), so a read
that must see what this user just wrote never goes there (the rule of Django's "multiple databases" recipe and
django-multidb-router):
- within one request (or one `replica_reads()` block outside a request), once anything was written, every later
  read stays on the primary ("pinned");
- a request that wrote, or that came with an unsafe method (a form post), sets a short-lived cookie
  (`LINLI_REPLICA_PIN_SECONDS`, default 15 s) and the same browser's requests in that time are pinned too: the
  page after a post-redirect-get shows the post;
- a read inside a transaction on the primary stays there (it must see the transaction's own rows);
- a replica that is missing from settings, or `LINLI_REPLICA_READS=0`, sends everything to the primary.

Raw SQL through `connection.cursor()` bypasses routers: such a report selector opens
`connections[read_alias()].cursor()` instead.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

F = TypeVar("F", bound=Callable[..., Any])

REPLICA = "replica"
PIN_COOKIE = "linli_pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class _Scope:
    """What one request (or one replica_reads() block outside a request) has done: written or not."""

    __slots__ = ("pinned", "wrote")

    def __init__(self, pinned: bool = False) -> None:
        self.pinned = pinned
        self.wrote = False


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("linli_db_scope", default=None)
_replica_wanted: contextvars.ContextVar[bool] = contextvars.ContextVar("linli_replica_wanted", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES and bool(getattr(settings, "LINLI_REPLICA_READS", True))


def read_alias() -> str:
    """The alias a read here goes to: "replica" inside `replica_reads()` when nothing pins it, else "default"."""
    if not _replica_wanted.get() or not replica_configured():
        return DEFAULT_DB_ALIAS
    scope = _scope.get()
    if scope is not None and scope.pinned:
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA


def pin_to_primary() -> None:
    """Every later read of this request (or replica_reads() block) goes to the primary."""
    scope = _scope.get()
    if scope is not None:
        scope.pinned = scope.wrote = True


class replica_reads:  # noqa: N801 - used like a function: `with replica_reads():`, `@replica_reads()`
    """Reads inside may go to the replica (a little behind the primary): exports, dashboards, reports."""

    def __init__(self) -> None:
        self._tokens: list[contextvars.Token[Any]] = []

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> Any:
            with type(self)():  # a fresh block per call (threads, recursion)
                return func(*args, **kwargs)

        # django-ninja reads a view's annotations in the wrapper's module: give it them resolved in the view's own
        # (`Query[Filters]` under `from __future__ import annotations`).
        with contextlib.suppress(NameError, TypeError):
            inner.__signature__ = inspect.signature(func, eval_str=True)  # type: ignore[attr-defined]
        return inner  # type: ignore[return-value]

    def __enter__(self) -> replica_reads:
        if _scope.get() is None:  # outside a request (a Celery export, a command): this block is the scope
            self._tokens.append(_scope.set(_Scope()))
        self._tokens.append(_replica_wanted.set(True))
        return self

    def __exit__(self, *exc: object) -> None:
        _replica_wanted.reset(self._tokens.pop())
        if self._tokens:
            _scope.reset(self._tokens.pop())


class ReplicaRouter:
    """settings.DATABASE_ROUTERS when a replica is configured (see the module's docstring)."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type, **hints: Any) -> str:
        pin_to_primary()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica is a copy of the primary: every row is on both

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReplicaPinMiddleware:
    """One scope per request, pinned when the browser's pin cookie is fresh; sets that cookie after a write."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        scope = _Scope(pinned=request.COOKIES.get(PIN_COOKIE) == "1")
        token = _scope.set(scope)
        try:
            response = self.get_response(request)
        finally:
            _scope.reset(token)
        if scope.wrote or request.method not in SAFE_METHODS:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=int(getattr(settings, "LINLI_REPLICA_PIN_SECONDS", 15)),
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
