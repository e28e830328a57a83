"""The missed check-in ladder, the 8-hour channel and overdue follow-ups, each step with a controlled clock."""

from __future__ import annotations

import base64
import io
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from PIL import Image

from linli.care.models import AlertEvent, AlertStatus, CarePolicy, FollowUp, VisitEvent, VisitStatus
from linli.care.services import calls, checks, followups, visits
from linli.care.tests.factories import build_care_world
from linli.core.sms import OutboxSmsBackend
from linli.core.street_defaults import street_defaults_apply
from linli.core.tests.factories import jpeg

pytestmark = pytest.mark.django_db(transaction=True)


def _at(hour: int, minute: int = 0) -> datetime:
    return timezone.localtime().replace(hour=hour, minute=minute, second=0, microsecond=0)


def test_missed_checkin_climbs_the_ladder_each_step_once():
    w = build_care_world()
    assert checks.alerts_sweep(now=_at(8, 59))["opened"] == 0
    assert checks.alerts_sweep(now=_at(9, 1))["opened"] == 1
    alert = w.person.alerts.get()
    assert alert.status == AlertStatus.REMINDED
    assert w.person.phone in {m.phone for m in OutboxSmsBackend.outbox}  # the call-back reminder
    assert checks.alerts_sweep(now=_at(9, 20))["climbed"] == 0
    checks.alerts_sweep(now=_at(9, 32))
    alert.refresh_from_db()
    assert alert.status == AlertStatus.STAFF_CALL
    checks.alerts_sweep(now=_at(10, 3))
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DOOR_KNOCK
    OutboxSmsBackend.clear()
    checks.alerts_sweep(now=_at(11, 4))
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FAMILY_TOLD
    phones = {m.phone for m in OutboxSmsBackend.outbox}
    assert "+8613900002222" in phones and "+8613700003333" in phones  # family and doctor
    checks.checkin_record(person=w.person, source="visit", by=w.responders[0], now=_at(11, 20))
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    steps = list(AlertEvent.objects.filter(alert=alert).values_list("to_status", flat=True))
    assert steps == ["reminded", "staff_call", "door_knock", "family_told", "resolved"]


def test_a_checkin_before_the_hour_means_no_alert():
    w = build_care_world()
    checks.checkin_record(person=w.person, source="tap", by=w.resident, now=_at(7))
    assert checks.alerts_sweep(now=_at(9, 30))["opened"] == 0


def test_eight_hour_channel_reminds_at_6h_and_escalates_at_8h_each_once():
    w = build_care_world()
    t0 = timezone.now()
    visit = visits.visit_request_create(person=w.person, what="长护险申请", requested_by=w.resident, now=t0)
    assert visits.visits_sweep(now=t0 + timedelta(hours=5, minutes=59)) == {"reminded": 0, "escalated": 0}
    assert visits.visits_sweep(now=t0 + timedelta(hours=6)) == {"reminded": 1, "escalated": 0}
    assert visits.visits_sweep(now=t0 + timedelta(hours=7)) == {"reminded": 0, "escalated": 0}
    OutboxSmsBackend.clear()
    assert visits.visits_sweep(now=t0 + timedelta(hours=8)) == {"reminded": 0, "escalated": 1}
    assert w.lead.phone in {m.phone for m in OutboxSmsBackend.outbox}
    assert visits.visits_sweep(now=t0 + timedelta(hours=9)) == {"reminded": 0, "escalated": 0}
    assert list(VisitEvent.objects.filter(visit=visit).values_list("action", flat=True)) == [
        "created",
        "reminded",
        "escalated",
    ]


def test_visit_recorded_with_photo_and_signature_needs_follow_up(settings):
    w = build_care_world()
    visit = visits.visit_request_create(person=w.person, what="长护险申请", requested_by=w.lead)
    photos = visits.photos_process([jpeg()])
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (255, 255, 255)).save(out, format="PNG")
    signature = visits.signature_decode("data:image/png;base64," + base64.b64encode(out.getvalue()).decode())
    visits.visit_record(visit=visit, actor=w.responders[0], done_text="已提交长护险申请", follow_up=True,
                        photos=photos, signature_png=signature)  # fmt: skip
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FOLLOW_UP and visit.photos.count() == 1 and visit.signature
    assert FollowUp.objects.filter(visit=visit).count() == 3


def test_overdue_followup_escalates_to_the_lead_once():
    w = build_care_world()
    t0 = timezone.now()
    followups.followups_schedule(person=w.person, start=t0, assignee=w.responders[0])
    assert followups.followups_sweep(now=t0 + timedelta(hours=23))["overdue_escalated"] == 0
    OutboxSmsBackend.clear()
    assert followups.followups_sweep(now=t0 + timedelta(hours=25))["overdue_escalated"] == 1
    assert w.lead.phone in {m.phone for m in OutboxSmsBackend.outbox}
    assert followups.followups_sweep(now=t0 + timedelta(hours=26))["overdue_escalated"] == 0
    f = FollowUp.objects.get(label="24h")
    followups.followup_done(followup=f, actor=w.responders[0], note="电话回访，恢复良好")
    assert FollowUp.objects.get(pk=f.pk).status == "done"


def test_a_street_gets_its_care_clocks_as_a_default_and_the_sweep_follows_them():
    w = build_care_world()
    assert street_defaults_apply(street=w.street)["care"] == 1
    assert street_defaults_apply(street=w.street)["care"] == 0
    CarePolicy.objects.filter(street=w.street).update(ack_seconds=30)
    t0 = timezone.now()
    call = calls.call_create(kind="emergency", source="button", person=w.person, now=t0)
    assert calls.calls_sweep(now=t0 + timedelta(seconds=29))["escalated"] == 0
    assert calls.calls_sweep(now=t0 + timedelta(seconds=31))["escalated"] == 1
    call.refresh_from_db()
    assert call.status == "escalated"
