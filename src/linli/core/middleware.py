"""Request middleware: bearer tokens, security headers (CSP), elder mode."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from linli.core.auth import user_from_bearer
from linli.core.errors import Problem, problem_response

# Pages use only same-origin scripts and styles (vendored, no CDN). Map tiles may come from a configured host.
_TILE_HOST = ""
if settings.LINLI_MAP_TILE_URL:
    from urllib.parse import urlsplit

    parts = urlsplit(settings.LINLI_MAP_TILE_URL.replace("{s}", "a"))
    _TILE_HOST = f"{parts.scheme}://{parts.netloc.replace('a.', '*.', 1) if '{s}' in settings.LINLI_MAP_TILE_URL else parts.netloc}"

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: blob: {_TILE_HOST}".strip(),
        "connect-src 'self' ws: wss:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Swagger UI (vendored by django-ninja, served from /static/ninja/) sets inline styles.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class BearerTokenMiddleware:
    """`Authorization: Bearer <token>` signs the request in as the token's user (no session, no CSRF)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            user = user_from_bearer(request)
        except Problem as problem:
            return problem_response(request, problem)
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
            docs = request.path.startswith("/api/v1/docs")
            response["Content-Security-Policy"] = DOCS_CSP if docs else CSP
        response.setdefault("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()")
        return response


class ElderModeMiddleware:
    """Elder mode (长辈模式) follows the signed-in user's setting, else the `linli_elder` cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        cookie = request.COOKIES.get("linli_elder")
        if cookie is not None:
            request.elder_mode = cookie == "1"  # type: ignore[attr-defined]
        else:
            request.elder_mode = bool(user is not None and user.is_authenticated and user.elder_mode)  # type: ignore[attr-defined]
        return self.get_response(request)
