"""The grid tree: who sees which grids, subtrees, breadcrumbs and where a row is counted."""

from __future__ import annotations

import pytest

from linli.core.errors import Problem
from linli.core.models import Role
from linli.core.tests.factories import UserFactory
from linli.dashboard import selectors
from linli.dashboard.attribution import attribution_for
from linli.dashboard.tests.factories import grid_tree_build, staff
from linli.places.tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


def test_hq_staff_see_the_whole_tree_in_order() -> None:
    t = grid_tree_build()
    for role in (Role.ADMIN, Role.SAFETY_OFFICER):
        user = staff(t.street, role)
        names = [g.external_id for g in selectors.grids_visible(user, t.street)]
        assert names == ["hq", "ws1", "u11", "u12", "ws2", "u21", "u22"]
        assert selectors.grid_roots_visible(user, t.street) == [t.hq]


def test_grid_worker_sees_their_subtree_only() -> None:
    t = grid_tree_build()
    ws_staff = staff(t.street, Role.STATION_STAFF, grid=t.stations[1])
    assert [g.external_id for g in selectors.grids_visible(ws_staff, t.street)] == ["ws2", "u21", "u22"]
    worker = staff(t.street, Role.GRID_WORKER, grid=t.units[0])
    assert [g.external_id for g in selectors.grids_visible(worker, t.street)] == ["u11"]
    assert selectors.grid_visible_get(worker, street=t.street, grid_id=None) == t.units[0]
    with pytest.raises(Problem) as denied:
        selectors.grid_visible_get(worker, street=t.street, grid_id=t.hq.pk)
    assert denied.value.code == "permission_denied"
    with pytest.raises(Problem) as sibling:
        selectors.grid_visible_get(worker, street=t.street, grid_id=t.units[1].pk)
    assert sibling.value.code == "permission_denied"
    # A committee is the business of whoever sees the grid most of its compounds lie in.
    assert selectors.committees_visible(worker, t.street) == [t.committees[0]]


def test_no_role_or_a_role_elsewhere_sees_nothing() -> None:
    t = grid_tree_build()
    other = grid_tree_build(street=None)
    outsider = staff(other.street, Role.ADMIN)
    assert selectors.grids_visible(outsider, t.street) == []
    assert selectors.grids_visible(UserFactory(), t.street) == []
    worker_without_grid = staff(t.street, Role.GRID_WORKER)
    assert selectors.grids_visible(worker_without_grid, t.street) == []
    kitchen = staff(t.street, Role.KITCHEN_OPERATOR, grid=t.units[0])
    assert selectors.grids_visible(kitchen, t.street) == []
    with pytest.raises(Problem) as denied:
        selectors.grid_visible_get(outsider, street=t.street, grid_id=t.hq.pk)
    assert denied.value.code == "permission_denied"
    admin = staff(t.street)
    with pytest.raises(Problem) as missing:
        selectors.grid_visible_get(admin, street=t.street, grid_id=other.hq.pk)
    assert missing.value.code == "not_found"


def test_subtree_and_path() -> None:
    t = grid_tree_build()
    assert selectors.grid_subtree_ids(t.stations[0]) == {t.stations[0].pk, t.units[0].pk, t.units[1].pk}
    assert selectors.grid_subtree_ids(t.units[3]) == {t.units[3].pk}
    assert selectors.grid_path(t.units[3]) == [t.hq, t.stations[1], t.units[3]]
    assert selectors.grid_path(t.hq) == [t.hq]


def test_rows_are_counted_under_the_deepest_grid_that_holds_them() -> None:
    t = grid_tree_build()
    lat, lng = t.unit_point(2)
    inside = PlaceFactory(street=t.street, lat=lat, lng=lng)
    outside = PlaceFactory(street=t.street, lat=30.0, lng=120.0)
    att = attribution_for(t.street.pk)
    assert att.place(inside.pk) == t.units[2].pk
    assert att.place(outside.pk) == t.hq.pk  # the street's totals still hold it
    assert att.place(None) == t.hq.pk
    assert att.compound(t.compounds[1].pk) == t.units[1].pk
    assert att.committee(t.committees[3].pk) == t.units[3].pk
    assert att.person(None, t.committees[0].pk) == t.units[0].pk
    assert att.grid(t.stations[0].pk) == t.stations[0].pk
    # A place added later is seen without restarting.
    lat0, lng0 = t.unit_point(0)
    later = PlaceFactory(street=t.street, lat=lat0, lng=lng0)
    assert attribution_for(t.street.pk).place(later.pk) == t.units[0].pk
