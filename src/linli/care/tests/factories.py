"""Care test data: a street with two committees, a compound, responders on duty around the clock, a care lead, a
grid worker (no care role), and a registered elder with a user account, contacts and consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from linli.care.models import Person
from linli.care.services import register, rota
from linli.core.models import Committee, Compound, Role, RoleAssignment, Street, User
from linli.core.tests.factories import StreetFactory, UserFactory


@dataclass
class CareWorld:
    street: Street
    committee: Committee
    committee2: Committee
    compound: Compound
    responders: list[User]
    backup: User
    lead: User
    grid_worker: User
    resident: User
    person: Person


def _role(user: User, street: Street, role: str) -> None:
    RoleAssignment.objects.get_or_create(user=user, street=street, role=role)


def build_care_world(code: str = "carejie", *, on_duty: bool = True) -> CareWorld:
    street = StreetFactory(code=code, name="关爱街道", center_lat=31.25, center_lng=121.395)
    committee = Committee.objects.create(street=street, external_id="c1", name="建新居委", phone="021-11112222")
    committee2 = Committee.objects.create(street=street, external_id="c2", name="平福居委")
    compound = Compound.objects.create(
        street=street, external_id="x1", name="建新小区", geometry={"type": "Point", "coordinates": [121.395, 31.255]},
        lat=31.255, lng=121.395, committee=committee,
    )  # fmt: skip
    responders = [UserFactory(display_name=f"社工{i}") for i in (1, 2)]
    backup = UserFactory(display_name="平福社工")
    lead = UserFactory(display_name="关爱负责人")
    grid_worker = UserFactory(display_name="网格员")
    resident = UserFactory(display_name="王老伯", elder_mode=True)
    for u in responders + [backup]:
        _role(u, street, Role.SOCIAL_WORKER)
    _role(lead, street, Role.CARE_LEAD)
    _role(grid_worker, street, Role.GRID_WORKER)
    if on_duty:
        for day in range(7):
            for u in responders:
                rota.shift_add(actor=None, committee=committee, user=u, weekday=day, start=time(0, 0), end=time(0, 0))
            rota.shift_add(actor=None, committee=committee2, user=backup, weekday=day, start=time(0, 0), end=time(0, 0))
    person = register.person_register(
        actor=lead, committee=committee, compound=compound, building="3号楼 502室", name="王老伯",
        groups=["living_alone", "elderly_80"], consent_by="王老伯", phone="13800001111",
        id_number="310101193501011234", health_notes="骨质疏松", user=resident, checkin_hour=9,
        contacts=[
            {"kind": "family", "name": "王小明", "relation": "儿子", "phone": "13900002222"},
            {"kind": "doctor", "name": "李医生", "phone": "13700003333"},
        ],
    )  # fmt: skip
    return CareWorld(street, committee, committee2, compound, responders, backup, lead, grid_worker, resident, person)
