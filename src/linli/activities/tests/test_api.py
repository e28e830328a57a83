"""The activities API: list and detail shapes, one-tap booking with Idempotency-Key, cancel, my bookings, staff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from linli.activities.models import Activity, Booking, BookingEvent
from linli.activities.tests.factories import ActivityFactory, PlaceFactory, StreetFactory, UserFactory
from linli.core.models import RoleAssignment
from linli.core.services import token_create
from linli.core.sms import OutboxSmsBackend

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    cache.clear()
    OutboxSmsBackend.clear()
    yield
    OutboxSmsBackend.clear()


def auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def staff_of(street, role="station_staff"):
    user = UserFactory()
    RoleAssignment.objects.create(user=user, street=street, role=role)
    return user


def test_ping(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        resp = client.get("/api/v1/ping")
    assert resp.status_code == 200 and resp.json() == {"pong": True}


def test_list_and_detail_shapes(client):
    street = StreetFactory(code="apijie")
    place = PlaceFactory(street=street, external_id="V1", name="活动室")
    start = dt.datetime(2026, 12, 5, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    a = ActivityFactory(street=street, place=place, start=start, end=start + dt.timedelta(hours=2), capacity=30)
    ActivityFactory(street=street, place=place, status="draft", start=start, end=start + dt.timedelta(hours=1))
    body = client.get("/api/v1/activities?street=apijie&month=2026-12").json()
    assert body["count"] == 1 and body["page"] == 1 and body["page_size"] == 20
    item = body["items"][0]
    for key in ("id", "external_id", "title", "category", "start", "end", "capacity", "booked", "waitlisted", "status"):
        assert key in item
    assert item["id"] == a.pk and item["start"] == "2026-12-05T14:00:00+08:00"
    assert item["place"] == {"id": place.pk, "external_id": "V1", "name": "活动室"}
    assert item["seats_left"] == 30 and item["category_name"] == "讲座" and item["category_name_en"] == "Lecture"
    assert client.get(f"/api/v1/activities?place={place.pk}&month=2026-12").json()["count"] == 1
    assert client.get("/api/v1/activities?street=apijie&month=2027-01").json()["count"] == 0
    detail = client.get(f"/api/v1/activities/{a.pk}").json()
    assert detail == item
    draft = Activity.objects.get(status="draft")
    assert client.get(f"/api/v1/activities/{draft.pk}").status_code == 404
    assert client.get("/api/v1/activities/999999").json()["code"] == "not_found"


@pytest.mark.parametrize(
    "query",
    ["month=2026-13", "month=abc", "category=spaceflight", "street=nowhere", "page=0", "page_size=1000", "place=x"],
)
def test_bad_list_input_is_a_problem_not_a_500(client, query):
    resp = client.get(f"/api/v1/activities?{query}")
    assert 400 <= resp.status_code < 500
    assert resp["Content-Type"].startswith("application/problem+json")


def test_book_idempotent_and_my_bookings(client):
    activity = ActivityFactory(capacity=1, waitlist_capacity=1)
    user = UserFactory()
    headers = {**auth(user), "HTTP_IDEMPOTENCY_KEY": "tap-1"}
    first = client.post(f"/api/v1/activities/{activity.pk}/bookings", **headers)
    assert first.status_code == 201
    body = first.json()
    assert body["status"] == "confirmed" and body["waitlist_position"] is None and len(body["code"]) == 8
    again = client.post(f"/api/v1/activities/{activity.pk}/bookings", **headers)
    assert again.status_code == 201 and again.json() == body and again["Idempotent-Replayed"] == "true"
    assert Booking.objects.filter(activity=activity).count() == 1
    # A new key is a new attempt: already booked.
    dup = client.post(f"/api/v1/activities/{activity.pk}/bookings", **{**auth(user), "HTTP_IDEMPOTENCY_KEY": "tap-2"})
    assert dup.status_code == 409 and dup.json()["code"] == "already_booked"
    # A second person is waitlisted, a third finds it full.
    w = UserFactory()
    wl = client.post(f"/api/v1/activities/{activity.pk}/bookings", **auth(w))
    assert wl.status_code == 201 and wl.json()["status"] == "waitlisted" and wl.json()["waitlist_position"] == 1
    full = client.post(f"/api/v1/activities/{activity.pk}/bookings", **auth(UserFactory()), HTTP_ACCEPT_LANGUAGE="en")
    assert full.status_code == 409 and full.json()["code"] == "activity_full"
    mine = client.get("/api/v1/me/bookings", **auth(user)).json()
    assert [b["booking_id"] for b in mine] == [body["booking_id"]]
    assert mine[0]["activity"]["id"] == activity.pk and mine[0]["activity"]["booked"] == 1
    # A page at a time: years of bookings stay one answer's size
    later = ActivityFactory(street=activity.street, start=activity.start + dt.timedelta(days=1),
                            end=activity.end + dt.timedelta(days=1))  # fmt: skip
    assert client.post(f"/api/v1/activities/{later.pk}/bookings", **auth(user)).status_code == 201
    pages = [client.get(f"/api/v1/me/bookings?page_size=1&page={n}", **auth(user)).json() for n in (1, 2, 3)]
    assert [[b["activity"]["id"] for b in p] for p in pages] == [[activity.pk], [later.pk], []]
    one = client.get(f"/api/v1/bookings/{body['booking_id']}", **auth(user)).json()
    assert one["code"] == body["code"]
    assert client.get(f"/api/v1/bookings/{body['booking_id']}", **auth(w)).status_code == 404


def test_booking_needs_sign_in(client):
    activity = ActivityFactory()
    resp = client.post(f"/api/v1/activities/{activity.pk}/bookings")
    assert resp.status_code == 401 and resp.json()["code"] == "not_authenticated"
    assert client.post("/api/v1/activities/987654/bookings", **auth(UserFactory())).status_code == 404


@pytest.mark.parametrize(
    ("kwargs", "code", "status"),
    [
        ({"status": "cancelled"}, "booking_closed", 409),
        ({"booking_opens_at_days": 2}, "booking_closed", 409),
        ({"audience": "riders"}, "audience_mismatch", 403),
        ({"capacity": 1, "waitlist_capacity": 0, "prefill": 1}, "activity_full", 409),
    ],
)
def test_booking_problem_codes_over_http(client, kwargs, code, status):
    opens = kwargs.pop("booking_opens_at_days", None)
    prefill = kwargs.pop("prefill", 0)
    if opens:
        kwargs["booking_opens_at"] = timezone.now() + dt.timedelta(days=opens)
    activity = ActivityFactory(**kwargs)
    for _ in range(prefill):
        client.post(f"/api/v1/activities/{activity.pk}/bookings", **auth(UserFactory()))
    resp = client.post(f"/api/v1/activities/{activity.pk}/bookings", **auth(UserFactory()))
    assert resp.status_code == status and resp.json()["code"] == code
    assert resp["Content-Type"].startswith("application/problem+json")


def test_booking_limit_over_http(client):
    street = StreetFactory(booking_limit=1)
    place = PlaceFactory(street=street)
    a1, a2 = ActivityFactory(street=street, place=place), ActivityFactory(street=street, place=place)
    user = UserFactory()
    assert client.post(f"/api/v1/activities/{a1.pk}/bookings", **auth(user)).status_code == 201
    resp = client.post(f"/api/v1/activities/{a2.pk}/bookings", **auth(user))
    assert resp.status_code == 409 and resp.json()["code"] == "booking_limit_reached"


def test_idempotent_refusal_is_replayed(client):
    activity = ActivityFactory(audience="elderly")
    user = UserFactory()
    headers = {**auth(user), "HTTP_IDEMPOTENCY_KEY": "k"}
    first = client.post(f"/api/v1/activities/{activity.pk}/bookings", **headers)
    assert first.json()["code"] == "audience_mismatch"
    second = client.post(f"/api/v1/activities/{activity.pk}/bookings", **headers)
    assert second.status_code == first.status_code and second["Idempotent-Replayed"] == "true"


def test_cancel_promotes_first_waitlisted_and_tells_them(client, django_capture_on_commit_callbacks):
    activity = ActivityFactory(capacity=1, waitlist_capacity=3, title="剪纸课")
    a, w = UserFactory(), UserFactory()
    booked = client.post(f"/api/v1/activities/{activity.pk}/bookings", **auth(a)).json()
    waiting = client.post(f"/api/v1/activities/{activity.pk}/bookings", **auth(w)).json()
    assert waiting["status"] == "waitlisted"
    assert client.delete(f"/api/v1/bookings/{booked['booking_id']}", **auth(w)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.delete(f"/api/v1/bookings/{booked['booking_id']}", **auth(a))
    assert resp.status_code == 200
    assert resp.json()["status"] == "cancelled" and resp.json()["activity"]["booked"] == 1
    promoted = client.get(f"/api/v1/bookings/{waiting['booking_id']}", **auth(w)).json()
    assert promoted["status"] == "confirmed" and promoted["waitlist_position"] is None
    texts = [m.message for m in OutboxSmsBackend.outbox if m.phone == w.phone]
    assert len(texts) == 1 and "剪纸课" in texts[0]
    again = client.delete(f"/api/v1/bookings/{booked['booking_id']}", **auth(a))
    assert again.status_code == 409 and again.json()["code"] == "booking_invalid_transition"


def test_cancel_after_deadline_over_http(client):
    activity = ActivityFactory(cancel_deadline=timezone.now() + dt.timedelta(days=1))
    user = UserFactory()
    booked = client.post(f"/api/v1/activities/{activity.pk}/bookings", **auth(user)).json()
    Activity.objects.filter(pk=activity.pk).update(cancel_deadline=timezone.now() - dt.timedelta(minutes=1))
    resp = client.delete(f"/api/v1/bookings/{booked['booking_id']}", **auth(user))
    assert resp.status_code == 409 and resp.json()["code"] == "cancel_deadline_passed"
    staff = staff_of(activity.street)
    assert client.delete(f"/api/v1/bookings/{booked['booking_id']}", **auth(staff)).status_code == 200


def test_staff_create_edit_publish_cancel_and_list(client, django_capture_on_commit_callbacks):
    street = StreetFactory(code="staffjie")
    place = PlaceFactory(street=street)
    staff = staff_of(street)
    payload = {
        "street": "staffjie",
        "place_id": place.pk,
        "title": "防诈骗讲座",
        "start": "2030-03-01T09:30:00",
        "end": "2030-03-01T11:00:00+08:00",
        "capacity": 2,
        "waitlist_capacity": 1,
        "category": "lecture",
    }
    resident = UserFactory()
    denied = client.post("/api/v1/activities", payload, content_type="application/json", **auth(resident))
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    bad = client.post(
        "/api/v1/activities",
        {**payload, "end": "2030-03-01T08:00:00+08:00", "category": "x"},
        content_type="application/json",
        **auth(staff),
    )
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"end", "category"}
    resp = client.post("/api/v1/activities", payload, content_type="application/json", **auth(staff))
    assert resp.status_code == 201, resp.content
    created = resp.json()
    assert created["status"] == "draft" and created["start"] == "2030-03-01T09:30:00+08:00"
    aid = created["id"]
    assert client.post(f"/api/v1/activities/{aid}/bookings", **auth(resident)).status_code == 404  # draft
    assert client.post(f"/api/v1/activities/{aid}/publish", **auth(resident)).status_code == 404
    pub = client.post(f"/api/v1/activities/{aid}/publish", **auth(staff))
    assert pub.status_code == 200 and pub.json()["status"] == "published"
    users = [UserFactory(phone=f"+8613800000{i:03d}") for i in range(3)]
    for u in users:
        assert client.post(f"/api/v1/activities/{aid}/bookings", **auth(u)).status_code == 201
    rows = client.get(f"/api/v1/activities/{aid}/bookings", **auth(staff)).json()
    assert [r["status"] for r in rows] == ["confirmed", "confirmed", "waitlisted"]
    assert rows[0]["phone"] == "138****0000"
    assert client.get(f"/api/v1/activities/{aid}/bookings", **auth(resident)).status_code == 403
    patch = client.patch(f"/api/v1/activities/{aid}", {"capacity": 1}, content_type="application/json", **auth(staff))
    assert patch.status_code == 422
    patch = client.patch(
        f"/api/v1/activities/{aid}", {"capacity": 3, "title": "防诈骗讲座（加场）"}, content_type="application/json",
        **auth(staff),
    )  # fmt: skip
    assert patch.status_code == 200 and patch.json()["booked"] == 3 and patch.json()["waitlisted"] == 0
    OutboxSmsBackend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancel = client.post(
            f"/api/v1/activities/{aid}/cancel", {"message": "场地维修"}, content_type="application/json", **auth(staff)
        )
    assert cancel.status_code == 200
    assert cancel.json()["told"] == 3 and cancel.json()["activity"]["status"] == "cancelled"
    assert {m.phone for m in OutboxSmsBackend.outbox} == {u.phone for u in users}
    assert BookingEvent.objects.filter(booking__activity_id=aid, to_status="cancelled").count() == 3
    other = staff_of(StreetFactory())
    assert (
        client.post(f"/api/v1/activities/{aid}/cancel", {}, content_type="application/json", **auth(other)).status_code
        == 403
    )


def test_openapi_lists_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/activities",
        "/api/v1/activities/{activity_id}",
        "/api/v1/activities/{activity_id}/bookings",
        "/api/v1/bookings/{booking_id}",
        "/api/v1/me/bookings",
        "/api/v1/ping",
    ):
        assert path in paths, path


def test_admin_is_scoped_and_writes_through_services(client, django_capture_on_commit_callbacks):
    a_street, b_street = StreetFactory(code="adma"), StreetFactory(code="admb")
    mine = ActivityFactory(street=a_street, title="本街道活动", capacity=1, waitlist_capacity=2)
    ActivityFactory(street=b_street, title="别的街道活动")
    admin_user = UserFactory(is_staff=True)
    RoleAssignment.objects.create(user=admin_user, street=a_street, role="admin")
    client.force_login(admin_user)
    page = client.get("/admin/activities/activity/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "本街道活动" in html and "别的街道活动" not in html
    holder, waiter = UserFactory(), UserFactory()
    from linli.activities.services.bookings import booking_create

    held = booking_create(activity=mine, user=holder)
    booking_create(activity=mine, user=waiter)
    assert client.get(f"/admin/activities/booking/{held.pk}/change/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            "/admin/activities/booking/",
            {"action": "cancel_selected", "_selected_action": [held.pk]},
        )
    assert resp.status_code == 302
    assert Booking.objects.get(pk=held.pk).status == "cancelled"
    assert Booking.objects.get(user=waiter).status == "confirmed"  # promoted through the service
    assert [m.phone for m in OutboxSmsBackend.outbox] == [waiter.phone]


def test_public_activity_texts_mask_phone_and_id_numbers(client):
    """The API, the activity page and the street's calendar feed are public: numbers typed into a description
    are published masked (PIPL)."""
    street = StreetFactory(code="maskjie")
    a = ActivityFactory(street=street, description="报名请致电 13812345678，带身份证 310101199001011234")
    pages = [
        client.get(f"/api/v1/activities/{a.pk}"),
        client.get(f"/activities/{a.pk}/"),
        client.get("/api/v1/streets/maskjie/activities.ics"),
    ]
    for resp in pages:
        assert resp.status_code == 200
        text = resp.content.decode().replace("\r\n ", "")  # iCalendar folds long lines
        assert "138****5678" in text and "13812345678" not in text and "310101199001011234" not in text
