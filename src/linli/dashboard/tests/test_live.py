"""The live picture of a grid: every domain's open and today's rows counted under the right grid and summed up the
tree (unit → workstation → HQ), the SLA clock, who may see which grid (page, API), and the page itself."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from linli.access.models import Decision, Tap
from linli.access.services.gates import gate_create
from linli.activities.models import BookingStatus
from linli.activities.tests.factories import ActivityFactory, BookingFactory
from linli.assistant.models import AskLog
from linli.care.models import Call, CallKind, CallSource, CallStatus, Person, VisitRequest
from linli.cases.models import CaseStatus, Report
from linli.cases.tests.factories import CaseFactory
from linli.core.models import Role
from linli.core.tests.factories import UserFactory
from linli.dashboard.selectors_live import grid_live, street_live
from linli.dashboard.tests.factories import grid_tree_build, staff
from linli.places.tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


def _case(t, unit: int, status: str, *, age_h: float, target_h: float):  # noqa: ANN001, ANN202
    now = timezone.now()
    lat, lng = t.unit_point(unit)
    created = now - dt.timedelta(hours=age_h)
    return CaseFactory(
        street=t.street,
        grid=t.units[unit],
        status=status,
        lat=lat,
        lng=lng,
        created_at=created,
        resolution_due_at=created + dt.timedelta(hours=target_h),
    )


def _world():  # noqa: ANN202
    t = grid_tree_build()
    now = timezone.now()
    # Cases in unit 0 (west workstation): one within its target, one late, one 3× late, one handled.
    _case(t, 0, CaseStatus.DISPATCHED, age_h=1, target_h=24)
    late = _case(t, 0, CaseStatus.IN_PROGRESS, age_h=30, target_h=24)
    _case(t, 0, CaseStatus.ACCEPTED, age_h=10, target_h=2)
    _case(t, 0, CaseStatus.RESOLVED, age_h=10, target_h=2)
    _case(t, 0, CaseStatus.CLOSED, age_h=10, target_h=2)  # closed: not on the picture
    # Unit 3 (east workstation): one new case, due.
    east = _case(t, 3, CaseStatus.NEW, age_h=0.5, target_h=4)
    lat, lng = t.unit_point(0)
    Report.objects.create(street=t.street, case=late, category=late.category, token="r-1", lat=lat, lng=lng)
    Report.objects.create(
        street=t.street,
        case=east,
        category=east.category,
        token="r-2",
        lat=lat,
        lng=lng,
        created_at=now - dt.timedelta(hours=3),
    )  # fmt: skip  (older than an hour: not counted)
    # Care: an emergency call of a person living in unit 1's compound; an 8-hour request past its time.
    person = Person.objects.create(
        street=t.street, committee=t.committees[1], compound=t.compounds[1], name="王老伯", groups=["living_alone"]
    )
    Call.objects.create(
        street=t.street, committee=t.committees[1], person=person, kind=CallKind.EMERGENCY, source=CallSource.BUTTON
    )
    Call.objects.create(
        street=t.street, committee=t.committees[1], person=person, kind=CallKind.HELP, source=CallSource.BUTTON,
        status=CallStatus.CLOSED,
    )  # fmt: skip
    VisitRequest.objects.create(
        street=t.street, committee=t.committees[1], person=person, what="代缴水费", due_at=now - dt.timedelta(hours=1)
    )
    # Activities: today's activity at a venue in unit 2, two bookings, one checked in.
    venue_lat, venue_lng = t.unit_point(2)
    venue = PlaceFactory(street=t.street, lat=venue_lat, lng=venue_lng)
    start = now.replace(microsecond=0)
    activity = ActivityFactory(street=t.street, place=venue, start=start, end=start + dt.timedelta(hours=1))
    BookingFactory(activity=activity, status=BookingStatus.CONFIRMED)
    BookingFactory(activity=activity, status=BookingStatus.CHECKED_IN, checked_in_at=now)
    # Access: a gate in unit 3's compound that never sent a heartbeat (offline), and a denial there today.
    gate = gate_create(compound=t.compounds[3], name="东门", actor=None).gate
    Tap.objects.create(
        street=t.street, compound=t.compounds[3], gate=gate, decision=Decision.DENY, reason="no_credential"
    )
    # The assistant: a question it did not understand (street-wide: the HQ).
    AskLog.objects.create(
        street=t.street,
        question="垃圾分类几点",
        normalized="垃圾分类几点",
        intent="unknown",
        answer="",
        backend="offline",
    )
    return t


def test_counts_are_put_under_their_grid_and_summed_up_the_tree() -> None:
    t = _world()
    hq = grid_live(t.hq.pk, street_id=t.street.pk)
    west = grid_live(t.stations[0].pk, street_id=t.street.pk)
    east = grid_live(t.stations[1].pk, street_id=t.street.pk)
    unit0 = grid_live(t.units[0].pk, street_id=t.street.pk)

    assert unit0["cases"]["open"] == 4
    assert unit0["cases"]["by_status"] == {
        "new": 0, "dispatched": 1, "accepted": 1, "in_progress": 1, "resolved": 1, "verified": 0,
    }  # fmt: skip
    assert unit0["cases"]["sla"] == {"due": 1, "late": 1, "late3": 1}
    assert unit0["cases"]["reports_hour"] == 1
    assert {p["sla"] for p in unit0["cases"]["pins"]} == {"due", "late", "late3", "done"}
    assert unit0["cases"]["pins"][0]["sla"] == "late3"  # the most urgent first

    assert west["cases"]["open"] == 4 and east["cases"]["open"] == 1
    assert hq["cases"]["open"] == 5
    assert hq["cases"]["sla"] == {"due": 2, "late": 1, "late3": 1}
    assert west["care"] == {"emergency_open": 1, "help_open": 0, "visits_open": 1, "visits_late": 1}
    assert east["care"]["emergency_open"] == 0
    assert east["activities"] == {"bookings": 2, "checked_in": 1}
    assert east["access"] == {"gates": 1, "offline": 1, "denials_today": 1}
    assert west["access"]["gates"] == 0
    assert hq["access"]["offline"] == 1 and hq["activities"]["bookings"] == 2
    assert hq["assistant"]["unanswered"] == 1 and west["assistant"]["unanswered"] == 0

    # The drill-down rows: the HQ's children are the workstations, each with its subtree's numbers.
    rows = {r["external_id"]: r for r in hq["children"]}
    assert set(rows) == {"ws1", "ws2"}
    assert (rows["ws1"]["cases_open"], rows["ws1"]["late"], rows["ws1"]["late3"]) == (4, 2, 1)
    assert rows["ws1"]["calls_open"] == 1 and rows["ws2"]["gates_offline"] == 1
    assert [g["external_id"] for g in unit0["path"]] == ["hq", "ws1", "u11"]
    assert unit0["children"] == []


def test_one_snapshot_serves_every_grid_of_the_street() -> None:
    t = _world()
    snap = street_live(t.street.pk)
    from linli.dashboard.selectors_live import grid_picture

    assert grid_picture(snap, t.hq.pk)["cases"]["open"] == grid_live(t.hq.pk, street_id=t.street.pk)["cases"]["open"]


def test_page_shows_the_picture_and_refuses_grids_out_of_reach() -> None:
    t = _world()
    admin = staff(t.street, Role.ADMIN)
    worker = staff(t.street, Role.GRID_WORKER, grid=t.units[0])
    client = Client()
    assert client.get("/dashboard/live/").status_code == 302  # sign in first
    client.force_login(admin)
    page = client.get("/dashboard/live/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-k="cases.open">5<' in html and "西站" in html and "/ws/dashboard/live/" in html
    assert client.get(f"/dashboard/live/?grid={t.units[0].pk}").status_code == 200
    assert client.get("/dashboard/screen/").status_code == 200
    assert client.get("/dashboard/live/?grid=abc").status_code == 404
    assert client.get("/dashboard/live/?grid=99999999").status_code == 404

    client.force_login(worker)
    assert client.get("/dashboard/live/").context["grid"] == t.units[0]  # their own grid by default
    assert client.get(f"/dashboard/live/?grid={t.hq.pk}").status_code == 403
    assert client.get(f"/dashboard/screen/?grid={t.units[1].pk}").status_code == 403
    client.force_login(UserFactory())
    assert client.get("/dashboard/live/").status_code == 403


def test_api_gives_the_page_numbers_with_problems_for_bad_grids() -> None:
    t = _world()
    admin = staff(t.street, Role.ADMIN)
    worker = staff(t.street, Role.GRID_WORKER, grid=t.units[0])
    client = Client()
    assert client.get(f"/api/v1/dashboard/live?grid={t.hq.pk}").status_code == 401
    client.force_login(admin)
    answer = client.get(f"/api/v1/dashboard/live?grid={t.stations[0].pk}")
    assert answer.status_code == 200
    body = answer.json()
    expected = grid_live(t.stations[0].pk, street_id=t.street.pk)
    assert body["cases"]["sla"] == expected["cases"]["sla"] and body["care"] == expected["care"]
    assert [c["external_id"] for c in body["children"]] == ["u11", "u12"]
    assert client.get("/api/v1/dashboard/live").json()["grid"]["external_id"] == "hq"
    missing = client.get("/api/v1/dashboard/live?grid=99999999")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert client.get("/api/v1/dashboard/live?grid=x").status_code == 422
    client.force_login(worker)
    denied = client.get(f"/api/v1/dashboard/live?grid={t.hq.pk}")
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    assert client.get("/api/v1/dashboard/live").json()["grid"]["external_id"] == "u11"


def test_a_change_rereads_only_its_domain() -> None:
    t = _world()
    first = street_live(t.street.pk)
    CaseFactory(street=t.street, grid=t.units[2], status=CaseStatus.NEW, lat=31.2, lng=121.4)
    Call.objects.filter(street=t.street).update(status=CallStatus.CLOSED)  # not announced as a cases change
    again = street_live(t.street.pk, domains={"cases"}, previous=first)
    from linli.dashboard.selectors_live import grid_picture

    picture = grid_picture(again, t.hq.pk)
    assert picture["cases"]["open"] == 6  # cases read again
    assert picture["care"]["emergency_open"] == 1  # care taken over from the previous snapshot
    assert grid_picture(street_live(t.street.pk), t.hq.pk)["care"]["emergency_open"] == 0
