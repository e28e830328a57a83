"""The sample street's window queue: six windows per centre, skills, and two weeks of history for the charts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.affairs.models import Counter, QueueTicket, StaffSkill, TicketStatus
from linli.affairs.selectors_metrics import metrics_report
from linli.affairs.tests.factories_queue import build_queue_world
from linli.demo.affairs_queue import demo_queue_load

pytestmark = pytest.mark.django_db


def test_demo_history_fills_two_weeks_once():
    world = build_queue_world()
    counts = demo_queue_load(street=world.street, clerks=world.clerks)
    assert counts["tickets"] > 200 and counts["appointments"] > 50 and counts["remote_sessions"] > 5
    assert Counter.objects.filter(place=world.centre).count() == 6
    assert StaffSkill.objects.filter(user=world.clerks[1]).exists()
    # Numbers are unique per centre, day and kind (the constraint held), and every day but Sundays has data.
    today = timezone.localdate()
    report = metrics_report(street=world.street, start=today - timedelta(days=14), end=today - timedelta(days=1))
    open_days = [row for row in report.daily if row["day"].weekday() != 6]
    assert all(row["tickets"] > 0 and row["wait_p90"] is not None for row in open_days)
    assert 60 < report.total["first_time_rate"] < 95
    assert report.total["remote_sessions"] == counts["remote_sessions"]
    again = demo_queue_load(street=world.street, clerks=world.clerks)
    assert again["tickets"] == 0
    assert QueueTicket.objects.filter(status=TicketStatus.SERVED).count() > 100
