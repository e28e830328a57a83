"""The sample street's care data: 30 registered people, a rota, a week of check-ins, calls in every state, an open
8-hour request and follow-ups due; loaded once; the sample elder is on the register."""

from __future__ import annotations

import pytest

from linli.care.models import Call, CheckIn, DutyShift, FollowUp, Person, VisitRequest
from linli.demo.care import care_demo_load
from linli.demo.loader import demo_reset

pytestmark = pytest.mark.django_db


def test_demo_care_every_page_has_data_and_loads_once(demo_street_shared, demo_accounts):
    street = demo_street_shared
    assert Person.objects.filter(street=street).count() == 30
    assert Person.objects.filter(street=street, user__phone="+8613800000010").exists()  # 胡阿姨
    assert DutyShift.objects.filter(committee__street=street).count() == 28
    assert CheckIn.objects.filter(person__street=street).count() > 100
    statuses = set(Call.objects.filter(street=street).values_list("status", flat=True))
    assert statuses == {"new", "escalated", "acknowledged", "on_the_way", "on_site", "closed"}
    assert VisitRequest.objects.filter(street=street, status="open").count() == 1
    assert FollowUp.objects.filter(person__street=street, status="open").exists()
    before = (Person.objects.count(), Call.objects.count(), CheckIn.objects.count())
    care_demo_load(street, accounts=demo_accounts)  # a second time: nothing new
    assert (Person.objects.count(), Call.objects.count(), CheckIn.objects.count()) == before
    assert demo_reset()
    assert not Person.objects.exists()
