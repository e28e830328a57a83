"""Request middleware: the input edge, bearer tokens, security headers (CSP), elder mode."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware as _AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware as _MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as _SessionMiddleware
from django.core.exceptions import DisallowedHost, TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware as _CsrfViewMiddleware
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.auth import user_from_bearer
from linli.core.errors import Problem, field_error, problem_response
from linli.core.inputs import MAX_JSON_DEPTH, checked

logger = logging.getLogger("linli.edge")

# Pages use only same-origin scripts and styles (vendored, no CDN). Map tiles may come from a configured host.
_TILE_HOST = ""
if settings.LINLI_MAP_TILE_URL:
    from urllib.parse import urlsplit

    parts = urlsplit(settings.LINLI_MAP_TILE_URL.replace("{s}", "a"))
    _TILE_HOST = f"{parts.scheme}://{parts.netloc.replace('a.', '*.', 1) if '{s}' in settings.LINLI_MAP_TILE_URL else parts.netloc}"

# connect-src: the site itself and its own WebSocket origin (ws:// or wss:// on the request's host), nothing else.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: blob: {_TILE_HOST}".strip(),
        "connect-src 'self' {websocket}",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Swagger UI (vendored by django-ninja, served from /static/ninja/) sets inline styles.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


@lru_cache(maxsize=256)
def content_security_policy(host: str, secure: bool, docs: bool = False) -> str:
    """The CSP of an answer to a request for `host` (already checked against ALLOWED_HOSTS)."""
    websocket = f"{'wss' if secure else 'ws'}://{host}" if host else ""
    policy = (DOCS_CSP if docs else CSP).replace("{websocket}", websocket)
    return policy.replace("connect-src 'self' ;", "connect-src 'self';")


def _edge_response(request: HttpRequest, problem: Problem) -> HttpResponse:
    """problem+json under /api/, a short plain answer on pages (whose forms check their own fields)."""
    if request.path.startswith("/api/"):
        return problem_response(request, problem)
    return HttpResponse(str(problem.title), status=problem.http_status, content_type="text/plain; charset=utf-8")


class InputEdgeMiddleware:
    """The raw request's edge (linli.core.inputs has the rules): a NUL byte in the path or the query string (422), a body over the limit (413: `DATA_UPLOAD_MAX_MEMORY_SIZE`, or `LINLI_MAX_UPLOAD_BYTES` for a multipart
    upload), and an API body's text, numbers and nesting (`_body_refusal`) — before any view or parser runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self.refusal(request)
        if problem is not None:
            return _edge_response(request, problem)
        return self.get_response(request)

    @staticmethod
    def refusal(request: HttpRequest) -> Problem | None:
        if request.path.startswith(_OWN_ERRORS):
            return None
        if "\x00" in request.path:
            return Problem("validation_error", errors=[field_error("path", _("不能包含空字符（NUL）"))])
        nul = [key for key, values in request.GET.lists() if "\x00" in key or any("\x00" in v for v in values)]
        if nul:
            return Problem(
                "validation_error",
                errors=[field_error(key.replace("\x00", ""), _("不能包含空字符（NUL）")) for key in nul],
            )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = (request.content_type or "").startswith("multipart/")
        limit = settings.LINLI_MAX_UPLOAD_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return Problem("too_large", detail=format_lazy(_("请求内容不能超过 {mb} MB"), mb=limit // (1024 * 1024)))
        if request.method in ("POST", "PUT", "PATCH") and request.path.startswith(_BODY_CHECKED):
            return _body_refusal(request)
        return None


# Bodies some views read themselves (a report's multipart form, a transition's JSON) are checked here too, before
# any view: the rules' refusals (text, numbers, nesting), not their cleaning (the operation decorator cleans what
# ninja validates).
_BODY_CHECKED = ("/api/",)
# Open311 answers in its own formats (JSON or XML errors, GeoReport v2): its parameter reader applies the rules.
_OWN_ERRORS = ("/open311/",)


def _body_refusal(request: HttpRequest) -> Problem | None:
    ctype = request.content_type or ""
    errors: list[dict[str, object]] = []
    if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            fields = {key: request.POST.getlist(key) for key in request.POST}
            names = [upload.name for uploads in request.FILES.lists() for upload in uploads[1]]
        except (TooManyFieldsSent, TooManyFilesSent):
            return Problem(
                "bad_request", detail=_("表单字段过多"), errors=[field_error("", _("项目过多"), type="too_long")]
            )
        except MultiPartParserError:  # e.g. multipart/form-data without a boundary
            return Problem("bad_request", detail=_("表单格式不正确"))
        checked(fields, "", errors)
        checked(names, "files", errors)
    elif ctype.endswith("json") and request.body:
        try:
            data = json.loads(request.body)
        except RecursionError:
            data = None
            errors.append(
                field_error("", format_lazy(_("JSON 嵌套不能超过 {depth} 层"), depth=MAX_JSON_DEPTH), type="too_deep")
            )
        except ValueError:
            return None  # not JSON: the view says so
        checked(data, "", errors)
    if errors:
        return Problem("validation_error", errors=errors)
    return None


def bearer_api_request(request: HttpRequest) -> bool:
    """An API request that carries a bearer token (a phone's app, a device, a script): no cookies are read or set
    for it, so the browser's middleware (sessions, the session user, CSRF, messages, elder mode, the sign-in
    resume) has nothing to do. BearerTokenMiddleware signs it in or answers 401, so `request.user` is always set
    for it. Decided once per request."""
    lane = getattr(request, "_linli_bearer_api", None)
    if lane is None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        lane = (
            len(header) > 7
            and header[:7].lower() == "bearer "
            and bool(header[7:].strip())
            and request.path_info.startswith("/api/")
        )
        request._linli_bearer_api = lane  # type: ignore[attr-defined]
    return lane


class _BrowserOnly:
    """Mixin for a browser middleware: a bearer API request passes straight through (see bearer_api_request).
    Issue 23: these did per-request work (a session store, a message storage, the CSRF cookie) for every phone's
    request; CSRF itself is not weakened — a bearer request was already exempt (no cookie can carry it)."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if bearer_api_request(request):
            return self.get_response(request)  # type: ignore[attr-defined]  # the Django middleware's
        return super().__call__(request)  # type: ignore[misc]


class SessionMiddleware(_BrowserOnly, _SessionMiddleware):
    pass


class AuthenticationMiddleware(_BrowserOnly, _AuthenticationMiddleware):
    pass


class CsrfViewMiddleware(_BrowserOnly, _CsrfViewMiddleware):
    def process_view(self, request: HttpRequest, callback: Any, callback_args: Any, callback_kwargs: Any) -> Any:
        if bearer_api_request(request):
            return None
        return super().process_view(request, callback, callback_args, callback_kwargs)


class MessageMiddleware(_BrowserOnly, _MessageMiddleware):
    pass


class BearerTokenMiddleware:
    """`Authorization: Bearer <token>` signs the request in as the token's user (no session, no CSRF)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            user = user_from_bearer(request)
        except Problem as problem:
            return problem_response(request, problem)
        except DatabaseError:
            # The token cannot be checked now; the client may retry (not a 500, not a silent anonymous request).
            logger.exception("bearer token lookup failed")
            return problem_response(request, Problem("service_unavailable"))
        if user is not None:
            request.user = user
            request.linli_bearer = True  # type: ignore[attr-defined]
            request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        return self.get_response(request)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            try:
                host = request.get_host()
            except DisallowedHost:
                host = ""
            docs = request.path.startswith("/api/v1/docs")
            response["Content-Security-Policy"] = content_security_policy(host, request.is_secure(), docs)
        response.setdefault("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()")
        return response


class ElderModeMiddleware:
    """Elder mode (长辈模式) follows the signed-in user's setting, else the `linli_elder` cookie (pages only)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if bearer_api_request(request):
            return self.get_response(request)
        user = getattr(request, "user", None)
        cookie = request.COOKIES.get("linli_elder")
        if cookie is not None:
            request.elder_mode = cookie == "1"  # type: ignore[attr-defined]
        else:
            request.elder_mode = bool(user is not None and user.is_authenticated and user.elder_mode)  # type: ignore[attr-defined]
        return self.get_response(request)


class ResumeAfterSignInMiddleware:
    """A signed-out POST that a view answers with the sign-in page keeps its fields for the page it came from
    (`linli.core.resume`): after signing in, the form is filled again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method == "POST"
            and not bearer_api_request(request)
            and response.status_code in (301, 302, 303)
            and response.get("Location", "").startswith(str(settings.LOGIN_URL))
            and not getattr(request, "linli_bearer", False)
            and not request.user.is_authenticated
        ):
            from linli.core.resume import stash

            stash(request)
        return response
