"""A form sent after the session expired: the person signs in and finds the page again with what they chose,
never Django's bare CSRF page (linli.core.resume, core.views.csrf_failure)."""

from __future__ import annotations

import json
import re
import time

import pytest
from django.test import Client

from linli.core.resume import SESSION_KEY
from linli.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def kept_fields(html: str) -> list[list[str]]:
    match = re.search(r'<script id="linli-resume" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no kept fields on the page"
    return json.loads(match.group(1))["fields"]


def test_a_stale_token_on_a_signed_out_browser_goes_to_sign_in_and_back_with_the_choice_kept():
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "x" * 32  # the token of a session that no longer exists
    response = client.post(
        "/me/",
        {"csrfmiddlewaretoken": "y" * 32, "display_name": "胡阿姨", "language": "en"},
        HTTP_REFERER="http://testserver/me/",
    )
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/me/&expired=1"
    login_page = client.get(response["Location"]).content.decode()
    assert 'id="expired-notice"' in login_page and "登录已过期" in login_page

    client.force_login(UserFactory())  # signing in keeps what the anonymous session held
    page = client.get("/me/").content.decode()
    assert ["display_name", "胡阿姨"] in kept_fields(page) and ["language", "en"] in kept_fields(page)
    assert not any(name == "csrfmiddlewaretoken" for name, _ in kept_fields(page))
    assert 'id="resume-notice"' in page
    assert "linli-resume" not in client.get("/me/").content.decode(), "the choice is given back once"


def test_a_signed_in_person_with_a_rotated_token_comes_back_to_the_page_it_was_on():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    client.cookies["csrftoken"] = "x" * 32
    response = client.post(
        "/elder/", {"csrfmiddlewaretoken": "y" * 32, "elder": "1"}, HTTP_REFERER="http://testserver/me/?saved=1"
    )
    assert (response.status_code, response["Location"]) == (302, "/me/?saved=1")


def test_an_htmx_post_with_a_stale_token_is_redirected_by_htmx_not_swapped():
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "x" * 32
    response = client.post("/me/", {"csrfmiddlewaretoken": "y" * 32}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403 and response["HX-Redirect"].startswith("/login/?next=/me/")


def test_a_signed_out_post_that_a_view_sends_to_sign_in_keeps_its_fields():
    client = Client()
    response = client.post("/me/", {"display_name": "小林", "language": ""})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(UserFactory())
    assert ["display_name", "小林"] in kept_fields(client.get("/me/").content.decode())


def test_a_choice_kept_for_hours_is_forgotten():
    client = Client()
    client.post("/me/", {"display_name": "小林"})
    session = client.session
    session[SESSION_KEY]["at"] = int(time.time()) - 3 * 3600
    session.save()
    client.force_login(UserFactory())
    assert "linli-resume" not in client.get("/me/").content.decode()
