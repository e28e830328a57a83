"""Reports become cases: default categories, street boundary, routing to the deepest grid or the HQ queue,
merging near-duplicates (radius, window, category, open cases only), photos, pushes and SMS."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from linli.cases.models import Case, CaseEvent, CasePhoto, CaseStatus, Queue, Report
from linli.cases.services.reports import DEFAULT_CATEGORIES, categories_default_create, report_create
from linli.cases.tests.factories import (
    IN_A1,
    IN_A_ONLY,
    IN_B,
    OUTSIDE,
    StreetFactory,
    UserFactory,
    build_world,
    grid_make,
    jpeg,
)
from linli.core.errors import Problem
from linli.core.models import Role, RoleAssignment
from linli.core.sms import OutboxSmsBackend

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def world():
    return build_world()


def report(world, code="corridor_clutter", at=IN_A1, **kw):
    kw.setdefault("reporter", world.rider)
    kw.setdefault("now", NOW)
    return report_create(street=world.street, category=code, lat=at[0], lng=at[1], **kw)


def offset(point, north_m=0.0, east_m=0.0):
    import math

    lat, lng = point
    return lat + north_m / 111_320.0, lng + east_m / (111_320.0 * math.cos(math.radians(lat)))


def sms_to(user) -> list[str]:
    return [m.message for m in OutboxSmsBackend.outbox if m.phone == user.phone]


# ----------------------------------------------------------------------------------------- categories


def test_default_categories_are_seeded_once_with_slas_and_roles():
    street = StreetFactory()
    first = categories_default_create(street=street)
    again = categories_default_create(street=street)
    assert [c.pk for c in first] == [c.pk for c in again]
    codes = {c.code: c for c in first}
    assert set(codes) == {row[0] for row in DEFAULT_CATEGORIES}
    fire = codes["fire_passage"]
    assert fire.name_zh == "消防通道堵塞" and fire.urgent and Role.SAFETY_OFFICER in fire.roles
    assert fire.response_minutes < fire.resolution_minutes
    assert codes["ebike_indoor_charging"].name_zh == "电动车进楼入户充电"
    assert codes["other"].name_zh == "其他"


# -------------------------------------------------------------------------------------------- routing


def test_new_report_opens_a_case_dispatched_to_the_deepest_grid(world):
    r = report(world, description="3号楼楼道堆满纸箱")
    case = r.case
    assert case.grid == world.grids["a1"] and case.queue == Queue.GRID
    assert case.status == CaseStatus.DISPATCHED and case.dispatched_at == NOW
    assert case.reports_count == 1 and case.description == "3号楼楼道堆满纸箱"
    cat = world.categories["corridor_clutter"]
    assert case.response_due_at == NOW + dt.timedelta(minutes=cat.response_minutes)
    assert case.resolution_due_at == NOW + dt.timedelta(minutes=cat.resolution_minutes)
    events = list(CaseEvent.objects.filter(case=case).values_list("action", "from_status", "to_status"))
    assert events == [("report", "", "new"), ("transition", "new", "dispatched")]
    assert "A1单元" in CaseEvent.objects.get(case=case, action="transition").note
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == CaseStatus.DISPATCHED and fresh.grid_id == world.grids["a1"].pk


@pytest.mark.parametrize(("point", "grid"), [(IN_A1, "a1"), (IN_A_ONLY, "a"), (IN_B, "b")])
def test_routing_picks_the_deepest_grid_holding_the_point(world, point, grid):
    assert report(world, at=point).case.grid == world.grids[grid]


def test_point_outside_every_grid_of_a_street_with_grids_is_refused_and_nothing_written(world):
    with pytest.raises(Problem) as exc:
        report(world, at=OUTSIDE)
    assert exc.value.code == "outside_street"
    assert not Case.objects.exists() and not Report.objects.exists()


def test_street_without_grids_sends_cases_to_hq_queue_within_5km_of_its_centre():
    street = StreetFactory(code="nogrid", center_lat=31.26, center_lng=121.395)
    categories_default_create(street=street)
    user = UserFactory()
    r = report_create(street=street, category="other", lat=31.27, lng=121.40, reporter=user)
    assert r.case.grid is None and r.case.queue == Queue.HQ and r.case.status == CaseStatus.DISPATCHED
    assert "街道指挥部" in CaseEvent.objects.get(case=r.case, action="transition").note
    with pytest.raises(Problem) as exc:
        report_create(street=street, category="other", lat=31.33, lng=121.395, reporter=user)  # ~7.8 km north
    assert exc.value.code == "outside_street"


def test_point_only_in_the_hq_level_grid_goes_to_the_hq_queue():
    street = StreetFactory(code="hqonly")
    categories_default_create(street=street)
    hq = grid_make(street, "hq", "总网格", "hq", (31.25, 121.38, 31.27, 121.41), None)
    r = report_create(street=street, category="other", lat=31.26, lng=121.39, reporter=UserFactory())
    assert r.case.grid == hq and r.case.queue == Queue.HQ


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"code": "no_such"}, "unknown_category"),
        ({"at": ("x", 121.0)}, "validation_error"),
        ({"at": (95.0, 121.0)}, "validation_error"),
        ({"description": "长" * 4001}, "validation_error"),  # over the Open311 spec's 4,000 characters
        ({"photos": [jpeg() for _ in range(5)]}, "validation_error"),
    ],
)
def test_bad_input_is_refused(world, kwargs, code):
    with pytest.raises(Problem) as exc:
        report(world, **kwargs)
    assert exc.value.code == code
    assert not Case.objects.exists()


def test_category_of_another_street_is_unknown(world):
    other = build_world("otherjie")
    with pytest.raises(Problem) as exc:
        report(world, code=other.categories["other"])
    assert exc.value.code == "unknown_category"


# -------------------------------------------------------------------------------------------- merging


def test_second_report_within_radius_and_window_merges_and_the_reporter_is_told(
    world, django_capture_on_commit_callbacks
):
    first = report(world)
    with django_capture_on_commit_callbacks(execute=True):
        second = report(world, at=offset(IN_A1, north_m=20), reporter=world.rider2, now=NOW + dt.timedelta(hours=2))
    assert second.case.pk == first.case.pk
    case = Case.objects.get(pk=first.case.pk)
    assert case.reports_count == 2 and Report.objects.filter(case=case).count() == 2
    assert Case.objects.count() == 1
    merged_event = CaseEvent.objects.filter(case=case, action="report").last()
    assert merged_event.data == {"report_id": second.pk} and merged_event.actor == world.rider2
    told = sms_to(world.rider2)
    assert len(told) == 1 and f"#{case.pk}" in told[0] and "合并" in told[0]


def test_report_outside_the_radius_opens_a_new_case(world):
    first = report(world)  # corridor_clutter: radius 30 m
    second = report(world, at=offset(IN_A1, east_m=45))
    assert second.case.pk != first.case.pk
    assert Case.objects.count() == 2


def test_report_after_the_window_opens_a_new_case(world):
    cat = world.categories["corridor_clutter"]
    first = report(world)
    later = NOW + dt.timedelta(hours=cat.merge_window_hours, minutes=1)
    assert report(world, now=later).case.pk != first.case.pk


def test_a_recent_report_keeps_an_old_case_in_the_window(world):
    cat = world.categories["corridor_clutter"]
    window = dt.timedelta(hours=cat.merge_window_hours)
    first = report(world)
    report(world, reporter=world.rider2, now=NOW + window - dt.timedelta(hours=1))  # merges, refreshes the window
    third = report(world, reporter=world.resident, now=NOW + window + dt.timedelta(hours=2))
    assert third.case.pk == first.case.pk
    assert Case.objects.get(pk=first.case.pk).reports_count == 3


def test_other_category_at_the_same_spot_is_not_merged(world):
    first = report(world, code="corridor_clutter")
    second = report(world, code="damaged_facility")
    assert first.case.pk != second.case.pk


@pytest.mark.parametrize(
    ("status", "merges"),
    [
        (CaseStatus.CLOSED, False),
        (CaseStatus.REJECTED, False),
        (CaseStatus.MERGED, False),
        (CaseStatus.RESOLVED, True),
        (CaseStatus.IN_PROGRESS, True),
    ],
)
def test_only_open_cases_absorb_new_reports(world, status, merges):
    first = report(world)
    Case.objects.filter(pk=first.case.pk).update(status=status)
    second = report(world, reporter=world.rider2)
    assert (second.case.pk == first.case.pk) is merges


def test_the_nearest_open_case_absorbs_the_report(world):
    a = report(world)
    b = report(world, at=offset(IN_A1, east_m=40))  # out of a's 30 m radius: its own case
    r = report(world, at=offset(IN_A1, east_m=28), reporter=world.rider2)  # 28 m from a, 12 m from b
    assert a.case.pk != b.case.pk and r.case.pk == b.case.pk


# --------------------------------------------------------------------------------------------- photos


def test_photos_are_stored_re_encoded_under_random_names(world, settings):
    r = report(world, photos=[jpeg(name="IMG_0001.jpg"), jpeg((80, 60))])
    photos = list(CasePhoto.objects.filter(case=r.case))
    assert len(photos) == 2 and {p.kind for p in photos} == {"report"} and all(p.report_id == r.pk for p in photos)
    assert all("IMG_0001" not in p.image.name and p.image.name.endswith(".jpg") for p in photos)
    assert (photos[1].width, photos[1].height) == (80, 60)
    assert all((settings.MEDIA_ROOT / p.image.name).is_file() for p in photos)


def test_one_bad_photo_refuses_the_report_and_writes_nothing(world, settings):
    not_image = SimpleUploadedFile("notes.jpg", b"this is not an image", content_type="image/jpeg")
    with pytest.raises(Problem) as exc:
        report(world, photos=[jpeg(), not_image])
    assert exc.value.code == "photo_invalid" and exc.value.errors[0]["field"] == "photos.1"
    assert not Case.objects.exists() and not Report.objects.exists() and not CasePhoto.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


# ------------------------------------------------------------------------------------- push and SMS


def test_urgent_category_texts_grid_worker_and_safety_officer_after_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = report(world, code="fire_passage", address="真金路588弄3号楼")
    for person in (world.gw_unit, world.safety):
        msgs = sms_to(person)
        assert len(msgs) == 1 and "消防通道堵塞" in msgs[0] and f"#{r.case.pk}" in msgs[0]
    assert sms_to(world.gw_ws) == []  # the unit has its own grid worker
    assert sms_to(world.admin) == []  # not the HQ queue


def test_urgent_sms_walks_up_the_grid_tree_when_the_unit_has_no_worker(world, django_capture_on_commit_callbacks):
    RoleAssignment.objects.filter(user=world.gw_unit).delete()
    with django_capture_on_commit_callbacks(execute=True):
        report(world, code="ebike_indoor_charging")
    assert len(sms_to(world.gw_ws)) == 1


def test_non_urgent_category_sends_no_sms_and_nothing_before_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report(world, code="corridor_clutter")
    assert OutboxSmsBackend.outbox == []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report(world, code="fire_passage", at=IN_B)
    assert OutboxSmsBackend.outbox == [] and callbacks  # queued, not sent, until commit


def test_new_case_is_pushed_to_hq_grid_chain_and_category_roles(world, django_capture_on_commit_callbacks):
    layer = get_channel_layer()
    code = world.street.code
    channels = {}
    wanted = {
        "hq": f"cases.{code}.hq",
        "unit": f"cases.{code}.grid.{world.grids['a1'].pk}",
        "ws": f"cases.{code}.grid.{world.grids['a'].pk}",
        "role": f"cases.{code}.role.safety_officer",
        "other": f"cases.{code}.grid.{world.grids['b'].pk}",
    }
    for key, group in wanted.items():
        channels[key] = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(group, channels[key])
    with django_capture_on_commit_callbacks(execute=True):
        r = report(world, code="fire_passage")
    for key in ("hq", "unit", "ws", "role"):
        msg = async_to_sync(layer.receive)(channels[key])
        assert msg["type"] == "case.changed" and msg["event"] == "created"
        assert msg["case"]["id"] == r.case.pk and msg["case"]["status"] == "dispatched"
        assert msg["case"]["grid"]["external_id"] == world.grids["a1"].external_id
        assert "phone" not in str(msg)
    for key, group in wanted.items():
        async_to_sync(layer.group_discard)(group, channels[key])
    with pytest.raises(TimeoutError):  # nothing for the other workstation
        async_to_sync(_receive_with_timeout)(layer, channels["other"])


async def _receive_with_timeout(layer, channel):
    import asyncio

    return await asyncio.wait_for(layer.receive(channel), timeout=0.2)


def test_open311_fields_are_kept(world):
    r = report(
        world,
        reporter=None,
        source="open311",
        contact={"name": "张三", "email": "a@example.com", "phone": "13900001111", "device_id": "dev-1"},
        attributes={"floor": "3"},
    )
    r = Report.objects.get(pk=r.pk)
    assert (r.source, r.contact_name, r.contact_phone, r.device_id) == ("open311", "张三", "13900001111", "dev-1")
    assert r.attributes == {"floor": "3"} and len(r.token) == 36 and r.reporter is None
    assert r.case.created_at == timezone.localtime(NOW)
