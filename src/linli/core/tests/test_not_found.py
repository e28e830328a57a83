"""An address that matches nothing: under /api/ the problem `not_found` (what every API client reads), elsewhere
the site's 404 page."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_api_address_that_matches_no_endpoint_is_the_problem_not_found(client: Client) -> None:
    resp = client.get("/api/v1/no-such-endpoint", HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 404 and resp["Content-Type"].startswith("application/problem+json")
    body = resp.json()
    assert (body["code"], body["status"], body["instance"]) == ("not_found", 404, "/api/v1/no-such-endpoint")


def test_a_page_address_that_matches_nothing_is_the_404_page(client: Client) -> None:
    resp = client.get("/no-such-page/")
    assert resp.status_code == 404 and resp["Content-Type"].startswith("text/html")
    assert "<html" in resp.content.decode()
