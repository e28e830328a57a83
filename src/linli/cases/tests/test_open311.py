"""Open311 GeoReport v2 (/open311/v2/): every endpoint in JSON and XML, checked field by field against the
specification (http://wiki.open311.org/GeoReport_v2 and /Service_Discovery): element names, the error format and
its HTTP statuses, the 90-day window, filters, the status mapping and API keys."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own responses
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from linli.cases.models import Case, CaseCategory, CaseStatus, Open311Client, Report, ReportSource
from linli.cases.selectors import case_row, case_to_dict
from linli.cases.services.clients import client_create, client_revoke
from linli.cases.services.reports import categories_default_create, report_create
from linli.core.models import Compound, Grid
from linli.core.tests.factories import StreetFactory

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


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def street():
    s = StreetFactory(code="o311jie", name="测试街道", name_en="Test Subdistrict", hotline="021-60000000")
    categories_default_create(street=s)
    return s


@pytest.fixture
def grid(street):
    return Grid.objects.create(
        street=street,
        external_id="U1",
        name="第一网格",
        level="unit",
        geometry={
            "type": "Polygon",
            "coordinates": [[[121.39, 31.25], [121.40, 31.25], [121.40, 31.26], [121.39, 31.26], [121.39, 31.25]]],
        },
        min_lat=31.25,
        min_lng=121.39,
        max_lat=31.26,
        max_lng=121.40,
    )


@pytest.fixture
def other_street():
    s = StreetFactory(code="o311other", name="别的街道")
    categories_default_create(street=s)
    return s


@pytest.fixture
def key(street):
    _client, raw = client_create(street=street, name="12345 热线")
    return raw


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


# ------------------------------------------------------------------------------- POST service request


def test_post_creates_a_report_and_answers_the_case_id(client, street, grid, key):
    form = base_form(
        street,
        key,
        email="zhang@example.com",
        first_name="三",
        last_name="张",
        phone="13800000000",
        device_id="dev-1",
        account_id="acc-9",
        media_url="https://img.example.com/p/1.jpg",
        **{"attribute[blocked_by]": "vehicle", "attribute[unknown]": "ignored"},
    )
    body = assert_json(post(client, **form))
    assert isinstance(body, list) and len(body) == 1
    answer = body[0]
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}  # no token: realtime
    report = Report.objects.get()
    assert answer["service_request_id"] == str(report.case_id)
    assert answer["account_id"] == "acc-9"
    assert "30 分钟" in answer["service_notice"] and "4 小时" in answer["service_notice"]
    assert report.source == ReportSource.OPEN311
    assert report.open311_client == Open311Client.objects.get(street=street)
    assert (report.lat, report.lng) == (LAT, LNG)
    assert report.description == "消防通道被电动车堵住"
    assert report.contact_name == "张三"
    assert report.contact_email == "zhang@example.com"
    assert report.contact_phone == "13800000000"
    assert report.device_id == "dev-1"
    assert report.attributes == {
        "blocked_by": "vehicle",
        "media_url": "https://img.example.com/p/1.jpg",
        "account_id": "acc-9",
    }
    assert report.case.grid == grid


def test_post_xml_answer(client, street, grid, key):
    root = assert_xml(post(client, "xml", **base_form(street, key)))
    assert root.tag == "service_requests"
    (req,) = root.findall("request")
    record = xml_record(req)
    assert set(record) == {"service_request_id", "service_notice", "account_id"}
    assert record["service_request_id"] == str(Report.objects.get().case_id)
    assert record["account_id"] == ""


def test_post_is_csrf_exempt(street, grid, key):
    strict = Client(enforce_csrf_checks=True)
    assert_json(post(strict, **base_form(street, key)))


def test_a_second_report_of_the_same_problem_gets_the_same_request_id(client, street, grid, key):
    first = assert_json(post(client, **base_form(street, key)))[0]
    second = assert_json(post(client, **base_form(street, key, lat=str(LAT2), long=str(LNG2))))[0]
    assert second["service_request_id"] == first["service_request_id"]
    assert f"#{first['service_request_id']}" in second["service_notice"]
    assert Report.objects.count() == 2 and Case.objects.count() == 1


def test_post_form_urlencoded_with_multivalue_and_number_attributes(client, street, grid, key):
    """The spec's wire format: application/x-www-form-urlencoded, attribute[code][]=v1&attribute[code][]=v2."""
    form = base_form(street, key, service_code="corridor_clutter")
    body = urlencode(form) + "&attribute[floor]=3&attribute[items][]=boxes&attribute[items][]=flammables"
    resp = client.post(
        f"{BASE}/requests.xml", data=body, content_type="application/x-www-form-urlencoded; charset=utf-8"
    )
    assert_xml(resp)
    assert Report.objects.get().attributes == {"floor": 3, "items": ["boxes", "flammables"]}
    form = base_form(street, key, service_code="corridor_clutter", **{"attribute[floor]": "三楼"})
    assert_error(post(client, **form), "json", 400, "attribute[floor]")
    form = base_form(street, key, service_code="corridor_clutter", **{"attribute[items][]": ["boxes", "gold"]})
    assert_error(post(client, **form), "json", 400, "attribute[items]")
    assert Report.objects.count() == 1


def test_multivaluelist_definition(client, street):
    body = assert_json(client.get(f"{BASE}/services/corridor_clutter.json", {"jurisdiction_id": street.code}))
    by_code = {a["code"]: a for a in body["attributes"]}
    assert by_code["floor"]["datatype"] == "number" and by_code["floor"]["order"] == 1
    assert by_code["floor"]["datatype_description"]
    assert by_code["items"]["datatype"] == "multivaluelist" and by_code["items"]["order"] == 2
    assert [v["key"] for v in by_code["items"]["values"]] == ["boxes", "furniture", "flammables", "other"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_refuses_missing_invalid_revoked_and_foreign_keys(client, street, other_street, grid, key, fmt):
    form = base_form(street, key)
    form.pop("api_key")
    assert_error(post(client, fmt, **form), fmt, 403, "api_key")
    assert_error(post(client, fmt, **base_form(street, "o311_not-a-real-key")), fmt, 403, "api_key")
    _c, foreign = client_create(street=other_street, name="别的街道客户端")
    assert_error(post(client, fmt, **base_form(street, foreign)), fmt, 403, "api_key")
    client_revoke(street=street, prefix=key[:12])
    assert_error(post(client, fmt, **base_form(street, key)), fmt, 403, "api_key")
    assert Report.objects.count() == 0


def test_post_parameter_errors_write_nothing(client, street, grid, key):
    cases = [
        ({"jurisdiction_id": ""}, 400, "jurisdiction_id"),
        ({"jurisdiction_id": "nowhere"}, 404, "jurisdiction_id"),
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "no_such_service"}, 404, "service_code"),
        ({"lat": "", "long": ""}, 400, "lat & long"),
        ({"long": ""}, 400, "lat & long"),
        ({"lat": "north"}, 400, "lat"),
        ({"lat": "91"}, 400, "lat"),
        ({"lat": "31.30", "long": "121.50"}, 400, "outside"),
        ({"attribute[blocked_by]": "elephant"}, 400, "attribute[blocked_by]"),
        ({"description": "堵" * 4001}, 400, "description"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ]
    for change, status, text in cases:
        form = base_form(street, key, **change)
        if form.get("jurisdiction_id") == "":
            form.pop("jurisdiction_id")
        assert_error(post(client, **form), "json", status, text)
    assert Report.objects.count() == 0 and Case.objects.count() == 0


def test_post_description_up_to_the_specs_4000_characters(client, street, grid, key):
    # GeoReport v2: description is "free form text limited to 4,000 characters" (Linli refused over 2,000).
    response = post(client, **base_form(street, key, description="堵" * 4000))
    assert response.status_code == 200, response.content.decode()[:500]  # the spec's answer to a POST
    assert Report.objects.get().description == "堵" * 4000


def test_post_with_address_string_only_is_located_in_the_street(client, street, grid, key):
    Compound.objects.create(
        street=street,
        external_id="C7",
        name="阳光小区",
        address="测试路 88 号",
        geometry={"type": "Point", "coordinates": [121.3961, 31.2561]},
        lat=31.2561,
        lng=121.3961,
        grid=grid,
    )
    form = base_form(street, key, lat="", long="", address_string="阳光小区 5 号楼东侧消防通道")
    assert_json(post(client, **form))
    report = Report.objects.get()
    assert (report.lat, report.lng) == (31.2561, 121.3961)
    assert report.address == "阳光小区 5 号楼东侧消防通道"
    form = base_form(street, key, lat="", long="", address_string="火星基地")
    assert_error(post(client, **form), "json", 400, "address_string")
    form = base_form(street, key, lat="", long="", address_id="C7")
    assert_json(post(client, **form))
    assert_error(post(client, **base_form(street, key, lat="", long="", address_id="C99")), "json", 400, "address_id")


def test_post_is_rate_limited_per_client(client, street, grid, key, settings):
    settings.LINLI_OPEN311_POSTS_PER_MINUTE = 2
    assert_json(post(client, **base_form(street, key)))
    assert_json(post(client, **base_form(street, key)))
    resp = post(client, **base_form(street, key))
    assert_error(resp, "json", 429)
    assert int(resp["Retry-After"]) > 0
    _c, other_key = client_create(street=street, name="第二个客户端")
    assert_json(post(client, **base_form(street, other_key)))  # another client has its own budget


# -------------------------------------------------------------------------------- GET service requests


def test_get_request_fields_json(client, street, grid):
    report = make_report(street, attributes={"media_url": "https://img.example.com/a.jpg"}, address="测试路 1 号")
    case = report.case
    body = assert_json(client.get(f"{BASE}/requests/{case.pk}.json", {"jurisdiction_id": street.code}))
    (req,) = body
    assert list(req) == REQUEST_FIELDS
    assert req["service_request_id"] == str(case.pk)
    assert req["status"] == "open"
    assert req["status_notes"]
    assert req["service_name"] == "消防通道堵塞"
    assert req["service_code"] == "fire_passage"
    assert req["description"] == "通道被堵"
    assert req["agency_responsible"] == "第一网格"
    assert req["service_notice"]
    assert req["requested_datetime"] == timezone.localtime(case.created_at).isoformat(timespec="seconds")
    assert req["requested_datetime"].endswith("+08:00")
    assert dt.datetime.fromisoformat(req["expected_datetime"]) == case.resolution_due_at.replace(microsecond=0)
    assert req["address"] == "测试路 1 号"
    assert req["address_id"] is None and req["zipcode"] is None
    assert (req["lat"], req["long"]) == (LAT, LNG)
    assert req["media_url"] == "https://img.example.com/a.jpg"


def test_get_request_xml(client, street, grid):
    case = make_report(street, description="<b>堵</b> & \x07").case
    root = assert_xml(client.get(f"{BASE}/requests/{case.pk}.xml", {"jurisdiction_id": street.code}))
    assert root.tag == "service_requests"
    (req,) = root.findall("request")
    record = xml_record(req)
    assert list(record) == REQUEST_FIELDS
    assert record["service_request_id"] == str(case.pk)
    assert record["status"] == "open"
    assert record["description"] == "<b>堵</b> & "  # escaped, the control character dropped
    assert float(record["lat"]) == LAT and float(record["long"]) == LNG
    assert record["media_url"] == "" and record["zipcode"] == ""


def test_hq_queue_is_the_agency_when_no_grid_holds_the_case(client, street):
    case = make_report(street).case  # the street has no grids: HQ queue
    body = assert_json(client.get(f"{BASE}/requests/{case.pk}.json", {"jurisdiction_id": street.code}))
    assert body[0]["agency_responsible"] == "测试街道指挥部"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_request_errors(client, street, other_street, grid, fmt):
    foreign = make_report(other_street).case
    params = {"jurisdiction_id": street.code}
    assert_error(client.get(f"{BASE}/requests/{foreign.pk}.{fmt}", params), fmt, 404, "service_request_id")
    assert_error(client.get(f"{BASE}/requests/999999.{fmt}", params), fmt, 404)
    assert_error(client.get(f"{BASE}/requests/abc.{fmt}", params), fmt, 404)
    assert_error(client.get(f"{BASE}/requests/{'9' * 30}.{fmt}", params), fmt, 404)
    assert_error(client.get(f"{BASE}/requests/{foreign.pk}.{fmt}"), fmt, 400, "jurisdiction_id")


def _set(case: Case, **fields: Any) -> Case:
    Case.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


def _get_one(client, street, case, fmt="json") -> dict[str, Any]:
    resp = client.get(f"{BASE}/requests/{case.pk}.{fmt}", {"jurisdiction_id": street.code})
    if fmt == "xml":
        return xml_record(assert_xml(resp).find("request"))
    return assert_json(resp)[0]


def test_status_mapping(client, street, grid):
    now = timezone.now()
    a = make_report(street, "fire_passage").case
    b = make_report(street, "corridor_clutter").case
    c = make_report(street, "abandoned_vehicle").case
    d = make_report(street, "damaged_facility").case
    e = make_report(street, "other").case
    for status in ["dispatched", "accepted", "in_progress", "resolved", "verified"]:
        _set(a, status=status)
        assert _get_one(client, street, a)["status"] == "open", status
    closed_at = (now + dt.timedelta(hours=3)).replace(microsecond=0)
    _set(b, status=CaseStatus.CLOSED, closed_at=closed_at, closing_note="已清理")
    req = _get_one(client, street, b)
    assert req["status"] == "closed"
    assert "已清理" in req["status_notes"]
    assert dt.datetime.fromisoformat(req["updated_datetime"]) == closed_at
    _set(c, status=CaseStatus.REJECTED, reject_reason="不在辖区公共区域")
    req = _get_one(client, street, c, "xml")
    assert req["status"] == "closed" and "不在辖区公共区域" in req["status_notes"]
    _set(d, status=CaseStatus.MERGED, merged_into=e)
    req = _get_one(client, street, d)
    assert req["status"] == "closed"
    assert f"#{e.pk}" in req["status_notes"] and "Duplicate" in req["status_notes"]


def test_requests_default_window_is_the_last_90_days(client, street, grid):
    now = timezone.now()
    recent = make_report(street, "fire_passage", now=now - dt.timedelta(days=10)).case
    old = make_report(street, "corridor_clutter", now=now - dt.timedelta(days=100)).case
    body = assert_json(client.get(f"{BASE}/requests.json", {"jurisdiction_id": street.code}))
    assert [r["service_request_id"] for r in body] == [str(recent.pk)]
    # service_request_id overrides every other argument, the window included
    body = assert_json(
        client.get(
            f"{BASE}/requests.json",
            {"jurisdiction_id": street.code, "service_request_id": f"{old.pk},{recent.pk}", "status": "closed"},
        )
    )
    assert {r["service_request_id"] for r in body} == {str(old.pk), str(recent.pk)}


def test_requests_filters(client, street, other_street, grid):
    now = timezone.now()
    fire = make_report(street, "fire_passage", now=now - dt.timedelta(days=2)).case
    clutter = make_report(street, "corridor_clutter", now=now - dt.timedelta(days=20)).case
    facility = make_report(street, "damaged_facility", now=now - dt.timedelta(days=40)).case
    make_report(other_street, "fire_passage")  # never listed for this jurisdiction
    _set(clutter, status=CaseStatus.CLOSED, closed_at=now)

    def ids(**params: str) -> list[str]:
        body = assert_json(client.get(f"{BASE}/requests.json", {"jurisdiction_id": street.code, **params}))
        return [r["service_request_id"] for r in body]

    assert ids() == [str(fire.pk), str(clutter.pk), str(facility.pk)]  # newest first
    assert ids(service_code="fire_passage,damaged_facility") == [str(fire.pk), str(facility.pk)]
    assert ids(status="closed") == [str(clutter.pk)]
    assert ids(status="open") == [str(fire.pk), str(facility.pk)]
    assert ids(status="open,closed") == [str(fire.pk), str(clutter.pk), str(facility.pk)]
    start = (now - dt.timedelta(days=30)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now - dt.timedelta(days=10)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(start_date=start, end_date=end) == [str(clutter.pk)]
    assert ids(start_date=start) == [str(fire.pk), str(clutter.pk)]  # start + 90 days
    assert ids(end_date=end) == [str(clutter.pk), str(facility.pk)]  # end - 90 days
    offset = timezone.localtime(now - dt.timedelta(days=30)).isoformat(timespec="seconds")
    assert ids(start_date=offset) == [str(fire.pk), str(clutter.pk)]  # ±HH:MM offsets too


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_requests_filter_errors(client, street, fmt):
    def get(**params: str):
        return client.get(f"{BASE}/requests.{fmt}", {"jurisdiction_id": street.code, **params})

    assert_error(get(start_date="2026-01-01T00:00:00Z", end_date="2026-06-01T00:00:00Z"), fmt, 400, "90")
    assert_error(get(start_date="2026-06-01T00:00:00Z", end_date="2026-01-01T00:00:00Z"), fmt, 400, "end_date")
    assert_error(get(start_date="yesterday"), fmt, 400, "start_date")
    assert_error(get(end_date="2026-01-01T00:00:00"), fmt, 400, "timezone")
    assert_error(get(status="pending"), fmt, 400, "status")
    assert_error(get(service_request_id="1,two"), fmt, 400, "service_request_id")
    assert_error(client.get(f"{BASE}/requests.{fmt}"), fmt, 400, "jurisdiction_id")
    assert_error(client.get(f"{BASE}/requests.{fmt}", {"jurisdiction_id": "nowhere"}), fmt, 404, "jurisdiction_id")


def test_requests_xml_lists_request_elements(client, street, grid):
    make_report(street, "fire_passage")
    make_report(street, "corridor_clutter")
    root = assert_xml(client.get(f"{BASE}/requests.xml", {"jurisdiction_id": street.code}))
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert len(requests) == 2
    assert all(list(xml_record(r)) == REQUEST_FIELDS for r in requests)


def test_requests_answer_at_most_1000(client, street, grid):
    category = CaseCategory.objects.get(street=street, code="other")
    now = timezone.now()
    Case.objects.bulk_create(
        [
            Case(street=street, category=category, lat=LAT, lng=LNG, created_at=now - dt.timedelta(seconds=i))
            for i in range(1001)
        ]
    )
    body = assert_json(client.get(f"{BASE}/requests.json", {"jurisdiction_id": street.code}))
    assert len(body) == 1000
    newest = Case.objects.order_by("-created_at").first()
    assert body[0]["service_request_id"] == str(newest.pk)


# ------------------------------------------------------------------------------------------------ tokens


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_token_resolves_to_the_current_case(client, street, other_street, grid, fmt):
    report = make_report(street)
    resp = client.get(f"{BASE}/tokens/{report.token}.{fmt}", {"jurisdiction_id": street.code})
    if fmt == "json":
        assert assert_json(resp) == [{"service_request_id": str(report.case_id), "token": report.token}]
    else:
        root = assert_xml(resp)
        assert root.tag == "service_requests"
        assert xml_record(root.find("request")) == {
            "service_request_id": str(report.case_id),
            "token": report.token,
        }
    params = {"jurisdiction_id": street.code}
    assert_error(client.get(f"{BASE}/tokens/nope.{fmt}", params), fmt, 404, "token")
    assert_error(client.get(f"{BASE}/tokens/{report.token}.{fmt}", {"jurisdiction_id": other_street.code}), fmt, 404)


# ------------------------------------------------------------------------------------ formats & routing


def test_unknown_format_and_path_answer_404_in_json(client, street):
    for path in [
        "discovery.html",
        "services.csv",
        f"requests.yaml?jurisdiction_id={street.code}",
        "requests/1.rss",
        "nothing-here.json",
        "services/fire_passage/extra.json",
    ]:
        assert_error(client.get(f"{BASE}/{path}"), "json", 404)


def test_wrong_method_is_refused_in_the_format(client, street):
    resp = client.put(f"{BASE}/services.xml?jurisdiction_id={street.code}")
    assert_error(resp, "xml", 405)
    assert "GET" in resp["Allow"]
    assert_error(client.post(f"{BASE}/services/fire_passage.json"), "json", 405)


def test_calls_are_rate_limited_per_address(client, street, settings):
    settings.LINLI_OPEN311_PER_ADDRESS_PER_MINUTE = 3
    for _ in range(3):
        assert_json(client.get(f"{BASE}/services.json", {"jurisdiction_id": street.code}))
    resp = client.get(f"{BASE}/services.json", {"jurisdiction_id": street.code})
    assert_error(resp, "json", 429)
    assert "Retry-After" in resp
    assert_error(post(client, "xml", api_key="o311_guess", jurisdiction_id=street.code), "xml", 429)  # key guessing
    other_address = Client(REMOTE_ADDR="10.0.0.8")
    assert_json(other_address.get(f"{BASE}/services.json", {"jurisdiction_id": street.code}))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_nul_characters_are_refused_not_crashed_on(client, street, fmt):
    assert_error(client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "o311\x00jie"}), fmt, 400, "jurisdiction_id")
    assert_error(client.get(f"{BASE}/tokens/ab%00cd.{fmt}", {"jurisdiction_id": street.code}), fmt, 404)
    assert_error(client.get(f"{BASE}/services/fire%00passage.{fmt}", {"jurisdiction_id": street.code}), fmt, 404)


def test_public_texts_mask_the_phone_and_id_numbers_residents_typed(client, street, grid):
    """PIPL: Open311 `GET requests` (public by the specification), the case page and the console's rows publish
    descriptions and notes masked; staff still read each report's own words."""
    typed = "电动车堵住通道，联系我 138 1234 5678，身份证310101199001011234"
    case = make_report(street, description=typed, address="测试路1号 13912345678").case
    _set(case, status=CaseStatus.CLOSED, closed_at=timezone.now(), closing_note="已电话联系13800001111")
    for fmt in ("json", "xml"):
        for resp in (
            client.get(f"{BASE}/requests.{fmt}", {"jurisdiction_id": street.code}),
            client.get(f"{BASE}/requests/{case.pk}.{fmt}", {"jurisdiction_id": street.code}),
        ):
            text = resp.content.decode()
            assert resp.status_code == 200 and "138****5678" in text and "139****5678" in text, text
            for whole in ("1234 5678", "13912345678", "13800001111", "310101199001011234"):
                assert whole not in text
    public = case_to_dict(case)
    assert public["description"] == "电动车堵住通道，联系我 138****5678，身份证******************"
    assert public["closing_note"] == "已电话联系138****1111" and "139****5678" in public["address"]
    assert case_row(case)["description"] == public["description"]
