"""`Idempotency-Key` for create endpoints a phone may retry: the same key never creates twice.

Usage in an API view:

    return idempotent(request, scope=f"booking:{activity_id}", run=lambda: (201, {...}))

`run` performs the write and returns (status, JSON body). Its transaction and the key's row commit together,
so a crash leaves neither; a concurrent duplicate waits on the unique index and then replays the answer.
Problems raised by `run` are stored too (a retry sees the same refusal). A key answers its retries for
LINLI_IDEMPOTENCY_TTL_HOURS (24 by default); after that it is forgotten (and purged by `linli retention run`).

A key means one request: the first request's fingerprint (`request_fingerprint`: path, query and body, JSON
compared by meaning, a form by its fields and files' bytes) is stored with the key, and the same key sent with
another request is refused with 422 `idempotency_key_reused` instead of the first answer being replayed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core import rawsql
from linli.core.errors import Problem, request_language
from linli.core.models import IdempotencyKey
from linli.core.sqlite import locked_retry

MAX_KEY_LENGTH = 128


def idempotency_key(request: HttpRequest, *, required: bool = False) -> str | None:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if not key:
        if required:
            raise Problem(
                "validation_error",
                detail=_("请求缺少 Idempotency-Key 头"),
                errors=[{"field": "Idempotency-Key", "message": _("必填项")}],
            )
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise Problem(
            "validation_error",
            detail=format_lazy(_("Idempotency-Key 超过 {max} 个字符"), max=MAX_KEY_LENGTH),
        )
    return key


# The key's statements in plain SQL (cached per backend): through the ORM they cost more CPU than the
# booking they guard (bench/bench_booking_storm.py, cProfile of a booking sent with an Idempotency-Key).
@cache
def _sql(vendor: str) -> tuple[str, str, str]:
    t = rawsql.table(IdempotencyKey)

    def c(field: str) -> str:
        return rawsql.column(IdempotencyKey, field)

    select = (
        f"SELECT {rawsql.select_list(IdempotencyKey, 'k')} FROM {t} k "  # noqa: S608 - identifiers only
        f"WHERE k.{c('user')} = %s AND k.{c('scope')} = %s AND k.{c('key')} = %s"
    )
    answer = f"UPDATE {t} SET {c('status')} = %s, {c('body')} = %s WHERE {c('id')} = %s"  # noqa: S608
    # The key is claimed by inserting its row; a key already there (or being inserted by a concurrent request,
    # which this waits for) inserts nothing, and then its stored answer is replayed. ON CONFLICT DO NOTHING
    # keeps the transaction usable (PostgreSQL, SQLite >= 3.35).
    claim = (
        f"INSERT INTO {t} ({c('user')}, {c('scope')}, {c('key')}, {c('request_hash')}, {c('created_at')}) "  # noqa: S608
        f"VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING {c('id')}"
    )
    return select, answer, claim


def _stored(*, user_id: int, scope: str, key: str) -> IdempotencyKey | None:
    row = rawsql.fetch_one(_sql(connection.vendor)[0], [user_id, scope, key])
    if row is None:
        return None
    record = rawsql.instances(row, IdempotencyKey)[0]
    assert isinstance(record, IdempotencyKey)
    return record


def _record_answer(*, record_id: int, status: int, body: Any) -> None:
    fields = IdempotencyKey._meta
    params = [
        fields.get_field("status").get_db_prep_save(status, connection),  # type: ignore[union-attr]
        fields.get_field("body").get_db_prep_save(body, connection),  # type: ignore[union-attr]
        record_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_sql(connection.vendor)[1], params)


def _json_response(status: int, body: Any) -> HttpResponse:
    ctype = "application/problem+json" if status >= 400 else "application/json"
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=f"{ctype}; charset=utf-8")


def request_fingerprint(request: HttpRequest) -> str:
    """A hash of what the request asks: method, path, query and body. A JSON body counts by its meaning (key
    order and spacing do not matter); a multipart or urlencoded form by its fields and its files' names and bytes
    (a retried upload has a new boundary)."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}?{request.META.get('QUERY_STRING', '')}\n".encode())
    ctype = (request.content_type or "").lower()
    if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name, values in sorted(request.POST.lists()):
            digest.update(json.dumps([name, values], ensure_ascii=False).encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(json.dumps([name, upload.name, upload.size]).encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
        return digest.hexdigest()
    body = request.body
    with contextlib.suppress(ValueError):
        body = json.dumps(json.loads(body), sort_keys=True, ensure_ascii=False).encode()
    digest.update(body)
    return digest.hexdigest()


def _expired(stored: IdempotencyKey) -> bool:
    """A key older than LINLI_IDEMPOTENCY_TTL_HOURS (0: never) no longer answers; the periodic purge
    (`linli retention run`, linli.core.partitions) deletes such keys, this check covers the time until it runs."""
    hours = int(getattr(settings, "LINLI_IDEMPOTENCY_TTL_HOURS", 24) or 0)
    return hours > 0 and stored.created_at < timezone.now() - timedelta(hours=hours)


def _forget(record_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {rawsql.table(IdempotencyKey)} WHERE {rawsql.column(IdempotencyKey, 'id')} = %s",  # noqa: S608
            [record_id],
        )


def _claim(*, user_id: int, scope: str, key: str, request_hash: str) -> int | None:
    """Insert the key's row (inside the caller's transaction) and return its id; None when the key is taken."""
    params: list[Any] = [user_id, scope, key, request_hash, timezone.now()]
    fields = IdempotencyKey._meta
    params[4] = fields.get_field("created_at").get_db_prep_save(params[4], connection)  # type: ignore[union-attr]
    row = rawsql.fetch_one(_sql(connection.vendor)[2], params)
    return int(row[0]) if row is not None else None


def _replay(stored: IdempotencyKey, request_hash: str) -> HttpResponse:
    if stored.request_hash and stored.request_hash != request_hash:
        raise Problem(
            "idempotency_key_reused",
            detail=_("这个 Idempotency-Key 已用于另一个请求；新的请求请换一个新的键"),
            errors=[{"field": "Idempotency-Key", "message": _("已用于内容不同的请求")}],
        )
    assert stored.status is not None
    resp = _json_response(stored.status, stored.body)
    resp["Idempotent-Replayed"] = "true"
    return resp


def idempotent(
    request: HttpRequest,
    *,
    scope: str,
    run: Callable[[], tuple[int, Any]],
    required: bool = False,
    savepoint: bool = True,
) -> HttpResponse:
    """Run `run` once per (user, scope, Idempotency-Key); replay the stored answer for retries.

    In one transaction: claim the key (insert its row), run, store the answer. A key already claimed replays
    its answer (a concurrent duplicate waits for the first request's transaction, then replays). `run` runs in
    a savepoint, so a Problem it raises undoes its writes and only the refusal is stored; `savepoint=False`
    saves that savepoint's two round trips when `run` guarantees a Problem leaves nothing written (e.g. its
    writes are one all-or-nothing statement) and opens no atomic block of its own that the Problem would leave
    marked for rollback."""
    key = idempotency_key(request, required=required)
    if key is None:
        # Run again when embedded SQLite refused the write without anything committed (core.sqlite).
        status, body = locked_retry(run)
        return _json_response(status, body)
    if not request.user.is_authenticated:
        raise Problem("not_authenticated")
    user_id = request.user.pk
    request_hash = request_fingerprint(request)

    def attempt() -> tuple[int | None, IdempotencyKey | None, int, Any]:
        status: int = 0
        body: Any = None
        stored: IdempotencyKey | None = None
        with transaction.atomic():
            record_id = _claim(user_id=user_id, scope=scope, key=key, request_hash=request_hash)
            if record_id is None:
                stored = _stored(user_id=user_id, scope=scope, key=key)
                if stored is not None and _expired(stored):
                    # Past LINLI_IDEMPOTENCY_TTL_HOURS the key is forgotten: this request runs as a new one.
                    _forget(stored.pk)
                    record_id = _claim(user_id=user_id, scope=scope, key=key, request_hash=request_hash)
                    stored = _stored(user_id=user_id, scope=scope, key=key) if record_id is None else None
            if record_id is not None:
                try:
                    if savepoint:
                        with transaction.atomic():
                            status, body = run()
                    else:
                        status, body = run()
                except Problem as problem:
                    status = problem.http_status
                    body = problem.as_dict(request_language(request), instance=request.path)
                _record_answer(record_id=record_id, status=status, body=body)
        return record_id, stored, status, body

    stored: IdempotencyKey | None = None
    try:
        # The key, the write and the answer are one transaction: when SQLite refuses it, none of it was written.
        record_id, stored, status, body = locked_retry(attempt)
    except IntegrityError:
        # Not the key (its conflict inserts nothing): a write of `run` failed; replay if an answer exists.
        stored = _stored(user_id=user_id, scope=scope, key=key)
        if stored is None or stored.status is None:
            raise
        return _replay(stored, request_hash)
    if record_id is None:
        if stored is None or stored.status is None:
            # The key's row exists without an answer: only a row written outside this module can be so.
            raise IntegrityError(f"idempotency key {key!r} of scope {scope!r} has no stored answer")
        return _replay(stored, request_hash)
    return _json_response(status, body)
