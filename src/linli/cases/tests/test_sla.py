"""SLA clocks with a controlled clock: the 75 % reminder and the escalation to street HQ at breach, each once."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from linli.cases.models import Case, CaseEvent, CaseStatus, Queue
from linli.cases.services.reports import report_create
from linli.cases.services.sla import cases_sla_sweep
from linli.cases.services.workflow import case_assign
from linli.cases.tasks import sla_sweep
from linli.cases.tests.factories import IN_A1, build_world
from linli.core.sms import OutboxSmsBackend

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def world():
    w = build_world()
    cat = w.categories["corridor_clutter"]
    cat.resolution_minutes = 240  # 75 % = 180 minutes
    cat.save()
    return w


def open_case(world) -> Case:
    r = report_create(
        street=world.street, category="corridor_clutter", lat=IN_A1[0], lng=IN_A1[1], reporter=world.rider, now=NOW
    )
    return r.case


def at(minutes: float) -> dt.datetime:
    return NOW + dt.timedelta(minutes=minutes)


def sms_to(user) -> list[str]:
    return [m.message for m in OutboxSmsBackend.outbox if m.phone == user.phone]


def test_reminder_at_75_percent_once_to_the_grid_worker(world, django_capture_on_commit_callbacks):
    case = open_case(world)
    assert cases_sla_sweep(now=at(179)) == {"reminded": 0, "escalated": 0}
    with django_capture_on_commit_callbacks(execute=True):
        assert cases_sla_sweep(now=at(181)) == {"reminded": 1, "escalated": 0}
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.reminded_at == at(181) and fresh.queue == Queue.GRID
    assert CaseEvent.objects.filter(case=case, action="remind").count() == 1
    msgs = sms_to(world.gw_unit)
    assert len(msgs) == 1 and f"#{case.pk}" in msgs[0]
    with django_capture_on_commit_callbacks(execute=True):
        assert cases_sla_sweep(now=at(200)) == {"reminded": 0, "escalated": 0}
    assert len(sms_to(world.gw_unit)) == 1


def test_reminder_goes_to_the_assignee_when_there_is_one(world, django_capture_on_commit_callbacks):
    case = open_case(world)
    case_assign(case=case, assignee=world.gw_ws, actor=world.safety)
    OutboxSmsBackend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cases_sla_sweep(now=at(190))
    assert len(sms_to(world.gw_ws)) == 1 and sms_to(world.gw_unit) == []


def test_escalation_at_breach_once_to_hq(world, django_capture_on_commit_callbacks):
    case = open_case(world)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"cases.{world.street.code}.hq", channel)
    cases_sla_sweep(now=at(181))
    assert cases_sla_sweep(now=at(239)) == {"reminded": 0, "escalated": 0}
    with django_capture_on_commit_callbacks(execute=True):
        assert cases_sla_sweep(now=at(241)) == {"reminded": 0, "escalated": 1}
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.queue == Queue.HQ and fresh.escalated_at == at(241)
    assert fresh.status == CaseStatus.DISPATCHED  # escalation is not a status
    assert CaseEvent.objects.filter(case=case, action="escalate").count() == 1
    assert len(sms_to(world.admin)) == 1 and "超过办结时限" in sms_to(world.admin)[0]
    msg = async_to_sync(layer.receive)(channel)
    assert msg["event"] == "escalate" and msg["case"]["queue"] == "hq" and msg["case"]["escalated"] is True
    with django_capture_on_commit_callbacks(execute=True):
        assert cases_sla_sweep(now=at(300)) == {"reminded": 0, "escalated": 0}
    assert len(sms_to(world.admin)) == 1
    async_to_sync(layer.group_discard)(f"cases.{world.street.code}.hq", channel)


def test_found_late_it_escalates_without_a_reminder(world):
    case = open_case(world)
    assert cases_sla_sweep(now=at(500)) == {"reminded": 0, "escalated": 1}
    assert not CaseEvent.objects.filter(case=case, action="remind").exists()
    assert cases_sla_sweep(now=at(501)) == {"reminded": 0, "escalated": 0}


@pytest.mark.parametrize("status", [CaseStatus.RESOLVED, CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.MERGED])
def test_resolved_or_finished_cases_are_left_alone(world, status):
    case = open_case(world)
    Case.objects.filter(pk=case.pk).update(status=status)
    assert cases_sla_sweep(now=at(190)) == {"reminded": 0, "escalated": 0}
    assert cases_sla_sweep(now=at(500)) == {"reminded": 0, "escalated": 0}
    assert Case.objects.get(pk=case.pk).queue == Queue.GRID


def test_celery_task_wraps_the_sweep(world):
    open_case(world)
    assert sla_sweep.delay(at(500).isoformat()).get() == {"reminded": 0, "escalated": 1}
    assert sla_sweep.delay(at(501).isoformat()).get() == {"reminded": 0, "escalated": 0}
    with pytest.raises(ValueError):
        sla_sweep("not a date")
