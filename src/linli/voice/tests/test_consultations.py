"""Needs and 日日清约请: a need becomes a consultation, invitation links (forged, another party's, expired, reused),
the meeting and its actions, escalation of overdue actions with a controlled clock (and the beat task), closing,
the residents told and confirming, the public accountability, the actions import (all or nothing)."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import Any

import pytest
from django.core import signing
from django.utils import timezone

from linli.assistant.models import AskLog
from linli.core.errors import Problem
from linli.core.sms import OutboxSmsBackend
from linli.voice.models import ActionItem, ActionStatus, ConsultationEvent, Need, NeedStatus
from linli.voice.services import consultations as cs
from linli.voice.services import invitations, needs
from linli.voice.services.actions_import import actions_import
from linli.voice.tasks import escalate_actions
from linli.voice.tests.factories import build_voice_world

pytestmark = pytest.mark.django_db


def _consultation(w: Any, **kw: Any) -> Any:
    need = needs.need_create(street=w.street, committee=w.committee, text="电瓶车没地方充电", raised_by=w.resident)
    return cs.consultation_create(committee=w.committee, title="建电瓶车库", problem="楼道充电危险", need=need,
                                  actor=w.staff, **kw)  # fmt: skip


def _code(fn: Any, *a: Any, **kw: Any) -> str:
    with pytest.raises(Problem) as exc:
        fn(*a, **kw)
    return exc.value.code


def test_needs_board_tags_merge_and_action() -> None:
    w = build_voice_world()
    a = needs.need_create(street=w.street, committee=w.committee, text="希望多些老年食堂", raised_by=w.resident)
    b = needs.need_create(street=w.street, committee=w.committee, text="食堂太少", raised_by=w.resident2)
    needs.need_tag(need=a, tags=["食堂", "食堂", " 助餐 "])
    needs.needs_merge(into=a, others=[b])
    b.refresh_from_db()
    assert (b.status, b.merged_into_id) == (NeedStatus.MERGED, a.pk)
    assert a.tags == ["食堂", "助餐"]
    c = cs.consultation_create(committee=w.committee, title="增开助餐点", problem="食堂不够", need=a, actor=w.staff)
    a.refresh_from_db()
    assert (a.status, a.action_kind, a.action_ref) == (NeedStatus.ACTIONED, "consultation", str(c.pk))
    assert sorted(c.raised_by) == sorted([w.resident.pk, w.resident2.pk])
    assert _code(needs.need_create, street=w.street, text="  ") == "validation_error"


def test_needs_from_the_assistants_unanswered_questions_once() -> None:
    w = build_voice_world()
    AskLog.objects.create(street=w.street, question="哪里可以修伞", normalized="哪里可以修伞", intent="unknown",
                          answer="", backend="rules")  # fmt: skip
    assert needs.needs_from_assistant(street=w.street) == 1
    assert needs.needs_from_assistant(street=w.street) == 0
    assert Need.objects.get(source="assistant").text == "哪里可以修伞"


def test_invitation_link_accepts_once_and_refuses_forged_other_expired_reused() -> None:
    w = build_voice_world()
    c = _consultation(w)
    inv, token = invitations.invite(consultation=c, party="物业公司", actor=w.staff)
    other, other_token = invitations.invite(consultation=c, party="房管所", actor=w.staff)
    assert (
        _code(invitations.invitation_open, token[:-2] + ("xy" if not token.endswith("xy") else "ab"))
        == "invitation_invalid"
    )
    forged = signing.dumps({"i": inv.pk, "n": inv.nonce}, salt="another.salt")
    assert _code(invitations.invitation_open, forged) == "invitation_invalid"
    # a link for another party's row with this party's nonce is not genuine
    swapped = invitations._Signer().sign_object({"i": other.pk, "n": inv.nonce})
    assert _code(invitations.invitation_open, swapped) == "invitation_invalid"
    _old, old_token = invitations.invite(consultation=c, party="城管", now=timezone.now() - timedelta(days=15))
    assert _code(invitations.invitation_open, old_token) == "invitation_expired"
    assert _code(invitations.invitation_answer, token=token, accept=True, attendee_names="") == "validation_error"
    done = invitations.invitation_answer(token=token, accept=True, attendee_names="张经理、李工")
    assert (done.status, done.attendee_names) == ("accepted", "张经理、李工")
    assert _code(invitations.invitation_answer, token=token, accept=False) == "invitation_used"
    invitations.invitation_answer(token=other_token, accept=False)
    assert ConsultationEvent.objects.filter(consultation=c, action="invitation_accepted").count() == 1


def test_invitation_over_the_api_without_an_account(client: Any) -> None:
    w = build_voice_world()
    c = _consultation(w)
    _inv, token = invitations.invite(consultation=c, party="物业公司")
    url = f"/api/v1/invitations/{token}"
    ok = client.post(url, {"accept": True, "attendee_names": "张经理"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    again = client.post(url, {"accept": True, "attendee_names": "张经理"}, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "invitation_used")
    bad = client.post("/api/v1/invitations/abc", {"accept": True}, content_type="application/json")
    assert (bad.status_code, bad.json()["code"]) == (404, "invitation_invalid")


def _met(w: Any, c: Any, due: dt.date) -> Any:
    cs.consultation_schedule(consultation=c, meeting_at=timezone.now(), venue="居委会议室", actor=w.staff)
    return cs.consultation_meeting(consultation=c, attendees="物业张经理、居民代表3人", decisions="物业一个月内建成车库",
                                   actions=[{"title": "建车库", "owner": "物业公司", "due_on": due.isoformat()},
                                            {"title": "装充电桩", "owner": "供电所", "due_on": due}],
                                   actor=w.staff)  # fmt: skip


def test_overdue_actions_escalate_once_with_a_controlled_clock(django_capture_on_commit_callbacks: Any) -> None:
    w = build_voice_world()
    c = _consultation(w)
    due = dt.date(2026, 3, 10)
    _met(w, c, due)
    on_due_day = timezone.make_aware(dt.datetime(2026, 3, 10, 23, 0))
    assert cs.actions_escalate(now=on_due_day) == 0
    next_day = timezone.make_aware(dt.datetime(2026, 3, 11, 9, 0))
    OutboxSmsBackend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_actions(next_day.isoformat()) == 2
    assert cs.actions_escalate(now=next_day + timedelta(days=3)) == 0
    assert ActionItem.objects.filter(escalated_at=next_day).count() == 2
    assert ConsultationEvent.objects.filter(consultation=c, action="action_escalated").count() == 2
    assert any("逾期" in m.message for m in OutboxSmsBackend.outbox)
    # a done action does not escalate
    c2 = _consultation(w)
    _met(w, c2, due)
    for a in c2.actions.all():
        cs.action_done(action=a, evidence="已建成")
    assert cs.actions_escalate(now=next_day) == 0


def test_close_tells_residents_who_confirm_and_the_public_page_shows_it(client: Any) -> None:
    w = build_voice_world()
    c = _consultation(w)
    _met(w, c, timezone.localdate() + timedelta(days=30))
    assert _code(cs.consultation_close, consultation=c, outcome="建成") == "consultation_invalid_transition"
    first, second = c.actions.all()
    cs.action_done(action=first, evidence="车库已建成，见照片")
    assert _code(cs.action_done, action=first, evidence="again") == "action_invalid_transition"
    rows = client.get(f"/api/v1/consultations?street={w.street.code}").json()
    assert rows[0]["progress"] == 50 and not rows[0]["problem"]
    cs.action_done(action=second, evidence="充电桩20个")
    OutboxSmsBackend.clear()
    with_commit = cs.consultation_close(consultation=c, outcome="车库建成，可停60辆", actor=w.staff)
    assert with_commit.status == "closed"
    need = Need.objects.get(pk=int(c.source_ref))
    assert need.status == NeedStatus.ANSWERED
    assert _code(cs.resident_confirm, consultation=c, user=w.resident2) == "permission_denied"
    cs.resident_confirm(consultation=c, user=w.resident)
    public = client.get(f"/api/v1/accountability?street={w.street.code}&committee={w.committee.pk}").json()
    assert public["consultations"][0]["status"] == "closed" and public["consultations"][0]["progress"] == 100
    assert public["counts"]["received"] == 1 and public["counts"]["answered"] == 1
    assert public["counts"]["average_days_to_close"] is not None
    assert not public["consultations"][0]["problem"]


def test_actions_import_is_all_or_nothing() -> None:
    w = build_voice_world()
    c = _consultation(w)
    good = f"约请编号,事项,责任方,期限\n{c.pk},清理楼道,物业,2026-12-31\n"
    bad = good + f"{c.pk},装灯,,2026-12-31\n999,修门,物业,2026-13-01\n"
    with pytest.raises(Problem) as exc:
        actions_import(street=w.street, text=bad)
    assert exc.value.code == "import_invalid" and {e["line"] for e in exc.value.errors} == {3, 4}
    assert ActionItem.objects.count() == 0
    assert actions_import(street=w.street, text=good.encode("utf-8-sig")).created == 1
    assert ActionItem.objects.get().status == ActionStatus.OPEN


def test_meeting_booked_at_a_street_venue_through_activities(client: Any) -> None:
    """Scheduling at one of the street's venues books it through activities: a published activity at that place and
    time (residents may sign up to sit in), its id kept on the consultation; another street's venue is refused."""
    from linli.activities.models import Activity
    from linli.places.tests.factories import PlaceFactory

    w = build_voice_world()
    venue = PlaceFactory(street=w.street, name="建新居委活动室")
    elsewhere = PlaceFactory()
    c = _consultation(w)
    at = timezone.now() + timedelta(days=3)
    assert _code(cs.consultation_schedule, consultation=c, meeting_at=at, venue="", place_id=elsewhere.pk) == (
        "validation_error")  # fmt: skip
    assert not Activity.objects.exists()
    client.force_login(w.staff)
    resp = client.post(f"/voice/staff/consultations/{c.pk}/", {
        "action": "schedule", "meeting_at": timezone.localtime(at).strftime("%Y-%m-%dT%H:%M"), "venue": "",
        "place": str(venue.pk), "seats": "12"})  # fmt: skip
    assert resp.status_code == 302
    c.refresh_from_db()
    activity = Activity.objects.get(pk=int(c.booking_ref))
    assert c.status == "scheduled" and c.venue == "建新居委活动室"
    assert activity.place_id == venue.pk and activity.capacity == 12 and activity.status == "published"
    assert activity.title == "日日清约请：建电瓶车库" and activity.end - activity.start == timedelta(minutes=90)
    page = client.get(f"/voice/staff/consultations/{c.pk}/").content.decode()
    assert f'href="/activities/{activity.pk}/"' in page
