"""Core reads. Tenancy scoping lives here: staff see only the streets they hold a role in."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F, Func, IntegerField, QuerySet, Subquery
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.i18n import local_name_lazy
from linli.core.models import Committee, Compound, Role, RoleAssignment, Street, User


def street_list() -> QuerySet[Street]:
    """Streets are public (a resident may use any street's service map)."""
    return Street.objects.all().order_by("code")


def street_get(*, code: str) -> Street:
    street = Street.objects.filter(code=code).first()
    if street is None:
        raise Problem("unknown_street", detail=format_lazy(_("街道代码 {code} 不存在"), code=code))
    return street


def user_street_ids(user: User, roles: Iterable[str] | None = None) -> set[int]:
    """The streets in which `user` holds one of `roles` (any role if None). Superusers: every street."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return set(Street.objects.values_list("id", flat=True))
    qs = RoleAssignment.objects.filter(user=user)
    if roles is not None:
        qs = qs.filter(role__in=list(roles))
    return set(qs.values_list("street_id", flat=True))


def street_list_for_roles(user: User, *, roles: Iterable[str]) -> QuerySet[Street]:
    """The streets where `user` holds one of `roles` (the street picker of a staff page)."""
    return street_list().filter(id__in=user_street_ids(user, roles=roles))


def user_has_role(user: User, *, street: Street, roles: Iterable[str]) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return RoleAssignment.objects.filter(user=user, street=street, role__in=list(roles)).exists()


def require_role(user: User, *, street: Street, roles: Iterable[str] = (Role.ADMIN,)) -> None:
    if not getattr(user, "is_authenticated", False):
        raise Problem("not_authenticated")
    if not user_has_role(user, street=street, roles=roles):
        raise Problem(
            "permission_denied",
            detail=format_lazy(_("您在{street}没有所需的角色"), street=local_name_lazy(street)),
        )


def user_role_list(user: User) -> QuerySet[RoleAssignment]:
    """The roles a user holds, with their streets (for "me" and the account page)."""
    return RoleAssignment.objects.filter(user=user).select_related("street").order_by("street__code", "role")


def change_mark(qs: QuerySet[Any], *, latest: str) -> tuple[Subquery, Subquery]:
    """The row count and the greatest `latest` of `qs` as two scalar subqueries, for a cache that must notice any
    change; a caller composes several domains' marks into one query (one round trip)."""
    rows = qs.order_by()
    count = Func(F("pk"), function="COUNT", output_field=IntegerField())
    greatest = Func(F(latest), function="MAX", output_field=qs.model._meta.get_field(latest))
    return Subquery(rows.annotate(mark=count).values("mark")[:1]), Subquery(
        rows.annotate(mark=greatest).values("mark")[:1]
    )


def compound_change_mark(*, street: Street) -> tuple[Subquery, Subquery]:
    return change_mark(Compound.objects.filter(street=street), latest="id")


def committee_change_mark(*, street: Street) -> tuple[Subquery, Subquery]:
    return change_mark(Committee.objects.filter(street=street), latest="id")
