"""KPIs over time, the escalation board and the HQ's moves, exports, pages and API, per level of the grid tree."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.cases.models import Case, CaseEvent, CaseStatus
from linli.cases.services.reports import categories_default_create, report_create
from linli.cases.services.workflow import case_transition
from linli.core.models import AuditLog, Role
from linli.core.tests.factories import jpeg
from linli.dashboard.models import KpiCounter
from linli.dashboard.selectors_board import board_cases
from linli.dashboard.selectors_kpis import kpi_report
from linli.dashboard.tests.factories import Tree, grid_tree_build, staff

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"


@pytest.fixture
def world(django_capture_on_commit_callbacks: Callable[..., Any]) -> dict[str, Any]:
    """Cases over two weeks: unit 0 resolved them all on time last week, and this week one on time, one late."""
    tree = grid_tree_build()
    categories_default_create(street=tree.street)
    admin = staff(tree.street, Role.ADMIN)
    now = timezone.now()

    spots = iter(range(100))

    def case_at(unit: int, when: Any, resolve_after: timedelta | None, text: str = "井盖松动") -> Case:
        lat, lng = tree.unit_point(unit)
        lat += 0.001 * next(spots)  # apart: never merged into one case
        with django_capture_on_commit_callbacks(execute=True):
            case = report_create(
                street=tree.street, category="other", lat=lat, lng=lng, description=text, now=when
            ).case
            if resolve_after is not None:
                for i, to in enumerate((CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED)):
                    at = when + resolve_after * (i + 1) / 3
                    photos = [jpeg()] if to == CaseStatus.RESOLVED else []
                    case_transition(case=case, to_status=to, actor=admin, note="已处理", photos=photos, now=at)
        return case

    # Category "other" gives 4320 minutes (3 days) to resolve.
    for k in range(3):
        case_at(0, now - timedelta(days=10, hours=k), timedelta(hours=5))
    case_at(0, now - timedelta(days=5), timedelta(hours=5))
    case_at(0, now - timedelta(days=6), timedelta(days=4))  # resolved a day late
    case_at(2, now - timedelta(days=2), timedelta(hours=2))
    late_unit = case_at(1, now - timedelta(days=4), None, text=f"请联系{PHONE}")  # late (4 of 3 days)
    very_late = case_at(3, now - timedelta(days=10), None)  # 3× late: 10 of 3 days
    return {"tree": tree, "admin": admin, "late": late_unit, "very_late": very_late, "now": now}


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_report_rolls_up_the_tree_and_names_the_grid_that_fell(world: dict[str, Any]) -> None:
    tree: Tree = world["tree"]
    today = timezone.localdate()
    r = kpi_report(street=tree.street, grid=tree.hq, first=today - timedelta(days=6), last=today)
    assert r.now["cases_reported"] == 4  # days 6, 5, 4, 2 ago
    assert r.now["cases_resolved"] == 3
    assert r.now["cases_resolved_on_time"] == 2
    assert r.previous["cases_reported"] == 4  # three 10 days ago in unit 0, one in unit 3
    assert r.previous["on_time_rate"] == 1.0
    by_grid = {row.grid.pk: row for row in r.rows}
    assert by_grid[tree.stations[0].pk].now["cases_reported"] == 3
    assert by_grid[tree.stations[1].pk].now["cases_reported"] == 1
    # Unit 0 went from 3 of 3 on time to 1 of 2: it and its workstation need attention, worst first.
    assert [row.grid for row in r.attention][:1] in ([tree.units[0]], [tree.stations[0]])
    assert {row.grid.pk for row in r.attention} == {tree.units[0].pk, tree.stations[0].pk}
    # The workstation's own report sums only its subtree.
    ws = kpi_report(street=tree.street, grid=tree.stations[1], first=today - timedelta(days=6), last=today)
    assert ws.now["cases_reported"] == 1
    assert ws.path == [tree.hq, tree.stations[1]]
    # Times: resolution p50 of this week's three resolved cases lies in the buckets they fell in.
    assert r.now["resolution_p50"] is not None and 120 <= r.now["resolution_p50"] <= 480


def test_breached_cases_surface_one_level_up_and_three_times_late_two(world: dict[str, Any]) -> None:
    tree: Tree = world["tree"]
    late, very_late = world["late"], world["very_late"]
    on = {g.external_id: {b.case.pk for b in board_cases(street=tree.street, grid=g)} for g in tree.grid_all()}
    assert late.pk in on["u12"] and late.pk in on["ws1"] and late.pk not in on["hq"]
    assert very_late.pk in on["u22"] and very_late.pk in on["ws2"] and very_late.pk in on["hq"]
    assert late.pk not in on["ws2"] and very_late.pk not in on["ws1"]


def test_hq_moves_on_the_board_are_in_the_case_timeline(world: dict[str, Any]) -> None:
    tree: Tree = world["tree"]
    case = world["very_late"]
    c = _client(world["admin"])
    url = f"/dashboard/cases/{case.pk}/escalate/"
    due = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert c.post(url, {"action": "deadline", "due_at": due, "note": "限明日"}).status_code == 302
    assert c.post(url, {"action": "comment", "text": "请工作站督办"}).status_code == 302
    assert c.post(url, {"action": "reassign", "to_grid": tree.units[2].pk}).status_code == 302
    actions = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", "note"))
    assert [a for a, _n in actions[-3:]] == ["deadline", "comment", "assign"]
    assert "请工作站督办" in actions[-2][1]
    case.refresh_from_db()
    assert case.grid_id == tree.units[2].pk
    assert case.resolution_due_at > timezone.now()
    # No longer late: off every board.
    assert case.pk not in {b.case.pk for b in board_cases(street=tree.street, grid=tree.hq)}
    # A grid worker may look but not move.
    worker = staff(tree.street, Role.GRID_WORKER, grid=tree.stations[0])
    before = CaseEvent.objects.filter(case=world["late"]).count()
    resp = _client(worker).post(f"/dashboard/cases/{world['late'].pk}/escalate/", {"action": "comment", "text": "x"})
    assert resp.status_code == 302
    assert CaseEvent.objects.filter(case=world["late"]).count() == before


def test_reassigning_keeps_counters_equal_to_the_source(
    world: dict[str, Any], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    from linli.dashboard.services import counters

    tree: Tree = world["tree"]
    case = world["late"]
    with django_capture_on_commit_callbacks(execute=True):
        _client(world["admin"]).post(
            f"/dashboard/cases/{case.pk}/escalate/", {"action": "reassign", "to_grid": tree.units[3].pk}
        )
    today = timezone.localdate()
    assert counters.counters_check(street=tree.street, first_day=today - timedelta(days=15), last_day=today) == []
    assert KpiCounter.objects.filter(grid=tree.units[3], kpi="cases_reported").exists()


def test_exports_are_masked_and_audit_logged(world: dict[str, Any]) -> None:
    tree: Tree = world["tree"]
    c = _client(world["admin"])
    resp = c.get("/dashboard/export.csv", {"street": tree.street.code, "grid": tree.stations[0].pk, "g": "month"})
    assert resp.status_code == 200
    body = resp.content.decode("utf-8-sig")
    assert PHONE not in body and "139****5678" in body
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "网格"
    assert AuditLog.objects.filter(action="dashboard.export", street=tree.street).count() == 1
    x = c.get("/dashboard/export.xlsx", {"street": tree.street.code, "grid": tree.stations[0].pk})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert AuditLog.objects.filter(action="dashboard.export").count() == 2
    worker = staff(tree.street, Role.GRID_WORKER, grid=tree.units[0])
    denied = _client(worker).get("/dashboard/export.csv", {"street": tree.street.code, "grid": tree.hq.pk})
    assert denied.status_code == 403


def test_page_per_level(world: dict[str, Any]) -> None:
    tree: Tree = world["tree"]
    page = _client(world["admin"]).get("/dashboard/", {"street": tree.street.code})
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-grid="{tree.stations[0].pk}"' in html and "<svg" in html
    assert PHONE not in html
    drill = _client(world["admin"]).get("/dashboard/", {"street": tree.street.code, "grid": tree.stations[1].pk})
    assert f'href="?street={tree.street.code}&amp;grid={tree.units[3].pk}' in drill.content.decode()
    worker = staff(tree.street, Role.GRID_WORKER, grid=tree.stations[0])
    own = _client(worker).get("/dashboard/", {"street": tree.street.code})
    assert own.status_code == 200
    assert f'data-grid="{tree.units[0].pk}"' in own.content.decode()
    assert _client(worker).get("/dashboard/", {"street": tree.street.code, "grid": tree.hq.pk}).status_code == 403
    outsider = staff(grid_tree_build().street, Role.ADMIN)
    assert _client(outsider).get("/dashboard/", {"street": tree.street.code}).status_code == 403
    assert Client().get("/dashboard/").status_code == 302


def test_api_gives_the_numbers_the_page_shows(world: dict[str, Any]) -> None:
    tree: Tree = world["tree"]
    today = timezone.localdate()
    c = _client(world["admin"])
    q = {"grid": tree.hq.pk, "from": str(today - timedelta(days=6)), "to": str(today), "granularity": "day"}
    data = c.get("/api/v1/dashboard/kpis", q).json()
    r = kpi_report(street=tree.street, grid=tree.hq, first=today - timedelta(days=6), last=today)
    assert data["now"]["cases_reported"] == r.now["cases_reported"] == 4
    assert data["previous"]["on_time_rate"] == 1.0
    assert len(data["series"]) == 7
    assert sum(p["kpis"]["cases_reported"] for p in data["series"]) == 4
    assert [row["grid"]["id"] for row in data["rows"]] == [row.grid.pk for row in r.rows]
    by_street = c.get("/api/v1/dashboard/kpis", {"street": tree.street.code}).json()
    assert by_street["grid"]["id"] == tree.hq.pk
    att = c.get(f"/api/v1/dashboard/grids/{tree.hq.pk}/attention").json()
    assert world["very_late"].pk in {b["id"] for b in att["breached_cases"]}
    assert {g["grid"]["id"] for g in att["grids"]} == {tree.units[0].pk, tree.stations[0].pk}
    worker = staff(tree.street, Role.GRID_WORKER, grid=tree.units[1])
    denied = _client(worker).get("/api/v1/dashboard/kpis", {"grid": tree.hq.pk})
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    own = _client(worker).get(f"/api/v1/dashboard/grids/{tree.units[1].pk}/attention").json()
    assert world["late"].pk in {b["id"] for b in own["breached_cases"]}
    bad = c.get("/api/v1/dashboard/kpis", {"grid": tree.hq.pk, "from": "2026-05-01", "to": "2026-04-01"})
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
    assert c.get("/api/v1/dashboard/kpis", {"grid": 999999}).status_code == 404
    assert Client().get("/api/v1/dashboard/kpis", {"grid": tree.hq.pk}).status_code == 401
