"""`Idempotency-Key` for create endpoints a phone may retry: the same key never creates twice.

Usage in an API view:

    return idempotent(request, scope=f"booking:{activity_id}", run=lambda: (201, {...}))

`run` performs the write and returns (status, JSON body). Its transaction and the key's row commit together,
so a crash leaves neither; a concurrent duplicate waits on the unique index and then replays the answer.
Problems raised by `run` are stored too (a retry sees the same refusal).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from linli.core.errors import Problem
from linli.core.models import IdempotencyKey

MAX_KEY_LENGTH = 128


def idempotency_key(request: HttpRequest, *, required: bool = False) -> str | None:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if not key:
        if required:
            raise Problem(
                "validation_error",
                detail_zh="请求缺少 Idempotency-Key 头",
                detail_en="The Idempotency-Key header is required",
                errors=[{"field": "Idempotency-Key", "message": "必填项", "message_en": "required"}],
            )
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise Problem(
            "validation_error",
            detail_zh="Idempotency-Key 过长",
            detail_en=f"Idempotency-Key longer than {MAX_KEY_LENGTH} characters",
        )
    return key


def _json_response(status: int, body: Any) -> HttpResponse:
    ctype = "application/problem+json" if status >= 400 else "application/json"
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=f"{ctype}; charset=utf-8")


def idempotent(
    request: HttpRequest,
    *,
    scope: str,
    run: Callable[[], tuple[int, Any]],
    required: bool = False,
) -> HttpResponse:
    """Run `run` once per (user, scope, Idempotency-Key); replay the stored answer for retries."""
    from linli.api import request_language

    key = idempotency_key(request, required=required)
    if key is None:
        status, body = run()
        return _json_response(status, body)
    if not request.user.is_authenticated:
        raise Problem("not_authenticated")
    user = request.user
    stored = IdempotencyKey.objects.filter(user=user, scope=scope, key=key).first()
    if stored is not None and stored.status is not None:
        resp = _json_response(stored.status, stored.body)
        resp["Idempotent-Replayed"] = "true"
        return resp
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(user=user, scope=scope, key=key)
            try:
                with transaction.atomic():
                    status, body = run()
            except Problem as problem:
                status, body = problem.http_status, problem.as_dict(request_language(request), instance=request.path)
            record.status, record.body = status, body
            record.save(update_fields=["status", "body"])
    except IntegrityError:
        # A concurrent request with the same key won the insert; its answer is committed now.
        stored = IdempotencyKey.objects.filter(user=user, scope=scope, key=key).first()
        if stored is None or stored.status is None:
            raise
        resp = _json_response(stored.status, stored.body)
        resp["Idempotent-Replayed"] = "true"
        return resp
    return _json_response(status, body)
