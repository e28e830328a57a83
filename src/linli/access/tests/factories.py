"""A small world for the access tests.

`build_access_world()` makes two streets:
    street A "accjie": compounds X (gate gx, online) and Y (gate gy, online); partners 饿了么 (eleme), 美团 (meituan)
    street B "accjie-b": compound Z; partner 闪送 (bpartner)
and people: property managers pm_x (compound X only) and pm_y (Y only), street A's admin, safety officer and station
staff, riders: rider (A, eleme), rider_mt (A, meituan), rider_susp (A, suspended), rider_b (B only, bpartner),
nobody (no credential), and street B's admin.
Each gate's device secret is kept in `world.secrets` so tests can make tokens as the display would.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from linli.access.gatewire import protocol
from linli.access.models import Gate, RiderCredential
from linli.access.services import gates as gate_services
from linli.access.services import riders as rider_services
from linli.core.models import Compound, Role, RoleAssignment, Street, User
from linli.core.tests.factories import StreetFactory, UserFactory

X_LAT, X_LNG = 31.2600, 121.3900


def compound_make(street: Street, ext: str, name: str, lat: float, lng: float) -> Compound:
    return Compound.objects.create(
        street=street,
        external_id=ext,
        name=name,
        address=f"测试路{ext}",
        geometry={"type": "Point", "coordinates": [lng, lat]},
        lat=lat,
        lng=lng,
    )


@dataclass
class AccessWorld:
    street: Street
    street_b: Street
    x: Compound
    y: Compound
    z: Compound
    gx: Gate
    gy: Gate
    people: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    credentials: dict[str, RiderCredential] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        people = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)

    def token(self, gate: Gate, now: float | None = None) -> str:
        return protocol.make_gate_token(gate.public_id, bytes(gate.token_key), time.time() if now is None else now)


def _role(user: User, street: Street, role: str) -> None:
    RoleAssignment.objects.get_or_create(user=user, street=street, role=role)


def build_access_world(code: str = "accjie") -> AccessWorld:
    street = StreetFactory(code=code, name="通行测试街道", name_en="Access Test Street")
    street_b = StreetFactory(code=f"{code}-b", name="另一街道", name_en="Other Street")
    x = compound_make(street, "cx", "幸福小区", X_LAT, X_LNG)
    y = compound_make(street, "cy", "和谐小区", 31.2700, 121.4000)
    z = compound_make(street_b, "cz", "远方小区", 31.3000, 121.5000)
    people: dict[str, Any] = {}
    for key, phone in [
        ("pm_x", "+8613700000001"),
        ("pm_y", "+8613700000002"),
        ("admin", "+8613700000003"),
        ("safety", "+8613700000004"),
        ("station", "+8613700000005"),
        ("rider", "+8613700000006"),
        ("rider_mt", "+8613700000007"),
        ("rider_susp", "+8613700000008"),
        ("rider_b", "+8613700000009"),
        ("nobody", "+8613700000010"),
        ("admin_b", "+8613700000011"),
    ]:
        people[key] = UserFactory(phone=phone, display_name=key)
    gate_services.compound_manager_add(compound=x, user=people["pm_x"], actor=None)
    gate_services.compound_manager_add(compound=y, user=people["pm_y"], actor=None)
    _role(people["admin"], street, Role.ADMIN)
    _role(people["safety"], street, Role.SAFETY_OFFICER)
    _role(people["station"], street, Role.STATION_STAFF)
    _role(people["admin_b"], street_b, Role.ADMIN)
    credentials = {
        "rider": rider_services.rider_verify(
            street=street, phone=people["rider"].phone, partner="饿了么", real_name="张召", actor=None
        ),
        "rider_mt": rider_services.rider_verify(
            street=street, phone=people["rider_mt"].phone, partner="美团", real_name="王磊", actor=None
        ),
        "rider_susp": rider_services.rider_verify(
            street=street, phone=people["rider_susp"].phone, partner="饿了么", real_name="刘强", actor=None
        ),
        "rider_b": rider_services.rider_verify(
            street=street_b, phone=people["rider_b"].phone, partner="闪送", real_name="赵六", actor=None
        ),
    }
    rider_services.rider_suspend(credential=credentials["rider_susp"], actor=None)
    secrets: dict[str, str] = {}
    gates = {}
    for key, compound, name in (("gx", x, "南门"), ("gy", y, "北门")):
        new = gate_services.gate_create(compound=compound, name=name, device_id=f"dev-{key}", actor=None)
        gate_services.gate_heartbeat(public_id=new.gate.public_id, at=timezone.now())
        new.gate.refresh_from_db()
        gates[key] = new.gate
        secrets[new.gate.public_id] = new.secret
    return AccessWorld(
        street=street,
        street_b=street_b,
        x=x,
        y=y,
        z=z,
        gx=gates["gx"],
        gy=gates["gy"],
        people=people,
        secrets=secrets,
        credentials=credentials,
    )
