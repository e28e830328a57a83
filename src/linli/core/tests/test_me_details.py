"""The "我的" page keeps the details flows need: the birth year (typed as a year or a date of birth; only the year
is kept), back to the page that asked for it, and the same through the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from linli.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("typed", ["1948", "1948-05-03", "1948/5/3", "1948年5月3日"])
def test_birth_year_from_a_year_or_a_date_of_birth_keeps_only_the_year(typed):
    user = UserFactory(birth_year=None)
    resp = signed_in(user).post("/me/", {"display_name": "胡阿姨", "language": "", "birth_year": typed})
    assert resp.status_code == 302 and resp["Location"] == "/me/?saved=1"
    user.refresh_from_db()
    assert user.birth_year == 1948


def test_me_page_shows_the_birth_year_field_and_the_saved_year():
    user = UserFactory(birth_year=1950)
    html = signed_in(user).get("/me/").content.decode()
    assert 'name="birth_year"' in html and 'value="1950"' in html
    assert '<dd id="me-birth-year">1950</dd>' in html


def test_saving_returns_to_the_page_that_asked_and_never_off_site():
    user = UserFactory(birth_year=None)
    client = signed_in(user)
    page = client.get("/me/?next=/activities/a/7/").content.decode()
    assert '<input type="hidden" name="next" value="/activities/a/7/">' in page
    resp = client.post("/me/", {"birth_year": "1950", "next": "/activities/a/7/"})
    assert resp.status_code == 302 and resp["Location"] == "/activities/a/7/"
    resp = client.post("/me/", {"birth_year": "1950", "next": "https://evil.example/"})
    assert resp["Location"] == "/me/?saved=1"


@pytest.mark.parametrize("typed", ["48", "abcd", "1850", str(timezone.localdate().year + 1)])
def test_an_impossible_birth_year_is_refused_in_words(typed):
    user = UserFactory(birth_year=1960)
    resp = signed_in(user).post("/me/", {"birth_year": typed})
    assert resp.status_code == 422
    html = resp.content.decode()
    assert "出生年份" in html and 'class="error"' in html
    user.refresh_from_db()
    assert user.birth_year == 1960


def test_clearing_the_field_forgets_the_birth_year():
    user = UserFactory(birth_year=1960)
    signed_in(user).post("/me/", {"birth_year": ""})
    user.refresh_from_db()
    assert user.birth_year is None


def test_api_me_reads_and_patches_the_birth_year():
    user = UserFactory(birth_year=None)
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    assert client.get("/api/v1/me").json()["birth_year"] is None
    resp = client.patch("/api/v1/me", json.dumps({"birth_year": 1944}), content_type="application/json")
    assert resp.status_code == 200 and resp.json()["birth_year"] == 1944
    resp = client.patch("/api/v1/me", json.dumps({"display_name": "老李"}), content_type="application/json")
    assert resp.json()["birth_year"] == 1944  # not sent: kept
    resp = client.patch("/api/v1/me", json.dumps({"birth_year": 1492}), content_type="application/json")
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "birth_year"
    user.refresh_from_db()
    assert user.birth_year == 1944
