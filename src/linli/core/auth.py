"""Authentication for the API: bearer tokens (devices, scripts) or the web session (with CSRF)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.utils import check_csrf

from linli.core.errors import Problem


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def user_from_bearer(request: HttpRequest) -> Any | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    raw = header[7:].strip()
    if not raw:
        return None
    from linli.core.models import ApiToken

    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        raise Problem("not_authenticated", detail_zh="令牌无效或已撤销", detail_en="The token is invalid or revoked")
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        type(token).objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class UserAuth:
    """ninja auth callable: the bearer-token user (set by BearerTokenMiddleware), else the session user
    with CSRF checked on unsafe methods."""

    openapi_type = "http"
    openapi_scheme = "bearer"

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
