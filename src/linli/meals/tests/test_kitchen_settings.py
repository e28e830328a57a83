"""A kitchen's settings page (/kitchen/settings/): served places, cut-off times, home delivery and the meals it
cooks, for kitchen operators and admins of its street only, audit-logged with the values before and after."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from linli.core.errors import Problem
from linli.core.models import AuditLog
from linli.meals.services import menus as svc
from linli.meals.tests.factories import KitchenFactory, MenuFactory, PlaceFactory, StreetFactory, UserFactory
from linli.meals.tests.factories_quality import staff_of

pytestmark = pytest.mark.django_db
URL = "/kitchen/settings/"


@pytest.fixture
def site():
    street = StreetFactory(code="setjie")
    kitchen = KitchenFactory(street=street, place__name="梅岭中央厨房")
    a = PlaceFactory(street=street, name="甲助餐点", kind="meal_point")
    b = PlaceFactory(street=street, name="乙活动室", kind="party_service_station")
    kitchen.serves.add(a)
    return {"street": street, "kitchen": kitchen, "a": a, "b": b, "operator": staff_of(street, "kitchen_operator")}


def _client(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def _form(kitchen, **over):
    data = {
        "kitchen": kitchen.pk,
        "slots": ["lunch"],
        "breakfast_cutoff": "20:00",
        "lunch_cutoff": "09:30",
        "dinner_cutoff": "15:00",
        "home_delivery": "on",
        "serves": [],
    }
    data.update(over)
    return data


def test_page_shows_the_served_places_and_times(site):
    html = _client(site["operator"]).get(URL).content.decode()
    assert "梅岭中央厨房" in html
    assert f'id="serve-{site["a"].pk}" checked' in html and f'id="serve-{site["b"].pk}" >' in html
    assert 'name="lunch_cutoff" value="09:30"' in html
    assert f'id="serve-{site["kitchen"].place_id}"' not in html  # never its own place


def test_who_may_open_and_change_it(site):
    assert _client().get(URL).status_code == 302
    for who in (UserFactory(), staff_of(site["street"], "station_staff"), staff_of(site["street"], "rider")):
        assert _client(who).get(URL).status_code == 403
        assert _client(who).post(URL, _form(site["kitchen"], lunch_cutoff="08:00")).status_code == 403
    other_op = staff_of(StreetFactory(code="bieyuan"), "kitchen_operator")
    assert _client(other_op).get(f"{URL}?kitchen={site['kitchen'].pk}").status_code == 403
    assert _client(other_op).post(URL, _form(site["kitchen"], lunch_cutoff="08:00")).status_code == 403
    assert _client(site["operator"]).get(f"{URL}?kitchen=999999").status_code == 404
    site["kitchen"].refresh_from_db()
    assert site["kitchen"].lunch_cutoff == dt.time(9, 30)
    admin = staff_of(site["street"], "admin")
    assert _client(admin).get(URL).status_code == 200


def test_save_changes_places_times_slots_and_is_audit_logged(site):
    kitchen = site["kitchen"]
    before = MenuFactory(kitchen=kitchen, date=timezone.localdate() + dt.timedelta(days=3), status="draft")
    old_cutoff = before.cutoff_at
    c = _client(site["operator"])
    r = c.post(
        URL,
        _form(
            kitchen,
            serves=[site["b"].pk],
            lunch_cutoff="10:15",
            slots=["breakfast", "lunch"],
            home_delivery="",
        ),
    )
    assert r.status_code == 302 and r["Location"] == f"{URL}?kitchen={kitchen.pk}&done=saved"
    kitchen.refresh_from_db()
    assert list(kitchen.serves.all()) == [site["b"]]
    assert kitchen.lunch_cutoff == dt.time(10, 15) and kitchen.slots == ["breakfast", "lunch"]
    assert kitchen.home_delivery is False
    # New menus take the new time; existing ones keep theirs.
    day = timezone.localdate() + dt.timedelta(days=4)
    assert svc.menu_cutoff_default(kitchen=kitchen, date=day, slot="lunch").time() == dt.time(10, 15)
    before.refresh_from_db()
    assert before.cutoff_at == old_cutoff
    log = AuditLog.objects.get(action="kitchen.update", object_id=str(kitchen.pk))
    assert log.actor == site["operator"] and log.street == site["street"]
    assert log.data["before"] == {
        "serves": [site["a"].pk],
        "lunch_cutoff": "09:30",
        "home_delivery": True,
        "slots": ["lunch"],
    }
    assert log.data["after"] == {
        "serves": [site["b"].pk],
        "lunch_cutoff": "10:15",
        "home_delivery": False,
        "slots": ["breakfast", "lunch"],
    }
    html = c.get(r["Location"]).content.decode()
    assert 'id="saved"' in html and "配送地点" in html and 'id="changes"' in html


def test_bad_input_is_refused_and_nothing_changes(site):
    kitchen = site["kitchen"]
    c = _client(site["operator"])
    foreign = PlaceFactory(street=StreetFactory(code="waijie"), kind="meal_point")
    cases = [
        _form(kitchen, lunch_cutoff="9点半"),
        _form(kitchen, slots=[]),
        _form(kitchen, slots=["supper"]),
        _form(kitchen, serves=[foreign.pk]),
        _form(kitchen, serves=["999999"]),
        _form(kitchen, serves=["abc"]),
    ]
    for data in cases:
        r = c.post(URL, data)
        assert r.status_code == 422, data
        assert 'data-code="validation_error"' in r.content.decode()
    kitchen.refresh_from_db()
    assert list(kitchen.serves.all()) == [site["a"]] and kitchen.lunch_cutoff == dt.time(9, 30)
    assert kitchen.slots == ["lunch"]
    assert not AuditLog.objects.filter(action="kitchen.update").exists()
    # A refused form shows what was posted, not the stored state.
    html = c.post(URL, _form(kitchen, lunch_cutoff="25:00", serves=[site["b"].pk])).content.decode()
    assert 'name="lunch_cutoff" value="25:00"' in html and f'id="serve-{site["b"].pk}" checked' in html


def test_a_closed_place_may_stay_served_but_not_be_added(site):
    kitchen = site["kitchen"]
    closed = PlaceFactory(street=site["street"], kind="meal_point", is_active=False)
    with pytest.raises(Problem):
        svc.kitchen_update(kitchen=kitchen, serves=[site["a"], closed], actor=site["operator"])
    kitchen.serves.add(closed)
    svc.kitchen_update(kitchen=kitchen, serves=[site["a"], closed], lunch_cutoff=dt.time(9, 0), actor=site["operator"])
    assert set(kitchen.serves.all()) == {site["a"], closed}
    assert f'id="serve-{closed.pk}" checked' in _client(site["operator"]).get(URL).content.decode()
