"""The volunteer's pages beyond sign-up: ask a fellow volunteer to take over a shift before its deadline (the
place moves when they accept), spend time-bank
hours on other volunteers' offers and settle one's requests (every transfer nets to zero), and the yearly
statement (page and PDF)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.core.errors import Problem
from linli.core.models import User
from linli.core.sms import OutboxSmsBackend
from linli.volunteers.models import Offer, Signup, SwapRequest, Transfer
from linli.volunteers.services import ledger, shifts, timebank
from linli.volunteers.tests.factories import VolWorld, shift_make

pytestmark = pytest.mark.django_db


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_swap_a_shift_asked_before_the_deadline_moves_when_the_colleague_accepts(
    world: VolWorld, django_capture_on_commit_callbacks: Any
) -> None:
    shift = shift_make(world.station)
    signup = shifts.signup_create(shift=shift, volunteer=world.volunteer)
    c = client(world.retired)
    page = c.get("/volunteer/").content.decode()
    deadline = timezone.localtime(shifts.drop_deadline(shift))
    assert f'data-signup="{signup.pk}"' in page and f"{deadline:%m-%d %H:%M}" in page
    wrong = c.post("/volunteer/", {"action": "swap", "signup": signup.pk, "phone": "13900000000"}).content.decode()
    assert "vol-problem" in wrong and not SwapRequest.objects.exists()
    OutboxSmsBackend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        asked = c.post("/volunteer/", {"action": "swap", "signup": signup.pk, "phone": world.other.user.phone[3:]})
    assert asked.status_code == 302 and "done=swap_asked" in asked["Location"]
    assert any(m.phone == world.other.user.phone for m in OutboxSmsBackend.outbox)
    # nothing moved yet: the colleague has not accepted
    assert Signup.objects.get(pk=signup.pk).status == "signed_up"
    assert "vol-swap-pending" in c.get("/volunteer/").content.decode()
    twice = c.post("/volunteer/", {"action": "swap", "signup": signup.pk, "phone": world.other.user.phone})
    assert 'id="vol-problem"' in twice.content.decode() and SwapRequest.objects.count() == 1
    swap = SwapRequest.objects.get()
    colleague = client(world.other.user)
    assert f'data-swap="{swap.pk}"' in colleague.get("/volunteer/").content.decode()
    # only the colleague answers
    c.post("/volunteer/", {"action": "swap_accept", "swap": swap.pk})
    assert SwapRequest.objects.get().status == "pending"
    OutboxSmsBackend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        colleague.post("/volunteer/", {"action": "swap_accept", "swap": swap.pk})
    assert SwapRequest.objects.get().status == "accepted"
    assert Signup.objects.get(pk=signup.pk).status == "swapped"
    assert Signup.objects.get(shift=shift, volunteer=world.other).status == "signed_up"
    shift.refresh_from_db()
    assert shift.taken == 1  # the place moved, it was never freed
    assert any(m.phone == world.retired.phone for m in OutboxSmsBackend.outbox)


def test_a_declined_swap_leaves_the_shift_with_the_volunteer(world: VolWorld) -> None:
    shift = shift_make(world.station)
    signup = shifts.signup_create(shift=shift, volunteer=world.volunteer)
    swap = shifts.swap_request(signup=signup, phone=world.other.user.phone, actor=world.retired)
    client(world.other.user).post("/volunteer/", {"action": "swap_decline", "swap": swap.pk})
    assert SwapRequest.objects.get().status == "declined"
    assert Signup.objects.get(pk=signup.pk).status == "signed_up"
    assert not Signup.objects.filter(shift=shift, volunteer=world.other).exists()
    with pytest.raises(Problem) as answered:
        shifts.swap_answer(request=swap, actor=world.other.user, accept=True)
    assert answered.value.code == "swap_pending"
    # asked again after a decline: a new request
    assert shifts.swap_request(signup=signup, phone=world.other.user.phone, actor=world.retired).status == "pending"


def test_accepting_after_the_deadline_moves_nothing(world: VolWorld) -> None:
    shift = shift_make(world.station)
    signup = shifts.signup_create(shift=shift, volunteer=world.volunteer)
    swap = shifts.swap_request(signup=signup, phone=world.other.user.phone, actor=world.retired)
    late = shifts.drop_deadline(shift) + timedelta(minutes=1)
    with pytest.raises(Problem) as refused:
        shifts.swap_answer(request=swap, actor=world.other.user, accept=True, now=late)
    assert refused.value.code == "drop_deadline_passed"
    assert SwapRequest.objects.get().status == "pending"  # rolled back with the refusal
    assert Signup.objects.get(pk=signup.pk).status == "signed_up"


def test_swap_after_the_deadline_is_refused_and_the_page_says_so(world: VolWorld) -> None:
    soon = timezone.now() + timedelta(hours=3)
    shift = shift_make(world.station, start=soon)  # drop deadline: 12 hours before
    signup = shifts.signup_create(shift=shift, volunteer=world.volunteer)
    c = client(world.retired)
    assert f'data-signup="{signup.pk}"' not in c.get("/volunteer/").content.decode()
    page = c.post("/volunteer/", {"action": "swap", "signup": signup.pk, "phone": world.other.user.phone})
    assert 'id="vol-problem"' in page.content.decode()
    assert Signup.objects.get(pk=signup.pk).status == "signed_up"
    assert not Signup.objects.filter(shift=shift, volunteer=world.other).exists()


def _earn(world: VolWorld, minutes: int = 120) -> None:
    ledger.credit_hours(station=world.station, owner=world.volunteer, minutes=minutes, kind="shift", ref="t:1")


def test_spend_hours_on_an_offer_and_settle_a_request(world: VolWorld) -> None:
    _earn(world)
    offer = timebank.offer_create(volunteer=world.other, kind="offer", title="教用智能手机", minutes=45)
    c = client(world.retired)
    page = c.get("/volunteer/time-bank/").content.decode()
    assert f'data-offer="{offer.pk}"' in page and 'id="tb-balance">120<' in page
    assert c.post("/volunteer/time-bank/", {"action": "use", "offer": offer.pk}).status_code == 302
    assert ledger.account_for(world.volunteer).balance == 75
    assert ledger.account_for(world.other).balance == 45
    # a request of one's own, met by the other volunteer: paid by phone number, then closed
    c.post("/volunteer/time-bank/", {"action": "offer", "kind": "request", "title": "陪同就医", "minutes": 60})
    request = Offer.objects.get(volunteer=world.volunteer, kind="request")
    c.post("/volunteer/time-bank/", {"action": "settle", "offer": request.pk, "phone": world.other.user.phone})
    assert ledger.account_for(world.volunteer).balance == 15
    assert ledger.account_for(world.other).balance == 105
    assert not Offer.objects.get(pk=request.pk).active
    # more than the balance: refused, nothing moves
    dear = timebank.offer_create(volunteer=world.other, kind="offer", title="修理台灯", minutes=60)
    refused = c.post("/volunteer/time-bank/", {"action": "use", "offer": dear.pk}).content.decode()
    assert 'data-code="time_balance_insufficient"' in refused
    assert ledger.account_for(world.volunteer).balance == 15
    # one's own offer cannot be paid by oneself
    mine = timebank.offer_create(volunteer=world.volunteer, kind="offer", title="书法", minutes=15)
    own = c.post("/volunteer/time-bank/", {"action": "use", "offer": mine.pk}).content.decode()
    assert 'id="tb-problem"' in own
    assert Transfer.objects.filter(kind="exchange").count() == 2
    assert ledger.ledger_check() == []


def test_yearly_statement_page_and_pdf(world: VolWorld) -> None:
    _earn(world, 150)
    other = timebank.offer_create(volunteer=world.other, kind="offer", title="代买菜", minutes=30)
    timebank.offer_use(offer=other, payer=world.volunteer, actor=world.retired)
    year = timezone.localdate().year
    c = client(world.retired)
    page = c.get(f"/volunteer/statement/?year={year}").content.decode()
    assert 'id="st-earned">150<' in page and 'id="st-spent">30<' in page and "代买菜" in page
    last = c.get(f"/volunteer/statement/?year={year - 1}").content.decode()
    assert 'id="st-earned">0<' in last
    pdf = c.get(f"/volunteer/statement.pdf?year={year}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert f"volunteer-statement-{year}.pdf" in pdf["Content-Disposition"]
    outsider = Client()
    assert outsider.get("/volunteer/statement/").status_code == 302
