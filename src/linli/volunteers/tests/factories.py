"""Volunteers test data: a street with two citizen stations, station staff, volunteers (one retired, in elder
mode), a verified enterprise and a service item; a second street to test privacy across streets."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from linli.core.models import Role, RoleAssignment, Street, User
from linli.core.tests.factories import StreetFactory, UserFactory
from linli.places.tests.factories import PlaceFactory
from linli.volunteers.models import ServiceItem, Shift, ShiftKind, Station, Team, TeamKind, Volunteer
from linli.volunteers.services import menu, profiles, shifts

SH = ZoneInfo("Asia/Shanghai")
_seq = itertools.count(1)


@dataclass
class VolWorld:
    street: Street
    station: Station
    station2: Station
    staff: User
    retired: User
    volunteer: Volunteer
    other: Volunteer
    manager: User
    company: Team
    item: ServiceItem


def credit_code(n: int) -> str:
    return profiles.credit_code_complete(f"91310109MA1G{n:05d}")


def volunteer_make(street: Street, *, name: str = "", skills: list[str] | None = None, user: User | None = None,
                   stations: list[Station] | None = None, team: Team | None = None) -> Volunteer:  # fmt: skip
    user = user or UserFactory()
    return profiles.volunteer_register(
        user=user, street=street, stations=stations, team=team,
        values={"name": name or f"志愿者{next(_seq)}", "skills": skills or ["reception"], "consent": True},
    )  # fmt: skip


def staff_make(street: Street) -> User:
    user = UserFactory(display_name="驿站站长")
    RoleAssignment.objects.create(user=user, street=street, role=Role.STATION_STAFF)
    return user


def next_monday(hour: int = 7, minute: int = 40) -> datetime:
    today = timezone.localdate()
    days = (7 - today.weekday()) % 7 or 7
    day = today + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


def shift_make(station: Station, *, places: int = 2, start: datetime | None = None, hours: float = 2,
               skills: list[str] | None = None, title: str = "开门值守") -> Shift:  # fmt: skip
    start = start or next_monday()
    return Shift.objects.create(
        station=station, kind=ShiftKind.OPENING, title=title, start=start, end=start + timedelta(hours=hours),
        places=places, skills=skills or [],
    )  # fmt: skip


def build_world(code: str = "voljie") -> VolWorld:
    street = StreetFactory(code=code, name="志愿街道")
    place = PlaceFactory(street=street, name="市民驿站第一站")
    station = Station.objects.create(street=street, place=place, name="市民驿站第一站")
    station2 = Station.objects.create(street=street, name="市民驿站第二站")
    staff = staff_make(street)
    retired = UserFactory(display_name="退休王老师", elder_mode=True)
    volunteer = volunteer_make(
        street, name="王老师", skills=["reception", "teaching"], user=retired, stations=[station]
    )
    other = volunteer_make(street, name="李阿姨", skills=["reception"], stations=[station])
    manager = UserFactory(display_name="理发店经理")
    company = profiles.team_register(street=street, name="沪上老字号理发店", kind=TeamKind.OLD_BRAND,
                                     credit_code=credit_code(1), manager=manager)  # fmt: skip
    profiles.team_verify(team=company, actor=staff)
    item = menu.item_publish(station=station, actor=staff, title="免费理发日", day=timezone.localdate() + timedelta(days=3),
                             people_needed=4, capacity=40)  # fmt: skip
    return VolWorld(street, station, station2, staff, retired, volunteer, other, manager, company, item)


__all__ = ["VolWorld", "build_world", "shift_make", "shifts", "volunteer_make"]
