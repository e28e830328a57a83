"""Invariants under any sequence of reports, staff merges and splits (hypothesis), checked against a brute-force
oracle: a report joins the nearest open case of its category within the radius, or opens a new one; every case's
`reports_count` equals its report rows; merged cases hold none; no report is lost or counted twice."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from linli.cases.models import Case, CaseStatus, Report
from linli.cases.selectors import MERGEABLE_STATUSES
from linli.cases.services.reports import report_create
from linli.cases.services.workflow import case_merge, case_split
from linli.cases.tests.factories import IN_A1, build_world
from linli.core.errors import Problem
from linli.core.geo import haversine_m

pytestmark = pytest.mark.django_db

_worlds = itertools.count()
CODES = ("corridor_clutter", "damaged_facility")  # both: 30 m merge radius

op = st.one_of(
    st.tuples(st.just("report"), st.sampled_from(CODES), st.integers(-60, 60), st.integers(-60, 60)),
    st.tuples(st.just("merge"), st.integers(0, 9), st.integers(0, 9)),
    st.tuples(st.just("split"), st.integers(0, 9)),
)


def _point(north_m: int, east_m: int) -> tuple[float, float]:
    lat, lng = IN_A1
    return lat + north_m / 111_320.0, lng + east_m / (111_320.0 * math.cos(math.radians(lat)))


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=1, max_size=14))
def test_merging_matches_the_brute_force_oracle_and_counts_stay_exact(settings, tmp_path, ops):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world(f"prop{next(_worlds)}")
    street = world.street
    made = 0
    for item in ops:
        cases = list(Case.objects.filter(street=street).order_by("id"))
        if item[0] == "report":
            _, code, north, east = item
            lat, lng = _point(north, east)
            radius = world.categories[code].merge_radius_m
            near = [
                (haversine_m(lat, lng, c.lat, c.lng), c.pk)
                for c in cases
                if c.category.code == code and c.status in MERGEABLE_STATUSES
            ]
            near = [d for d in near if d[0] <= radius]
            expected = min(near)[1] if near else None
            r = report_create(street=street, category=code, lat=lat, lng=lng, reporter=world.rider)
            made += 1
            if expected is None:
                assert r.case_id not in {c.pk for c in cases}
            else:
                assert r.case_id == expected
        elif item[0] == "merge" and len(cases) >= 2:
            target, source = cases[item[1] % len(cases)], cases[item[2] % len(cases)]
            try:
                case_merge(target=target, sources=[source], actor=world.safety)
            except Problem as problem:
                assert problem.code == "merge_invalid"
                assert target.pk == source.pk or {target.status, source.status} - set(MERGEABLE_STATUSES)
        elif item[0] == "split" and cases:
            case = cases[item[1] % len(cases)]
            ids = list(Report.objects.filter(case=case).order_by("id").values_list("pk", flat=True))
            try:
                case_split(case=case, report_ids=ids[:1], actor=world.safety)
            except Problem as problem:
                assert problem.code == "merge_invalid" and (len(ids) < 2 or case.status not in MERGEABLE_STATUSES)
        for c in Case.objects.filter(street=street):
            rows = Report.objects.filter(case=c).count()
            assert c.reports_count == rows, (c.pk, c.status, c.reports_count, rows)
            if c.status == CaseStatus.MERGED:
                assert rows == 0 and c.merged_into_id is not None
    assert Report.objects.filter(street=street).count() == made
