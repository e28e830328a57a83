"""Real concurrency on PostgreSQL: near-simultaneous reports of the same spot make ONE case with every report
counted; racing transitions of one case: exactly one wins. SQLite serialises writers, so the race it would show
is not the one production faces: the SQLite pass skips these; the PostgreSQL pass runs them (and there a
non-PostgreSQL connection is an error)."""

from __future__ import annotations

from collections import Counter

import pytest

from linli.cases.models import Case, CaseEvent, Report
from linli.cases.services.reports import report_create
from linli.cases.services.workflow import case_transition
from linli.cases.tests.factories import IN_A1, IN_B, build_world
from linli.core.testing import race as shared_race
from linli.core.testing import require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _need_postgres(settings, tmp_path):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    require_postgres("case race tests")


def race(n: int, work) -> list[str]:
    """Each racer's outcome as text (a value or a problem code)."""
    return shared_race(n, lambda i: str(work(i)))


def test_simultaneous_reports_of_the_same_spot_make_one_case():
    world = build_world("racejie")
    reporters = [world.rider, world.rider2, world.resident, world.admin, world.safety, world.gw_b] * 2

    def work(i: int) -> int:
        lat = IN_A1[0] + (i % 3) * 0.00005  # within a few metres of each other
        r = report_create(street=world.street, category="fire_passage", lat=lat, lng=IN_A1[1], reporter=reporters[i])
        return r.case_id

    outcomes = race(12, work)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert len(set(outcomes)) == 1, outcomes
    case = Case.objects.get()
    assert case.reports_count == 12 == Report.objects.filter(case=case).count()
    assert CaseEvent.objects.filter(case=case, action="report").count() == 12


def test_reports_of_different_spots_and_categories_do_not_merge_under_load():
    world = build_world("racejie2")
    spots = [("fire_passage", IN_A1), ("fire_passage", IN_B), ("corridor_clutter", IN_A1), ("corridor_clutter", IN_B)]

    def work(i: int) -> int:
        code, (lat, lng) = spots[i % 4]
        return report_create(street=world.street, category=code, lat=lat, lng=lng, reporter=world.rider).case_id

    outcomes = race(16, work)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert Case.objects.count() == 4
    assert sorted(Case.objects.values_list("reports_count", flat=True)) == [4, 4, 4, 4]


def test_racing_transitions_of_one_case_one_wins():
    world = build_world("racejie3")
    case_id = report_create(
        street=world.street, category="corridor_clutter", lat=IN_A1[0], lng=IN_A1[1], reporter=world.rider
    ).case_id
    actors = [world.gw_unit, world.gw_ws, world.safety, world.admin] * 2
    # Every racer holds the case as it was read before the race ("dispatched"), as eight consoles showing the same
    # page would: only the first conditional UPDATE may win. (Reading it inside the race would let a slow thread
    # see "accepted" and legitimately reject it afterwards.)
    seen = [Case.objects.select_related("street", "category", "grid").get(pk=case_id) for _ in actors]

    def work(i: int) -> str:
        case = seen[i]
        if i % 2:
            return case_transition(case=case, to_status="accepted", actor=actors[i]).status
        return case_transition(case=case, to_status="rejected", actor=actors[i], reason="重复").status

    outcomes = Counter(race(8, work))
    assert sum(n for o, n in outcomes.items() if o in ("accepted", "rejected")) == 1, outcomes
    assert outcomes["case_invalid_transition"] == 7, outcomes
    assert CaseEvent.objects.filter(case_id=case_id, from_status="dispatched").count() == 1
