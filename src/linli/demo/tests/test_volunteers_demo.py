"""The sample street's volunteers: 4 stations, 120 volunteers in 6 teams, a month of shifts with check-ins and
verified hours, a time bank whose ledger holds, two volunteer-taught classes, claims in every state; loaded once;
the sample elder is a volunteer with hours; reset removes it all."""

from __future__ import annotations

import pytest

from linli.activities.models import Activity
from linli.demo.loader import demo_reset
from linli.demo.volunteers import volunteers_demo_load
from linli.volunteers.models import (
    Claim,
    ClaimPhoto,
    Course,
    Shift,
    Signup,
    Station,
    SwapRequest,
    Team,
    Transfer,
    Volunteer,
)
from linli.volunteers.services.ledger import account_for, ledger_check

pytestmark = pytest.mark.django_db


def test_demo_volunteers_load_once_and_reset(demo_street_shared, demo_accounts):
    street = demo_street_shared
    assert Station.objects.filter(street=street).count() == 4
    assert Volunteer.objects.filter(street=street).count() == 120
    assert Team.objects.filter(street=street).count() == 6
    assert Signup.objects.filter(shift__station__street=street, status="verified").count() > 100
    assert Shift.objects.filter(station__street=street).count() > 150
    assert Course.objects.filter(station__street=street, status="approved").count() == 2
    # the calligraphy class sold out and keeps a waitlist; its first session, attended, credited its teacher
    ids = [pk for c in Course.objects.filter(station__street=street) for pk in c.activity_ids]
    assert Activity.objects.filter(pk__in=ids, bookings__status="waitlisted").exists()
    assert Transfer.objects.filter(street=street, kind="class").count() == 1
    assert ClaimPhoto.objects.filter(claim__item__station__street=street, claim__status="delivered").count() == 2
    assert SwapRequest.objects.filter(to__user__phone="+8613800000010", status="pending").count() == 1
    statuses = set(Claim.objects.filter(item__station__street=street).values_list("status", flat=True))
    assert statuses == {"claimed", "delivered", "confirmed", "rejected", "cancelled"}
    elder = Volunteer.objects.get(street=street, user__phone="+8613800000010")
    assert account_for(elder).balance > 0
    assert ledger_check() == []
    before = (Volunteer.objects.count(), Signup.objects.count())
    volunteers_demo_load(street, accounts=demo_accounts)  # a second time: nothing new
    assert (Volunteer.objects.count(), Signup.objects.count()) == before
    assert demo_reset()
    assert not Volunteer.objects.exists()
