"""The window queue (issue 16 item 4): numbering, check-in, calling by skills, outcomes, the hall's pushes."""

from __future__ import annotations

import pytest
from django.utils import timezone

from linli.affairs.models import (
    AppointmentStatus,
    HallCall,
    PreReviewStatus,
    QueueTicket,
    QueueTicketEvent,
    StaffSkill,
    TicketStatus,
)
from linli.affairs.services import queue
from linli.affairs.tests.factories_queue import appointment_today, build_queue_world
from linli.core.errors import Problem
from linli.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_queue_world()


def test_numbers_per_centre_day_and_kind(world):
    w1 = queue.ticket_walk_in(place=world.centre, item=world.items["ssc"])
    w2 = queue.ticket_walk_in(place=world.centre)
    appt = appointment_today(world)
    a1 = queue.ticket_check_in(place=world.centre, code=appt.code)
    assert (w1.number, w2.number, a1.number) == ("W001", "W002", "A001")
    assert a1.day == timezone.localdate() and a1.status == TicketStatus.WAITING
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.CHECKED_IN and appt.checked_in_at is not None
    # Checking in twice (the QR scanned again) gives the same ticket, not a new number.
    again = queue.ticket_check_in(place=world.centre, code=f"https://linli.example/a/{appt.code.lower()}/")
    assert again.pk == a1.pk
    assert QueueTicketEvent.objects.filter(ticket=a1, to_status="waiting").count() == 1


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("unknown", "ticket_code_invalid"),
        ("tomorrow", "checkin_not_today"),
        ("remote", "checkin_wrong_centre"),
        ("empty", "validation_error"),
        ("cancelled", "appointment_invalid_transition"),
    ],
)
def test_check_in_refusals_have_stable_codes(world, setup, code):
    if setup == "unknown":
        text = "NOPE1234"
    elif setup == "empty":
        text = "  "
    elif setup == "tomorrow":
        text = appointment_today(world, minutes_from_now=60 * 30).code
    elif setup == "remote":
        text = appointment_today(world, resource=world.remote).code
    else:
        appt = appointment_today(world)
        appt.status = AppointmentStatus.CANCELLED
        appt.save()
        text = appt.code
    with pytest.raises(Problem) as exc:
        queue.ticket_check_in(place=world.centre, code=text)
    assert exc.value.code == code
    assert not QueueTicket.objects.exists()


def test_call_next_follows_skills_and_appointments_first(world):
    ssc, ltc = world.items["ssc"], world.items["ltc"]
    w_ltc = queue.ticket_walk_in(place=world.centre, item=ltc)
    w_ssc = queue.ticket_walk_in(place=world.centre, item=ssc)
    a_ssc = queue.ticket_check_in(place=world.centre, code=appointment_today(world, item=ssc).code)
    clerk1, clerk2 = world.clerks
    StaffSkill.objects.create(street=world.street, user=clerk1, item=ssc)  # clerk 1 knows only 社保卡
    c1, c2 = world.counters
    # The appointment due now comes before the walk-in who came earlier; clerk 1 is never offered 长护险.
    assert queue.ticket_call_next(counter=c1, clerk=clerk1).pk == a_ssc.pk
    with pytest.raises(Problem) as exc:
        queue.ticket_call_next(counter=c1, clerk=clerk1)
    assert exc.value.code == "counter_busy"
    queue.ticket_finish(ticket=QueueTicket.objects.get(pk=a_ssc.pk), clerk=clerk1, outcome="served")
    assert queue.ticket_call_next(counter=c1, clerk=clerk1).pk == w_ssc.pk
    queue.ticket_finish(ticket=QueueTicket.objects.get(pk=w_ssc.pk), clerk=clerk1, outcome="served")
    assert queue.ticket_call_next(counter=c1, clerk=clerk1) is None  # only 长护险 is left
    # Clerk 2 has no skill recorded: offered everything (全岗通).
    assert queue.ticket_call_next(counter=c2, clerk=clerk2).pk == w_ltc.pk
    call = HallCall.objects.filter(ticket=w_ltc).get()
    assert call.counter == c2 and not call.recall


def test_outcomes_close_the_appointment_and_the_prereview(world):
    appt = appointment_today(world, prereview_status=PreReviewStatus.APPROVED)
    ticket = queue.ticket_check_in(place=world.centre, code=appt.code)
    assert ticket.prereviewed
    clerk, counter = world.clerks[0], world.counters[0]
    called = queue.ticket_call_next(counter=counter, clerk=clerk)
    queue.ticket_recall(ticket=called, clerk=clerk)
    assert HallCall.objects.filter(ticket=ticket).count() == 2
    with pytest.raises(Problem) as exc:
        queue.ticket_finish(ticket=called, clerk=clerk, outcome="incomplete")
    assert exc.value.code == "validation_error" and exc.value.errors[0]["field"] == "missing"
    with pytest.raises(Problem) as exc:
        queue.ticket_finish(ticket=called, clerk=clerk, outcome="referred")
    assert exc.value.errors[0]["field"] == "referred_to"
    with pytest.raises(Problem) as exc:
        queue.ticket_finish(ticket=called, clerk=clerk, outcome="lost")
    assert exc.value.errors[0]["field"] == "outcome"
    queue.ticket_finish(ticket=called, clerk=clerk, outcome="served", note="当场办结")
    ticket.refresh_from_db()
    appt.refresh_from_db()
    appt.prereview.refresh_from_db()
    assert ticket.status == TicketStatus.SERVED and ticket.finished_at >= ticket.called_at
    assert appt.status == AppointmentStatus.COMPLETED
    assert appt.prereview.status == PreReviewStatus.COMPLETED
    # A finished ticket cannot be finished again.
    with pytest.raises(Problem) as exc:
        queue.ticket_finish(ticket=ticket, clerk=clerk, outcome="served")
    assert exc.value.code == "ticket_invalid_transition"
    statuses = list(QueueTicketEvent.objects.filter(ticket=ticket).values_list("to_status", flat=True))
    assert statuses == ["waiting", "called", "served"]


def test_incomplete_records_what_was_missing_and_missed_goes_back(world):
    clerk, counter = world.clerks[0], world.counters[0]
    queue.ticket_walk_in(place=world.centre, item=world.items["ssc"])
    t = queue.ticket_call_next(counter=counter, clerk=clerk)
    queue.ticket_finish(ticket=t, clerk=clerk, outcome="incomplete", missing=["近期免冠照片", " "])
    t.refresh_from_db()
    assert t.status == TicketStatus.INCOMPLETE and t.missing == ["近期免冠照片"]
    queue.ticket_walk_in(place=world.centre)
    t2 = queue.ticket_call_next(counter=counter, clerk=clerk)
    queue.ticket_miss(ticket=t2, clerk=clerk)
    queue.ticket_requeue(ticket=t2, actor=clerk)
    t2.refresh_from_db()
    assert t2.status == TicketStatus.WAITING and t2.counter is None and t2.finished_at is None


def test_only_clerks_of_the_street_call(world):
    outsider = UserFactory()
    queue.ticket_walk_in(place=world.centre)
    with pytest.raises(Problem) as exc:
        queue.ticket_call_next(counter=world.counters[0], clerk=outsider)
    assert exc.value.code == "permission_denied"


def test_two_windows_never_call_the_same_ticket(world):
    """The conditional move: a ticket another window took in between is skipped, not called twice."""
    first = queue.ticket_walk_in(place=world.centre)
    second = queue.ticket_walk_in(place=world.centre)
    c1, c2 = world.counters
    got1 = queue.ticket_call_next(counter=c1, clerk=world.clerks[0])
    got2 = queue.ticket_call_next(counter=c2, clerk=world.clerks[1])
    assert {got1.pk, got2.pk} == {first.pk, second.pk}


def test_hall_push_after_commit(world, django_capture_on_commit_callbacks, monkeypatch):
    sent = []

    class Layer:
        async def group_send(self, group, message):
            sent.append((group, message))

    monkeypatch.setattr(queue, "get_channel_layer", lambda: Layer())
    with django_capture_on_commit_callbacks(execute=True):
        queue.ticket_walk_in(place=world.centre, item=world.items["ssc"])
    with django_capture_on_commit_callbacks(execute=True):
        queue.ticket_call_next(counter=world.counters[1], clerk=world.clerks[0])
    calls = [m for g, m in sent if m["type"] == "hall.call"]
    assert calls and calls[0]["number"] == "W001" and calls[0]["counter"] == 2 and calls[0]["item"] == "社会保障卡补领"
    assert all(g == f"affairs.hall.{world.centre.pk}" for g, _m in sent)
    assert "user" not in calls[0] and "phone" not in str(calls[0])


def test_skills_set_by_the_head_only(world):
    ids = queue.skills_set(
        street=world.street, user=world.clerks[0], item_ids=[world.items["ssc"].pk, 999999], actor=world.head
    )
    assert ids == {world.items["ssc"].pk}
    with pytest.raises(Problem) as exc:
        queue.skills_set(street=world.street, user=world.clerks[0], item_ids=[], actor=world.clerks[1])
    assert exc.value.code == "permission_denied"
