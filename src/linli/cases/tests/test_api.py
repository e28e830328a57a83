"""The cases API: reporting with photos and Idempotency-Key, case detail without other reporters' identities,
my reports, staff moves, merge/split, the console list with tenancy, CSV export, stats, the leaderboard."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from linli.cases.models import Case, CasePhoto, CaseStatus, Report
from linli.cases.tests.factories import IN_A1, IN_B, OUTSIDE, build_world, jpeg
from linli.core.models import AuditLog
from linli.core.services import token_create

pytestmark = pytest.mark.django_db

PHONE_RE = re.compile(r"1[3-9]\d{9}|\d{3}\*{4}\d{4}")


@pytest.fixture
def world():
    return build_world()


def auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def post_report(client, user, world, *, point=IN_A1, category="corridor_clutter", photos=(), key=None, **extra):
    data = {
        "street": world.street.code,
        "category": category,
        "lat": str(point[0]),
        "lng": str(point[1]),
        "description": "楼道堆满纸箱",
        **extra,
    }
    if photos:
        data["photos"] = list(photos)
    headers = auth(user)
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post("/api/v1/reports", data=data, **headers)


def transition(client, user, case_id, **data):
    return client.post(f"/api/v1/cases/{case_id}/transitions", data=data, **auth(user))


def test_report_then_detail_for_the_reporter(client, world):
    resp = post_report(client, world.rider, world, photos=[jpeg()], address="真金路588弄3号楼")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert set(body) == {"report_id", "case_id", "status", "merged"}
    assert body["status"] == "dispatched" and body["merged"] is False
    detail = client.get(f"/api/v1/cases/{body['case_id']}", **auth(world.rider)).json()
    for key in (
        "id", "status", "status_label", "category", "grid", "queue", "reports_count", "lat", "lng", "address",
        "description", "created_at", "response_due_at", "resolution_due_at", "closing_note", "resolution_note",
        "photos", "timeline",
    ):  # fmt: skip
        assert key in detail
    assert detail["status_label"] == "已派单" and detail["category"] == {
        "code": "corridor_clutter",
        "name": "楼道堆物",
        "name_en": "Clutter in stairwell",
    }
    assert detail["grid"] == {"external_id": world.grids["a1"].external_id, "name": "A1单元"}
    assert detail["address"] == "真金路588弄3号楼" and detail["created_at"].endswith("+08:00")
    assert [p["kind"] for p in detail["photos"]] == ["report"]
    # The photo URL is the permission-checked view (the public media URL is not served in production).
    photo_url = detail["photos"][0]["url"]
    assert re.fullmatch(r"/cases/photos/\d+/", photo_url), photo_url
    client.force_login(world.people["rider2"])
    assert client.get(photo_url).status_code == 404  # another rider of the street
    client.force_login(world.rider)
    got = client.get(photo_url)
    assert got.status_code == 200 and got["Content-Type"] == "image/jpeg"
    assert b"".join(got.streaming_content).startswith(b"\xff\xd8\xff")
    client.logout()
    assert [e["action"] for e in detail["timeline"]] == ["report", "transition"]
    assert detail["timeline"][0]["actor"] == "我" and detail["timeline"][1]["actor"] == "系统"
    assert detail["reports"] is None and detail["assignee"] is None  # staff only


def test_reporters_never_see_each_other_and_nobody_sees_phones(client, world):
    case_id = post_report(client, world.rider, world).json()["case_id"]
    second = post_report(client, world.rider2, world)
    assert second.json() == {**second.json(), "case_id": case_id, "merged": True}
    text = json.dumps(client.get(f"/api/v1/cases/{case_id}", **auth(world.rider)).json(), ensure_ascii=False)
    assert "李师傅" not in text and "李**" not in text and not PHONE_RE.search(text)
    assert "其他上报人" in text
    staff_view = client.get(f"/api/v1/cases/{case_id}", **auth(world.safety)).json()
    assert len(staff_view["reports"]) == 2 and {r["reporter"] for r in staff_view["reports"]} == {"张**", "李**"}
    assert not PHONE_RE.search(str(staff_view["timeline"]))
    # A stranger (no report, no role) cannot tell the case exists.
    resp = client.get(f"/api/v1/cases/{case_id}", **auth(world.resident))
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"


def test_my_reports_lists_each_report_with_its_case_status(client, world):
    a = post_report(client, world.rider, world).json()
    b = post_report(client, world.rider, world, point=IN_B, category="damaged_facility").json()
    rows = client.get("/api/v1/me/reports", **auth(world.rider)).json()
    assert [r["report_id"] for r in rows] == [b["report_id"], a["report_id"]]
    assert rows[1]["case"]["id"] == a["case_id"] and rows[1]["case"]["status_label"] == "已派单"
    assert client.get("/api/v1/me/reports", **auth(world.resident)).json() == []


def test_idempotency_key_replays_and_never_reports_twice(client, world):
    first = post_report(client, world.rider, world, key="tap-1")
    again = post_report(client, world.rider, world, key="tap-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Report.objects.count() == 1 and Case.objects.get().reports_count == 1


def test_a_key_reused_for_another_report_is_refused(client, world):
    """The same key with another description (a form with a new boundary) is not the same request: 422
    `idempotency_key_reused`; the same fields and photo again are (replayed)."""
    first = post_report(client, world.rider, world, key="tap-1", photos=[jpeg()])
    assert first.status_code == 201
    again = post_report(client, world.rider, world, key="tap-1", photos=[jpeg()])
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    other = post_report(client, world.rider, world, key="tap-1", photos=[jpeg()], description="路灯不亮")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("notes.jpg", b"hello, not an image", content_type="image/jpeg"),
        SimpleUploadedFile("huge.jpg", b"\xff\xd8\xff\xe0" + b"\0" * (10 * 1024 * 1024), content_type="image/jpeg"),
    ],
    ids=["not-an-image", "too-large"],
)
def test_bad_photo_is_refused_and_nothing_is_written(client, world, settings, upload):
    upload.seek(0)
    resp = post_report(client, world.rider, world, photos=[jpeg(), upload])
    assert resp.status_code == 422 and resp.json()["code"] == "photo_invalid"
    assert resp["Content-Type"].startswith("application/problem+json")
    assert not Case.objects.exists() and not Report.objects.exists() and not CasePhoto.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"point": OUTSIDE}, 422, "outside_street"),
        ({"category": "spaceflight"}, 422, "unknown_category"),
        ({"lat": "north"}, 422, "validation_error"),
        ({"street": "nowhere"}, 404, "unknown_street"),
        ({"street": "", "lat": ""}, 422, "validation_error"),  # no street and no point to find it by
        ({"street": "", "point": OUTSIDE}, 422, "outside_street"),  # no street the platform serves there
    ],
)
def test_bad_reports_are_problems_not_500s(client, world, change, status, code):
    resp = post_report(client, world.rider, world, **change)
    assert resp.status_code == status and resp.json()["code"] == code
    assert not Case.objects.exists()


def test_street_may_be_left_out_when_the_point_lies_in_a_served_street(client, world):
    # POST /reports was specified with category, lat, lng, description, photos: the street comes from the point.
    from linli.cases.tests.factories import grid_make
    from linli.core.tests.factories import StreetFactory

    other = StreetFactory(code="otherjie", center_lat=31.30, center_lng=121.50)  # elsewhere, with its own grid
    grid_make(other, "o-hq", "总网格", "hq", (31.29, 121.49, 31.31, 121.51), None)
    resp = post_report(client, world.rider, world, street="")
    assert resp.status_code == 201, resp.content.decode()[:500]
    assert Case.objects.get(pk=resp.json()["case_id"]).street == world.street
    data = {"category": "corridor_clutter", "lat": str(IN_B[0]), "lng": str(IN_B[1])}  # no street field at all
    again = client.post("/api/v1/reports", data=data, **auth(world.rider))
    assert again.status_code == 201 and Case.objects.get(pk=again.json()["case_id"]).street == world.street
    overlapping = build_world("twinjie")  # a second street whose grids cover the same point: name the street
    resp = post_report(client, world.rider, world, street="")
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "street"
    assert overlapping.street.code in resp.json()["detail"]


def test_street_left_out_is_found_by_the_centre_of_a_street_without_grids(client, world):
    from linli.cases.services.reports import categories_default_create
    from linli.core.tests.factories import StreetFactory

    plain = StreetFactory(code="plainjie", center_lat=31.10, center_lng=121.20)  # far from casejie, no grids
    categories_default_create(street=plain)
    data = {"category": "fire_passage", "lat": "31.1003", "lng": "121.2004"}
    resp = client.post("/api/v1/reports", data=data, **auth(world.rider))
    assert resp.status_code == 201, resp.content.decode()[:500]
    assert Case.objects.get(pk=resp.json()["case_id"]).street == plain


def test_reporting_needs_sign_in(client, world):
    resp = client.post("/api/v1/reports", data={"street": world.street.code})
    assert resp.status_code == 401


# ------------------------------------------------------------------------------------------ staff moves


def test_work_order_through_the_api(client, world):
    case_id = post_report(client, world.rider, world).json()["case_id"]
    resp = client.post(
        f"/api/v1/cases/{case_id}/transitions",
        data={"to_status": "accepted"},
        content_type="application/json",
        **auth(world.gw_unit),
    )
    assert resp.status_code == 200 and resp.json()["status"] == "accepted"
    assert transition(client, world.rider, case_id, to_status="in_progress").status_code == 403
    assert transition(client, world.gw_unit, case_id, to_status="in_progress").json()["status"] == "in_progress"
    refused = transition(client, world.gw_unit, case_id, to_status="resolved", note="已清理")
    assert refused.status_code == 422 and refused.json()["code"] == "validation_error"
    done = transition(client, world.gw_unit, case_id, to_status="resolved", note="已清理", photos=[jpeg()])
    assert done.status_code == 200 and [p["kind"] for p in done.json()["photos"]] == ["after"]
    assert transition(client, world.gw_unit, case_id, to_status="verified").status_code == 403
    assert transition(client, world.safety, case_id, to_status="verified").status_code == 200
    closed = transition(client, world.safety, case_id, to_status="closed", note="已复查，通道畅通")
    assert closed.json()["status"] == "closed"
    again = transition(client, world.safety, case_id, to_status="closed")
    assert again.status_code == 409 and again.json()["code"] == "case_invalid_transition"
    mine = client.get(f"/api/v1/cases/{case_id}", **auth(world.rider)).json()
    assert mine["status_label"] == "已办结" and mine["closing_note"] == "已复查，通道畅通"
    assert "after" in [p["kind"] for p in mine["photos"]]
    assert client.get("/api/v1/me/reports", **auth(world.rider)).json()[0]["case"]["status"] == "closed"


def test_bulk_merge_split_endpoints(client, world):
    a = post_report(client, world.rider, world).json()["case_id"]
    post_report(client, world.rider2, world)
    b = post_report(client, world.resident, world, point=IN_B).json()["case_id"]
    bulk = client.post(
        "/api/v1/cases/bulk",
        data={"case_ids": [a, b], "to_status": "accepted"},
        content_type="application/json",
        **auth(world.gw_unit),
    ).json()
    assert bulk["ok"] == 1 and bulk["results"][1] == {**bulk["results"][1], "id": b, "ok": False, "code": "not_found"}
    merged = client.post(
        f"/api/v1/cases/{a}/merge", data={"source_ids": [b]}, content_type="application/json", **auth(world.safety)
    )
    assert merged.status_code == 200 and merged.json()["reports_count"] == 3
    assert Case.objects.get(pk=b).status == CaseStatus.MERGED
    report_id = merged.json()["reports"][-1]["id"]
    split = client.post(
        f"/api/v1/cases/{a}/split", data={"report_ids": [report_id]}, content_type="application/json",
        **auth(world.safety),
    )  # fmt: skip
    assert split.status_code == 201 and split.json()["reports_count"] == 1
    assert split.json()["grid"]["external_id"] == world.grids["b"].external_id
    bad = client.post(
        f"/api/v1/cases/{a}/merge", data={"source_ids": [a]}, content_type="application/json", **auth(world.safety)
    )
    assert bad.status_code == 409 and bad.json()["code"] == "merge_invalid"
    denied = client.post(
        f"/api/v1/cases/{a}/merge", data={"source_ids": [b]}, content_type="application/json", **auth(world.gw_unit)
    )
    assert denied.status_code == 403


# ---------------------------------------------------------------------------------------------- console


def test_console_list_is_scoped_by_street_and_grid(client, world):
    other = build_world("otherjie")
    a = post_report(client, world.rider, world).json()["case_id"]
    b = post_report(client, world.rider, world, point=IN_B, category="damaged_facility").json()["case_id"]
    url = f"/api/v1/cases?street={world.street.code}"
    everything = client.get(url, **auth(world.safety)).json()
    assert everything["count"] == 2 and {i["id"] for i in everything["items"]} == {a, b}
    assert [i["id"] for i in client.get(url, **auth(world.gw_unit)).json()["items"]] == [a]
    assert [i["id"] for i in client.get(url, **auth(world.gw_ws)).json()["items"]] == [a]
    assert [i["id"] for i in client.get(url, **auth(world.gw_b)).json()["items"]] == [b]
    assert client.get(url + "&category=damaged_facility", **auth(world.admin)).json()["count"] == 1
    assert client.get(url + f"&grid={world.grids['a'].external_id}", **auth(world.admin)).json()["count"] == 1
    assert client.get(url + "&status=dispatched,accepted", **auth(world.admin)).json()["count"] == 2
    assert client.get(url + "&overdue=true", **auth(world.admin)).json()["count"] == 0
    assert client.get(url + f"&q=%23{a}", **auth(world.admin)).json()["count"] == 1
    # Street B's staff see nothing of street A, in the list or case by case.
    for person in (other.admin, other.safety, other.gw_unit, world.rider):
        resp = client.get(url, **auth(person))
        assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"
    for person in (other.admin, other.safety):
        assert client.get(f"/api/v1/cases/{a}", **auth(person)).status_code == 404
        assert transition(client, person, a, to_status="accepted").status_code == 404
    assert client.get(f"/api/v1/cases/{b}", **auth(world.gw_unit)).status_code == 404  # another grid


def test_bad_list_input_is_a_problem(client, world):
    for query in ("status=flying", "category=nope", "grid=nope", "page=0"):
        resp = client.get(f"/api/v1/cases?street={world.street.code}&{query}", **auth(world.admin))
        assert 400 <= resp.status_code < 500 and resp["Content-Type"].startswith("application/problem+json")


def test_csv_export_has_bom_no_phones_and_is_audited(client, world):
    post_report(client, world.rider, world, description="=HYPERLINK(1)")
    resp = client.get(f"/api/v1/cases/export.csv?street={world.street.code}", **auth(world.admin))
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    raw = resp.content
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "楼道堆物" in text and "'=HYPERLINK(1)" in text and not PHONE_RE.search(text)
    assert AuditLog.objects.filter(action="cases.export", actor=world.admin, street=world.street).count() == 1
    assert client.get(f"/api/v1/cases/export.csv?street={world.street.code}", **auth(world.rider)).status_code == 403


def test_csv_export_of_a_period(client, world):
    old = post_report(client, world.rider, world, description="上月的").json()["case_id"]
    Case.objects.filter(pk=old).update(created_at=timezone.now() - dt.timedelta(days=40))
    post_report(client, world.rider, world, point=IN_B, category="damaged_facility", description="本月的")
    today = timezone.localdate()
    url = (
        f"/api/v1/cases/export.csv?street={world.street.code}&date_from={today - dt.timedelta(days=10)}&date_to={today}"
    )
    text = client.get(url, **auth(world.admin)).content.decode("utf-8-sig")
    assert "本月的" in text and "上月的" not in text
    everything = client.get(f"/api/v1/cases/export.csv?street={world.street.code}", **auth(world.admin))
    assert "上月的" in everything.content.decode("utf-8-sig")
    bad = client.get(f"/api/v1/cases/export.csv?street={world.street.code}&date_from=yesterday", **auth(world.admin))
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"


def test_stats_count_by_category_and_time_to_close(client, world):
    case_id = post_report(client, world.rider, world).json()["case_id"]
    post_report(client, world.rider, world, point=IN_B, category="damaged_facility")
    Case.objects.filter(pk=case_id).update(status=CaseStatus.CLOSED)
    case = Case.objects.get(pk=case_id)
    Case.objects.filter(pk=case_id).update(closed_at=case.created_at + dt.timedelta(hours=3))
    body = client.get(f"/api/v1/cases/stats?street={world.street.code}&days=7", **auth(world.safety)).json()
    cats = {c["code"]: c for c in body["categories"]}
    assert cats["corridor_clutter"]["closed"] == 1 and cats["corridor_clutter"]["median_hours_to_close"] == 3.0
    assert cats["damaged_facility"]["open"] == 1 and cats["fire_passage"]["total"] == 0
    assert body["total"] == 2 and body["avg_hours_to_close"] == 3.0


def test_categories_and_leaderboard_are_public_and_masked(client, world):
    cats = client.get(f"/api/v1/streets/{world.street.code}/case-categories").json()
    assert cats[0]["code"] == "fire_passage" and cats[0]["urgent"] is True
    case_id = post_report(client, world.rider, world).json()["case_id"]
    Case.objects.filter(pk=case_id).update(status=CaseStatus.RESOLVED)
    assert transition(client, world.safety, case_id, to_status="verified").status_code == 200
    board = client.get(f"/api/v1/streets/{world.street.code}/sentinels/leaderboard").json()
    assert board["items"] == [{"rank": 1, "name": "张**", "points": 10, "reports": 1}]
    assert not PHONE_RE.search(str(board))
    assert client.get("/api/v1/streets/nowhere/sentinels/leaderboard").status_code == 404


def test_openapi_lists_the_case_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/reports", "/api/v1/cases/{case_id}", "/api/v1/cases/{case_id}/transitions", "/api/v1/cases"):
        assert path in paths


def test_reports_are_rate_limited_per_person_but_replays_are_not(client, world, settings):
    settings.LINLI_CASE_REPORTS_PER_10_MIN = 2
    first = post_report(client, world.rider, world, key="k1")
    post_report(client, world.rider, world, point=IN_B)
    refused = post_report(client, world.rider, world, key="k3")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited" and refused["Retry-After"]
    replay = post_report(client, world.rider, world, key="k1")
    assert replay.status_code == 201 and replay.json() == first.json()
    assert post_report(client, world.rider2, world).status_code == 201  # someone else
    assert Report.objects.filter(reporter=world.rider).count() == 2
