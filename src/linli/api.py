"""The one NinjaAPI at /api/v1: mounts every domain's router and renders errors as problem+json."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from linli.core.errors import Problem, problem_response

logger = logging.getLogger("linli.api")

api = NinjaAPI(
    title="Linli 邻里 API",
    version="1",
    description=(
        "邻里社区数字服务平台接口。Linli's public API: streets, service catalogue, service points, nearest "
        "search, GeoJSON export. Errors are RFC 9457 problem details with a stable `code`; messages follow "
        "`Accept-Language` (zh-Hans default, en). Authenticate with `Authorization: Bearer <token>` "
        "(`linli token create`) or the web session (with CSRF)."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
    renderer=JSONRenderer(),
)


@api.exception_handler(Problem)
def _problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problem_response(request, exc)


def _loc_to_field(loc: Any) -> str:
    parts = [str(p) for p in (loc or []) if p not in ("body", "query", "path", "form", "payload")]
    return ".".join(parts)


# Chinese messages for the pydantic error types residents' apps meet most; others fall back to a generic one.
_ZH_VALIDATION = {
    "missing": "必填项",
    "float_parsing": "应为数字",
    "int_parsing": "应为整数",
    "bool_parsing": "应为是或否（true/false）",
    "string_too_long": "内容过长",
    "string_too_short": "内容过短",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "json_invalid": "不是有效的 JSON",
    "literal_error": "不是允许的取值",
    "enum": "不是允许的取值",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "string_type": "应为文字",
}


@api.exception_handler(NinjaValidationError)
def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        errors.append(
            {
                "field": _loc_to_field(err.get("loc")),
                "message": _ZH_VALIDATION.get(str(err.get("type", "")), "取值无效"),
                "message_en": str(err.get("msg", "")),
                "type": err.get("type", ""),
            }
        )
    return problem_response(request, Problem("validation_error", errors=errors))


@api.exception_handler(AuthenticationError)
def _auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(request, Problem("not_authenticated"))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, Problem("not_found"))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {
        401: "not_authenticated",
        403: "permission_denied",
        404: "not_found",
        405: "method_not_allowed",
        429: "rate_limited",
    }.get(exc.status_code, "validation_error")
    return problem_response(request, Problem(code, detail_en=str(exc), status=exc.status_code))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled error on %s", request.path)
    return problem_response(request, Problem("server_error"))


api.add_router("/", "linli.core.api.router")
api.add_router("/", "linli.places.api.router")
api.add_router("/", "linli.activities.api.router")
api.add_router("/", "linli.activities.api_calendar.router")
api.add_router("/", "linli.meals.api.router")
api.add_router("/", "linli.meals.api_orders.router")
api.add_router("/", "linli.meals.api_wallet.router")
api.add_router("/", "linli.meals.api_kitchen.router")
api.add_router("/", "linli.meals.api_quality.router")
api.add_router("/", "linli.cases.api.router")
api.add_router("/", "linli.access.api.router")
api.add_router("/access/gates/", "linli.access.gatewire.http_api.router")
api.add_router("/", "linli.assistant.api.router")
