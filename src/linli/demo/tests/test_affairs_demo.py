"""The sample street's affairs: a catalogue of real Shanghai items, six windows and three remote points with
templates, pre-reviews and appointments in every state, and the pages each role opens first."""

from __future__ import annotations

from collections import Counter

import pytest

from linli.affairs.models import Appointment, AppointmentStatus, Item, PreReview, PreReviewStatus, Resource, Slot
from linli.affairs.selectors import items_search
from linli.demo.affairs import affairs_demo_load

pytestmark = pytest.mark.django_db


def test_demo_affairs_every_state_and_first_pages(client, demo_street_shared) -> None:  # noqa: ANN001
    street = demo_street_shared
    assert Item.objects.filter(street=street).count() >= 40
    assert Item.objects.filter(street=street, office_hours=True).count() == 14
    kinds = Counter(Resource.objects.filter(street=street).values_list("kind", flat=True))
    assert kinds == {"window": 6, "remote": 3, "home": 1}
    assert Slot.objects.filter(resource__street=street, template__restricted=True).exists()  # evening/Saturday
    assert set(PreReview.objects.filter(street=street).values_list("status", flat=True)) == set(PreReviewStatus.values)
    assert set(Appointment.objects.filter(street=street).values_list("status", flat=True)) == set(
        AppointmentStatus.values
    )
    assert items_search(street=street, q="补办社保卡")[0].name == "社会保障卡补领"
    assert items_search(street=street, q="身份证丢了")[0].code == "WL-FG-003"
    # Twice: nothing new.
    before = Appointment.objects.filter(street=street).count()
    affairs_demo_load(street)
    assert Appointment.objects.filter(street=street).count() == before
