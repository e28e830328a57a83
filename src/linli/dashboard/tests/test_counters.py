"""The counters: kept by the domains' own events after each commit, they agree with a rebuild from the source
tables after any sequence of events; the check names a counter a write bypassed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.assistant.services.ask import answer_question
from linli.cases.models import Case, CaseStatus
from linli.cases.services.reports import categories_default_create, report_create
from linli.cases.services.workflow import case_transition
from linli.core.models import Role
from linli.core.tests.factories import jpeg
from linli.dashboard.models import KpiCounter
from linli.dashboard.services import counters
from linli.dashboard.tests.factories import Tree, grid_tree_build, staff

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Asia/Shanghai")
BASE = datetime(2026, 11, 2, 9, 0, tzinfo=ZONE)

# The moves an admin makes on an open case, in order; a reopen goes back from resolved/closed.
NEXT = {
    CaseStatus.DISPATCHED: CaseStatus.ACCEPTED,
    CaseStatus.ACCEPTED: CaseStatus.IN_PROGRESS,
    CaseStatus.IN_PROGRESS: CaseStatus.RESOLVED,
    CaseStatus.RESOLVED: CaseStatus.VERIFIED,
    CaseStatus.VERIFIED: CaseStatus.CLOSED,
}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"


def _stored(street_id: int) -> dict[tuple[int | None, Any, str], int]:
    return {
        (g, d, k): v
        for g, d, k, v in KpiCounter.objects.filter(street_id=street_id).values_list("grid_id", "day", "kpi", "value")
    }


Step = tuple[str, int, int, int]  # (what, which unit or case, hours later, extra)
steps = st.lists(
    st.tuples(
        st.sampled_from(["report", "advance", "advance", "reopen", "ask"]),
        st.integers(0, 3),
        st.integers(0, 40),
        st.integers(0, 1),
    ),
    min_size=1,
    max_size=12,
)


def _run(tree: Tree, admin: Any, sequence: list[Step], capture: Callable[..., Any]) -> None:
    now = BASE
    cases: list[Case] = []
    for what, which, hours, extra in sequence:
        now = now + timedelta(hours=hours, minutes=7)
        with capture(execute=True):
            if what == "report":
                lat, lng = tree.unit_point(which)
                if extra:
                    lat, lng = lat + 0.001 * len(cases), lng  # a second spot: not merged into the first
                report = report_create(
                    street=tree.street, category="other", lat=lat, lng=lng, description="隐患", now=now
                )
                if report.case not in cases:
                    cases.append(report.case)
            elif what == "ask":
                answer_question(question="附近哪里可以吃饭", street=tree.street, now=now)
            elif cases:
                case = Case.objects.get(pk=cases[which % len(cases)].pk)
                if what == "advance" and case.status in NEXT:
                    to = NEXT[CaseStatus(case.status)]
                    photos = [jpeg()] if to == CaseStatus.RESOLVED else []
                    case_transition(case=case, to_status=to, actor=admin, note="处理", photos=photos, now=now)
                elif what == "reopen" and case.status in (CaseStatus.RESOLVED, CaseStatus.VERIFIED, CaseStatus.CLOSED):
                    case_transition(case=case, to_status=CaseStatus.IN_PROGRESS, actor=admin, reason="未修好", now=now)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_counters_kept_after_commits_equal_a_rebuild(
    sequence: list[Step], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    tree = grid_tree_build()
    categories_default_create(street=tree.street)
    admin = staff(tree.street, Role.ADMIN)
    _run(tree, admin, sequence, django_capture_on_commit_callbacks)
    kept = _stored(tree.street.pk)
    first, last = BASE.date() - timedelta(days=1), BASE.date() + timedelta(days=30)
    assert counters.counters_check(street=tree.street, first_day=first, last_day=last) == []
    counters.counters_refresh(street_id=tree.street.pk, first_day=first, last_day=last)
    assert _stored(tree.street.pk) == kept
    # Every case reported is counted once, under a unit of the tree.
    reported = sum(v for (g, _d, k), v in kept.items() if k == "cases_reported")
    assert reported == Case.objects.filter(street=tree.street).count()
    assert {g for (g, _d, k) in kept if k == "cases_reported"} <= {u.pk for u in tree.units}


def test_the_check_names_a_counter_a_write_bypassed(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    tree = grid_tree_build()
    categories_default_create(street=tree.street)
    lat, lng = tree.unit_point(1)
    with django_capture_on_commit_callbacks(execute=True):
        case = report_create(street=tree.street, category="other", lat=lat, lng=lng, now=BASE).case
    assert _stored(tree.street.pk) == {(tree.units[1].pk, BASE.date(), "cases_reported"): 1}
    # A row written behind the services' back (a bulk import, a manual fix) is not followed ...
    Case.objects.filter(pk=case.pk).update(created_at=BASE - timedelta(days=1))
    diffs = counters.counters_check(street=tree.street, first_day=BASE.date() - timedelta(days=2), last_day=BASE.date())
    assert {(d.day, d.kpi, d.stored, d.source) for d in diffs} == {
        (BASE.date() - timedelta(days=1), "cases_reported", 0, 1),
        (BASE.date(), "cases_reported", 1, 0),
    }
    # ... until the rebuild.
    counters.counters_refresh(street_id=tree.street.pk, first_day=BASE.date() - timedelta(days=2), last_day=BASE.date())
    assert (
        counters.counters_check(street=tree.street, first_day=BASE.date() - timedelta(days=2), last_day=BASE.date())
        == []
    )


def test_rebuild_and_check_commands(capsys: pytest.CaptureFixture[str]) -> None:
    tree = grid_tree_build()
    categories_default_create(street=tree.street)
    lat, lng = tree.unit_point(0)
    report_create(street=tree.street, category="other", lat=lat, lng=lng)  # no commit callbacks: not counted yet
    with pytest.raises(CommandError):
        call_command("dashboard", "check", "--street", tree.street.code, "--days", "2")
    assert "cases_reported: stored 0 ≠ source 1" in capsys.readouterr().out
    call_command("dashboard", "rebuild", "--street", tree.street.code, "--days", "3")
    call_command("dashboard", "check", "--street", tree.street.code, "--json")
    assert '"differences": 0' in capsys.readouterr().out
