"""Calls: stored before anyone is told, pushed to every responder on duty, never lost when the channel layer is
down (SMS fallback, the call stays open and escalates), and each clock with a controlled clock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client
from django.utils import timezone

from linli.care.models import Call, CallEvent, CallStatus, FollowUp
from linli.care.services import calls, register
from linli.care.services.push import presence_join, presence_leave, user_group
from linli.care.tests.factories import build_care_world
from linli.core.services import token_create
from linli.core.sms import OutboxSmsBackend

pytestmark = pytest.mark.django_db(transaction=True)


def _sync(fn, *args):  # noqa: ANN001, ANN202 - async_to_sync from a thread without an event loop
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(async_to_sync(fn), *args).result(timeout=10)


def _listen(user_id: int) -> tuple[object, str]:
    layer = get_channel_layer()
    channel = _sync(layer.new_channel)
    _sync(layer.group_add, user_group("carejie", user_id), channel)
    return layer, channel


def test_emergency_call_reaches_every_responder_on_duty():
    w = build_care_world()
    listeners = [_listen(u.pk) for u in w.responders]
    call = calls.call_create(kind="emergency", source="button", person=w.person, actor=w.resident)
    for layer, channel in listeners:
        msg = _sync(layer.receive, channel)
        assert msg["type"] == "care.call" and msg["call"]["id"] == call.pk
        assert msg["call"]["address"] == "建新小区 3号楼 502室"
        assert "13900002222" in {k["phone"] for k in msg["call"]["person"]["contacts"]}
    assert sorted(call.notified) == sorted(u.pk for u in w.responders)
    assert CallEvent.objects.filter(call=call, action="created").exists()


def test_no_lost_call_when_the_channel_layer_is_down():
    w = build_care_world()
    with mock.patch("linli.care.services.push.get_channel_layer", side_effect=ConnectionError("redis away")):
        call = calls.call_create(kind="emergency", source="device", person=w.person)
    call.refresh_from_db()
    assert call.status == CallStatus.NEW and call.push_failed  # stored, still open
    phones = {m.phone for m in OutboxSmsBackend.outbox}
    assert {u.phone for u in w.responders} <= phones  # SMS fallback to every responder on duty
    # nobody acknowledges: after 60 s it escalates to the care lead and the next committee on duty
    OutboxSmsBackend.clear()
    calls.calls_sweep(now=call.created_at + timedelta(seconds=59))
    call.refresh_from_db()
    assert call.status == CallStatus.NEW
    calls.calls_sweep(now=call.created_at + timedelta(seconds=61))
    call.refresh_from_db()
    assert call.status == CallStatus.ESCALATED
    phones = {m.phone for m in OutboxSmsBackend.outbox}
    assert w.lead.phone in phones and w.backup.phone in phones
    calls.calls_sweep(now=call.created_at + timedelta(seconds=120))  # once only
    assert CallEvent.objects.filter(call=call, to_status="escalated").count() == 1


def test_every_clock_of_a_call():
    w = build_care_world()
    t0 = timezone.now()
    call = calls.call_create(kind="emergency", source="button", person=w.person, now=t0)
    calls.call_acknowledge(call=call, actor=w.responders[0], now=t0 + timedelta(seconds=30))
    assert calls.calls_sweep(now=t0 + timedelta(minutes=4))["late_on_the_way"] == 0
    assert calls.calls_sweep(now=t0 + timedelta(minutes=5, seconds=1))["late_on_the_way"] == 1
    assert calls.calls_sweep(now=t0 + timedelta(minutes=6))["late_on_the_way"] == 0
    calls.call_on_the_way(call=call, actor=w.responders[0], now=t0 + timedelta(minutes=6))
    assert calls.calls_sweep(now=t0 + timedelta(minutes=31))["late_on_site"] == 1
    calls.call_arrive(call=call, actor=w.responders[0], now=t0 + timedelta(minutes=32))
    calls.call_actions_add(call=call, actor=w.responders[0], actions=["called_120", "family_told"])
    calls.call_close(call=call, actor=w.responders[0], outcome="送医，家属已到")
    call.refresh_from_db()
    assert call.status == CallStatus.CLOSED and call.actions == ["called_120", "family_told"]
    labels = sorted(FollowUp.objects.filter(call=call).values_list("label", flat=True))
    assert labels == ["24h", "2w", "3d"]
    first = FollowUp.objects.get(call=call, label="24h")
    assert first.due_at == t0 + timedelta(minutes=32, hours=24)
    actions = list(CallEvent.objects.filter(call=call).order_by("id").values_list("action", flat=True))
    assert actions[:4] == ["created", "acknowledged", "late_on_the_way", "on_the_way"]


def test_nobody_on_duty_escalates_at_once():
    w = build_care_world(on_duty=False)
    call = calls.call_create(kind="emergency", source="button", person=w.person)
    call.refresh_from_db()
    assert call.status == CallStatus.ESCALATED
    assert w.lead.phone in {m.phone for m in OutboxSmsBackend.outbox}


def test_device_api_and_problems():
    w = build_care_world()
    _device, raw = register.device_create(actor=w.lead, person=w.person)
    c = Client()
    resp = c.post("/api/v1/care/calls", {"kind": "emergency"}, content_type="application/json", HTTP_X_DEVICE_TOKEN=raw)
    assert resp.status_code == 201 and resp.json()["source"] == "device"
    bad = c.post("/api/v1/care/calls", {"kind": "emergency"}, content_type="application/json", HTTP_X_DEVICE_TOKEN="x")
    assert bad.status_code == 401 and bad.json()["code"] == "care_device_invalid"
    wrong = c.post("/api/v1/care/calls", {"kind": "party"}, content_type="application/json", HTTP_X_DEVICE_TOKEN=raw)
    assert wrong.status_code == 422 and wrong.json()["code"] == "validation_error"
    token = token_create(user=w.resident)
    mine = c.post("/api/v1/care/calls", {"kind": "help"}, content_type="application/json",
                  HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY="k1")  # fmt: skip
    again = c.post("/api/v1/care/calls", {"kind": "help"}, content_type="application/json",
                   HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY="k1")  # fmt: skip
    assert mine.status_code == 201 and again.json()["id"] == mine.json()["id"]
    assert Call.objects.count() == 2
    gw = token_create(user=w.grid_worker)
    denied = c.post(f"/api/v1/care/calls/{mine.json()['id']}/moves", {"move": "acknowledge"},
                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {gw}")  # fmt: skip
    assert denied.status_code == 404
    ok = c.post(f"/api/v1/care/calls/{mine.json()['id']}/moves", {"move": "acknowledge"},
                content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token_create(user=w.responders[1])}")  # fmt: skip
    assert ok.status_code == 200 and ok.json()["status"] == "acknowledged"


def test_a_responder_without_a_console_open_gets_the_call_by_sms():
    w = build_care_world()
    presence_join(w.responders[0].pk)  # the first has the console open, the second does not
    try:
        calls.call_create(kind="emergency", source="button", person=w.person)
    finally:
        presence_leave(w.responders[0].pk)
    phones = {m.phone for m in OutboxSmsBackend.outbox}
    assert w.responders[1].phone in phones and w.responders[0].phone not in phones
