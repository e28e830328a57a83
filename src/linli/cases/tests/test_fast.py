"""The fast paths agree with their step-by-step twins (docs/architecture.md, "Fast paths").

`fast.grids_containing` (plain SQL, the report path) and `linli.core.gis.grids_containing` (the ORM: splits and
imports) answer the same grids, in the same order, for generated points in, on the edges of, between and
outside the street's nested grids (HQ, two workstations, a unit), and for the triangular grid added per example.
Both paths run on every backend, so this runs on SQLite and PostgreSQL alike."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from linli.cases.services import fast
from linli.cases.tests.factories import build_world
from linli.core import gis
from linli.core.models import Grid

pytestmark = pytest.mark.django_db

_worlds = itertools.count()

# The world's grids span 31.25..31.27 N, 121.38..121.41 E; the edges (31.26, 121.395, ...) are drawn often.
lat = st.one_of(st.sampled_from([31.25, 31.26, 31.27, 31.2499]), st.floats(31.245, 31.275))
lng = st.one_of(st.sampled_from([121.38, 121.395, 121.41, 121.4101]), st.floats(121.375, 121.415))


@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(points=st.lists(st.tuples(lat, lng), min_size=1, max_size=10))
def test_grids_containing_fast_and_orm_agree(points):
    world = build_world(f"fastgrid{next(_worlds)}")
    street = world.street
    # A triangle inside workstation B: its bounding box holds points its polygon does not.
    Grid.objects.create(
        street=street,
        external_id=f"{street.code}-tri",
        name="三角",
        level="unit",
        parent=Grid.objects.get(street=street, external_id=f"{street.code}-b"),
        geometry={
            "type": "Polygon",
            "coordinates": [[[121.395, 31.25], [121.41, 31.25], [121.395, 31.27], [121.395, 31.25]]],
        },
        min_lat=31.25,
        min_lng=121.395,
        max_lat=31.27,
        max_lng=121.41,
    )
    for point_lat, point_lng in points:
        by_sql = [g.pk for g in fast.grids_containing(street=street, lat=point_lat, lng=point_lng)]
        by_orm = [g.pk for g in gis.grids_containing(street=street, lat=point_lat, lng=point_lng)]
        assert by_sql == by_orm, (point_lat, point_lng)
