"""A street for the assistant tests: the places tests' small service map (five places), a calligraphy class at the meal point, a second
street with its own place, and people: the street's administrator and station staff, a grid worker (no assistant
role), the other street's administrator, a resident."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from linli.activities.tests.factories import ActivityFactory, PlaceFactory
from linli.core.models import Role, RoleAssignment, User
from linli.core.tests.factories import StreetFactory, UserFactory
from linli.places.tests.factories import MapData, build_map_data

__all__ = ["World", "build_world"]


@dataclass
class World:
    map: MapData
    street: Any
    other_street: Any
    other_place: Any
    activity: Any
    admin: User
    station_staff: User
    grid_worker: User
    other_admin: User
    resident: User

    def place(self, key: str) -> Any:
        return self.map.places[key]


def build_world() -> World:
    data = build_map_data()
    street = data.street
    other = StreetFactory(code="otherjie", name="别的街道", hotline="021-69999999")
    other_place = PlaceFactory(street=other, name="别处助餐点", kind="meal_point")
    start = (timezone.now() + dt.timedelta(days=2)).replace(hour=14, minute=0, second=0, microsecond=0)
    activity = ActivityFactory(
        street=street,
        place=data.places["meal"],
        title="书法课",
        category="culture",
        start=start,
        end=start + dt.timedelta(hours=2),
    )

    def person(phone: str, name: str, role: str | None = None, where: Any = street) -> User:
        user = UserFactory(phone=phone, display_name=name)
        if role:
            RoleAssignment.objects.create(user=user, street=where, role=role)
        return user

    return World(
        map=data,
        street=street,
        other_street=other,
        other_place=other_place,
        activity=activity,
        admin=person("+8613900000001", "街道管理员", Role.ADMIN),
        station_staff=person("+8613900000002", "站点小王", Role.STATION_STAFF),
        grid_worker=person("+8613900000003", "网格员", Role.GRID_WORKER),
        other_admin=person("+8613900000004", "别街管理员", Role.ADMIN, other),
        resident=person("+8613900000005", "张阿姨"),
    )
