"""What the Open311 tests share: the specification's field lists, the test points and the answers' parsers."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own responses
from typing import Any

import pytest
from django.test import Client

from linli.cases.models import Report
from linli.cases.services.reports import report_create

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
# A point inside the unit grid below (and within 50 m of the next one, so the two merge).
LAT, LNG = 31.2550, 121.3950
LAT2, LNG2 = 31.2552, 121.3951

SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
ATTRIBUTE_FIELDS = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
}


def parse(resp) -> Any:
    return json.loads(resp.content.decode("utf-8"))


def parse_xml(resp) -> ET.Element:
    body = resp.content
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(body)  # noqa: S314 - our own output


def xml_record(element: ET.Element) -> dict[str, str]:
    """Leaf children of an element as {tag: text} (empty elements → "")."""
    return {child.tag: (child.text or "") for child in element if len(child) == 0}


def assert_json(resp, status: int = 200) -> Any:
    assert resp.status_code == status, resp.content
    assert resp["Content-Type"] == "application/json; charset=utf-8"
    return parse(resp)


def assert_xml(resp, status: int = 200) -> ET.Element:
    assert resp.status_code == status, resp.content
    assert resp["Content-Type"] == "text/xml; charset=utf-8"
    return parse_xml(resp)


def assert_error(resp, fmt: str, status: int, contains: str = "") -> str:
    """The spec's error format: JSON [{"code", "description"}] / XML <errors><error><code/><description/>."""
    if fmt == "json":
        body = assert_json(resp, status)
        assert isinstance(body, list) and len(body) == 1
        assert set(body[0]) == {"code", "description"}
        assert body[0]["code"] == status
        description = body[0]["description"]
    else:
        root = assert_xml(resp, status)
        assert root.tag == "errors"
        errors = root.findall("error")
        assert len(errors) == 1
        record = xml_record(errors[0])
        assert set(record) == {"code", "description"}
        assert record["code"] == str(status)
        description = record["description"]
    assert description
    assert contains in description
    return description


def make_report(street, code="fire_passage", lat=LAT, lng=LNG, now=None, **kw) -> Report:
    return report_create(
        street=street, category=code, lat=lat, lng=lng, description=kw.pop("description", "通道被堵"), now=now, **kw
    )


def post(client: Client, fmt: str = "json", **data: Any):
    return client.post(f"{BASE}/requests.{fmt}", data=data)


def base_form(street, key: str, **extra: Any) -> dict[str, Any]:
    form = {
        "api_key": key,
        "jurisdiction_id": street.code,
        "service_code": "fire_passage",
        "lat": str(LAT),
        "long": str(LNG),
        "description": "消防通道被电动车堵住",
    }
    form.update(extra)
    return form
