"""Authentication for the API: bearer tokens (devices, scripts) or the web session (with CSRF)."""

from __future__ import annotations

import hashlib
import threading
import time
from functools import cache
from typing import Any

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.utils import check_csrf

from linli.core import rawsql
from linli.core.errors import Problem
from linli.core.models import ApiToken, User
from linli.core.sqlite import write_unless_busy


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# Bearer lookups are cached per process for a moment: a phone's app sends bursts of requests and the lookup
# (token + user) was a fifth of the booking path's CPU. A revoked token or deactivated user stops working within
# TOKEN_CACHE_SECONDS in every process (the revoking process forgets it at once): one second, what a revocation
# may take (issue 13 item 6), still covers a burst.
TOKEN_CACHE_SECONDS = 1.0
TOKEN_CACHE_MAX = 50_000
LAST_USED_RESOLUTION_SECONDS = 3600
_token_cache: dict[str, tuple[float, Any]] = {}

# A token's last use (what `linli token list` shows) is kept to the hour, and a read request does not write it: the
# tokens whose stored time is older than LAST_USED_RESOLUTION_SECONDS are noted in this process and written in one
# UPDATE for all of them at most once per LAST_USED_FLUSH_SECONDS (the process's first one at once). A crowd of
# first requests (a booking storm, a lunch rush) no longer pays one UPDATE each: that write was a third of the
# statements of a booking. The time written is the flush's, so it is late by at most LAST_USED_FLUSH_SECONDS; a
# process that stops loses what it had not written yet (the token's next request notes it again).
LAST_USED_FLUSH_SECONDS = 300.0
_last_used_pending: set[int] = set()
_last_used_flushed_at: float | None = None
_last_used_lock = threading.Lock()


def token_last_used_flush(*, force: bool = False) -> int:
    """Write the noted tokens' last use now if the period has passed (or `force`); returns how many were written."""
    global _last_used_flushed_at
    now_mono = time.monotonic()
    if not _last_used_pending:
        return 0
    due = _last_used_flushed_at is None or now_mono - _last_used_flushed_at >= LAST_USED_FLUSH_SECONDS
    if not (due or force) or not _last_used_lock.acquire(blocking=False):
        return 0
    try:
        ids = list(_last_used_pending)
        now = timezone.now()
        # Never waiting behind writers (embedded SQLite: a read request that queued for the write lock timed out
        # under a crowd); skipped, a later request writes them.
        if not write_unless_busy(lambda: ApiToken.objects.filter(pk__in=ids).update(last_used_at=now)):
            return 0
        _last_used_pending.difference_update(ids)
        _last_used_flushed_at = now_mono
        return len(ids)
    finally:
        _last_used_lock.release()


def token_cache_forget(digest: str | None = None) -> None:
    if digest is None:
        _token_cache.clear()
    else:
        _token_cache.pop(digest, None)


def user_from_bearer(request: HttpRequest) -> Any | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    raw = header[7:].strip()
    if not raw:
        return None
    digest = token_digest(raw)
    cached = _token_cache.get(digest)
    now_mono = time.monotonic()
    if cached is not None and cached[0] > now_mono:
        return cached[1]
    row = rawsql.fetch_one(_token_sql(connection.vendor), [digest])  # the SQL is built once per backend
    if row is None:
        _token_cache.pop(digest, None)
        raise Problem("not_authenticated", detail=_("令牌无效或已撤销"))
    token, user = rawsql.instances(row, ApiToken, User)
    assert isinstance(token, ApiToken)
    if (
        token.last_used_at is None
        or (timezone.now() - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
    ):
        _last_used_pending.add(token.pk)
    if _last_used_pending:
        token_last_used_flush()
    if len(_token_cache) >= TOKEN_CACHE_MAX:
        _token_cache.clear()
    _token_cache[digest] = (now_mono + TOKEN_CACHE_SECONDS, user)
    return user


@cache
def _token_sql(vendor: str) -> str:
    return (
        f"SELECT {rawsql.select_list(ApiToken, 't')}, {rawsql.select_list(User, 'u')} "  # noqa: S608
        f"FROM {rawsql.table(ApiToken)} t JOIN {rawsql.table(User)} u ON u.id = t.{rawsql.column(ApiToken, 'user')} "
        f"WHERE t.{rawsql.column(ApiToken, 'digest')} = %s AND t.{rawsql.column(ApiToken, 'revoked_at')} IS NULL "
        f"AND u.{rawsql.column(User, 'is_active')}"
    )


class UserAuth:
    """ninja auth callable: the bearer-token user (set by BearerTokenMiddleware), else the session user
    with CSRF checked on unsafe methods."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_security_schema = {
        "type": "http",
        "scheme": "bearer",
        "description": "`linli token create`; the web session (with its CSRF token) works too",
    }

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            raise Problem("not_authenticated")
        if getattr(request, "linli_bearer", False):
            return user
        if request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request) is not None:
            raise Problem("csrf_failed")
        return user


require_user = UserAuth()


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a request, for pages and API endpoints alike: the one django-ninja's `auth=`
    authenticated (`request.auth`), else the session's or bearer token's `request.user`. Raises
    `Problem("not_authenticated")` when nobody is signed in."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        raise Problem("not_authenticated")
    return user
