"""Each role's work pages on "我的" (core's workbench) open, with the street's data every domain's page needs."""

from __future__ import annotations

import pytest

from linli.core.models import RoleAssignment
from linli.core.tests.factories import StreetFactory, UserFactory
from linli.meals.tests.factories import KitchenFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "expected", "absent"),
    [
        (
            "kitchen_operator",
            ["/kitchen/menus/", "/kitchen/production/", "/kitchen/runs/", "/kitchen/quality/"],
            ["/staff/cases/"],
        ),
        ("rider", ["/rider/runs/", "/s/wb2/report/", "/s/wb2/sentinels/"], ["/kitchen/menus/"]),
        ("grid_worker", ["/staff/cases/?street=wb2"], ["/rider/runs/"]),
        ("food_supervisor", ["/quality/"], ["/staff/meals/"]),
        (
            "admin",
            [
                "/staff/activities/?street=wb2",
                "/staff/cases/?street=wb2",
                "/staff/meals/?street=wb2",
                "/staff/meals/counter/?street=wb2",
            ],
            [],
        ),
    ],
)
def test_each_role_gets_its_work_pages_and_they_open(client, role, expected, absent):
    street = StreetFactory(code="wb2")
    KitchenFactory(street=street)  # the kitchen pages need a kitchen in the street
    user = UserFactory()
    RoleAssignment.objects.create(user=user, street=street, role=role)
    client.force_login(user)
    page = client.get("/me/").content.decode()
    for url in expected:
        assert f'href="{url}"' in page, url
        assert client.get(url).status_code == 200, url
    for url in absent:
        assert url not in page
