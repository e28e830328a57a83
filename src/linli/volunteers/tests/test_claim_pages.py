"""The service menu's pages beyond the claim: a report's photos uploaded (core.photos) and shown only to the
claimant and the street's staff; the residents served scan the claim's QR code to confirm and rate it; the staff
see the confirmations and photos before confirming."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linli.core.models import User
from linli.core.tests.factories import UserFactory, jpeg
from linli.volunteers.models import ClaimPhoto, Rating, ServiceItem
from linli.volunteers.services import menu
from linli.volunteers.tests.factories import VolWorld, build_world

pytestmark = pytest.mark.django_db


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_report_with_photos_on_the_page_and_who_may_see_them(world: VolWorld) -> None:
    claim = menu.claim_create(item=world.item, user=world.manager, people=2, team=world.company)
    m = client(world.manager)
    page = m.get("/volunteer/menu/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="photos"' in page
    bad = m.post("/volunteer/menu/", {"action": "report", "claim": claim.pk, "served": 30, "hours": 6,
                                      "photos": [jpeg(name="a.jpg"), jpeg(name="b.jpg")] + [jpeg()] * 5})  # fmt: skip
    assert 'id="claims-problem"' in bad.content.decode()
    claim.refresh_from_db()
    assert claim.status == "claimed" and not ClaimPhoto.objects.exists()
    done = m.post("/volunteer/menu/", {"action": "report", "claim": claim.pk, "served": 30, "hours": 6,
                                       "photos": [jpeg(name="a.jpg"), jpeg(name="b.jpg")]})  # fmt: skip
    assert done.status_code == 302
    photos = list(claim.photos.all())
    assert len(photos) == 2
    url = f"/volunteer/menu/photos/{photos[0].pk}/"
    assert url in m.get("/volunteer/menu/").content.decode()
    assert m.get(url)["Content-Type"] == "image/jpeg"
    staff = client(world.staff)
    assert url in staff.get(f"/staff/volunteers/menu/?street={world.street.code}").content.decode()
    assert staff.get(url).status_code == 200
    assert client(UserFactory()).get(url).status_code == 404
    assert client(build_world(code="farjie").staff).get(url).status_code == 404
    assert Client().get(url).status_code == 404


def test_residents_scan_the_claims_qr_confirm_and_rate_and_staff_see_it(world: VolWorld) -> None:
    ServiceItem.objects.filter(pk=world.item.pk).update(date=timezone.localdate())  # the haircut day is today
    claim = menu.claim_create(item=world.item, user=world.manager, people=2, team=world.company)
    m = client(world.manager)
    page = m.get("/volunteer/menu/").content.decode()
    token = menu.rating_token(claim)
    assert f"/volunteer/rate/{token}/" in page and "<svg" in page
    resident = UserFactory()
    r = client(resident)
    form = r.get(f"/volunteer/rate/{token}/").content.decode()
    assert 'id="rate-form"' in form and "免费理发日" in form
    r.post(f"/volunteer/rate/{token}/", {"stars": 4, "comment": "师傅手艺好"})
    rating = Rating.objects.get(claim=claim, user=resident)
    assert rating.stars == 4 and rating.comment == "师傅手艺好"
    again = r.get(f"/volunteer/rate/{token}/").content.decode()
    assert 'data-stars="4"' in again and 'id="rate-form"' not in again
    twice = r.post(f"/volunteer/rate/{token}/", {"stars": 1}).content.decode()
    assert 'data-code="already_rated"' in twice and Rating.objects.get(claim=claim, user=resident).stars == 4
    client(UserFactory()).post(f"/volunteer/rate/{token}/", {"stars": 5})
    menu.claim_report(claim=claim, actor=world.manager, served=30, minutes=360)
    staff = client(world.staff).get(f"/staff/volunteers/menu/?street={world.street.code}").content.decode()
    assert 'data-rated="2"' in staff and "4.5" in staff
    assert Client().get("/volunteer/rate/forged/").status_code == 404
    assert Client().get(f"/volunteer/rate/{token}/").status_code == 302  # sign in first


def test_a_claim_not_yet_delivered_cannot_be_rated_before_its_day(world: VolWorld) -> None:
    ServiceItem.objects.filter(pk=world.item.pk).update(date=timezone.localdate() + timedelta(days=2))
    claim = menu.claim_create(item=world.item, user=world.manager, people=1, team=world.company)
    page = client(UserFactory()).post(f"/volunteer/rate/{menu.rating_token(claim)}/", {"stars": 5}).content.decode()
    assert 'data-code="claim_not_ratable"' in page and not Rating.objects.exists()
