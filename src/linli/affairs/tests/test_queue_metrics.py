"""Metrics per centre and street (issue 16 item 6), over the demo's two weeks of queue history."""

from __future__ import annotations

import pytest
from django.utils import timezone

from linli.affairs.selectors_metrics import metrics_report, percentile
from linli.affairs.services import queue
from linli.affairs.tests.factories_queue import appointment_today, build_queue_world

pytestmark = pytest.mark.django_db


def test_percentile_interpolates():
    assert percentile([], 50) is None
    assert percentile([4], 90) == 4
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile(list(range(1, 11)), 90) == pytest.approx(9.1)


def test_today_figures_from_real_visits():
    world = build_queue_world()
    clerk, counter = world.clerks[0], world.counters[0]
    appt = appointment_today(world, prereview_status="approved")
    queue.ticket_check_in(place=world.centre, code=appt.code)
    queue.ticket_walk_in(place=world.centre, item=world.items["ltc"])
    queue.ticket_walk_in(place=world.centre)
    t1 = queue.ticket_call_next(counter=counter, clerk=clerk)
    queue.ticket_finish(ticket=t1, clerk=clerk, outcome="served")
    t2 = queue.ticket_call_next(counter=counter, clerk=clerk)
    queue.ticket_finish(ticket=t2, clerk=clerk, outcome="incomplete", missing=["病历资料"])
    t3 = queue.ticket_call_next(counter=counter, clerk=clerk)
    queue.ticket_miss(ticket=t3, clerk=clerk)
    today = timezone.localdate()
    report = metrics_report(street=world.street, start=today, end=today)
    total = report.total
    assert total["appointments"] == 1 and total["walk_ins"] == 2 and total["tickets"] == 3
    assert total["finished"] == 2 and total["served"] == 1 and total["first_time_rate"] == 50.0
    assert total["trips_saved"] == 1  # the served visit came with an approved pre-review
    assert total["no_shows"] == 1  # the missed ticket
    assert total["wait_p50"] is not None and total["wait_p90"] >= total["wait_p50"]
    centre = metrics_report(street=world.street, start=today, end=today, place=world.centre)
    assert centre.total["tickets"] == 3 and [r["place_id"] for r in centre.by_centre] == [world.centre.pk]
