"""Shifts: sign-up refusals, drop and swap deadlines, check-in by the station's rotating code (stale and forged
codes refused), hours verified once into the time bank, no-shows, reminders, recurring shifts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail  # noqa: F401 - keeps the outbox backend's module loaded
from django.test import Client
from django.utils import timezone

from linli.core.errors import Problem
from linli.core.tests.factories import UserFactory
from linli.volunteers.models import Shift, Signup, SignupConfirmation, SignupStatus, Station
from linli.volunteers.services import ledger, shifts
from linli.volunteers.services.stationcode import WINDOW_SECONDS, station_token
from linli.volunteers.tests.factories import VolWorld, next_monday, shift_make, volunteer_make

pytestmark = pytest.mark.django_db


def code(problem: pytest.ExceptionInfo[Problem]) -> str:
    return problem.value.code


def test_sign_up_takes_a_place_and_refuses_the_rest(world: VolWorld) -> None:
    shift = shift_make(world.station, places=1)
    signup = shifts.signup_create(shift=shift, volunteer=world.volunteer)
    assert signup.status == SignupStatus.SIGNED_UP
    assert Shift.objects.get(pk=shift.pk).taken == 1
    with pytest.raises(Problem) as again:
        shifts.signup_create(shift=shift, volunteer=world.volunteer)
    assert code(again) == "already_signed_up"
    with pytest.raises(Problem) as full:
        shifts.signup_create(shift=shift, volunteer=world.other)
    assert code(full) == "shift_full"


def test_skills_and_overlaps_are_refused(world: VolWorld) -> None:
    teaching = shift_make(world.station, skills=["teaching"], title="书法课")
    with pytest.raises(Problem) as missing:
        shifts.signup_create(shift=teaching, volunteer=world.other)
    assert code(missing) == "skills_missing" and missing.value.extra["missing"] == ["teaching"]
    shifts.signup_create(shift=teaching, volunteer=world.volunteer)
    clash = shift_make(world.station2, start=teaching.start + timedelta(minutes=30))
    with pytest.raises(Problem) as overlaps:
        shifts.signup_create(shift=clash, volunteer=world.volunteer)
    assert code(overlaps) == "overlaps"


def test_drop_before_the_deadline_gives_the_place_back(world: VolWorld) -> None:
    shift = shift_make(world.station, places=1)
    signup = shifts.signup_create(shift=shift, volunteer=world.volunteer)
    shifts.signup_drop(signup=signup, actor=world.retired)
    assert Shift.objects.get(pk=shift.pk).taken == 0
    assert shifts.signup_create(shift=shift, volunteer=world.other).status == SignupStatus.SIGNED_UP


def test_drop_after_the_deadline_is_refused_to_the_volunteer(world: VolWorld) -> None:
    shift = shift_make(world.station, start=timezone.now() + timedelta(hours=3))
    signup = shifts.signup_create(shift=shift, volunteer=world.volunteer)
    with pytest.raises(Problem) as late:
        shifts.signup_drop(signup=signup, actor=world.retired)
    assert code(late) == "drop_deadline_passed"
    shifts.signup_drop(signup=signup, actor=world.staff)  # staff may
    assert Signup.objects.get(pk=signup.pk).status == SignupStatus.DROPPED


def test_swap_hands_the_place_over(world: VolWorld) -> None:
    shift = shift_make(world.station, places=1)
    signup = shifts.signup_create(shift=shift, volunteer=world.volunteer)
    with pytest.raises(Problem) as not_staff:  # a volunteer asks the colleague instead (swap_request)
        shifts.signup_swap(signup=signup, to=world.other, actor=world.retired)
    assert code(not_staff) == "permission_denied"
    new = shifts.signup_swap(signup=signup, to=world.other, actor=world.staff)
    assert new.volunteer == world.other
    assert Signup.objects.get(pk=signup.pk).status == SignupStatus.SWAPPED
    assert Shift.objects.get(pk=shift.pk).taken == 1


def _started_shift(world: VolWorld) -> Shift:
    now = timezone.now()
    return Shift.objects.create(station=world.station, title="开门值守", start=now + timedelta(minutes=5),
                                end=now + timedelta(hours=2), places=2)  # fmt: skip


def test_check_in_and_out_with_the_stations_code_then_verify(world: VolWorld) -> None:
    shift = _started_shift(world)
    signup = shifts.signup_create(shift=shift, volunteer=world.volunteer)
    now = timezone.now()
    assert shifts.signup_check_in_by_code(token=station_token(world.station), user=world.retired).status == "checked_in"
    later = now + timedelta(hours=2)
    out = shifts.signup_check_in_by_code(
        token=station_token(world.station, later.timestamp()), user=world.retired, now=later
    )
    assert out.status == "checked_out"
    signup.refresh_from_db()
    verified = shifts.signup_verify(signup=signup, actor=world.staff)
    assert verified.status == "verified" and 105 <= verified.minutes <= 120
    account = ledger.account_for(world.volunteer)
    assert account.balance == verified.minutes
    assert ledger.ledger_check() == []
    # crediting again (a retried verify) is refused and credits nothing
    with pytest.raises(Problem):
        shifts.signup_verify(signup=signup, actor=world.staff)
    assert ledger.account_for(world.volunteer).balance == verified.minutes


def test_stale_and_forged_codes_are_refused(world: VolWorld) -> None:
    shift = _started_shift(world)
    shifts.signup_create(shift=shift, volunteer=world.volunteer)
    old = station_token(world.station, timezone.now().timestamp() - 3 * WINDOW_SECONDS)
    with pytest.raises(Problem) as stale:
        shifts.signup_check_in_by_code(token=old, user=world.retired)
    assert code(stale) == "station_code_stale"
    good = station_token(world.station)
    station_id, window, _sig = good.split(".")
    for forged in (f"{station_id}.{window}.AAAAAAAAAAAAAAAA", f"{world.station2.pk}.{window}.{_sig}", "hello", ""):
        with pytest.raises(Problem) as bad:
            shifts.signup_check_in_by_code(token=forged, user=world.retired)
        assert code(bad) == "station_code_invalid", forged
    # another station's key does not sign this station's codes
    other = Station.objects.create(street=world.street, name="别的驿站")
    with pytest.raises(Problem) as wrong:
        shifts.signup_check_in_by_code(token=station_token(other), user=world.retired)
    assert code(wrong) == "no_shift_now"


def test_no_show_sweep_and_staff_no_show(world: VolWorld) -> None:
    past = timezone.now() - timedelta(hours=5)
    shift = Shift.objects.create(
        station=world.station, title="午餐堂食区", start=past, end=past + timedelta(hours=2), places=2
    )
    a = Signup.objects.create(shift=shift, volunteer=world.volunteer)
    assert shifts.no_show_sweep() == 1
    assert Signup.objects.get(pk=a.pk).status == SignupStatus.NO_SHOW


def test_recurring_shifts_by_rrule(world: VolWorld) -> None:
    start = next_monday()
    made = shifts.shift_publish(station=world.station, actor=world.staff, title="开门值守", kind="opening", start=start,
                                end=start + timedelta(hours=2), places=1, rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=4")  # fmt: skip
    assert len(made) == 4 and len({s.series for s in made}) == 1
    assert [timezone.localtime(s.start).strftime("%a %H:%M") for s in made] == ["Mon 07:40"] * 4
    with pytest.raises(Problem) as bad:
        shifts.shift_publish(station=world.station, actor=world.staff, title="x", kind="opening", start=start,
                             end=start + timedelta(hours=1), places=1, rrule="FREQ=NEVER")  # fmt: skip
    assert code(bad) == "validation_error"
    with pytest.raises(Problem) as denied:
        shifts.shift_publish(station=world.station, actor=world.retired, title="x", kind="opening", start=start,
                             end=start + timedelta(hours=1), places=1)  # fmt: skip
    assert code(denied) == "permission_denied"


def test_reminders_are_sent_once(world: VolWorld) -> None:
    shift = shift_make(world.station, start=timezone.now() + timedelta(hours=20))
    shifts.signup_create(shift=shift, volunteer=world.volunteer)
    assert shifts.reminders_send() == 1
    assert shifts.reminders_send() == 0


def test_volunteer_registration_needs_consent(world: VolWorld) -> None:
    from linli.core.tests.factories import UserFactory
    from linli.volunteers.services import profiles

    with pytest.raises(Problem) as no_consent:
        profiles.volunteer_register(user=UserFactory(), street=world.street, values={"name": "张三"})
    assert code(no_consent) == "validation_error"
    with pytest.raises(Problem) as twice:
        volunteer_make(world.street, user=world.retired)
    assert code(twice) == "volunteer_exists"


def test_residents_served_confirm_a_volunteers_shift_by_its_qr(world: VolWorld) -> None:
    """The volunteer on duty shows a QR code; residents served confirm (once each, on the day); staff see the
    count beside the hours to verify."""
    shift = _started_shift(world)
    signup = shifts.signup_create(shift=shift, volunteer=world.volunteer)
    token = shifts.confirm_token(signup)
    resident = UserFactory()
    with pytest.raises(Problem) as early:  # not checked in yet
        shifts.signup_confirm_by_resident(signup=signup, user=resident)
    assert code(early) == "confirmation_closed"
    shifts.signup_check_in_by_code(token=station_token(world.station), user=world.retired)
    me = Client()
    me.force_login(world.retired)
    assert f'data-confirm="{signup.pk}"' in me.get("/volunteer/").content.decode()
    r = Client()
    r.force_login(resident)
    assert 'id="confirm-form"' in r.get(f"/volunteer/confirm/{token}/").content.decode()
    r.post(f"/volunteer/confirm/{token}/")
    assert 'id="confirm-done"' in r.get(f"/volunteer/confirm/{token}/").content.decode()
    again = r.post(f"/volunteer/confirm/{token}/").content.decode()
    assert 'id="confirm-done"' in again and SignupConfirmation.objects.filter(signup=signup).count() == 1
    with pytest.raises(Problem) as twice:
        shifts.signup_confirm_by_resident(signup=signup, user=resident)
    assert code(twice) == "already_confirmed"
    with pytest.raises(Problem) as self_confirm:
        shifts.signup_confirm_by_resident(signup=signup, user=world.retired)
    assert code(self_confirm) == "permission_denied"
    shifts.signup_confirm_by_resident(signup=signup, user=UserFactory())
    Shift.objects.filter(pk=shift.pk).update(start=timezone.now() - timedelta(hours=3), end=timezone.now())
    staff = Client()
    staff.force_login(world.staff)
    planner = staff.get(f"/staff/volunteers/?street={world.street.code}").content.decode()
    assert 'data-confirmed="2"' in planner
    late = timezone.now() + timedelta(hours=25)
    with pytest.raises(Problem) as closed:
        shifts.signup_confirm_by_resident(signup=Signup.objects.get(pk=signup.pk), user=UserFactory(), now=late)
    assert code(closed) == "confirmation_closed"
    assert Client().get("/volunteer/confirm/forged/").status_code == 404
