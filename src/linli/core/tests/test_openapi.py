"""The OpenAPI document at /api/v1/openapi.json describes every answer of every operation: a typed schema for
its success, and for each error status the problem+json schema with the problem codes it may carry."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from django.test import Client

from linli.core.errors import CATALOGUE
from linli.core.schemas import ProblemDetails

PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}
# A gate controller that names an unknown gate gets the answer of a bad signature (401), so ids cannot be probed.
UNKNOWN_IS_UNAUTHENTICATED = {"/api/v1/access/gates/{public_id}/commands", "/api/v1/access/gates/{public_id}/events"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _typed(schema: dict[str, Any]) -> bool:
    """A schema that says what the answer holds: a component, an object with properties, a list of such, or a
    file (binary string); not a bare `{"type": "object"}`."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return _typed(schema.get("items", {}))
    if schema.get("type") == "object":
        return bool(schema.get("properties"))
    return schema.get("type") == "string" and schema.get("format") == "binary"


def _codes(description: str) -> list[str]:
    return re.findall(r"`(\w+)`", description.split(":", 1)[1]) if ":" in description else []


def test_the_walk_finds_every_operation(document):
    operations = _operations(document)
    assert len(operations) > 100
    assert "ProblemDetails" in document["components"]["schemas"]
    assert {"type", "title", "status", "code", "detail", "errors"} <= set(
        document["components"]["schemas"]["ProblemDetails"]["properties"]
    )


def test_every_operation_documents_a_typed_success(document):
    missing = []
    for name, op in _operations(document):
        successes = {s: r for s, r in op["responses"].items() if s.startswith("2")}
        if not successes:
            missing.append(f"{name}: no 2xx answer")
        for status, response in successes.items():
            if status == "204":
                continue
            content = response.get("content") or {}
            if not content or not all(_typed(c.get("schema", {})) for c in content.values()):
                missing.append(f"{name}: {status} without a typed schema")
    assert not missing, "\n".join(missing)


def test_every_operation_documents_its_error_answers(document):
    """Each error status answers problem+json and names its problem codes (from the catalogue, at their status);
    what every operation of a kind answers is there: 500; 401 with auth; 422 with input; a 404 code when the path
    names something; and the codes the operation's own description lists under "Problems:"."""
    wrong = []
    for name, op in _operations(document):
        responses = op["responses"]
        errors = {s: r for s, r in responses.items() if s[0] in "45"}
        declared: set[str] = set()
        for status, response in errors.items():
            if response.get("content") != {"application/problem+json": {"schema": PROBLEM_REF}}:
                wrong.append(f"{name}: {status} is not problem+json with the ProblemDetails schema")
            codes = _codes(response.get("description", ""))
            if not codes:
                wrong.append(f"{name}: {status} names no problem code")
            for code in codes:
                if code not in CATALOGUE:
                    wrong.append(f"{name}: {status} names an unknown code {code}")
            declared.update(codes)
        if "500" not in errors:
            wrong.append(f"{name}: no 500")
        if op.get("security") and "401" not in errors:
            wrong.append(f"{name}: signed-in only, but no 401")
        if (op.get("parameters") or op.get("requestBody")) and "422" not in errors:
            wrong.append(f"{name}: takes input, but no 422")
        names_something = any(p["in"] == "path" for p in op.get("parameters", []))
        if names_something and "404" not in errors and name.split(" ", 1)[1] not in UNKNOWN_IS_UNAUTHENTICATED:
            wrong.append(f"{name}: its path names something, but no 404")
        listed = (
            re.findall(r"`(\w+)`", (op.get("description") or "").split("Problems:", 1)[1])
            if ("Problems:" in (op.get("description") or ""))
            else []
        )
        undeclared = [c for c in listed if c in CATALOGUE and c not in declared]
        if undeclared:
            wrong.append(f"{name}: its description lists {undeclared}, its answers do not")
    assert not wrong, "\n".join(wrong)


def test_signed_in_operations_say_so(document):
    schemes = document["components"].get("securitySchemes", {})
    assert schemes.get("UserAuth", {}).get("scheme") == "bearer"
    secured = [name for name, op in _operations(document) if op.get("security")]
    assert len(secured) > 60 and "POST /api/v1/meals/orders" in secured


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("get", "/api/v1/meals/menus?place=999999", None, 404),
        ("get", "/api/v1/meals/menus", None, 422),
        ("post", "/api/v1/meals/orders", "{}", 401),
    ],
)
def test_error_answers_match_the_documented_schema(document, method, path, body, status):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = getattr(client, method)(path, body, content_type="application/json") if body else client.get(path)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")
    problem = ProblemDetails.model_validate(response.json())
    route = path.split("?")[0]
    documented = document["paths"][route][method]["responses"][str(status)]
    assert f"`{problem.code}`" in documented["description"]


def test_no_two_schemas_share_a_name():
    """The document names each schema by its class name, one component per name: two domains' `ItemOut` became one
    component, and the affairs items were described as the volunteers' service-menu items (a fuzz run found it)."""
    from ninja import Schema

    importlib.import_module("linli.api")  # every router, so every schema class is defined (core may not import it)

    def subclasses(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *subclasses(sub))]

    ours: dict[str, set[str]] = {}
    for cls in subclasses(Schema):
        if cls.__module__.startswith("linli.") and ".tests." not in cls.__module__:
            ours.setdefault(cls.__name__, set()).add(cls.__module__)
    shared = {name: sorted(modules) for name, modules in ours.items() if len(modules) > 1}
    assert not shared
