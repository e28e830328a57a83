"""Open311 GeoReport v2 (/open311/v2/), posting a service request: the answer, attributes, errors, keys and rate limits, checked field by field against the specification
(http://wiki.open311.org/GeoReport_v2 and /Service_Discovery)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client

from linli.cases.models import Case, Open311Client, Report, ReportSource
from linli.cases.services.clients import client_create, client_revoke
from linli.cases.tests.open311.support import (
    BASE,
    LAT,
    LAT2,
    LNG,
    LNG2,
    assert_error,
    assert_json,
    assert_xml,
    base_form,
    post,
    xml_record,
)
from linli.core.models import Compound

pytestmark = pytest.mark.django_db


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
