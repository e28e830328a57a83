"""The "我的" page lists a person's own pages and each role's work pages in the right street, and every link opens."""

from __future__ import annotations

import pytest

from linli.core.tests.factories import StreetFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_resident_sees_personal_pages_and_the_report_link(client):
    street = StreetFactory(code="wbjie")
    resident = UserFactory(home_street=street)
    client.force_login(resident)
    page = client.get("/me/").content.decode()
    for url in ("/me/bookings/", "/me/meals/", "/me/reports/", "/s/wbjie/report/"):
        assert f'href="{url}"' in page
    assert "/staff/cases/" not in page and "/kitchen/" not in page
