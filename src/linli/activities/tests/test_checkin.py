"""Check-in: signed QR payloads, typed codes, forged and foreign payloads, waitlisted bookings, double scans,
walk-ins, no-shows and who may do any of it (services and API)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from linli.activities.models import Activity, Booking, BookingEvent, BookingSource, BookingStatus
from linli.activities.services.activities import activity_create
from linli.activities.services.bookings import booking_create
from linli.activities.services.checkin import (
    activity_mark_no_shows,
    booking_check_in,
    booking_qr_payload,
    booking_qr_png,
    booking_qr_svg,
    walk_in_create,
)
from linli.core.errors import Problem
from linli.core.i18n import in_language
from linli.core.models import User
from linli.core.services import token_create
from linli.places.tests.factories import PlaceFactory, RoleFactory, StreetFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def street():
    return StreetFactory(code="ckstreet")


@pytest.fixture
def staff(street):
    return RoleFactory(street=street, role="station_staff").user


def make_activity(street, capacity=2, waitlist=5, starts_in=timedelta(hours=3), hours=2):
    start = timezone.now() + starts_in
    return activity_create(
        street=street,
        place=PlaceFactory(street=street),
        title="剪纸课",
        start=start,
        end=start + timedelta(hours=hours),
        capacity=capacity,
        waitlist_capacity=waitlist,
        status="published",
    )


def test_check_in_by_qr_payload_records_the_event(street, staff):
    activity = make_activity(street)
    booking = booking_create(activity=activity, user=UserFactory())
    payload = booking_qr_payload(booking)
    assert signing.loads(payload, salt="linli.checkin") == {"b": booking.pk, "a": activity.pk}
    assert len(payload) < 80  # compact enough for a small, easily scanned QR code
    done = booking_check_in(activity=activity, actor=staff, payload=payload)
    assert done.status == BookingStatus.CHECKED_IN and done.checked_in_at is not None
    event = BookingEvent.objects.filter(booking=booking).latest("id")
    assert (event.from_status, event.to_status, event.actor_id) == ("confirmed", "checked_in", staff.pk)
    activity.refresh_from_db()
    assert activity.booked == 1  # a checked-in person still holds the seat


def test_check_in_by_typed_code_case_insensitive_with_spaces(street, staff):
    activity = make_activity(street)
    booking = booking_create(activity=activity, user=UserFactory())
    typed = " ".join([booking.code[:4].lower(), booking.code[4:].lower()])
    assert booking_check_in(activity=activity, actor=staff, code=typed).status == BookingStatus.CHECKED_IN


def test_typed_code_with_look_alike_characters_is_matched(street, staff):
    activity = make_activity(street)
    booking = booking_create(activity=activity, user=UserFactory())
    Booking.objects.filter(pk=booking.pk).update(code="AB0CD1EF")  # a code holding 0 and 1
    assert booking_check_in(activity=activity, actor=staff, code="ab-ocd-ief").status == BookingStatus.CHECKED_IN


def test_wrong_code_is_rejected(street, staff):
    activity = make_activity(street)
    booking_create(activity=activity, user=UserFactory())
    with pytest.raises(Problem) as exc:
        booking_check_in(activity=activity, actor=staff, code="ZZZZZZZZ")
    assert exc.value.code == "checkin_invalid"


def test_forged_and_tampered_payloads_are_rejected(street, staff):
    activity = make_activity(street)
    booking = booking_create(activity=activity, user=UserFactory())
    payload = booking_qr_payload(booking)
    forged = signing.dumps({"b": booking.pk, "a": activity.pk}, key="not-the-secret-key", salt="linli.checkin")
    other_salt = signing.dumps({"b": booking.pk, "a": activity.pk}, salt="something.else")
    tampered = payload[:-2] + ("AA" if not payload.endswith("AA") else "BB")
    for bad in (forged, other_salt, tampered, "garbage", payload + "x"):
        with pytest.raises(Problem) as exc:
            booking_check_in(activity=activity, actor=staff, payload=bad)
        assert exc.value.code == "checkin_invalid"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_payload_of_another_activity_is_rejected(street, staff):
    activity = make_activity(street)
    other = make_activity(street)
    booking = booking_create(activity=other, user=UserFactory())
    with pytest.raises(Problem) as exc:
        booking_check_in(activity=activity, actor=staff, payload=booking_qr_payload(booking))
    assert exc.value.code == "checkin_invalid" and "another activity" in in_language(exc.value.detail, "en")
    # nor does its typed code work at this activity
    with pytest.raises(Problem):
        booking_check_in(activity=activity, actor=staff, code=booking.code)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_waitlisted_booking_cannot_check_in(street, staff):
    activity = make_activity(street, capacity=1)
    booking_create(activity=activity, user=UserFactory())
    waiting = booking_create(activity=activity, user=UserFactory())
    assert waiting.status == BookingStatus.WAITLISTED
    with pytest.raises(Problem) as exc:
        booking_check_in(activity=activity, actor=staff, payload=booking_qr_payload(waiting))
    assert exc.value.code == "checkin_invalid" and "waiting list" in in_language(exc.value.detail, "en")
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.WAITLISTED


def test_cancelled_booking_cannot_check_in(street, staff):
    from linli.activities.services.bookings import booking_cancel

    activity = make_activity(street)
    user = UserFactory()
    booking = booking_create(activity=activity, user=user)
    booking_cancel(booking=booking, actor=user)
    with pytest.raises(Problem) as exc:
        booking_check_in(activity=activity, actor=staff, code=booking.code)
    assert exc.value.code == "checkin_invalid"


def test_double_scan_is_harmless(street, staff):
    activity = make_activity(street)
    booking = booking_create(activity=activity, user=UserFactory())
    payload = booking_qr_payload(booking)
    first = booking_check_in(activity=activity, actor=staff, payload=payload)
    events = BookingEvent.objects.filter(booking=booking).count()
    second = booking_check_in(activity=activity, actor=staff, payload=payload)
    assert second.status == BookingStatus.CHECKED_IN and second.checked_in_at == first.checked_in_at
    assert BookingEvent.objects.filter(booking=booking).count() == events


def test_resident_and_other_street_staff_cannot_check_in(street):
    activity = make_activity(street)
    booking = booking_create(activity=activity, user=UserFactory())
    for outsider in (booking.user, UserFactory(), RoleFactory(street=StreetFactory(), role="station_staff").user):
        with pytest.raises(Problem) as exc:
            booking_check_in(activity=activity, actor=outsider, payload=booking_qr_payload(booking))
        assert exc.value.code == "permission_denied"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_qr_images(street):
    activity = make_activity(street)
    booking = booking_create(activity=activity, user=UserFactory())
    svg = booking_qr_svg(booking)
    assert svg.startswith("<svg") and "</svg>" in svg
    assert booking_qr_png(booking).startswith(b"\x89PNG")


# ---------------------------------------------------------------------------------------- walk-ins


def test_walk_in_while_seats_remain_then_refused_when_full(street, staff):
    activity = make_activity(street, capacity=2)
    booking_create(activity=activity, user=UserFactory())
    walk = walk_in_create(activity=activity, actor=staff, phone="13912345678", display_name="王阿姨")
    assert walk.status == BookingStatus.CHECKED_IN and walk.source == BookingSource.WALK_IN
    assert User.objects.get(phone="+8613912345678").display_name == "王阿姨"
    activity.refresh_from_db()
    assert activity.booked == 2
    with pytest.raises(Problem) as exc:
        walk_in_create(activity=activity, actor=staff, phone="13912345679")
    assert exc.value.code == "activity_full"
    activity.refresh_from_db()
    assert (activity.booked, activity.waitlisted) == (2, 0)  # a walk-in never joins the waiting list
    assert not Booking.objects.filter(user__phone="+8613912345679").exists()


def test_walk_in_of_someone_already_booked_checks_them_in(street, staff):
    activity = make_activity(street)
    user = UserFactory(phone="+8613800001111")
    booking = booking_create(activity=activity, user=user)
    walk = walk_in_create(activity=activity, actor=staff, phone="138 0000 1111")
    assert walk.pk == booking.pk and walk.status == BookingStatus.CHECKED_IN


def test_walk_in_needs_staff_and_a_valid_phone(street, staff):
    activity = make_activity(street)
    with pytest.raises(Problem) as exc:
        walk_in_create(activity=activity, actor=UserFactory(), phone="13912345678")
    assert exc.value.code == "permission_denied"
    with pytest.raises(Problem) as exc:
        walk_in_create(activity=activity, actor=staff, phone="12345")
    assert exc.value.code == "invalid_phone"
    assert not Booking.objects.exists()


# ---------------------------------------------------------------------------------------- no-shows


def test_no_shows_only_after_the_end(street, staff):
    activity = make_activity(street, capacity=5)
    came = booking_create(activity=activity, user=UserFactory())
    absent = booking_create(activity=activity, user=UserFactory())
    booking_check_in(activity=activity, actor=staff, code=came.code)
    with pytest.raises(Problem) as exc:
        activity_mark_no_shows(activity=activity, actor=staff)
    assert exc.value.code == "validation_error"
    after_end = activity.end + timedelta(minutes=1)
    assert activity_mark_no_shows(activity=activity, actor=staff, now=after_end) == 1
    absent.refresh_from_db()
    came.refresh_from_db()
    assert absent.status == BookingStatus.NO_SHOW and came.status == BookingStatus.CHECKED_IN
    assert activity_mark_no_shows(activity=activity, actor=staff, now=after_end) == 0
    # a latecomer marked absent can still be checked in
    assert booking_check_in(activity=activity, actor=staff, code=absent.code).status == BookingStatus.CHECKED_IN
    with pytest.raises(Problem) as exc:
        activity_mark_no_shows(activity=activity, actor=UserFactory(), now=after_end)
    assert exc.value.code == "permission_denied"


# --------------------------------------------------------------------------------------------- API


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def test_api_check_in_walk_in_and_no_shows(street, staff, client: Client):
    activity = make_activity(street, capacity=2, starts_in=timedelta(minutes=30))
    booking = booking_create(activity=activity, user=UserFactory())
    url = f"/api/v1/activities/{activity.pk}"
    resp = client.post(
        f"{url}/checkins", json.dumps({"payload": booking_qr_payload(booking)}), "application/json", **bearer(staff)
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "checked_in" and resp.json()["booking_id"] == booking.pk
    resp = client.post(f"{url}/checkins", json.dumps({"code": "nope"}), "application/json", **bearer(staff))
    assert resp.status_code == 422 and resp.json()["code"] == "checkin_invalid"
    assert resp["Content-Type"].startswith("application/problem+json")

    headers = {**bearer(staff), "HTTP_IDEMPOTENCY_KEY": "walk-1"}
    resp = client.post(f"{url}/walk-ins", json.dumps({"phone": "13700000001"}), "application/json", **headers)
    assert resp.status_code == 201 and resp.json()["status"] == "checked_in"
    again = client.post(f"{url}/walk-ins", json.dumps({"phone": "13700000001"}), "application/json", **headers)
    assert again.status_code == 201 and again.json()["booking_id"] == resp.json()["booking_id"]
    resp = client.post(f"{url}/walk-ins", json.dumps({"phone": "13700000002"}), "application/json", **bearer(staff))
    assert resp.status_code == 409 and resp.json()["code"] == "activity_full"

    resp = client.post(f"{url}/no-shows", **bearer(staff))
    assert resp.status_code == 422 and resp.json()["code"] == "validation_error"
    Activity.objects.filter(pk=activity.pk).update(
        start=timezone.now() - timedelta(hours=3), end=timezone.now() - timedelta(hours=1)
    )
    resp = client.post(f"{url}/no-shows", **bearer(staff))
    assert resp.status_code == 200 and resp.json() == {"marked": 0}


def test_api_refuses_residents_and_other_streets(street, client: Client):
    activity = make_activity(street)
    booking = booking_create(activity=activity, user=UserFactory())
    url = f"/api/v1/activities/{activity.pk}"
    body = json.dumps({"payload": booking_qr_payload(booking)})
    for outsider in (booking.user, RoleFactory(street=StreetFactory(), role="station_staff").user):
        resp = client.post(f"{url}/checkins", body, "application/json", **bearer(outsider))
        assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"
        resp = client.post(
            f"{url}/walk-ins", json.dumps({"phone": "13700000003"}), "application/json", **bearer(outsider)
        )
        assert resp.status_code == 403
        assert client.post(f"{url}/no-shows", **bearer(outsider)).status_code == 403
    assert client.post(f"{url}/checkins", body, "application/json").status_code == 401
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert (
        client.post("/api/v1/activities/999999/checkins", body, "application/json", **bearer(booking.user)).status_code
        == 404
    )


def test_codes_are_digits_that_can_be_read_aloud(street, staff):
    activity = make_activity(street, capacity=20)
    codes = [booking_create(activity=activity, user=UserFactory()).code for _ in range(12)]
    assert all(code.isdigit() and len(code) == 8 for code in codes)


def test_a_second_scan_at_the_desk_says_when_it_was_checked_in(street, staff):
    activity = make_activity(street)
    booking = booking_create(activity=activity, user=UserFactory(display_name="胡阿姨"))
    first_at = timezone.now().replace(hour=2, minute=2, second=0, microsecond=0)  # 10:02 in Shanghai
    booking_check_in(activity=activity, actor=staff, code=booking.code, now=first_at)
    Booking.objects.filter(pk=booking.pk).update(checked_in_at=first_at)
    client = Client()
    client.force_login(staff)
    url = f"/staff/activities/{activity.id}/checkin/"
    again = client.post(url, {"action": "checkin", "payload": booking_qr_payload(booking)}).content.decode()
    assert 'data-outcome="already"' in again and "已于10:02签到" in again and "胡阿姨" in again
    api = client.post(
        f"/api/v1/activities/{activity.id}/checkins", json.dumps({"code": booking.code}), "application/json"
    )
    assert api.status_code == 200 and api.json()["already_checked_in"] is True
    assert BookingEvent.objects.filter(booking=booking, to_status="checked_in").count() == 1
