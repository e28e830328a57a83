"""The sample street's cases: categories, sample cases in several states, idempotent, removable."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from linli.cases.models import Case, CaseCategory, CaseEvent, CasePhoto, Report, SentinelPoints
from linli.core.sms import OutboxSmsBackend
from linli.demo.cases import cases_demo_load, cases_demo_reset
from linli.demo.dashboard import HISTORY_MARK

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _env(settings, tmp_path):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    OutboxSmsBackend.clear()
    yield
    OutboxSmsBackend.clear()


@pytest.fixture
def wanli(demo_street_shared):  # noqa: ANN001, ANN201
    return demo_street_shared


def test_demo_cases_cover_the_work_order_states_and_load_once(wanli, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = cases_demo_load(wanli)
    assert result.categories == 6
    assert CaseCategory.objects.filter(street=wanli, code="fire_passage", urgent=True).exists()
    # The hand-made sample cases (the dashboard's three months of history sit beside them, marked)
    made = Case.objects.filter(street=wanli).exclude(description__endswith=HISTORY_MARK)
    statuses = set(made.values_list("status", flat=True))
    assert {"dispatched", "accepted", "in_progress", "closed", "rejected"} <= statuses
    clutter = made.get(category__code="corridor_clutter")
    assert clutter.reports_count == 2 and clutter.grid.external_id == "wl-grid-u13"
    closed = made.get(status="closed")
    assert closed.closing_note and CasePhoto.objects.filter(case=closed, kind="after").exists()
    assert SentinelPoints.objects.filter(street=wanli, user__phone="+8613800000008").exists()  # the demo rider
    escalated = made.get(category__code="damaged_facility")
    assert escalated.queue == "hq" and CaseEvent.objects.filter(case=escalated, action="escalate").exists()
    before = (Case.objects.count(), Report.objects.count(), CaseEvent.objects.count())
    again = cases_demo_load(wanli)
    assert again.cases == 0 and (Case.objects.count(), Report.objects.count(), CaseEvent.objects.count()) == before
    cases_demo_reset(wanli)
    assert not Case.objects.filter(street=wanli).exists() and not CaseCategory.objects.filter(street=wanli).exists()
    from linli.demo.loader import demo_reset

    assert demo_reset()  # with the cases rows gone, the street itself can be removed
