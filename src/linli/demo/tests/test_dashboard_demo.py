"""The sample street's dashboard: three months of history in every domain, counters agreeing with the tables."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.core.models import Grid, GridLevel, Role, RoleAssignment
from linli.dashboard.selectors_kpis import kpi_report
from linli.dashboard.services.counters import counters_check

pytestmark = pytest.mark.django_db


def test_every_chart_of_the_sample_street_has_data(demo_shared: Any) -> None:
    street = demo_shared.street
    today = timezone.localdate()
    hq = Grid.objects.get(street=street, level=GridLevel.HQ)
    report = kpi_report(street=street, grid=hq, first=today - timedelta(days=89), last=today, granularity="month")
    for kpi in (
        "bookings_attended",
        "meals_delivered",
        "affairs_served",
        "care_visits",
        "volunteer_shifts",
        "assistant_answers",
        "cases_reported",
        "cases_resolved",
        "cases_reopened",
        "cases_verified",
        "ratings_n",
    ):
        assert report.now[kpi] > 0, kpi
    assert report.now["on_time_rate"] is not None and 0 < report.now["on_time_rate"] < 1
    assert report.now["resolution_p90"] >= report.now["resolution_p50"] > 0
    assert len(report.rows) == 3  # the three workstations
    assert all(row.now["served"] > 0 for row in report.rows)
    week = kpi_report(street=street, grid=hq, first=today - timedelta(days=6), last=today)
    assert week.attention  # one unit has been slipping
    assert counters_check(street=street, first_day=today - timedelta(days=95), last_day=today) == []
    admin = RoleAssignment.objects.filter(street=street, role=Role.ADMIN).first().user
    c = Client()
    c.force_login(admin)
    page = c.get("/dashboard/", {"street": street.code, "g": "month"})
    assert page.status_code == 200 and page.content.decode().count("<svg") >= 5
