"""The API as the issue lists it: paths, Idempotency-Key, problem codes, and privacy across streets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.core.models import User
from linli.volunteers.models import Shift, Signup
from linli.volunteers.services import shifts
from linli.volunteers.services.stationcode import station_token
from linli.volunteers.tests.factories import VolWorld, build_world, shift_make

pytestmark = pytest.mark.django_db


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(c: Client, url: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return c.post(url, body or {}, content_type="application/json", headers=headers)


def test_list_shifts_and_sign_up_with_an_idempotency_key(world: VolWorld) -> None:
    shift = shift_make(world.station, places=1)
    c = client(world.retired)
    day = timezone.localtime(shift.start).date()
    listed = c.get(f"/api/v1/volunteer/shifts?station={world.station.pk}&from={day}&to={day + timedelta(days=1)}")
    assert listed.status_code == 200
    assert [(s["id"], s["free"]) for s in listed.json()] == [(shift.pk, 1)]
    url = f"/api/v1/volunteer/shifts/{shift.pk}/signups"
    first = post(c, url, **{"Idempotency-Key": "k1"})
    assert first.status_code == 201, first.content
    again = post(c, url, **{"Idempotency-Key": "k1"})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    twice = post(c, url, **{"Idempotency-Key": "k2"})
    assert twice.status_code == 409 and twice.json()["code"] == "already_signed_up"
    full = post(client(world.other.user), url)
    assert full.status_code == 409 and full.json()["code"] == "shift_full"
    assert full["Content-Type"].startswith("application/problem+json")
    assert Shift.objects.get(pk=shift.pk).taken == 1


@pytest.mark.parametrize("case", ["skills_missing", "overlaps"])
def test_sign_up_refusals_have_stable_codes(world: VolWorld, case: str) -> None:
    if case == "skills_missing":
        shift = shift_make(world.station, skills=["haircut"])
    else:
        first = shift_make(world.station)
        shifts.signup_create(shift=first, volunteer=world.volunteer)
        shift = shift_make(world.station2, start=first.start + timedelta(minutes=15))
    answer = post(client(world.retired), f"/api/v1/volunteer/shifts/{shift.pk}/signups")
    assert answer.status_code == 409 and answer.json()["code"] == case


def test_bad_input_is_a_problem_not_a_500(world: VolWorld) -> None:
    c = client(world.retired)
    assert c.get("/api/v1/volunteer/shifts?station=99999").json()["code"] == "not_found"
    assert c.get(f"/api/v1/volunteer/shifts?station={world.station.pk}&from=nope").json()["code"] == "validation_error"
    assert post(c, "/api/v1/volunteer/shifts/99999/signups").json()["code"] == "not_found"
    assert post(c, "/api/v1/volunteer/checkins", {"token": "1.2.3"}).json()["code"] == "station_code_invalid"
    assert c.get("/api/v1/service-menu?street=nowhere").json()["code"] == "unknown_street"
    assert Client().get("/api/v1/volunteer/me/hours").status_code == 401


def test_check_in_verify_and_my_hours(world: VolWorld) -> None:
    now = timezone.now()
    shift = Shift.objects.create(
        station=world.station, title="开门值守", start=now, end=now + timedelta(hours=1), places=1
    )
    Signup.objects.create(shift=shift, volunteer=world.volunteer)
    c = client(world.retired)
    checked = post(c, "/api/v1/volunteer/checkins", {"token": station_token(world.station)})
    assert checked.status_code == 200 and checked.json()["status"] == "checked_in"
    signup_id = checked.json()["id"]
    denied = post(c, f"/api/v1/volunteer/signups/{signup_id}/verify", {"minutes": 600})
    assert denied.status_code == 404  # not staff: the sign-up does not exist for them
    verified = post(client(world.staff), f"/api/v1/volunteer/signups/{signup_id}/verify", {"minutes": 60})
    assert verified.json()["status"] == "verified"
    hours = c.get("/api/v1/volunteer/me/hours").json()
    assert hours["earned_minutes"] == 60 and hours["balance_minutes"] == 60


def test_service_menu_and_claims(world: VolWorld) -> None:
    menu = Client().get(f"/api/v1/service-menu?street={world.street.code}").json()
    assert [(i["title"], i["coverage"]) for i in menu] == [("免费理发日", "none")]
    c = client(world.manager)
    url = f"/api/v1/service-menu/{world.item.pk}/claims"
    claim = post(c, url, {"people": 4, "team_id": world.company.pk}, **{"Idempotency-Key": "c1"})
    assert claim.status_code == 201, claim.content
    over = post(client(world.retired), url, {"people": 1})
    assert over.status_code == 409 and over.json()["code"] == "item_fully_claimed"
    report = post(c, f"/api/v1/service-menu/claims/{claim.json()['id']}/report", {"served": 30, "minutes": 480})
    assert report.json()["status"] == "delivered"
    menu = Client().get(f"/api/v1/service-menu?street={world.street.code}").json()
    assert menu[0]["coverage"] == "complete"


def test_privacy_across_streets(world: VolWorld) -> None:
    """Another street's station staff cannot see, verify or sign up this street's volunteers."""
    other = build_world(code="otherjie")
    shift = shift_make(world.station)
    signup = shifts.signup_create(shift=shift, volunteer=world.volunteer)
    outsider = client(other.staff)
    assert post(outsider, f"/api/v1/volunteer/signups/{signup.pk}/verify", {"minutes": 60}).status_code == 404
    answer = post(outsider, f"/api/v1/volunteer/shifts/{shift.pk}/signups", {"volunteer_id": world.other.pk})
    assert answer.json()["code"] == "permission_denied"
    from linli.core.errors import Problem
    from linli.volunteers import selectors

    with pytest.raises(Problem):
        selectors.volunteers_for_staff(other.staff, world.street)
    with pytest.raises(Problem):
        selectors.volunteer_for_staff(other.staff, world.volunteer.pk)
    assert selectors.volunteers_for_staff(world.staff, world.street).count() == 2
