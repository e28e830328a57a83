"""Pages of the window queue, the remote windows and the centre head (Django's test client)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.affairs.models import QueueTicket, RemoteSession, RemoteSessionStatus, StaffSkill, TicketStatus
from linli.affairs.services import queue
from linli.affairs.tests.factories_queue import appointment_today, build_queue_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_queue_world()


def test_kiosk_checks_in_by_qr_payload_and_gives_walk_ins(client, world):
    appt = appointment_today(world)
    client.force_login(world.clerks[0])
    url = reverse("affairs:kiosk", args=[world.centre.pk])
    assert client.get(url).status_code == 200
    resp = client.post(url, {"action": "checkin", "payload": f"http://x/affairs/a/{appt.code}/"})
    ticket = QueueTicket.objects.get(appointment=appt)
    assert resp.status_code == 302 and ticket.token in resp["Location"]
    page = client.get(resp["Location"])
    assert "A001" in page.content.decode() and "<svg" in page.content.decode()
    resp = client.post(url, {"action": "walk_in", "item": str(world.items["ltc"].pk)})
    assert QueueTicket.objects.get(kind="W").item == world.items["ltc"]
    bad = client.post(url, {"action": "checkin", "code": "ZZZZ9999"})
    assert bad.status_code == 422 and 'data-code="ticket_code_invalid"' in bad.content.decode()


def test_kiosk_is_for_staff(client, world):
    client.force_login(world.resident)
    assert client.get(reverse("affairs:kiosk", args=[world.centre.pk])).status_code == 403


def test_window_calls_shows_checklist_and_records(client, world):
    appt = appointment_today(world)
    queue.ticket_check_in(place=world.centre, code=appt.code)
    clerk, counter = world.clerks[0], world.counters[0]
    client.force_login(clerk)
    pick = client.get(reverse("affairs:window"))
    assert pick.status_code == 200 and "1号窗口" in pick.content.decode()
    action = reverse("affairs:window_action", args=[counter.pk])
    signed = client.post(action, {"action": "sign_in"})
    assert signed["Location"] == reverse("affairs:window") + f"?counter={counter.pk}"
    counter.refresh_from_db()
    assert counter.clerk == clerk
    page = client.get(reverse("affairs:window") + f"?counter={counter.pk}")
    assert page.status_code == 200 and 'data-number="A001"' in page.content.decode()
    assert client.post(action, {"action": "call_next"}).status_code == 302
    page = client.get(reverse("affairs:window") + f"?counter={counter.pk}").content.decode()
    assert 'id="current-number">A001' in page and "居民身份证" in page and "近期免冠照片" in page
    ticket = QueueTicket.objects.get()
    bad = client.post(action, {"action": "finish", "ticket": ticket.pk, "outcome": "incomplete"})
    assert bad.status_code == 422 and 'data-code="validation_error"' in bad.content.decode()
    ok = client.post(
        action, {"action": "finish", "ticket": ticket.pk, "outcome": "incomplete", "missing": ["近期免冠照片"]}
    )
    assert ok.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.INCOMPLETE and ticket.missing == ["近期免冠照片"]
    empty = client.post(action, {"action": "call_next"})
    assert "msg=empty" in empty["Location"]
    part = client.get(reverse("affairs:window") + f"?counter={counter.pk}&part=queue")
    assert part.status_code == 200 and 'id="window-queue"' in part.content.decode()


def test_hall_and_ticket_pages_are_public_and_show_no_names(client, world):
    ticket = queue.ticket_walk_in(place=world.centre, item=world.items["ssc"], user=world.resident)
    queue.ticket_call_next(counter=world.counters[1], clerk=world.clerks[0])
    hall = client.get(reverse("affairs:hall", args=[world.centre.pk])).content.decode()
    assert 'id="now-number">W001' in hall and "2号窗口" in hall and "王阿姨" not in hall
    page = client.get(reverse("affairs:ticket", args=[ticket.token]))
    assert page.status_code == 200 and "2号窗口" in page.content.decode()
    part = client.get(reverse("affairs:ticket", args=[ticket.token]) + "?part=status").content.decode()
    assert 'data-status="called"' in part
    assert client.get(reverse("affairs:ticket", args=["nope"])).status_code == 404


def test_resident_takes_a_ticket_on_the_phone(client, world):
    url = reverse("affairs:take_ticket", args=[world.centre.pk])
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(world.resident)
    resp = client.post(url, {"item": str(world.items["ssc"].pk)})
    ticket = QueueTicket.objects.get()
    assert resp["Location"] == reverse("affairs:ticket", args=[ticket.token]) and ticket.user == world.resident


def test_remote_console_call_answer_and_hang_up(client, world):
    appt = appointment_today(world, resource=world.remote)
    client.force_login(world.remote_staff)
    console = client.get(reverse("affairs:remote_console"))
    assert console.status_code == 200 and appt.code in console.content.decode()
    resp = client.post(reverse("affairs:remote_console"), {"point": world.remote.pk, "appointment": appt.pk})
    session = RemoteSession.objects.get()
    assert resp["Location"] == reverse("affairs:remote_call", args=[session.pk])
    page = client.get(resp["Location"])
    assert page.status_code == 200 and "microphone=(self)" in page["Permissions-Policy"]
    assert 'id="rv-config"' in page.content.decode()
    # A clerk sees the request on the window page and answers it.
    clerk = world.clerks[0]
    client.force_login(clerk)
    part = client.get(reverse("affairs:window") + f"?counter={world.counters[0].pk}&part=queue").content.decode()
    assert f'data-session="{session.pk}"' in part
    assert client.get(reverse("affairs:remote_call", args=[session.pk])).status_code == 403  # not answered yet
    client.post(reverse("affairs:remote_answer", args=[session.pk]), {"counter": world.counters[0].pk})
    session.refresh_from_db()
    assert session.status == RemoteSessionStatus.ACTIVE and session.clerk == clerk
    assert client.get(reverse("affairs:remote_call", args=[session.pk])).status_code == 200
    # A second clerk cannot take it.
    client.force_login(world.clerks[1])
    late = client.post(reverse("affairs:remote_answer", args=[session.pk]))
    assert late.status_code == 409 and 'data-code="remote_session_invalid"' in late.content.decode()
    client.force_login(clerk)
    client.post(reverse("affairs:remote_end", args=[session.pk]))
    session.refresh_from_db()
    assert session.status == RemoteSessionStatus.ENDED and session.ended_by == clerk


def test_metrics_page_csv_and_skills(client, world):
    queue.ticket_walk_in(place=world.centre, item=world.items["ssc"])
    t = queue.ticket_call_next(counter=world.counters[0], clerk=world.clerks[0])
    queue.ticket_finish(ticket=t, clerk=world.clerks[0], outcome="served")
    client.force_login(world.clerks[0])
    assert client.get(reverse("affairs:metrics")).status_code == 403  # clerks do not see the head's page
    client.force_login(world.head)
    page = client.get(reverse("affairs:metrics") + f"?street={world.street.code}&days=7")
    body = page.content.decode()
    assert page.status_code == 200 and body.count("<svg") >= 5 and 'data-key="walk_ins"' in body
    csv = client.get(reverse("affairs:metrics_csv") + f"?street={world.street.code}&days=7")
    text = csv.content.decode("utf-8-sig")
    assert csv["Content-Type"].startswith("text/csv") and text.splitlines()[0].startswith("day,street,centre")
    total = text.strip().splitlines()[-1].split(",")
    assert total[0] == "total" and total[4] == "1"  # one walk-in
    skills = reverse("affairs:skills") + f"?street={world.street.code}&user={world.clerks[1].pk}"
    assert client.get(skills).status_code == 200
    client.post(skills, {"user": world.clerks[1].pk, "items": [world.items["ltc"].pk]})
    assert list(StaffSkill.objects.filter(user=world.clerks[1]).values_list("item__code", flat=True)) == ["LTC-01"]
    client.post(skills, {"action": "recording", "recording_enabled": "1", "recording_notice": "通话将录像"})
    assert world.street.affairs_remote_policy.recording_enabled


def test_api_check_in_call_outcome_and_problems(client, world):
    from linli.core.services import token_create

    appt = appointment_today(world)
    clerk = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=world.clerks[0])}"}
    resident = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=world.resident)}"}
    url = "/api/v1/affairs/queue/checkins"
    bad = client.post(url, {"place": world.centre.pk, "code": "NOPE0000"}, content_type="application/json", **clerk)
    assert bad.status_code == 422 and bad["Content-Type"].startswith("application/problem+json")
    assert bad.json()["code"] == "ticket_code_invalid"
    denied = client.post(
        url, {"place": world.centre.pk, "code": appt.code}, content_type="application/json", **resident
    )
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    ok = client.post(url, {"place": world.centre.pk, "code": appt.code}, content_type="application/json", **clerk)
    assert ok.status_code == 201 and ok.json()["number"] == "A001"
    walk = client.post(
        "/api/v1/affairs/queue/tickets",
        {"place": world.centre.pk, "item": world.items["ltc"].pk},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
        **resident,
    )
    again = client.post(
        "/api/v1/affairs/queue/tickets",
        {"place": world.centre.pk, "item": world.items["ltc"].pk},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
        **resident,
    )
    assert walk.status_code == 201 and again.json()["number"] == walk.json()["number"] == "W001"
    assert QueueTicket.objects.filter(kind="W").count() == 1
    called = client.post(f"/api/v1/affairs/counters/{world.counters[0].pk}/call-next", **clerk).json()["ticket"]
    assert called["number"] == "A001" and called["status"] == "called" and called["counter"] == 1
    busy = client.post(f"/api/v1/affairs/counters/{world.counters[0].pk}/call-next", **clerk)
    assert busy.status_code == 409 and busy.json()["code"] == "counter_busy"
    out = f"/api/v1/affairs/queue/tickets/{called['id']}/outcome"
    missing = client.post(out, {"outcome": "incomplete"}, content_type="application/json", **clerk)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "missing"
    done = client.post(out, {"outcome": "served"}, content_type="application/json", **clerk)
    assert done.status_code == 200 and done.json()["status"] == "served"
    twice = client.post(out, {"outcome": "served"}, content_type="application/json", **clerk)
    assert twice.status_code == 409 and twice.json()["code"] == "ticket_invalid_transition"
    hall = client.get(f"/api/v1/affairs/centres/{world.centre.pk}/hall").json()
    assert hall["calls"][0] == {**hall["calls"][0], "number": "A001", "counter": 1}
    state = client.get(f"/api/v1/affairs/queue/tickets/{walk.json()['url'].rstrip('/').rsplit('/', 1)[1]}")
    assert state.json()["ahead"] == 0
    head = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=world.head)}"}
    m = client.get(f"/api/v1/affairs/metrics?street={world.street.code}", **head)
    assert m.status_code == 200 and m.json()["total"]["served"] == 1 and len(m.json()["daily"]) == 14
    wrong = client.get(f"/api/v1/affairs/metrics?street={world.street.code}&from=2026-01-05&to=2025-01-01", **head)
    assert wrong.status_code == 422 and wrong.json()["code"] == "validation_error"
    assert client.get(f"/api/v1/affairs/metrics?street={world.street.code}", **clerk).status_code == 403
