"""The work-order life cycle: every move in the table allowed (to the right people) and every other refused,
after-photo and reason rules, stale writes, reopening, sentinel points, merge, split, assign and bulk moves."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from linli.cases.models import Case, CaseEvent, CasePhoto, CaseStatus, Queue, Report, SentinelPoints
from linli.cases.selectors import leaderboard
from linli.cases.services.reports import report_create
from linli.cases.services.workflow import (
    REOPEN_DAYS,
    REOPEN_FROM,
    STAMP,
    TRANSITIONS,
    case_assign,
    case_merge,
    case_split,
    case_transition,
    cases_transition_bulk,
    required_level,
)
from linli.cases.tests.factories import IN_A1, IN_B, build_world, jpeg
from linli.core.errors import Problem
from linli.core.sms import OutboxSmsBackend

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
S = CaseStatus


@pytest.fixture
def world():
    return build_world()


def new_case(world, *, at=IN_A1, code="corridor_clutter", reporter=None, now=NOW) -> Case:
    r = report_create(
        street=world.street, category=code, lat=at[0], lng=at[1], reporter=reporter or world.rider, now=now
    )
    return Case.objects.select_related("street", "category", "grid").get(pk=r.case_id)


def case_at(world, status: str, **kw) -> Case:
    case = new_case(world, **kw)
    extra = {"closed_at": NOW} if status == S.CLOSED else {}
    Case.objects.filter(pk=case.pk).update(status=status, **extra)
    case.refresh_from_db()
    return case


def move_kwargs(world, from_status: str, to_status: str) -> dict:
    actor = world.gw_unit if required_level(from_status, to_status) == "handler" else world.safety
    kw = {"actor": actor, "now": NOW + dt.timedelta(hours=1)}
    if to_status == S.RESOLVED:
        kw.update(photos=[jpeg()], note="已清理完毕")
    if to_status == S.REJECTED:
        kw["reason"] = "现场未发现问题"
    if to_status == S.IN_PROGRESS and from_status in REOPEN_FROM:
        kw["reason"] = "复查发现未处理好"
    return kw


ALLOWED = sorted((f, t) for f, targets in TRANSITIONS.items() for t in targets)
REFUSED = sorted((f, t) for f, t in itertools.product(S.values, S.values) if t not in TRANSITIONS.get(f, ()))


def test_the_table_covers_every_status_and_allows_no_self_loops():
    assert set(TRANSITIONS) == set(S.values)
    assert all(f not in targets for f, targets in TRANSITIONS.items())
    assert TRANSITIONS[S.MERGED] == frozenset() and TRANSITIONS[S.REJECTED] == frozenset()


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_every_move_in_the_table_is_allowed_stamped_and_recorded(world, from_status, to_status):
    case = case_at(world, from_status)
    kw = move_kwargs(world, from_status, to_status)
    case_transition(case=case, to_status=to_status, note=kw.pop("note", "ok"), **kw)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == to_status
    if to_status in STAMP:
        assert getattr(fresh, STAMP[to_status]) == NOW + dt.timedelta(hours=1)
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "transition",
        from_status,
        to_status,
        kw["actor"],
    )


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED)
def test_every_move_not_in_the_table_is_refused(world, from_status, to_status):
    case = case_at(world, from_status)
    before = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(Problem) as exc:
        case_transition(case=case, to_status=to_status, actor=world.admin, note="x", reason="x", photos=[])
    assert exc.value.code == "case_invalid_transition"
    assert Case.objects.get(pk=case.pk).status == from_status
    assert CaseEvent.objects.filter(case=case).count() == before


@pytest.mark.parametrize(
    ("who", "to_status", "allowed"),
    [
        ("gw_unit", S.ACCEPTED, True),
        ("gw_ws", S.ACCEPTED, True),  # the workstation above the unit
        ("gw_b", S.ACCEPTED, False),  # another workstation
        ("safety", S.ACCEPTED, True),
        ("admin", S.ACCEPTED, True),
        ("rider", S.ACCEPTED, False),  # the reporter
        ("resident", S.ACCEPTED, False),
        ("gw_unit", S.REJECTED, True),
        ("gw_b", S.REJECTED, False),
    ],
)
def test_who_may_handle_a_dispatched_case(world, who, to_status, allowed):
    case = case_at(world, S.DISPATCHED)
    person = getattr(world, who)
    if allowed:
        case_transition(case=case, to_status=to_status, actor=person, reason="重复上报")
        assert Case.objects.get(pk=case.pk).status == to_status
    else:
        with pytest.raises(Problem) as exc:
            case_transition(case=case, to_status=to_status, actor=person, reason="重复上报")
        assert exc.value.code == "permission_denied"


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [(S.RESOLVED, S.VERIFIED), (S.VERIFIED, S.CLOSED), (S.RESOLVED, S.IN_PROGRESS), (S.NEW, S.DISPATCHED)],
)
def test_grid_workers_cannot_verify_close_reopen_or_dispatch(world, from_status, to_status):
    case = case_at(world, from_status)
    with pytest.raises(Problem) as exc:
        case_transition(case=case, to_status=to_status, actor=world.gw_unit, reason="复查未通过")
    assert exc.value.code == "permission_denied"
    case_transition(case=case, to_status=to_status, actor=world.safety, reason="复查未通过")


def test_staff_of_another_street_cannot_touch_the_case(world):
    other = build_world("otherjie")
    case = case_at(world, S.DISPATCHED)
    for person in (other.admin, other.safety, other.gw_unit):
        with pytest.raises(Problem) as exc:
            case_transition(case=case, to_status=S.ACCEPTED, actor=person)
        assert exc.value.code == "permission_denied"


def test_accepting_assigns_the_case_to_the_accepter(world):
    case = case_at(world, S.DISPATCHED)
    case_transition(case=case, to_status=S.ACCEPTED, actor=world.gw_unit)
    assert Case.objects.get(pk=case.pk).assignee == world.gw_unit


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"note": "已清理"}, "photos"), ({"photos": "one"}, "note"), ({}, "photos")],
)
def test_resolving_needs_an_after_photo_and_a_note(world, settings, kwargs, field):
    case = case_at(world, S.IN_PROGRESS)
    if kwargs.get("photos") == "one":
        kwargs = {**kwargs, "photos": [jpeg()]}
    with pytest.raises(Problem) as exc:
        case_transition(case=case, to_status=S.RESOLVED, actor=world.gw_unit, **kwargs)
    assert exc.value.code == "validation_error"
    assert field in {e["field"] for e in exc.value.errors}
    assert Case.objects.get(pk=case.pk).status == S.IN_PROGRESS
    assert not CasePhoto.objects.filter(case=case, kind="after").exists()


def test_resolving_keeps_after_photos_and_note_and_closing_tells_reporters(world, django_capture_on_commit_callbacks):
    case = case_at(world, S.IN_PROGRESS)
    case_transition(case=case, to_status=S.RESOLVED, actor=world.gw_unit, note="纸箱已清运", photos=[jpeg()])
    after = CasePhoto.objects.get(case=case, kind="after")
    assert after.report_id is None
    case_transition(case=case, to_status=S.VERIFIED, actor=world.safety)
    OutboxSmsBackend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=case, to_status=S.CLOSED, actor=world.safety)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.resolution_note == "纸箱已清运" and fresh.closing_note == "纸箱已清运"
    told = [m.message for m in OutboxSmsBackend.outbox if m.phone == world.rider.phone]
    assert len(told) == 1 and "已办结" in told[0]


def test_photos_are_refused_on_other_moves(world):
    case = case_at(world, S.DISPATCHED)
    with pytest.raises(Problem) as exc:
        case_transition(case=case, to_status=S.ACCEPTED, actor=world.gw_unit, photos=[jpeg()])
    assert exc.value.code == "validation_error"


def test_a_bad_after_photo_writes_nothing(world, settings):
    case = case_at(world, S.IN_PROGRESS)
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("x.jpg", b"GIF89a not a jpeg", content_type="image/jpeg")
    with pytest.raises(Problem) as exc:
        case_transition(case=case, to_status=S.RESOLVED, actor=world.gw_unit, note="done", photos=[jpeg(), bad])
    assert exc.value.code == "photo_invalid"
    assert Case.objects.get(pk=case.pk).status == S.IN_PROGRESS
    assert not CasePhoto.objects.filter(kind="after").exists()


def test_rejecting_needs_a_reason_which_reporters_are_told(world, django_capture_on_commit_callbacks):
    case = case_at(world, S.DISPATCHED)
    with pytest.raises(Problem) as exc:
        case_transition(case=case, to_status=S.REJECTED, actor=world.safety, reason="  ")
    assert exc.value.code == "validation_error"
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=case, to_status=S.REJECTED, actor=world.safety, reason="不属于本街道管辖")
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.reject_reason == "不属于本街道管辖"
    assert CaseEvent.objects.filter(case=case).last().note == "不属于本街道管辖"
    assert any("不属于本街道管辖" in m.message for m in OutboxSmsBackend.outbox if m.phone == world.rider.phone)


def test_a_stale_second_transition_loses(world):
    case = case_at(world, S.DISPATCHED)
    mine = Case.objects.get(pk=case.pk)
    theirs = Case.objects.get(pk=case.pk)
    case_transition(case=mine, to_status=S.ACCEPTED, actor=world.gw_unit)
    with pytest.raises(Problem) as exc:
        case_transition(case=theirs, to_status=S.REJECTED, actor=world.safety, reason="重复")
    assert exc.value.code == "case_invalid_transition" and exc.value.extra["from_status"] == S.ACCEPTED
    assert Case.objects.get(pk=case.pk).status == S.ACCEPTED
    assert CaseEvent.objects.filter(case=case, to_status=S.REJECTED).count() == 0


def test_reopening_a_closed_case_only_within_the_reopen_window(world):
    case = case_at(world, S.CLOSED)
    with pytest.raises(Problem) as exc:
        case_transition(
            case=case,
            to_status=S.IN_PROGRESS,
            actor=world.safety,
            reason="居民反映又堆上了",
            now=NOW + dt.timedelta(days=REOPEN_DAYS, hours=1),
        )
    assert exc.value.code == "case_invalid_transition"
    case_transition(
        case=case,
        to_status=S.IN_PROGRESS,
        actor=world.safety,
        reason="居民反映又堆上了",
        now=NOW + dt.timedelta(days=1),
    )
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == S.IN_PROGRESS and fresh.closed_at is None


# ------------------------------------------------------------------------------------------- points


def test_verification_earns_rider_reporters_points_once_per_report(world, django_capture_on_commit_callbacks):
    case = new_case(world, reporter=world.rider)
    new_case(world, reporter=world.resident)  # merges: a resident, no points
    new_case(world, reporter=world.rider2)  # merges: a second rider
    case.refresh_from_db()
    assert case.reports_count == 3
    Case.objects.filter(pk=case.pk).update(status=S.RESOLVED)
    case.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=case, to_status=S.VERIFIED, actor=world.safety)
    pts = world.categories["corridor_clutter"].points
    assert sorted(SentinelPoints.objects.values_list("user__display_name", "points")) == [
        ("张师傅", pts),
        ("李师傅", pts),
    ]
    assert any("哨兵积分" in m.message for m in OutboxSmsBackend.outbox if m.phone == world.rider.phone)
    # Reopened and verified again: nobody is paid twice.
    case_transition(case=case, to_status=S.IN_PROGRESS, actor=world.safety, reason="复查未通过")
    case_transition(case=case, to_status=S.RESOLVED, actor=world.gw_unit, note="再次处置", photos=[jpeg()])
    case_transition(case=case, to_status=S.VERIFIED, actor=world.safety)
    assert SentinelPoints.objects.count() == 2
    board = leaderboard(street=world.street)
    assert [(row["name"], row["points"]) for row in board] == [("张**", pts), ("李**", pts)]
    assert all("139" not in row["name"] for row in board)


# -------------------------------------------------------------------------------------- merge / split


def test_staff_merge_moves_reports_and_marks_sources(world):
    target = new_case(world)
    source = new_case(world, at=IN_B, reporter=world.rider2)
    new_case(world, at=IN_B, reporter=world.resident)  # merges into source: 2 reports there
    source.refresh_from_db()
    assert source.reports_count == 2
    case_merge(target=target, sources=[source], actor=world.safety, note="同一处堆物")
    target.refresh_from_db()
    source.refresh_from_db()
    assert target.reports_count == 3 and Report.objects.filter(case=target).count() == 3
    assert source.status == S.MERGED and source.merged_into == target and source.reports_count == 0
    assert CaseEvent.objects.filter(case=source, action="merge", to_status=S.MERGED).exists()
    assert CaseEvent.objects.get(case=target, action="merge").data["sources"] == [source.pk]


@pytest.mark.parametrize("source_status", [S.CLOSED, S.REJECTED, S.MERGED])
def test_closed_or_merged_cases_cannot_be_merged(world, source_status):
    target = new_case(world)
    source = case_at(world, source_status, at=IN_B)
    with pytest.raises(Problem) as exc:
        case_merge(target=target, sources=[source], actor=world.admin)
    assert exc.value.code == "merge_invalid"
    assert Case.objects.get(pk=target.pk).reports_count == 1


def test_merge_refuses_itself_other_streets_and_grid_workers(world):
    target = new_case(world)
    other = build_world("otherjie")
    foreign = new_case(other)
    source = new_case(world, at=IN_B)
    for sources, code in (([target], "merge_invalid"), ([foreign], "merge_invalid"), ([], "merge_invalid")):
        with pytest.raises(Problem) as exc:
            case_merge(target=target, sources=sources, actor=world.admin)
        assert exc.value.code == code
    with pytest.raises(Problem) as exc:
        case_merge(target=target, sources=[source], actor=world.gw_unit)
    assert exc.value.code == "permission_denied"


def test_split_moves_chosen_reports_to_a_new_routed_case(world):
    case = new_case(world, reporter=world.rider)
    new_case(world, reporter=world.rider2)
    new_case(world, reporter=world.resident)
    reports = list(Report.objects.filter(case=case).order_by("id"))
    # The last one was really about the next building: move it (and pretend it was placed there).
    Report.objects.filter(pk=reports[2].pk).update(lat=IN_B[0], lng=IN_B[1])
    new = case_split(case=case, report_ids=[reports[2].pk], actor=world.safety, now=NOW + dt.timedelta(hours=1))
    case.refresh_from_db()
    assert case.reports_count == 2 and new.reports_count == 1
    assert list(Report.objects.filter(case=new).values_list("pk", flat=True)) == [reports[2].pk]
    assert new.grid == world.grids["b"] and new.queue == Queue.GRID and new.status == S.DISPATCHED
    assert list(CaseEvent.objects.filter(case=new).values_list("action", flat=True)) == ["split", "transition"]
    assert CaseEvent.objects.get(case=case, action="split").data["new_case"] == new.pk


def test_split_refuses_all_reports_and_foreign_reports(world):
    case = new_case(world)
    new_case(world, reporter=world.rider2)
    other = new_case(world, at=IN_B)
    ids = list(Report.objects.filter(case=case).values_list("pk", flat=True))
    for report_ids in (ids, [Report.objects.get(case=other).pk], []):
        with pytest.raises(Problem) as exc:
            case_split(case=case, report_ids=report_ids, actor=world.safety)
        assert exc.value.code == "merge_invalid"
    assert Case.objects.get(pk=case.pk).reports_count == 2


# ------------------------------------------------------------------------------------- assign / bulk


def test_assign_to_a_handler_and_reroute(world, django_capture_on_commit_callbacks):
    case = new_case(world)
    with pytest.raises(Problem):
        case_assign(case=case, assignee=world.gw_b, actor=world.safety)  # not this grid's worker
    with django_capture_on_commit_callbacks(execute=True):
        case_assign(case=case, assignee=world.gw_b, actor=world.safety, grid=world.grids["b"])
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.assignee == world.gw_b and fresh.grid == world.grids["b"]
    assert CaseEvent.objects.filter(case=case, action="assign").count() == 1
    assert any(m.phone == world.gw_b.phone for m in OutboxSmsBackend.outbox)
    with pytest.raises(Problem) as exc:
        case_assign(case=case, assignee=world.gw_b, actor=world.gw_b)
    assert exc.value.code == "permission_denied"


def test_bulk_moves_report_per_item(world):
    a = case_at(world, S.DISPATCHED)
    b = case_at(world, S.CLOSED, at=IN_B)
    other = build_world("otherjie")
    foreign = case_at(other, S.DISPATCHED)
    results = cases_transition_bulk(case_ids=[a.pk, b.pk, foreign.pk, 999999], to_status=S.ACCEPTED, actor=world.safety)
    assert [(r["id"], r["ok"], r.get("code")) for r in results] == [
        (a.pk, True, None),
        (b.pk, False, "case_invalid_transition"),
        (foreign.pk, False, "not_found"),
        (999999, False, "not_found"),
    ]
    assert Case.objects.get(pk=a.pk).status == S.ACCEPTED and Case.objects.get(pk=foreign.pk).status == S.DISPATCHED
    for bad in (S.RESOLVED, S.REJECTED, "nonsense"):
        with pytest.raises(Problem):
            cases_transition_bulk(case_ids=[a.pk], to_status=bad, actor=world.safety)
