"""Every input edge answers 4xx problem+json, never 500 (issue 13 item 2), table-driven over the OpenAPI document.

For each operation and each class of hostile input its parameters or body can carry — a NUL byte in text, a lone
UTF-16 surrogate in JSON, an integer of 2^63, a date in year 9999 or year 1, a body over the limit, a form of more
than 1,000 fields — the answer is a 4xx problem+json whose status the operation documents. Requests carry a staff
token, so they reach validation behind `auth`. The same runs on PostgreSQL (`make test-pg`), which refuses NUL
bytes and 64-bit overflows that SQLite might store.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from linli.core import services as core_services
from linli.core.auth import token_cache_forget
from linli.core.models import ApiToken, Street
from linli.core.tests.factories import UserFactory

METHODS = ("get", "post", "put", "patch", "delete")
NUL = "a\x00b"
BIG = 2**63
FAR_DATES = ("9999-12-31", "0001-01-01")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return Client().get("/api/v1/openapi.json").json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """The schema behind a `$ref` and the non-null branch of an `anyOf`/`allOf`."""
    for _ in range(10):
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        elif "anyOf" in schema or "allOf" in schema:
            branches = [s for s in schema.get("anyOf", schema.get("allOf", [])) if s.get("type") != "null"]
            schema = branches[0] if branches else {"type": "null"}
        else:
            break
    return schema


def _kind(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "enum"
    if schema.get("type") == "string" and schema.get("format") in ("date", "date-time"):
        return schema["format"]
    return str(schema.get("type", "any"))


def _sample(schema: dict[str, Any], document: dict[str, Any], attack: tuple[str, Any] | None, depth: int = 0) -> Any:
    """A plausible value for `schema`; `attack` = (kind, value) replaces every value of that kind."""
    schema = _resolve(schema, document)
    kind = _kind(schema)
    if attack and kind == attack[0]:
        return attack[1]
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _sample(s, document, attack, depth + 1) for name, s in props.items()} if depth < 5 else {}
    if kind == "array":
        return [_sample(schema.get("items", {}), document, attack, depth + 1)]
    return {
        "enum": (schema.get("enum") or [""])[0],
        "date": "2026-12-01",
        "date-time": "2026-12-01T10:00:00+08:00",
        "integer": 1,
        "number": 31.25,
        "boolean": True,
        "string": "testjie",
    }.get(kind, "x")


def _params(op: dict[str, Any], document: dict[str, Any], attack: tuple[str, Any] | None) -> tuple[dict, dict, bool]:
    """(path values, query values, whether the attack landed in a parameter)."""
    path_values: dict[str, Any] = {}
    query: dict[str, Any] = {}
    hit = False
    for param in op.get("parameters", []):
        schema = _resolve(param["schema"], document)
        attacked = attack is not None and _kind(schema) == attack[0]
        if not (attacked or param["in"] == "path" or param.get("required")):
            continue
        value = _sample(schema, document, attack)
        hit = hit or attacked
        (path_values if param["in"] == "path" else query)[param["name"]] = value
    return path_values, query, hit


def _url(path: str, values: dict[str, Any]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value).replace("\x00", "%00"))
    return path


class Caller:
    def __init__(self, client: Client, document: dict[str, Any]) -> None:
        self.client = client
        self.document = document
        self.failures: list[str] = []
        self.calls = 0

    def check(self, name: str, op: dict[str, Any], response: Any, *, refused: bool = True) -> None:
        self.calls += 1
        status = response.status_code
        declared = set(op["responses"])
        ctype = response.get("Content-Type", "")
        if status >= 500 or (refused and not 400 <= status < 500):
            self.failures.append(f"{name}: {status} {response.content[:200]!r}")
        elif status >= 400 and not ctype.startswith("application/problem+json"):
            self.failures.append(f"{name}: {status} answered {ctype}, not problem+json")
        elif str(status) not in declared:
            self.failures.append(f"{name}: {status} is not among the documented {sorted(declared)}")

    def send(self, method: str, url: str, *, body: bytes | None = None, ctype: str = "", **extra: Any) -> Any:
        if body is None:
            return getattr(self.client, method)(url, **extra)
        return self.client.generic(method.upper(), url, body, content_type=ctype, **extra)


@pytest.fixture
def caller(db: None, document: dict[str, Any], settings: Any) -> Caller:
    settings.LINLI_CASE_REPORTS_PER_10_MIN = 10_000
    Street.objects.create(code="testjie", name="测试街道", center_lat=31.25, center_lng=121.39)
    staff = UserFactory(is_staff=True, is_superuser=True)
    token = core_services.token_create(user=staff, name="edges")
    return Caller(Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en"), document)


def _json_body(op: dict[str, Any]) -> dict[str, Any] | None:
    return ((op.get("requestBody") or {}).get("content") or {}).get("application/json")


def _form_body(op: dict[str, Any]) -> dict[str, Any] | None:
    return ((op.get("requestBody") or {}).get("content") or {}).get("multipart/form-data")


PARAM_ATTACKS: list[tuple[str, Any]] = [
    ("string", NUL),
    ("integer", BIG),
    ("integer", -BIG - 1),
    ("number", "nan"),
    *[(kind, day) for day in FAR_DATES for kind in ("date",)],
    ("date-time", "9999-12-31T23:59:59+08:00"),
    ("date-time", "0001-01-01T00:00:00+00:00"),
]


def test_hostile_parameters_are_refused_by_every_operation(caller: Caller) -> None:
    for method, path, op in _operations(caller.document):
        for attack in PARAM_ATTACKS:
            path_values, query, hit = _params(op, caller.document, attack)
            if not hit:
                continue
            query_string = "&".join(f"{k}={str(v).replace(chr(0), '%00')}" for k, v in query.items())
            body_schema = _json_body(op)
            body = json.dumps(_sample(body_schema["schema"], caller.document, None)).encode() if body_schema else None
            url = _url(path, path_values) + (f"?{query_string}" if query_string else "")
            response = caller.send(method, url, body=body, ctype="application/json" if body else "")
            caller.check(f"{method.upper()} {url} [{attack[0]}={attack[1]!r}]", op, response)
    assert caller.calls > 150
    assert not caller.failures, f"{len(caller.failures)} of {caller.calls}:\n" + "\n".join(caller.failures)


def test_large_integers_inside_64_bits_are_never_a_server_error(caller: Caller) -> None:
    """2^62 fits a column, but a page number that large overflowed the page's OFFSET (schemathesis found it)."""
    for method, path, op in _operations(caller.document):
        if method != "get":
            continue
        path_values, query, hit = _params(op, caller.document, ("integer", 2**62))
        if not hit:
            continue
        query |= {"page_size": 50} if "page" in query else {}
        url = _url(path, path_values) + "?" + "&".join(f"{k}={v}" for k, v in query.items())
        response = caller.send(method, url)
        caller.check(f"GET {url} [integer=2^62]", op, response, refused=False)
        if "page" in query:
            assert response.status_code == 422, url
    assert not caller.failures, f"{len(caller.failures)} of {caller.calls}:\n" + "\n".join(caller.failures)


BODY_ATTACKS: list[tuple[str, Any]] = [
    ("string", NUL),
    ("string", "\ud800"),  # json.dumps writes it as the escape "\ud800", a lone surrogate
    ("string", "\udfff x"),
    ("integer", BIG),
    ("number", BIG * 10),
    ("date", "9999-12-31"),
    ("date", "0001-01-01"),
    ("date-time", "9999-12-31T23:59:59+08:00"),
    ("date-time", "0001-01-01T00:00:00Z"),
]


def test_hostile_json_bodies_are_refused_by_every_operation(caller: Caller) -> None:
    for method, path, op in _operations(caller.document):
        schema = _json_body(op)
        if not schema:
            continue
        path_values, query, _hit = _params(op, caller.document, None)
        url = _url(path, path_values)
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        for attack in BODY_ATTACKS:
            value = _sample(schema["schema"], caller.document, attack)
            if value == _sample(schema["schema"], caller.document, None):
                continue  # the body has no field of that kind
            response = caller.send(method, url, body=json.dumps(value).encode(), ctype="application/json")
            caller.check(f"{method.upper()} {url} [body {attack[0]}={attack[1]!r}]", op, response)
        nested = b"[" * 100_000 + b"]" * 100_000
        response = caller.send(method, url, body=nested, ctype="application/json")
        caller.check(f"{method.upper()} {url} [JSON 100,000 deep]", op, response)
        response = caller.send(method, url, body=b'{"x": "\xff\xfe"}', ctype="application/json")
        caller.check(f"{method.upper()} {url} [not UTF-8]", op, response)
    assert caller.calls > 100
    assert not caller.failures, f"{len(caller.failures)} of {caller.calls}:\n" + "\n".join(caller.failures)


def test_bodies_over_the_limit_and_forms_of_too_many_fields(caller: Caller) -> None:
    for method, path, op in _operations(caller.document):
        if not op.get("requestBody"):
            continue
        path_values, _query, _hit = _params(op, caller.document, None)
        url = _url(path, path_values)
        form = _form_body(op)
        ctype = "multipart/form-data; boundary=BoUnDaRy" if form else "application/json"
        limit = settings.LINLI_MAX_UPLOAD_BYTES if form else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        response = caller.send(method, url, body=b"{}", ctype=ctype, CONTENT_LENGTH=str(limit + 1))
        caller.check(f"{method.upper()} {url} [Content-Length {limit + 1}]", op, response)
        assert response.status_code == 413, url
        if form:
            parts = b"".join(
                b'--BoUnDaRy\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % i for i in range(1001)
            )
            response = caller.send(method, url, body=parts + b"--BoUnDaRy--\r\n", ctype=ctype)
            caller.check(f"{method.upper()} {url} [1,001 form fields]", op, response)
            assert response.status_code == 400, url
            for body in (b"", b"x=1"):  # the test client leaves an empty body's Content-Type out: set it
                response = caller.send(
                    method, url, body=body, ctype="multipart/form-data", CONTENT_TYPE="multipart/form-data"
                )  # no boundary
                caller.check(f"{method.upper()} {url} [multipart without a boundary]", op, response)
                assert response.status_code == 400, url
            for name in _resolve(form["schema"], caller.document).get("properties", {}):
                field = f'--BoUnDaRy\r\nContent-Disposition: form-data; name="{name}"\r\n\r\na\x00b\r\n'.encode()
                response = caller.send(method, url, body=field + b"--BoUnDaRy--\r\n", ctype=ctype)
                caller.check(f"{method.upper()} {url} [form {name}=NUL]", op, response)
    assert caller.calls > 40
    assert not caller.failures, f"{len(caller.failures)} of {caller.calls}:\n" + "\n".join(caller.failures)


@pytest.mark.django_db
def test_unknown_api_paths_answer_problem_json_404() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for path in ("/api/v1/no-such-thing", "/api/v1/places/1/nothing/", "/api/v2/streets", "/api/v1/places/-1"):
        for response in (client.get(path), client.post(path, "{}", content_type="application/json")):
            assert response.status_code == 404, path
            assert response["Content-Type"].startswith("application/problem+json"), path
            assert response.json()["code"] == "not_found"
    assert client.get("/api/v1/streets%00").status_code == 422


@pytest.mark.django_db
def test_nul_in_a_page_query_is_refused_not_a_server_error() -> None:
    Street.objects.create(code="testjie", name="测试街道", center_lat=31.25, center_lng=121.39)
    response = Client().get("/places/?q=a%00b&street=testjie%00")
    assert response.status_code == 422
    assert b"Traceback" not in response.content


@pytest.mark.django_db
def test_a_database_error_while_checking_a_token_answers_503(caller: Caller) -> None:
    token_cache_forget()
    table = ApiToken._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} RENAME TO gone_tokens")  # undone with the test
    response = caller.client.get("/api/v1/streets")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "service_unavailable"
    assert "503" in caller.document["paths"]["/api/v1/streets"]["get"]["responses"]


def test_names_and_titles_are_cleaned_or_refused(caller: Caller) -> None:
    """Control characters and RTL overrides are removed from a title; a title of only invisible characters is
    refused; the date window holds for a new activity."""
    from linli.places.models import Place

    street = Street.objects.get(code="testjie")
    place = Place.objects.create(street=street, name="活动室", kind="activity_room", lat=31.25, lng=121.39)
    start = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)
    body: dict[str, Any] = {
        "street": "testjie",
        "place_id": place.pk,
        "title": "\u202e晨练\x07太极  \n班\u200b",
        "start": start.isoformat(),
        "end": (start + dt.timedelta(hours=1)).isoformat(),
        "capacity": 10,
    }
    created = caller.client.post("/api/v1/activities", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["title"] == "晨练太极 班"
    for title in ("\u200b\u3000", "\u202e", " \ufeff "):
        refused = caller.client.post("/api/v1/activities", body | {"title": title}, content_type="application/json")
        assert refused.status_code == 422, title
        assert refused.json()["errors"][0]["field"] == "title"
    for day in ("0001-01-01T10:00:00Z", "9999-12-31T10:00:00Z", "1899-12-31T10:00:00Z", "2101-01-01T10:00:00Z"):
        refused = caller.client.post("/api/v1/activities", body | {"start": day}, content_type="application/json")
        assert refused.status_code == 422, day
