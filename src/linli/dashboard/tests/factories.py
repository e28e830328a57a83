"""Test data of the dashboard: a street with a grid tree "一总两站四单元" whose polygons tile a square."""

from __future__ import annotations

from dataclasses import dataclass, field

from linli.core.models import Committee, Compound, Grid, Role, RoleAssignment, Street, User
from linli.core.tests.factories import StreetFactory, UserFactory

# The street's square: lng 121.40-121.44, lat 31.20-31.24; two workstations (west, east), each two units
# (south, north).
LNG0, LAT0, SIDE = 121.40, 31.20, 0.04


def _box(min_lng: float, min_lat: float, max_lng: float, max_lat: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[min_lng, min_lat], [max_lng, min_lat], [max_lng, max_lat], [min_lng, max_lat], [min_lng, min_lat]]
        ],
    }


def _grid(street: Street, ext: str, name: str, level: str, parent: Grid | None, box: tuple) -> Grid:
    min_lng, min_lat, max_lng, max_lat = box
    return Grid.objects.create(
        street=street,
        external_id=ext,
        name=name,
        level=level,
        parent=parent,
        geometry=_box(*box),
        min_lat=min_lat,
        min_lng=min_lng,
        max_lat=max_lat,
        max_lng=max_lng,
    )


@dataclass
class Tree:
    street: Street
    hq: Grid
    stations: list[Grid]
    units: list[Grid]
    committees: list[Committee] = field(default_factory=list)
    compounds: list[Compound] = field(default_factory=list)

    def grid_all(self) -> list[Grid]:
        return [self.hq, *self.stations, *self.units]

    def unit_point(self, i: int) -> tuple[float, float]:
        """(lat, lng) in the middle of unit i."""
        g = self.units[i]
        return ((g.min_lat + g.max_lat) / 2, (g.min_lng + g.max_lng) / 2)


def grid_tree_build(street: Street | None = None) -> Tree:
    street = street or StreetFactory()
    half = SIDE / 2
    hq = _grid(street, "hq", "指挥部", "hq", None, (LNG0, LAT0, LNG0 + SIDE, LAT0 + SIDE))
    stations: list[Grid] = []
    units: list[Grid] = []
    for i, name in enumerate(["西站", "东站"]):
        x0 = LNG0 + i * half
        ws = _grid(street, f"ws{i + 1}", name, "workstation", hq, (x0, LAT0, x0 + half, LAT0 + SIDE))
        stations.append(ws)
        for j, part in enumerate(["南", "北"]):
            y0 = LAT0 + j * half
            units.append(
                _grid(street, f"u{i + 1}{j + 1}", f"{name}{part}单元", "unit", ws, (x0, y0, x0 + half, y0 + half))
            )
    tree = Tree(street=street, hq=hq, stations=stations, units=units)
    for k, unit in enumerate(units):
        committee = Committee.objects.create(street=street, external_id=f"c{k + 1}", name=f"居委{k + 1}")
        lat, lng = tree.unit_point(k)
        compound = Compound.objects.create(
            street=street,
            external_id=f"cp{k + 1}",
            name=f"小区{k + 1}",
            geometry={"type": "Point", "coordinates": [lng, lat]},
            lat=lat,
            lng=lng,
            grid=unit,
            committee=committee,
        )
        tree.committees.append(committee)
        tree.compounds.append(compound)
    return tree


def staff(street: Street, role: str = Role.ADMIN, grid: Grid | None = None) -> User:
    user = UserFactory()
    RoleAssignment.objects.create(user=user, street=street, role=role, grid=grid)
    return user
