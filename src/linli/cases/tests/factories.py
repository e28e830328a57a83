"""factory_boy factories and a small street with a grid tree for the cases tests.

`build_world()` makes one street with:
    HQ grid        lat 31.250–31.270, lng 121.380–121.410
    workstation A  lat 31.250–31.270, lng 121.380–121.395   (parent HQ)
      unit A1      lat 31.250–31.260, lng 121.380–121.395   (parent A)  ← grid worker `gw_unit`
    workstation B  lat 31.250–31.270, lng 121.395–121.410   (parent HQ, no units) ← grid worker `gw_b`
and people: admin, safety officer, grid workers, two riders and a resident; default categories seeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import factory

from linli.cases.models import Case, CaseCategory, CaseStatus, Report
from linli.cases.services.reports import categories_default_create
from linli.core.models import Grid, Role, RoleAssignment, Street
from linli.core.tests.factories import StreetFactory, UserFactory, jpeg

__all__ = ["CaseCategoryFactory", "CaseFactory", "StreetFactory", "UserFactory", "World", "build_world", "jpeg"]

# Points inside each grid.
IN_A1 = (31.255, 121.387)  # unit A1 (deepest)
IN_A_ONLY = (31.265, 121.387)  # workstation A, outside A1
IN_B = (31.255, 121.400)  # workstation B
OUTSIDE = (31.300, 121.500)  # no grid


def square(lat0: float, lng0: float, lat1: float, lng1: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]],
    }


def grid_make(
    street: Street, ext: str, name: str, level: str, box: tuple[float, float, float, float], parent: Grid | None
) -> Grid:
    lat0, lng0, lat1, lng1 = box
    return Grid.objects.create(
        street=street,
        external_id=ext,
        name=name,
        level=level,
        parent=parent,
        geometry=square(*box),
        min_lat=lat0,
        min_lng=lng0,
        max_lat=lat1,
        max_lng=lng1,
    )


class CaseCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseCategory

    street = factory.SubFactory(StreetFactory)
    code = factory.Sequence(lambda n: f"cat-{n}")
    name_zh = factory.Sequence(lambda n: f"类别{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    response_minutes = 60
    resolution_minutes = 1440
    merge_radius_m = 50
    merge_window_hours = 24
    roles = factory.LazyFunction(list)
    urgent = False
    points = 10


class CaseFactory(factory.django.DjangoModelFactory):
    """A case row written directly (no report, no events): for list and tenancy tests only."""

    class Meta:
        model = Case

    street = factory.SubFactory(StreetFactory)
    category = factory.SubFactory(CaseCategoryFactory, street=factory.SelfAttribute("..street"))
    status = CaseStatus.DISPATCHED
    lat = 31.255
    lng = 121.387
    reports_count = 0


@dataclass
class World:
    street: Street
    grids: dict[str, Grid]
    categories: dict[str, CaseCategory]
    people: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        people = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)


def staff(street: Street, role: str, grid: Grid | None = None, **kw: Any) -> Any:
    user = UserFactory(**kw)
    RoleAssignment.objects.create(user=user, street=street, role=role, grid=grid)
    return user


def build_world(code: str = "casejie") -> World:
    street = StreetFactory(code=code, name=f"{code}街道", center_lat=31.26, center_lng=121.395)
    hq = grid_make(street, f"{code}-hq", "总网格", "hq", (31.25, 121.38, 31.27, 121.41), None)
    ws_a = grid_make(street, f"{code}-a", "A工作站", "workstation", (31.25, 121.38, 31.27, 121.395), hq)
    unit_a1 = grid_make(street, f"{code}-a1", "A1单元", "unit", (31.25, 121.38, 31.26, 121.395), ws_a)
    ws_b = grid_make(street, f"{code}-b", "B工作站", "workstation", (31.25, 121.395, 31.27, 121.41), hq)
    categories = {c.code: c for c in categories_default_create(street=street)}
    world = World(street=street, grids={"hq": hq, "a": ws_a, "a1": unit_a1, "b": ws_b}, categories=categories)
    world.people = {
        "admin": staff(street, Role.ADMIN, display_name="王主任"),
        "safety": staff(street, Role.SAFETY_OFFICER, display_name="周专员"),
        "gw_unit": staff(street, Role.GRID_WORKER, unit_a1, display_name="陈网格员"),
        "gw_ws": staff(street, Role.GRID_WORKER, ws_a, display_name="吴站长"),
        "gw_b": staff(street, Role.GRID_WORKER, ws_b, display_name="郑网格员"),
        "rider": staff(street, Role.RIDER, display_name="张师傅"),
        "rider2": staff(street, Role.RIDER, display_name="李师傅"),
        "resident": UserFactory(display_name="小林"),
    }
    return world


def reports_of(case: Case) -> list[Report]:
    return list(Report.objects.filter(case=case).order_by("id"))
