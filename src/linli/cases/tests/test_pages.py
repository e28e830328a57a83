"""Cases pages: the reporter's phone page (no-JS form), my reports, the leaderboard, the guarded photo view, the
staff console (permissions per role, grid and street; filters; bulk moves; CSV link; chart) and a case's page
with its moves, merge and split."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from linli.cases.models import Case, CasePhoto, CaseStatus, PhotoKind, Report, SentinelPoints
from linli.cases.services.reports import report_create
from linli.cases.services.workflow import case_transition
from linli.cases.tests.factories import IN_A1, IN_B, OUTSIDE, build_world, jpeg
from linli.core.models import Role, RoleAssignment
from linli.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture
def world():
    return build_world()


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def report(world, *, at=IN_A1, code="fire_passage", reporter=None, photos=()):
    return report_create(
        street=world.street,
        category=code,
        lat=at[0],
        lng=at[1],
        reporter=reporter or world.rider,
        description="两辆电动车堵住消防通道",
        photos=photos,
    )


def text(resp) -> str:
    return resp.content.decode()


# ------------------------------------------------------------------------------------------ report page


def test_report_page_asks_anonymous_to_sign_in_and_404s_unknown_street(world):
    resp = client_for().get("/s/casejie/report/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/?next=/s/casejie/report/")
    assert client_for(world.rider).get("/s/nowhere/report/").status_code == 404


def test_report_page_shows_category_buttons_camera_input_and_works_in_elder_mode(world):
    client = client_for(world.rider)
    resp = client.get("/s/casejie/report/")
    assert resp.status_code == 200
    body = text(resp)
    for code in world.categories:
        assert f'id="cat-{code}"' in body
    assert "消防通道堵塞" in body
    assert re.search(r'<input[^>]+type="file"[^>]+accept="image/\*"[^>]+capture="environment"[^>]+multiple', body)
    assert "<script>" not in body  # CSP: no inline scripts
    client.cookies["linli_elder"] = "1"
    assert 'class="elder"' in text(client.get("/s/casejie/report/"))


def test_no_js_form_creates_a_report_and_shows_the_result(world):
    client = client_for(world.rider)
    resp = client.post(
        "/s/casejie/report/",
        {
            "category": "fire_passage",
            "lat": str(IN_A1[0]),
            "lng": str(IN_A1[1]),
            "description": "消防通道被堵",
            "address": "3号楼东侧",
            "photos": [jpeg()],
        },
    )
    assert resp.status_code == 302
    rep = Report.objects.get(reporter=world.rider)
    assert resp["Location"] == f"/s/casejie/report/?done={rep.pk}"
    assert rep.case.grid == world.grids["a1"] and rep.address == "3号楼东侧"
    assert CasePhoto.objects.filter(report=rep, kind=PhotoKind.REPORT).count() == 1
    page = text(client.get(resp["Location"]))
    assert f"事件编号 #{rep.case_id}" in page and "已派单" in page and "A1单元" in page
    assert "同一问题" not in page

    # A second rider a few metres away: merged into the same case, and told so.
    other = client_for(world.rider2)
    resp2 = other.post(
        "/s/casejie/report/", {"category": "fire_passage", "lat": str(IN_A1[0] + 0.0001), "lng": str(IN_A1[1])}
    )
    rep2 = Report.objects.get(reporter=world.rider2)
    assert rep2.case_id == rep.case_id
    assert "附近已有 1 人反映同一问题" in text(other.get(resp2["Location"]))
    # Nobody sees another person's result page.
    assert "事件编号" not in text(other.get(f"/s/casejie/report/?done={rep.pk}"))


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"category": "fire_passage", "lat": "", "lng": ""}, 422, "请提供位置"),
        ({"category": "", "lat": "31.255", "lng": "121.387"}, 422, "请选择问题类别"),
        ({"category": "fire_passage", "address": "火星基地"}, 422, "没有找到这个位置"),
        ({"category": "fire_passage", "spot": "compound:999999"}, 422, "没有这个地点"),
        ({"category": "fire_passage", "spot": "gate:1"}, 422, "没有这个地点"),
        ({"category": "fire_passage", "lat": str(OUTSIDE[0]), "lng": str(OUTSIDE[1])}, 422, "不在"),
        ({"category": "nope", "lat": "31.255", "lng": "121.387"}, 422, "没有事件类别"),
        ({"category": "fire_passage", "lat": "abc", "lng": "121.387"}, 422, "输入有误"),
    ],
)
def test_no_js_form_refuses_bad_input_and_writes_nothing(world, data, status, message):
    resp = client_for(world.rider).post("/s/casejie/report/", data)
    assert resp.status_code == status
    assert message in text(resp)
    assert not Report.objects.exists() and not Case.objects.exists()


def spots(world):
    """A compound in unit A1, a service point in workstation B, and a compound of another street."""
    from linli.core.models import Compound
    from linli.places.tests.factories import PlaceFactory

    compound = Compound.objects.create(
        street=world.street,
        external_id="c-sun",
        name="阳光小区",
        address="长寿路 100 弄",
        geometry={"type": "Point", "coordinates": [IN_A1[1], IN_A1[0]]},
        lat=IN_A1[0],
        lng=IN_A1[1],
    )
    place = PlaceFactory(street=world.street, name="长寿邻里中心", address="长寿路 200 号", lat=IN_B[0], lng=IN_B[1])
    elsewhere = build_world("otherjie").street
    foreign = Compound.objects.create(
        street=elsewhere,
        external_id="c-far",
        name="远方小区",
        geometry={"type": "Point", "coordinates": [IN_A1[1], IN_A1[0]]},
        lat=IN_A1[0],
        lng=IN_A1[1],
    )
    return compound, place, foreign


def test_no_js_form_offers_the_streets_compounds_and_places_and_needs_no_coordinates(world):
    compound, place, foreign = spots(world)
    client = client_for(world.rider)
    body = text(client.get("/s/casejie/report/"))
    assert f'value="compound:{compound.pk}"' in body and "阳光小区" in body
    assert f'value="place:{place.pk}"' in body and "长寿邻里中心" in body
    assert "远方小区" not in body
    # The coordinates are optional, folded away: nothing about them is required.
    assert re.search(r'<details class="coords-more"[^>]*>', body)
    assert not re.search(r'<input[^>]+name="lat"[^>]+required', body)

    # A compound chosen from the list: the case is at the compound, in its grid, and named in the address.
    resp = client.post(
        "/s/casejie/report/",
        {"category": "fire_passage", "spot": f"compound:{compound.pk}", "address": "3号楼东侧", "photos": [jpeg()]},
    )
    assert resp.status_code == 302
    rep = Report.objects.get(reporter=world.rider)
    assert (rep.lat, rep.lng) == IN_A1 and rep.case.grid == world.grids["a1"]
    assert rep.address == "阳光小区 3号楼东侧" and rep.case.address == "阳光小区 3号楼东侧"

    # A service point chosen, no address typed: its name is the address; routed to its grid.
    resp = client_for(world.rider2).post("/s/casejie/report/", {"category": "other", "spot": f"place:{place.pk}"})
    assert resp.status_code == 302
    rep2 = Report.objects.get(reporter=world.rider2)
    assert (rep2.lat, rep2.lng) == IN_B and rep2.case.grid == world.grids["b"] and rep2.address == "长寿邻里中心"

    # Another street's compound is not a spot of this street.
    resp = client.post("/s/casejie/report/", {"category": "other", "spot": f"compound:{foreign.pk}"})
    assert resp.status_code == 422 and "没有这个地点" in text(resp)
    assert Report.objects.count() == 2


def test_no_js_form_locates_a_typed_address_by_the_compound_or_place_it_names(world):
    _compound, place, _foreign = spots(world)
    client = client_for(world.rider)
    resp = client.post("/s/casejie/report/", {"category": "corridor_clutter", "address": "阳光小区5号楼楼道"})
    assert resp.status_code == 302
    rep = Report.objects.get(reporter=world.rider)
    assert (rep.lat, rep.lng) == IN_A1 and rep.address == "阳光小区5号楼楼道"
    # The service point's full address counts too.
    resp = client_for(world.rider2).post("/s/casejie/report/", {"category": "other", "address": "长寿路 200 号门口"})
    assert resp.status_code == 302
    assert (Report.objects.get(reporter=world.rider2).lat, place.lat) == (IN_B[0], IN_B[0])


def test_report_api_takes_a_spot_or_an_address_instead_of_coordinates(world):
    compound, _place, _foreign = spots(world)
    client = client_for(world.rider)
    resp = client.post("/api/v1/reports", {"street": "casejie", "category": "other", "spot": f"compound:{compound.pk}"})
    assert resp.status_code == 201, resp.content
    case = Case.objects.get(pk=resp.json()["case_id"])
    assert (case.lat, case.lng) == IN_A1 and case.address == "阳光小区"
    resp = client.post("/api/v1/reports", {"street": "casejie", "category": "other", "address": "火星基地"})
    assert resp.status_code == 422 and resp.json()["code"] == "validation_error"
    assert resp.json()["errors"][0]["field"] == "address"
    resp = client.post("/api/v1/reports", {"street": "casejie", "category": "other"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "lat"


def test_no_js_form_refuses_a_bad_photo(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    resp = client_for(world.rider).post(
        "/s/casejie/report/", {"category": "fire_passage", "lat": "31.255", "lng": "121.387", "photos": [bad]}
    )
    assert resp.status_code == 422
    assert not Report.objects.exists()


# ------------------------------------------------------------------------------------------- my reports


def close_case(world, case, *, note="已清理，通道畅通"):
    case_transition(case=case, to_status=S.ACCEPTED, actor=world.gw_unit)
    case_transition(case=case, to_status=S.IN_PROGRESS, actor=world.gw_unit)
    case_transition(case=case, to_status=S.RESOLVED, actor=world.gw_unit, note="已挪走", photos=[jpeg()])
    case_transition(case=case, to_status=S.VERIFIED, actor=world.safety)
    case_transition(case=case, to_status=S.CLOSED, actor=world.safety, note=note)


def test_my_reports_show_status_closing_note_after_photo_and_points(world):
    rep = report(world, photos=[jpeg()])
    other = report(world, at=IN_B, code="corridor_clutter", reporter=world.rider2)
    client = client_for(world.rider)
    page = text(client.get("/me/reports/"))
    assert f'data-case-id="{rep.case_id}"' in page and "已派单" in page
    assert f'data-case-id="{other.case_id}"' not in page
    assert 'data-points="0"' in page

    close_case(world, Case.objects.get(pk=rep.case_id))
    page = text(client.get("/me/reports/"))
    assert 'data-status="closed"' in page and "已办结" in page and "已清理，通道畅通" in page
    after = CasePhoto.objects.get(case_id=rep.case_id, kind=PhotoKind.AFTER)
    assert f"/cases/photos/{after.pk}/" in page
    points = world.categories["fire_passage"].points
    assert f'data-points="{points}"' in page and f"+{points}" in page
    assert client_for().get("/me/reports/").status_code == 302


def test_leaderboard_masks_names_and_shows_no_phones(world):
    rep = report(world)
    close_case(world, Case.objects.get(pk=rep.case_id))
    assert SentinelPoints.objects.filter(user=world.rider).exists()
    resp = client_for().get("/s/casejie/sentinels/")
    body = text(resp)
    assert resp.status_code == 200 and "张**" in body and "张师傅" not in body
    assert world.rider.phone not in body and world.rider.phone[-4:] not in body
    assert client_for().get("/s/nowhere/sentinels/").status_code == 404


# ---------------------------------------------------------------------------------------------- photos


def test_photos_are_served_only_to_people_who_may_see_the_case(world):
    rep = report(world, photos=[jpeg()])
    photo = CasePhoto.objects.get(report=rep)
    url = f"/cases/photos/{photo.pk}/"
    for user in (world.rider, world.gw_unit, world.gw_ws, world.safety, world.admin):
        resp = client_for(user).get(url)
        assert resp.status_code == 200, user
        assert resp["Content-Type"] == "image/jpeg" and b"".join(resp.streaming_content)[:2] == b"\xff\xd8"
        assert "private" in resp["Cache-Control"]
    stranger_admin = UserFactory()
    RoleAssignment.objects.create(user=stranger_admin, street=build_world("otherjie").street, role=Role.ADMIN)
    for user in (None, world.rider2, world.resident, world.gw_b, stranger_admin):
        assert client_for(user).get(url).status_code == 404, user
    assert client_for(world.rider).get("/cases/photos/999999/").status_code == 404


# --------------------------------------------------------------------------------------------- console


def test_console_permissions_per_role_grid_and_street(world):
    in_a1 = report(world).case
    in_b = report(world, at=IN_B, code="corridor_clutter", reporter=world.rider2).case
    assert client_for().get("/staff/cases/").status_code == 302
    for user in (world.rider, world.resident):
        assert client_for(user).get("/staff/cases/").status_code == 403

    def shown(user) -> set[int]:
        resp = client_for(user).get("/staff/cases/?street=casejie")
        assert resp.status_code == 200
        return {int(i) for i in re.findall(r'<tr class="case-row[^"]*" data-case-id="(\d+)"', text(resp))}

    assert shown(world.gw_unit) == {in_a1.pk}
    assert shown(world.gw_ws) == {in_a1.pk}
    assert shown(world.gw_b) == {in_b.pk}
    assert shown(world.safety) == {in_a1.pk, in_b.pk}
    assert shown(world.admin) == {in_a1.pk, in_b.pk}

    other = build_world("otherjie")
    assert client_for(other.admin).get("/staff/cases/?street=casejie").status_code == 403
    resp = client_for(other.admin).get("/staff/cases/")
    assert resp.status_code == 200 and f'data-case-id="{in_a1.pk}"' not in text(resp)


def test_console_filters_overdue_highlight_csv_link_and_chart(world):
    fire = report(world).case
    clutter = report(world, at=IN_B, code="corridor_clutter", reporter=world.rider2).case
    Case.objects.filter(pk=clutter.pk).update(resolution_due_at=clutter.created_at.replace(year=2020))
    client = client_for(world.safety)

    def ids(query: str) -> set[int]:
        resp = client.get(f"/staff/cases/?street=casejie&{query}")
        assert resp.status_code == 200, text(resp)
        return {int(i) for i in re.findall(r'<tr class="case-row[^"]*" data-case-id="(\d+)"', text(resp))}

    assert ids("category=fire_passage") == {fire.pk}
    assert ids("overdue=1") == {clutter.pk}
    assert ids("overdue=0") == {fire.pk}
    assert ids("grid=casejie-b") == {clutter.pk}
    assert ids(f"q=%23{fire.pk}") == {fire.pk}
    assert ids("q=楼道") == {clutter.pk}  # the category name 楼道堆物
    assert ids("status=closed") == set()
    close_case(world, Case.objects.get(pk=fire.pk))
    assert ids("") == {clutter.pk}  # default: open cases
    assert ids("status=all") == {fire.pk, clutter.pk}
    assert ids("status=closed") == {fire.pk}

    page = text(client.get("/staff/cases/?street=casejie&status=all"))
    assert "case-row--overdue" in page and "超时" in page
    summary = re.search(r'<ul class="grid-summary".*?</ul>', page, re.S).group(0)
    items = {
        re.sub(r"<[^>]+>", "", li).strip()
        for li in re.findall(r'<li class="tag" data-grid="[^"]*" data-count="\d+">(.*?)</li>', summary)
    }
    assert items == {"B工作站 · 1 件 · 超时 1", "A1单元 · 1 件"}
    csv_url = re.search(r'id="csv-export" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert csv_url.startswith("/api/v1/cases/export.csv?street=casejie")
    export = client.get(csv_url)
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert export.content.decode("utf-8-sig").count("\r\n") == 3  # header + the two cases of status=all
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart--bar"' in page
    assert 'id="console-config"' in page and "/ws/cases/casejie/" in page

    resp = client.get("/staff/cases/?street=casejie&category=nope")
    assert resp.status_code == 422 and "没有类别" in text(resp)


def test_console_bulk_accepts_what_the_user_may_and_reports_the_rest(world):
    mine = report(world).case
    theirs = report(world, at=IN_B, code="corridor_clutter", reporter=world.rider2).case
    resp = client_for(world.gw_unit).post(
        "/staff/cases/bulk/",
        {"street": "casejie", "case_ids": [mine.pk, theirs.pk], "to_status": "accepted", "back": "street=casejie"},
    )
    assert resp.status_code == 302 and "bulk_ok=1" in resp["Location"] and "bulk_failed=1" in resp["Location"]
    assert Case.objects.get(pk=mine.pk).status == S.ACCEPTED
    assert Case.objects.get(pk=theirs.pk).status == S.DISPATCHED
    page = text(client_for(world.gw_unit).get(resp["Location"]))
    assert "成功 1 件" in page and "未成功 1 件" in page
    assert (
        client_for(world.rider).post("/staff/cases/bulk/", {"case_ids": [mine.pk], "to_status": "closed"}).status_code
        == 403
    )


# ---------------------------------------------------------------------------------------------- a case


def moves_on(client, case_id) -> set[str]:
    return set(re.findall(r'id="do-([a-z_]+)"', text(client.get(f"/staff/cases/{case_id}/"))))


def test_case_page_access_and_the_moves_offered_per_role(world):
    case = report(world, photos=[jpeg()]).case
    assert client_for(world.rider).get(f"/staff/cases/{case.pk}/").status_code == 403  # reporter, not staff
    assert client_for(world.gw_b).get(f"/staff/cases/{case.pk}/").status_code == 404
    assert client_for(world.resident).get(f"/staff/cases/{case.pk}/").status_code == 404
    assert client_for().get(f"/staff/cases/{case.pk}/").status_code == 302
    page = text(client_for(world.gw_unit).get(f"/staff/cases/{case.pk}/"))
    assert "处置记录" in page and "上报照片" in page and "/cases/photos/" in page
    assert moves_on(client_for(world.gw_unit), case.pk) == {"accepted", "rejected"}
    assert moves_on(client_for(world.safety), case.pk) >= {"accepted", "rejected", "merge"}


def test_case_moves_through_the_whole_life_cycle_via_the_forms(world):
    rep = report(world, photos=[jpeg()])
    case_id = rep.case_id
    gw, safety = client_for(world.gw_unit), client_for(world.safety)
    move = f"/staff/cases/{case_id}/move/"

    assert gw.post(move, {"to_status": "accepted"})["Location"] == f"/staff/cases/{case_id}/?done=accepted"
    assert gw.post(move, {"to_status": "in_progress"}).status_code == 302
    # Resolving needs an after photo and a note: refused, nothing changes.
    resp = gw.post(move, {"to_status": "resolved", "note": "已挪走"})
    assert resp.status_code == 422 and "处置后照片" in text(resp)
    assert Case.objects.get(pk=case_id).status == S.IN_PROGRESS
    assert gw.post(move, {"to_status": "resolved", "note": "已挪走", "photos": [jpeg()]}).status_code == 302
    # Verifying is for safety officers and admins.
    resp = gw.post(move, {"to_status": "verified"})
    assert resp.status_code == 403 and Case.objects.get(pk=case_id).status == S.RESOLVED
    assert moves_on(safety, case_id) >= {"verified", "in_progress"}
    assert safety.post(move, {"to_status": "verified"}).status_code == 302
    assert safety.post(move, {"to_status": "closed", "note": "通道已畅通"}).status_code == 302
    case = Case.objects.get(pk=case_id)
    assert case.status == S.CLOSED and case.closing_note == "通道已畅通"
    page = text(safety.get(f"/staff/cases/{case_id}/"))
    assert "通道已畅通" in page and page.count("/cases/photos/") >= 2
    # A stale move (the same close again) is a conflict, shown, never a 500.
    resp = safety.post(move, {"to_status": "closed"})
    assert resp.status_code == 409
    # Rejecting needs a reason.
    other = report(world, at=IN_B, code="corridor_clutter", reporter=world.rider2).case
    resp = safety.post(f"/staff/cases/{other.pk}/move/", {"to_status": "rejected"})
    assert resp.status_code == 422 and Case.objects.get(pk=other.pk).status == S.DISPATCHED
    assert safety.post(f"/staff/cases/{other.pk}/move/", {"to_status": "rejected", "reason": "重复"}).status_code == 302


def test_merge_and_split_forms(world):
    a = report(world).case
    b = report(world, at=(IN_A1[0] + 0.002, IN_A1[1]), reporter=world.rider2).case  # > merge radius: own case
    assert a.pk != b.pk
    safety = client_for(world.safety)
    assert client_for(world.gw_unit).post(f"/staff/cases/{a.pk}/merge/", {"source_ids": f"#{b.pk}"}).status_code == 403
    resp = safety.post(f"/staff/cases/{a.pk}/merge/", {"source_ids": f"#{b.pk}"})
    assert resp.status_code == 302
    assert Case.objects.get(pk=b.pk).status == S.MERGED and Case.objects.get(pk=a.pk).reports_count == 2
    assert safety.post(f"/staff/cases/{a.pk}/merge/", {"source_ids": "abc"}).status_code == 409

    moved = Report.objects.get(reporter=world.rider2)
    resp = safety.post(f"/staff/cases/{a.pk}/split/", {"report_ids": [moved.pk]})
    assert resp.status_code == 302
    new_id = int(re.search(r"/staff/cases/(\d+)/", resp["Location"]).group(1))
    assert new_id not in (a.pk, b.pk) and Report.objects.get(pk=moved.pk).case_id == new_id
    # Splitting off every report is refused.
    resp = safety.post(f"/staff/cases/{new_id}/split/", {"report_ids": [moved.pk]})
    assert resp.status_code == 409


def test_time_left_labels_and_counts_come_from_gettext_and_reach_the_live_script(world):
    import datetime as dt
    import json

    from django.utils import timezone

    from linli.cases.views.console import count_formats, time_formats, time_left

    now = timezone.now()
    cases = {
        dt.timedelta(hours=2, minutes=5, seconds=30): ("剩 2小时5分", False),
        dt.timedelta(minutes=-35): ("超时 35分", True),
        dt.timedelta(days=3, hours=4, minutes=10): ("剩 3天4小时", False),
        dt.timedelta(days=-2, minutes=-1): ("超时 2天", True),
        dt.timedelta(seconds=30): ("剩 0分", False),
    }
    for delta, (label, late) in cases.items():
        got = time_left(now + delta, now)
        assert got is not None and (got["label"], got["overdue"]) == (label, late), (delta, got)
    assert count_formats() == {"one": "共 {n} 件", "other": "共 {n} 件"}
    assert count_formats("grid summary") == {"one": "{n} 件", "other": "{n} 件"}

    # The console hands the same formats and the filters (the grid's subtree ids) to console.js.
    report(world)
    page = text(client_for(world.safety).get("/staff/cases/?street=casejie&grid=casejie-a&overdue=0&q=通道"))
    config = json.loads(re.search(r'<script id="console-config" type="application/json">(.*?)</script>', page).group(1))
    assert config["timeFormats"] == time_formats() and config["countFormats"] == count_formats()
    assert config["gridCountFormats"] == count_formats("grid summary")
    assert sorted(config["filters"]["gridIds"]) == sorted([world.grids["a"].pk, world.grids["a1"].pk])
    assert (config["filters"]["overdue"], config["filters"]["q"]) == ("0", "通道")
    assert sorted(config["filters"]["unresolved"]) == ["accepted", "dispatched", "in_progress", "new"]
    assert "data-left=" not in page and "data-over=" not in page  # no Chinese-only pieces left for the script


def test_console_labels_follow_the_language_in_english():
    """English labels once the translations in /tmp/po/cases.po are merged into the catalogue (rule 4)."""
    import datetime as dt

    from django.utils import timezone, translation

    from linli.cases.views.console import count_formats, time_left

    now = timezone.now()
    with translation.override("en"):
        assert time_left(now + dt.timedelta(hours=2, minutes=5, seconds=30), now)["label"] == "2 h 5 min left"
        assert time_left(now - dt.timedelta(days=2, hours=1, minutes=1), now)["label"] == "2 d 1 h overdue"
        assert count_formats("grid summary") == {"one": "{n} case", "other": "{n} cases"}
        assert count_formats() == {"one": "{n} case", "other": "{n} cases"}
