"""Open311 GeoReport v2 (/open311/v2/), service discovery, the service list and service definitions, checked field by field against the specification
(http://wiki.open311.org/GeoReport_v2 and /Service_Discovery)."""

from __future__ import annotations

import pytest

from linli.cases.models import CaseCategory
from linli.cases.tests.open311.support import (
    ATTRIBUTE_FIELDS,
    BASE,
    SERVICE_FIELDS,
    assert_error,
    assert_json,
    assert_xml,
    xml_record,
)

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------------------ discovery


def test_discovery_json_has_every_required_field(client, street):
    body = assert_json(client.get(f"{BASE}/discovery.json"))
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    assert body["changeset"] and body["contact"] and body["key_service"]
    (endpoint,) = body["endpoints"]
    assert set(endpoint) == {"specification", "url", "changeset", "type", "formats"}
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}


def test_discovery_xml_nests_endpoints_and_formats(client, street):
    root = assert_xml(client.get(f"{BASE}/discovery.xml", {"jurisdiction_id": street.code}))
    assert root.tag == "discovery"
    assert {"changeset", "contact", "key_service"} <= set(xml_record(root))
    assert "021-60000000" in root.findtext("contact")  # the street's hotline when a jurisdiction is named
    endpoints = root.find("endpoints").findall("endpoint")
    assert len(endpoints) == 1
    record = xml_record(endpoints[0])
    assert record["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert record["type"] == "production"
    assert record["url"].endswith("/open311/v2")
    assert [f.text for f in endpoints[0].find("formats").findall("format")] == ["text/xml", "application/json"]


# ------------------------------------------------------------------------------------------- services


def test_services_json_lists_the_streets_active_categories(client, street, other_street):
    CaseCategory.objects.filter(street=street, code="other").update(is_active=False)
    body = assert_json(client.get(f"{BASE}/services.json", {"jurisdiction_id": street.code}))
    assert isinstance(body, list)
    codes = [s["service_code"] for s in body]
    assert codes == [
        "fire_passage",
        "ebike_indoor_charging",
        "corridor_clutter",
        "abandoned_vehicle",
        "damaged_facility",
    ]
    for service in body:
        assert set(service) == SERVICE_FIELDS
        assert service["type"] == "realtime"
        assert isinstance(service["metadata"], bool)
        assert isinstance(service["keywords"], str)
    fire = body[0]
    assert fire["service_name"] == "消防通道堵塞"
    assert fire["description"] == "消防车通道、安全出口被车辆或杂物占用"
    assert fire["metadata"] is True
    assert "Blocked fire passage" in fire["keywords"]
    assert fire["group"]


def test_services_metadata_false_without_attributes(client, street):
    body = assert_json(client.get(f"{BASE}/services.json", {"jurisdiction_id": street.code}))
    other = next(s for s in body if s["service_code"] == "other")
    assert other["metadata"] is False


def test_services_xml(client, street):
    root = assert_xml(client.get(f"{BASE}/services.xml", {"jurisdiction_id": street.code}))
    assert root.tag == "services"
    services = root.findall("service")
    assert len(services) == 6
    first = xml_record(services[0])
    assert set(first) == SERVICE_FIELDS
    assert first["service_code"] == "fire_passage"
    assert first["metadata"] == "true"
    assert first["type"] == "realtime"
    assert xml_record(services[-1])["metadata"] == "false"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_needs_a_known_jurisdiction(client, street, fmt):
    assert_error(client.get(f"{BASE}/services.{fmt}"), fmt, 400, "jurisdiction_id")
    assert_error(client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "nowhere"}), fmt, 404, "jurisdiction_id")


def test_service_definition_json(client, street):
    body = assert_json(client.get(f"{BASE}/services/fire_passage.json", {"jurisdiction_id": street.code}))
    assert set(body) == {"service_code", "attributes"}
    assert body["service_code"] == "fire_passage"
    (attr,) = body["attributes"]
    assert set(attr) == ATTRIBUTE_FIELDS
    assert attr["variable"] is True
    assert attr["code"] == "blocked_by"
    assert attr["datatype"] == "singlevaluelist"
    assert attr["required"] is False
    assert attr["order"] == 1
    assert attr["description"]
    assert [v["key"] for v in attr["values"]] == ["debris", "vehicle", "other"]
    assert all(set(v) == {"key", "name"} and v["name"] for v in attr["values"])
    assert "杂物" in attr["values"][0]["name"] and "车辆" in attr["values"][1]["name"]


def test_service_definition_xml(client, street):
    root = assert_xml(client.get(f"{BASE}/services/fire_passage.xml", {"jurisdiction_id": street.code}))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "fire_passage"
    attrs = root.find("attributes").findall("attribute")
    assert len(attrs) == 1
    record = xml_record(attrs[0])
    assert set(record) == ATTRIBUTE_FIELDS - {"values"}
    assert record["variable"] == "true" and record["required"] == "false" and record["order"] == "1"
    values = attrs[0].find("values").findall("value")
    assert [(v.findtext("key"), bool(v.findtext("name"))) for v in values] == [
        ("debris", True),
        ("vehicle", True),
        ("other", True),
    ]


def test_service_definition_of_a_category_without_attributes_is_empty(client, street):
    body = assert_json(client.get(f"{BASE}/services/other.json", {"jurisdiction_id": street.code}))
    assert body == {"service_code": "other", "attributes": []}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition_errors(client, street, other_street, fmt):
    CaseCategory.objects.filter(street=street, code="other").update(is_active=False)
    assert_error(client.get(f"{BASE}/services/nope.{fmt}", {"jurisdiction_id": street.code}), fmt, 404, "service_code")
    assert_error(client.get(f"{BASE}/services/other.{fmt}", {"jurisdiction_id": street.code}), fmt, 404)
    assert_error(client.get(f"{BASE}/services/fire_passage.{fmt}"), fmt, 400, "jurisdiction_id")
