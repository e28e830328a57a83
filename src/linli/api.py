"""The one NinjaAPI at /api/v1: mounts every domain's router and renders errors as problem+json."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from ninja.operation import Operation
from ninja.renderers import JSONRenderer
from ninja.schema import NinjaGenerateJsonSchema

from linli.core.errors import CATALOGUE, Problem, field_error, problem_response
from linli.core.i18n import Text
from linli.core.inputs import check_operation_inputs
from linli.core.schemas import ProblemDetails

logger = logging.getLogger("linli.api")

PROBLEM_JSON = "application/problem+json"


class ProblemDocumentedSchema(OpenAPISchema):
    """The OpenAPI document with every error answer described: each status an operation may answer with
    problem+json, its `ProblemDetails` schema and the problem codes behind it (see linli.core.schemas)."""

    def responses(self, operation: Operation) -> dict[int, Any]:
        result: dict[int, Any] = super().responses(operation)
        codes: list[tuple[str, int]] = list(getattr(operation.view_func, "problem_answers", ()))
        # Every operation: a bearer token that is not valid (401) or cannot be checked now (503), a server error.
        implied = ["not_authenticated", "service_unavailable", "server_error"]
        if operation.auth_callbacks and set(operation.methods) - {"GET", "HEAD", "OPTIONS"}:
            implied.append("csrf_failed")
        if operation.models:
            implied.append("validation_error")
        if set(operation.methods) - {"GET", "HEAD", "OPTIONS", "DELETE"}:
            implied += ["too_large", "bad_request"]  # a body over the limit; a form with too many fields
        codes += [(code, CATALOGUE[code][0]) for code in implied]
        if set(operation.methods) - {"GET", "HEAD", "OPTIONS", "DELETE"}:
            codes.append(("validation_error", 400))  # a body that is not JSON at all
        by_status: dict[int, list[str]] = {}
        for code, status in dict.fromkeys(codes):
            by_status.setdefault(status, []).append(code)
        if "ProblemDetails" not in self.schemas:
            schema = ProblemDetails.model_json_schema(
                ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode="serialization"
            )
            self.add_schema_definitions(schema.pop("$defs", {}))
            self.schemas["ProblemDetails"] = schema
        for status, status_codes in sorted(by_status.items()):
            result[status] = {
                "description": f"{HTTPStatus(status).phrase}: " + ", ".join(f"`{c}`" for c in status_codes),
                "content": {PROBLEM_JSON: {"schema": {"$ref": REF_TEMPLATE.format(model="ProblemDetails")}}},
            }
        return result


class LinliAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return ProblemDocumentedSchema(api=self, path_prefix=path_prefix)


api = LinliAPI(
    title="Linli 邻里 API",
    version="1",
    description=(
        "邻里社区数字服务平台接口。Linli's public API: streets, service catalogue, service points, nearest "
        "search, GeoJSON export. Errors are RFC 9457 problem details with a stable `code`; messages follow "
        "`Accept-Language` (zh-Hans default, en); every operation lists the problem codes each status may carry. "
        "Authenticate with `Authorization: Bearer <token>` "
        "(`linli token create`) or the web session (with CSRF)."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
    renderer=JSONRenderer(),
)
# The input edge (linli.core.inputs): every operation's validated parameters and body pass the same checks.
api.add_decorator(check_operation_inputs)


@api.exception_handler(Problem)
def _problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problem_response(request, exc)


def _loc_to_field(loc: Any) -> str:
    parts = [str(p) for p in (loc or []) if p not in ("body", "query", "path", "form", "payload")]
    return ".".join(parts)


# Messages for the pydantic error types residents' apps meet most; others fall back to a generic one.
_VALIDATION_MESSAGES: dict[str, Text] = {
    "missing": _("必填项"),
    "float_parsing": _("应为数字"),
    "float_type": _("应为数字"),
    "int_parsing": _("应为整数"),
    "int_type": _("应为整数"),
    "int_from_float": _("应为整数"),
    "bool_parsing": _("应为是或否（true/false）"),
    "bool_type": _("应为是或否（true/false）"),
    "string_too_long": _("内容过长"),
    "string_too_short": _("内容过短"),
    "too_long": _("项目过多"),
    "too_short": _("项目过少"),
    "greater_than_equal": _("数值过小"),
    "less_than_equal": _("数值过大"),
    "greater_than": _("数值过小"),
    "less_than": _("数值过大"),
    "json_invalid": _("不是有效的 JSON"),
    "literal_error": _("不是允许的取值"),
    "enum": _("不是允许的取值"),
    "list_type": _("应为列表"),
    "dict_type": _("应为对象"),
    "model_attributes_type": _("应为对象"),
    "string_type": _("应为文字"),
    "date_parsing": _("日期格式应为 YYYY-MM-DD"),
    "date_from_datetime_parsing": _("日期格式应为 YYYY-MM-DD"),
    "datetime_parsing": _("时间格式应为 ISO 8601"),
    "datetime_from_date_parsing": _("时间格式应为 ISO 8601"),
}


@api.exception_handler(NinjaValidationError)
def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        field_error(
            _loc_to_field(err.get("loc")),
            _VALIDATION_MESSAGES.get(str(err.get("type", "")), _("取值无效")),
            type=err.get("type", ""),
        )
        for err in exc.errors
    ]
    return problem_response(request, Problem("validation_error", errors=errors))


@api.exception_handler(AuthenticationError)
def _auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(request, Problem("not_authenticated"))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, Problem("not_found"))


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem_response(request, Problem("too_large"))


@api.exception_handler(MultiPartParserError)
def _bad_form(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(request, Problem("bad_request", detail=_("表单格式不正确")))  # e.g. no boundary


@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def _too_many_fields(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(
        request,
        Problem("bad_request", detail=_("表单字段过多"), errors=[field_error("", _("项目过多"), type="too_long")]),
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # ninja could not parse the body: not JSON, not UTF-8, or nested too deep for the parser (400; JSON that
        # parses but is not what the operation takes is 422).
        return problem_response(
            request,
            Problem(
                "validation_error",
                detail=_("请求内容不是有效的 JSON"),
                errors=[field_error("", _("不是有效的 JSON"), type="json_invalid")],
                status=400,
            ),
        )
    code = {
        401: "not_authenticated",
        403: "permission_denied",
        404: "not_found",
        405: "method_not_allowed",
        429: "rate_limited",
    }.get(exc.status_code, "validation_error")
    return problem_response(request, Problem(code, detail=str(exc), status=exc.status_code))  # ninja's own text


@csrf_exempt  # like every API path: a POST to an unknown path is a 404, not the CSRF failure page
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any path under /api/v1/ that names no operation (linli.urls routes them here): problem+json, not a page."""
    return problem_response(request, Problem("not_found", detail=_("没有这个接口")))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled error on %s", request.path)
    return problem_response(request, Problem("server_error"))


api.add_router("/", "linli.core.api.router")
api.add_router("/", "linli.places.api.router")
api.add_router("/", "linli.activities.api.router")
api.add_router("/", "linli.activities.api_calendar.router")
api.add_router("/", "linli.meals.api.router")
api.add_router("/", "linli.cases.api.router")
api.add_router("/", "linli.access.api.router")
api.add_router("/access/gates/", "linli.access.gatewire.http_api.router")
api.add_router("/", "linli.assistant.api.router")
api.add_router("/", "linli.affairs.api.router")
api.add_router("/", "linli.care.api.router")
api.add_router("/", "linli.volunteers.api.router")
api.add_router("/", "linli.jobs.api.router")
api.add_router("/", "linli.voice.api.router")
api.add_router("/", "linli.dashboard.api.router")
api.add_router("/", "linli.affairs.api_queue.router")
