"""The meals back office: every model's list loads; ledgers and orders cannot be added, changed or deleted; a street
admin sees only their street's kitchens. Plus the OpenAPI document still builds with the menus routes."""

from __future__ import annotations

import pytest

from linli.core.models import RoleAssignment
from linli.core.testing import assert_admin_hides
from linli.meals.models import Kitchen, WalletEntry
from linli.meals.tests.factories import KitchenFactory, MenuItemFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

MODELS = (
    "kitchen",
    "dish",
    "menu",
    "pricingtier",
    "mealprofile",
    "wallet",
    "walletentry",
    "order",
    "orderevent",
    "deliveryrun",
    "rating",
    "inspection",
    "tastingscore",
    "wasterecord",
)


@pytest.fixture
def superuser():
    user = UserFactory(is_staff=True, is_superuser=True)
    return user


def test_every_changelist_loads_and_ledgers_are_read_only(client, superuser):
    item = MenuItemFactory()
    order = OrderFactory(menu=item.menu)
    client.force_login(superuser)
    for model in MODELS:
        resp = client.get(f"/admin/meals/{model}/")
        assert resp.status_code == 200, model
    assert client.get(f"/admin/meals/kitchen/{item.menu.kitchen.pk}/change/").status_code == 200
    assert client.get(f"/admin/meals/menu/{item.menu.pk}/change/").status_code == 200
    assert client.get("/admin/meals/walletentry/add/").status_code == 403
    assert client.get("/admin/meals/order/add/").status_code == 403
    assert client.post(f"/admin/meals/order/{order.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/meals/orderevent/add/").status_code == 403
    assert WalletEntry.objects.count() == 0


def test_street_admin_sees_only_their_kitchens(client):
    mine, theirs = KitchenFactory(), KitchenFactory()
    admin = UserFactory(is_staff=True)
    RoleAssignment.objects.create(user=admin, street=mine.street, role="admin")
    client.force_login(admin)
    body = client.get("/admin/meals/kitchen/").content.decode()
    assert mine.place.name in body and theirs.place.name not in body
    assert_admin_hides(client, f"/admin/meals/kitchen/{theirs.pk}/change/")
    assert Kitchen.objects.count() == 2


def test_openapi_builds(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    assert "/api/v1/meals/menus" in paths and "/api/v1/meals/menus/{menu_id}/check" in paths
