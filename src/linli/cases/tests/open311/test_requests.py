"""Open311 GeoReport v2 (/open311/v2/), reading service requests: fields, the status mapping, the 90-day window, filters, tokens, formats and routing, checked field by field against the specification
(http://wiki.open311.org/GeoReport_v2 and /Service_Discovery)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.cases.models import Case, CaseCategory, CaseStatus
from linli.cases.selectors import case_row, case_to_dict
from linli.cases.tests.open311.support import (
    BASE,
    LAT,
    LNG,
    REQUEST_FIELDS,
    assert_error,
    assert_json,
    assert_xml,
    make_report,
    post,
    xml_record,
)

pytestmark = pytest.mark.django_db


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
