"""Tenancy scoping (roles per street), the back office's street scoping, phone normalisation and masking."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from linli.core import selectors, services
from linli.core.errors import Problem
from linli.core.models import AuditLog, Role, Street, User
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone
from linli.core.testing import assert_admin_hides
from linli.core.tests.factories import GridFactory, RoleAssignmentFactory, StreetFactory, UserFactory


@pytest.mark.django_db
def test_staff_of_street_a_is_denied_in_street_b():
    a, b = StreetFactory(code="a"), StreetFactory(code="b")
    worker = UserFactory()
    services.role_assign(user=worker, street=a, role=Role.GRID_WORKER)
    assert selectors.user_street_ids(worker) == {a.pk}
    assert selectors.user_street_ids(worker, roles=["admin"]) == set()
    selectors.require_role(worker, street=a, roles=[Role.GRID_WORKER])
    with pytest.raises(Problem) as exc:
        selectors.require_role(worker, street=b, roles=[Role.GRID_WORKER])
    assert exc.value.code == "permission_denied"
    with pytest.raises(Problem):
        selectors.require_role(worker, street=a)  # admin needed by default
    boss = UserFactory(is_superuser=True)
    assert selectors.user_street_ids(boss) == {a.pk, b.pk}


@pytest.mark.django_db
def test_role_assign_validates_and_audits():
    street = StreetFactory()
    user = UserFactory()
    with pytest.raises(Problem) as exc:
        services.role_assign(user=user, street=street, role="mayor")
    assert exc.value.code == "unknown_role"
    other_grid = GridFactory(street=StreetFactory())
    with pytest.raises(Problem):
        services.role_assign(user=user, street=street, role=Role.GRID_WORKER, grid=other_grid)
    grid = GridFactory(street=street)
    ra = services.role_assign(user=user, street=street, role=Role.GRID_WORKER, grid=grid)
    assert ra.grid == grid
    log = AuditLog.objects.get(action="role.assign")
    assert log.street == street and log.data["user"] == mask_phone(user.phone)
    assert services.role_revoke(user=user, street=street, role=Role.GRID_WORKER) is True
    assert services.role_revoke(user=user, street=street, role=Role.GRID_WORKER) is False


@pytest.mark.django_db
def test_street_create_rules():
    services.street_create(code="wanli", name="万里街道", center_lat=31.25, center_lng=121.39)
    with pytest.raises(Problem) as exc:
        services.street_create(code="wanli", name="x")
    assert exc.value.code == "street_exists"
    with pytest.raises(Problem) as exc:
        services.street_create(code="ok", name="x", center_lat=95.0, center_lng=121.0)
    assert exc.value.code == "validation_error"
    with pytest.raises(Problem):
        services.street_create(code="ok", name="")
    assert Street.objects.count() == 1


@pytest.mark.django_db
def test_admin_is_scoped_to_the_admins_streets():
    a = StreetFactory(code="a", name="甲街道")
    b = StreetFactory(code="b", name="乙街道")
    admin_a = UserFactory(is_staff=True)
    RoleAssignmentFactory(user=admin_a, street=a, role=Role.ADMIN)
    resident_a = UserFactory(home_street=a)
    resident_b = UserFactory(home_street=b)
    grid_b = GridFactory(street=b, name="乙网格")
    client = Client()
    client.force_login(admin_a)

    page = client.get("/admin/core/street/").content.decode()
    assert "甲街道" in page and "乙街道" not in page
    assert_admin_hides(client, f"/admin/core/street/{b.pk}/change/")
    assert_admin_hides(client, f"/admin/core/grid/{grid_b.pk}/change/")
    users = client.get("/admin/core/user/").content.decode()
    assert mask_phone(resident_a.phone) in users and mask_phone(resident_b.phone) not in users
    assert resident_a.phone not in users  # masked in the list
    assert client.get("/admin/core/auditlog/").status_code == 200
    assert client.get("/admin/core/auditlog/add/").status_code == 403

    # Staff with a non-admin role only: no back office for core.
    worker = UserFactory(is_staff=True)
    RoleAssignmentFactory(user=worker, street=a, role=Role.GRID_WORKER)
    client.force_login(worker)
    assert client.get("/admin/core/street/").status_code == 403


@pytest.mark.django_db
def test_admin_user_search_by_phone():
    root = UserFactory(is_staff=True, is_superuser=True)
    target = User.objects.create_user("+8613955556666")
    client = Client()
    client.force_login(root)
    page = client.get("/admin/core/user/", {"q": "139 5555 6666"}).content.decode()
    assert f"/admin/core/user/{target.pk}/change/" in page


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("+86-138-1234-5678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),
        ("(+86) 19912345678", "+8619912345678"),
    ],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12812345678", "1381234567", "138123456789", "+1 415 555 0100", "abc", None])
def test_bad_phones(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


@pytest.mark.django_db
def test_user_get_or_create_rejects_bad_phone_and_dedupes():
    with pytest.raises(Problem) as exc:
        services.user_get_or_create(phone="110")
    assert exc.value.code == "invalid_phone"
    a = services.user_get_or_create(phone="13812345678")
    b = services.user_get_or_create(phone="+86 138 1234 5678")
    assert a.pk == b.pk and not a.has_usable_password()


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_mask_never_shows_the_middle(digits):
    phone = normalize_phone(digits)
    masked = mask_phone(phone)
    assert masked == digits[:3] + "****" + digits[-4:]
    assert len(masked) == 11 and masked[3:7] == "****"
