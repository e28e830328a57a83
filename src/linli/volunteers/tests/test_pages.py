"""The pages: volunteer (sign up, check in by QR, hours, certificate), staff planner, screen, menu, stats and
CSV; another street's staff are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linli.core.models import User
from linli.volunteers.models import Shift, Signup
from linli.volunteers.services import menu
from linli.volunteers.services.certificates import certificate_token
from linli.volunteers.services.stationcode import station_token
from linli.volunteers.tests.factories import VolWorld, build_world, shift_make

pytestmark = pytest.mark.django_db


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_volunteer_signs_up_checks_in_and_gets_a_certificate(world: VolWorld) -> None:
    shift = shift_make(world.station)
    c = client(world.retired)
    page = c.get("/volunteer/")
    assert page.status_code == 200 and f'data-shift="{shift.pk}"' in page.content.decode()
    assert c.post("/volunteer/", {"action": "signup", "shift": shift.pk}).status_code == 302
    assert Signup.objects.filter(shift=shift, volunteer=world.volunteer).exists()
    now = timezone.now()
    today = Shift.objects.create(
        station=world.station, title="午餐堂食区", start=now, end=now + timedelta(hours=1), places=1
    )
    Signup.objects.create(shift=today, volunteer=world.volunteer)
    token = station_token(world.station)
    assert "checkin-button" in c.get(f"/volunteer/checkin/?t={token}").content.decode()
    done = c.post("/volunteer/checkin/", {"t": token}).content.decode()
    assert 'data-status="checked_in"' in done
    stale = c.post("/volunteer/checkin/", {"t": "1.1.xxxxxxxxxxxxxxxx"}).content.decode()
    assert 'data-code="station_code_invalid"' in stale
    pdf = c.get("/volunteer/certificate.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    check = Client().get(f"/volunteer/certificates/{certificate_token(world.volunteer)}/")
    assert check.status_code == 200 and "cert-valid" in check.content.decode() and "王*" in check.content.decode()
    assert Client().get("/volunteer/certificates/forged/").status_code == 404


def test_registration_page(db: None) -> None:
    world = build_world()
    from linli.core.tests.factories import UserFactory

    newcomer = UserFactory(home_street=world.street)
    c = client(newcomer)
    assert "vol-register" in c.get("/volunteer/").content.decode()
    c.post("/volunteer/", {"action": "register", "name": "赵老师", "skills": ["teaching"], "consent": "1"})
    assert newcomer.volunteer_profiles.get().skills == ["teaching"]


def test_staff_pages_and_privacy(world: VolWorld) -> None:
    c = client(world.staff)
    q = f"?street={world.street.code}"
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    c.post(f"/staff/volunteers/{q}", {"action": "publish", "station": world.station.pk, "kind": "opening", "title": "开门值守",
                                      "day": day, "start": "07:40", "end": "09:40", "places": 2, "weeks": 3})  # fmt: skip
    assert Shift.objects.filter(station=world.station, title="开门值守").count() == 3
    for url in ("/staff/volunteers/", "/staff/volunteers/menu/", "/staff/volunteers/stats/"):
        assert c.get(url + q).status_code == 200, url
    screen = c.get(f"/staff/volunteers/stations/{world.station.pk}/screen/")
    assert screen.status_code == 200 and "<svg" in screen.content.decode()
    assert "/volunteer/checkin/?t=" in c.get(f"/staff/volunteers/stations/{world.station.pk}/code.json").json()["url"]
    csv = c.get("/staff/volunteers/stats.csv" + q).content.decode()
    assert "王*" in csv and "王老师" not in csv and world.retired.phone not in csv
    outsider = client(build_world(code="farjie").staff)
    assert outsider.get("/staff/volunteers/" + q).status_code == 403
    assert outsider.get(f"/staff/volunteers/stations/{world.station.pk}/screen/").status_code == 403
    assert outsider.get("/staff/volunteers/stats.csv" + q).status_code == 403
    assert client(world.retired).get("/staff/volunteers/" + q).status_code == 403


def test_enterprise_claims_reports_and_the_street_counts_it(world: VolWorld) -> None:
    m = client(world.manager)
    assert "免费理发日" in m.get("/volunteer/menu/").content.decode()
    m.post("/volunteer/menu/", {"action": "claim", "item": world.item.pk, "team": world.company.pk, "people": 3,
                                "street": world.street.code})  # fmt: skip
    claim = world.item.claims.get()
    m.post(
        "/volunteer/menu/",
        {"action": "report", "claim": claim.pk, "served": 30, "hours": 6, "street": world.street.code},
    )
    claim.refresh_from_db()
    assert claim.status == "delivered" and claim.served == 30 and claim.minutes == 360
    s = client(world.staff)
    s.post(f"/staff/volunteers/menu/?street={world.street.code}", {"action": "confirm", "claim": claim.pk})
    claim.refresh_from_db()
    assert claim.status == "confirmed"
    stats = s.get(f"/staff/volunteers/stats/?street={world.street.code}").content.decode()
    assert 'id="stat-services">1<' in stats and 'id="stat-served">30<' in stats
    menu.item_publish(
        station=world.station, actor=world.staff, title="家电维修摊", day=timezone.localdate(), people_needed=1
    )


def test_pages_in_english(world: VolWorld) -> None:
    from linli.core.testing import assert_english, english_client, page

    shift_make(world.station)
    html = page(english_client(world.retired), "/volunteer/")
    assert_english(html, ["My hours", "Shifts open to sign up", "Sign up"], ["我的时长", "可以报名的班次"])
    staff = english_client(world.staff)
    html = page(staff, f"/staff/volunteers/?street={world.street.code}")
    assert_english(html, ["Shift planner", "Who is coming today", "Publish a shift"], ["班次安排", "今天谁来"])
    html = page(staff, f"/staff/volunteers/stats/?street={world.street.code}")
    assert_english(html, ["Volunteering figures", "Top teams"], ["志愿服务统计", "团队排行"])
    html = page(english_client(world.manager), "/volunteer/menu/")
    assert_english(html, ["What the stations need", "My orders"], ["驿站需要", "我的接单"])


@pytest.mark.parametrize(
    ("url", "problem_id"),
    [
        ("/staff/volunteers/", "planner-problem"),
        ("/staff/volunteers/menu/", "menu-problem"),
        ("/staff/volunteers/people/", "people-problem"),
        ("/staff/volunteers/courses/", "review-problem"),
    ],
)
def test_staff_pages_answer_unknown_actions_and_bad_numbers_with_a_message(
    world: VolWorld, url: str, problem_id: str
) -> None:
    """One prelude (views.common.staff_page) for every staff page: the street among the user's, the POST's
    action dispatched; an unknown action or a bad number is the page's message, never a 500 or a silent redirect."""
    c = client(world.staff)
    q = f"?street={world.street.code}"
    for body in ({"action": "nonsense"}, {"action": "verify", "volunteer": "x", "signup": "x", "claim": "x"}):
        page = c.post(url + q, body)
        assert page.status_code == 200 and f'id="{problem_id}"' in page.content.decode(), (url, body)
    assert c.post(url + "?street=farjie", {"action": "nonsense"}).status_code == 403
