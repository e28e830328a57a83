"""The activity pages with Django's test client: residents' list, activity, booking, my bookings, cancel;
the staff pages and their permissions; problems shown as friendly messages; elder mode; the map integration."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from linli.activities.models import Activity, ActivityStatus, Booking, BookingStatus
from linli.activities.services.bookings import booking_create
from linli.activities.tests.factories import ActivityFactory, PlaceFactory, StreetFactory, UserFactory
from linli.core.models import RoleAssignment
from linli.core.sms import OutboxSmsBackend
from linli.core.testing import with_fragments

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    cache.clear()
    OutboxSmsBackend.clear()
    yield
    OutboxSmsBackend.clear()


def this_month_start() -> dt.datetime:
    """A start time later this month (one hour from now, or a few minutes when the month is about to end)."""
    now = timezone.localtime()
    start = now + dt.timedelta(hours=1)
    if start.month != now.month:
        start = now + dt.timedelta(minutes=5)
    return start.replace(microsecond=0)


def staff_of(street, role="station_staff"):
    user = UserFactory()
    RoleAssignment.objects.create(user=user, street=street, role=role)
    return user


def client_for(user=None, elder=False) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    if elder:
        client.cookies["linli_elder"] = "1"
    return client


@pytest.fixture
def world():
    street = StreetFactory(code="pagejie", name="页面街道")
    other = StreetFactory(code="otherjie", name="别的街道")
    venue = PlaceFactory(street=street, name="万家书房")
    start = this_month_start()
    activity = ActivityFactory(
        street=street,
        place=venue,
        title="读书会",
        category="culture",
        start=start,
        end=start + dt.timedelta(hours=2),
        capacity=1,
        waitlist_capacity=5,
    )
    draft = ActivityFactory(
        street=street,
        place=venue,
        title="草稿活动",
        start=start,
        end=start + dt.timedelta(hours=1),
        status=ActivityStatus.DRAFT,
    )
    return {
        "street": street,
        "other": other,
        "venue": venue,
        "activity": activity,
        "draft": draft,
        "a": UserFactory(display_name="张阿姨"),
        "b": UserFactory(display_name="李伯伯"),
        "staff": staff_of(street),
        "other_staff": staff_of(other),
    }


# ------------------------------------------------------------------------------------------ residents


def test_street_list_shows_this_months_published_activities(world):
    response = Client().get("/s/pagejie/activities/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "读书会" in html and "万家书房" in html
    assert "草稿活动" not in html
    assert "余 1 位" in html
    assert f'href="/activities/{world["activity"].id}/"' in html


def test_street_list_filters(world):
    start = world["activity"].start
    ActivityFactory(
        street=world["street"],
        place=world["venue"],
        title="健康讲座",
        category="health",
        start=start,
        end=start + dt.timedelta(hours=1),
    )
    client = Client()
    html = client.get("/s/pagejie/activities/?category=health").content.decode()
    assert "健康讲座" in html and "读书会" not in html
    html = client.get("/s/pagejie/activities/?q=读书").content.decode()
    assert "读书会" in html and "健康讲座" not in html
    # Another month: nothing of this month.
    month = (timezone.localdate().replace(day=1) + dt.timedelta(days=40)).strftime("%Y-%m")
    html = client.get(f"/s/pagejie/activities/?when=month&month={month}").content.decode()
    assert "读书会" not in html and "这段时间没有符合条件的活动" in html
    # htmx asks for the list only.
    partial = client.get("/s/pagejie/activities/?when=week", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'id="results-count"' in partial
    # Bad values never break the page.
    assert client.get("/s/pagejie/activities/?month=2026-13&category=nope&from=abc").status_code == 200
    assert client.get("/s/nosuchjie/activities/").status_code == 404


def test_street_list_near_me_sorts_by_venue_distance(world):
    far = PlaceFactory(street=world["street"], name="远处的站点", lat=31.30, lng=121.45)
    start = world["activity"].start
    ActivityFactory(
        street=world["street"],
        place=far,
        title="远处活动",
        start=start - dt.timedelta(minutes=1),
        end=start + dt.timedelta(hours=1),
    )
    html = Client().get("/s/pagejie/activities/").content.decode()
    assert html.index("远处活动") < html.index("读书会")  # by time
    html = Client().get(f"/s/pagejie/activities/?from={world['venue'].lat},{world['venue'].lng}").content.decode()
    assert html.index("读书会") < html.index("远处活动")  # by distance
    assert "步行约" in html


def test_activity_page_and_signed_out_booking_goes_to_login(world):
    activity = world["activity"]
    response = Client().get(f"/activities/{activity.id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "读书会" in html and "一键预约" in html and f'href="/places/{world["venue"].id}/"' in html
    assert "uri.amap.com/navigation" in html
    response = Client().post(f"/activities/{activity.id}/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/activities/{activity.id}/"
    assert not Booking.objects.exists()
    # Drafts are not public; the street's staff may preview them.
    assert Client().get(f"/activities/{world['draft'].id}/").status_code == 404
    assert client_for(world["a"]).get(f"/activities/{world['draft'].id}/").status_code == 404
    assert client_for(world["staff"]).get(f"/activities/{world['draft'].id}/").status_code == 200


def test_book_confirmed_then_waitlisted_then_full_problem(world):
    activity = world["activity"]
    url = f"/activities/{activity.id}/"
    a = client_for(world["a"])
    response = a.post(url)
    booking = Booking.objects.get(user=world["a"])
    assert response.status_code == 302 and response["Location"] == f"{url}?booked={booking.id}"
    html = a.get(response["Location"]).content.decode()
    assert "已预约" in html and "我的预约" in html and f"/api/v1/bookings/{booking.id}.ics" in html
    # Booking twice is a friendly message, not a 500.
    response = a.post(url)
    assert response.status_code == 409
    assert "您已预约过这个活动" in response.content.decode()

    b = client_for(world["b"])
    b.post(url)
    assert Booking.objects.get(user=world["b"]).status == BookingStatus.WAITLISTED
    assert "候补 第1位" in b.get(url).content.decode()

    # Fill the waitlist: the next person sees the problem message for a full activity.
    for _ in range(4):
        booking_create(activity=Activity.objects.get(pk=activity.pk), user=UserFactory())
    late = client_for(UserFactory())
    page = late.get(url).content.decode()
    assert "已满" in page and 'id="book"' not in page
    response = late.post(url)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-code="activity_full"' in html and "名额已满，候补也已排满" in html


def test_my_bookings_qr_cancel_with_confirm_and_promotion(world):
    activity = world["activity"]
    a, b = client_for(world["a"]), client_for(world["b"])
    a.post(f"/activities/{activity.id}/")
    b.post(f"/activities/{activity.id}/")
    mine = Booking.objects.get(user=world["a"])
    html = a.get("/me/bookings/").content.decode()
    assert "读书会" in html and "<svg" in html and mine.code in html and "已预约" in html
    html_b = b.get("/me/bookings/").content.decode()
    assert "候补 第1位" in html_b and "<svg" not in html_b

    # Cancel: a confirmation step first, then the POST.
    confirm = a.get(f"/me/bookings/{mine.id}/cancel/")
    assert confirm.status_code == 200 and "确定要取消这个预约吗" in confirm.content.decode()
    assert Booking.objects.get(pk=mine.pk).status == BookingStatus.CONFIRMED
    response = a.post(f"/me/bookings/{mine.id}/cancel/")
    assert response.status_code == 302 and response["Location"] == "/me/bookings/?cancelled=1"
    html = a.get(response["Location"]).content.decode()
    assert "已取消预约" in html and 'id="past"' in html
    # B is promoted and now has a QR code.
    assert Booking.objects.get(user=world["b"]).status == BookingStatus.CONFIRMED
    html_b = b.get("/me/bookings/").content.decode()
    assert "<svg" in html_b and "已预约" in html_b
    # Someone else's booking is not found; signed-out goes to sign-in.
    assert b.get(f"/me/bookings/{mine.id}/cancel/").status_code == 404
    assert Client().get("/me/bookings/").status_code == 302


def test_cancel_after_deadline_shows_the_problem(world):
    activity = world["activity"]
    a = client_for(world["a"])
    a.post(f"/activities/{activity.id}/")
    Activity.objects.filter(pk=activity.pk).update(cancel_deadline=timezone.now() - dt.timedelta(minutes=1))
    booking = Booking.objects.get(user=world["a"])
    response = a.post(f"/me/bookings/{booking.id}/cancel/")
    assert response.status_code == 409
    assert "已过取消截止时间" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_elder_mode_pages(world):
    a = client_for(world["a"], elder=True)
    a.post(f"/activities/{world['activity'].id}/")
    for url in (f"/activities/{world['activity'].id}/", "/me/bookings/", "/s/pagejie/activities/"):
        response = a.get(url)
        assert response.status_code == 200
        assert 'class="elder"' in response.content.decode()


def test_map_and_place_pages_show_this_months_activities(world):
    client = Client()
    html = with_fragments(client, client.get("/s/pagejie/").content.decode())
    assert 'href="/s/pagejie/activities/"' in html and "本月活动" in html
    assert "本月1场活动" in html
    html = with_fragments(client, client.get(f"/places/{world['venue'].id}/").content.decode())
    assert (
        'id="venue-activities"' in html and "读书会" in html and f'href="/activities/{world["activity"].id}/"' in html
    )
    assert "草稿活动" not in html


def test_header_links(world):
    assert "我的预约" not in Client().get("/s/pagejie/activities/").content.decode()
    html = client_for(world["a"]).get("/s/pagejie/activities/").content.decode()
    assert 'id="nav-my-bookings"' in html and 'id="nav-staff-activities"' not in html
    html = client_for(world["staff"]).get("/s/pagejie/activities/").content.decode()
    assert 'id="nav-staff-activities"' in html


# ---------------------------------------------------------------------------------------------- staff


def test_staff_pages_refuse_residents_and_other_streets(world):
    activity = world["activity"]
    urls = [
        "/staff/activities/",
        "/staff/activities/new/",
        f"/staff/activities/{activity.id}/edit/",
        f"/staff/activities/{activity.id}/cancel/",
        f"/staff/activities/{activity.id}/bookings/",
        f"/staff/activities/{activity.id}/checkin/",
    ]
    resident, other = client_for(world["a"]), client_for(world["other_staff"])
    for url in urls:
        assert resident.get(url).status_code == 403, url
        assert "没有权限" in resident.get(url).content.decode()
        assert Client().get(url).status_code == 302, url
    for url in urls[2:]:
        assert other.get(url).status_code == 403, url
    assert other.get("/staff/activities/?street=pagejie").status_code == 403
    assert resident.post(f"/staff/activities/{world['draft'].id}/publish/").status_code == 403
    assert other.post(f"/staff/activities/{activity.id}/checkin/", {"code": "X"}).status_code == 403
    staff = client_for(world["staff"])
    for url in urls:
        assert staff.get(url).status_code == 200, url


def test_staff_list_create_publish_edit(world):
    staff = client_for(world["staff"])
    html = staff.get("/staff/activities/").content.decode()
    assert "读书会" in html and "草稿活动" in html and "已约 0/1" in html
    start = timezone.localtime(this_month_start() + dt.timedelta(days=1))
    form = {
        "street": "pagejie",
        "title": "剪纸课",
        "place": world["venue"].id,
        "category": "skills_training",
        "audience": "everyone",
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "capacity": "20",
        "waitlist_capacity": "5",
        "organiser": "万里居委",
        "description": "带剪刀",
    }
    # Invalid: end before start, shown next to the field.
    bad = staff.post("/staff/activities/new/?street=pagejie", {**form, "end": form["start"]})
    assert bad.status_code == 422 and "结束时间必须晚于开始时间" in bad.content.decode()
    response = staff.post("/staff/activities/new/?street=pagejie", {**form, "publish": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Activity.objects.get(title="剪纸课")
    assert created.status == ActivityStatus.PUBLISHED and created.capacity == 20 and created.place == world["venue"]
    assert created.start == start.replace(second=0, microsecond=0)

    # Edit
    edit_url = f"/staff/activities/{created.id}/edit/"
    page = staff.get(edit_url).content.decode()
    assert 'value="剪纸课"' in page and start.strftime("%Y-%m-%dT%H:%M") in page
    response = staff.post(edit_url, {**form, "title": "剪纸课（进阶）", "capacity": ""})
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.title == "剪纸课（进阶）" and created.capacity is None

    # Publish the draft
    draft = world["draft"]
    assert staff.post(f"/staff/activities/{draft.id}/publish/").status_code == 302
    draft.refresh_from_db()
    assert draft.status == ActivityStatus.PUBLISHED


def test_staff_cancel_activity_tells_everyone(world, django_capture_on_commit_callbacks):
    activity = world["activity"]
    client_for(world["a"]).post(f"/activities/{activity.id}/")
    client_for(world["b"]).post(f"/activities/{activity.id}/")
    staff = client_for(world["staff"])
    page = staff.get(f"/staff/activities/{activity.id}/cancel/").content.decode()
    assert "确定取消活动并通知居民" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/staff/activities/{activity.id}/cancel/", {"message": "场地维修，改期另行通知"})
    assert response.status_code == 200
    assert 'id="cancel-done"' in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.CANCELLED
    phones = {m.phone for m in OutboxSmsBackend.outbox if "场地维修" in m.message}
    assert {world["a"].phone, world["b"].phone} <= phones
    html = client_for(world["a"]).get(f"/activities/{activity.id}/").content.decode()
    assert "已取消" in html and 'id="book"' not in html


def test_staff_bookings_page_masks_phones_and_links_downloads(world):
    activity = world["activity"]
    client_for(world["a"]).post(f"/activities/{activity.id}/")
    client_for(world["b"]).post(f"/activities/{activity.id}/")
    html = client_for(world["staff"]).get(f"/staff/activities/{activity.id}/bookings/").content.decode()
    assert "张阿姨" in html and "李伯伯" in html
    assert world["a"].phone[3:] not in html
    assert world["a"].phone[3:6] + "****" + world["a"].phone[-4:] in html
    assert f"/api/v1/activities/{activity.id}/attendance.csv" in html
    assert f"/api/v1/activities/{activity.id}/attendance.xlsx" in html
    assert 'id="group-waitlisted"' in html
    # The download links work with the staff's session.
    staff = client_for(world["staff"])
    csv = staff.get(f"/api/v1/activities/{activity.id}/attendance.csv")
    assert csv.status_code == 200 and "张阿姨" in csv.content.decode("utf-8-sig")
    assert staff.get(f"/api/v1/activities/{activity.id}/attendance.xlsx").status_code == 200
    booking = Booking.objects.get(user=world["a"])
    ics = client_for(world["a"]).get(f"/api/v1/bookings/{booking.id}.ics")
    assert ics.status_code == 200 and b"BEGIN:VEVENT" in ics.content


def test_checkin_by_code_bad_code_walk_in_and_no_shows(world):
    activity = world["activity"]
    Activity.objects.filter(pk=activity.pk).update(capacity=2)
    client_for(world["a"]).post(f"/activities/{activity.id}/")
    code = Booking.objects.get(user=world["a"]).code
    staff = client_for(world["staff"])
    url = f"/staff/activities/{activity.id}/checkin/"

    page = staff.get(url).content.decode()
    assert 'id="checkin-form"' in page and 'name="code"' in page and 'id="scan-video"' in page
    assert 'id="walk-in"' in page  # a seat remains

    # Plain form post (no JavaScript): the whole page with the result.
    response = staff.post(url, {"action": "checkin", "code": code.lower()})
    assert response.status_code == 200
    html = response.content.decode()
    assert "checkin-result--ok" in html and "张阿姨" in html and "<html" in html
    assert Booking.objects.get(user=world["a"]).status == BookingStatus.CHECKED_IN

    # htmx: only the result, red for a wrong code.
    response = staff.post(url, {"action": "checkin", "code": "ZZZZZZ"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and "checkin-result--bad" in html and "签到码无效" in html
    response = staff.post(url, {"action": "checkin", "code": ""}, HTTP_HX_REQUEST="true")
    assert "请输入签到码" in response.content.decode()

    # Walk-in while a seat remains.
    bad = staff.post(url, {"action": "walk_in", "phone": "123"})
    assert bad.status_code == 422 and "手机号格式不正确" in bad.content.decode()
    response = staff.post(url, {"action": "walk_in", "phone": "13900001111", "display_name": "王先生"})
    assert response.status_code == 200
    assert "王先生" in response.content.decode()
    walk = Booking.objects.get(user__phone="+8613900001111")
    assert walk.status == BookingStatus.CHECKED_IN and walk.source == "walk_in"
    assert 'id="walk-in"' not in response.content.decode()  # now full

    # After the end: mark no-shows.
    assert 'id="mark-no-shows"' not in staff.get(url).content.decode()
    Activity.objects.filter(pk=activity.pk).update(
        start=timezone.now() - dt.timedelta(hours=3), end=timezone.now() - dt.timedelta(hours=1)
    )
    page = staff.get(url).content.decode()
    assert 'id="mark-no-shows"' in page
    response = staff.post(url, {"action": "no_shows"})
    assert response.status_code == 200 and 'data-outcome="no_shows"' in response.content.decode()


def test_checkin_with_the_qr_payload(world):
    from linli.activities.services.checkin import booking_qr_payload

    activity = world["activity"]
    client_for(world["a"]).post(f"/activities/{activity.id}/")
    booking = Booking.objects.get(user=world["a"])
    staff = client_for(world["staff"])
    response = staff.post(
        f"/staff/activities/{activity.id}/checkin/",
        {"action": "checkin", "payload": booking_qr_payload(booking)},
        HTTP_HX_REQUEST="true",
    )
    assert "checkin-result--ok" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CHECKED_IN


def test_english_pages(world):
    client = client_for(world["a"])
    client.cookies["django_language"] = "en"
    html = client.get(f"/activities/{world['activity'].id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Book now" in html


def test_my_bookings_page_shows_every_upcoming_and_the_latest_past_ones(world):
    """After years of bookings the page stays one screen: every booking still to come, the latest past ones."""
    from linli.activities.views import PAST_BOOKINGS_SHOWN

    user, street = world["a"], world["activity"].street
    now = timezone.now().replace(microsecond=0)
    past = [
        ActivityFactory(street=street, title=f"往期{n:02d}", start=now - dt.timedelta(days=n + 1),
                        end=now - dt.timedelta(days=n + 1) + dt.timedelta(hours=1))
        for n in range(PAST_BOOKINGS_SHOWN + 2)
    ]  # fmt: skip
    for activity in past:
        Booking.objects.create(
            activity=activity, user=user, status=BookingStatus.CHECKED_IN, code=f"P{activity.pk:07d}"
        )
    a = client_for(user)
    a.post(f"/activities/{world['activity'].id}/")
    html = a.get("/me/bookings/").content.decode()
    assert "读书会" in html  # the one to come
    shown = [f"往期{n:02d}" in html for n in range(PAST_BOOKINGS_SHOWN + 2)]
    assert shown == [True] * PAST_BOOKINGS_SHOWN + [False, False]  # the latest 30 past ones, newest first kept
