"""API schemas every domain shares: the problem+json body (RFC 9457) and how an endpoint declares its problems.

An endpoint lists the problem codes it may answer with `@problems(...)` under its router decorator; the OpenAPI
document (linli.api) then describes each of those statuses with the `ProblemDetails` schema and the codes, plus
the ones every endpoint of its kind answers: 401 (and 403 `csrf_failed` for session writes) with `auth`, 422
`validation_error` with parameters or a body, 500 `server_error`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ninja import Field, Schema
from pydantic import ConfigDict

from linli.core.errors import CATALOGUE

F = TypeVar("F", bound=Callable[..., Any])


class FieldErrorOut(Schema):
    """One entry of a problem's `errors`; location keys such as `line`, `feature` or `event` may be added."""

    model_config = ConfigDict(extra="allow")

    field: str = Field(description="the input it is about, a dotted path (`items.0.quantity`)")
    message: str = Field(description="in the request's language (Accept-Language: zh-Hans default, en)")
    message_en: str = Field(description="in English, whatever the request's language")


class ProblemDetails(Schema):
    """An error answer, `application/problem+json` (RFC 9457). `code` is stable; a problem may add its own members
    (e.g. `retry_after`, `remaining`, `candidates`)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="https://linli.invalid/problems/<code>")
    title: str = Field(description="the problem in words, in the request's language")
    status: int
    code: str = Field(description="stable, for programs: `sold_out`, `validation_error`, ...")
    detail: str | None = Field(None, description="this occurrence in words, in the request's language")
    instance: str | None = Field(None, description="the request's path")
    errors: list[FieldErrorOut] | None = Field(None, description="per-field errors")


def problems(*codes: str | tuple[str, int]) -> Callable[[F], F]:
    """Declare the problem codes an endpoint may answer (besides those its kind answers, see the module): a code
    answers its catalogue status; `(code, status)` where a service raises it with another status."""
    unknown = [c for c in (c if isinstance(c, str) else c[0] for c in codes) if c not in CATALOGUE]
    if unknown:
        raise KeyError(f"unknown problem codes {unknown}")
    answers = tuple((c, CATALOGUE[c][0]) if isinstance(c, str) else c for c in codes)

    def mark(view: F) -> F:
        view.problem_answers = answers  # type: ignore[attr-defined]
        return view

    return mark


def file_answer(media_type: str, description: str) -> dict[str, Any]:
    """`openapi_extra` for an endpoint that answers a file (CSV, Excel, iCalendar, SVG) instead of JSON."""
    return {
        "responses": {
            200: {
                "description": description,
                "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }
