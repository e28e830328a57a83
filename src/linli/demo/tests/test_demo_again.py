"""`linli demo` run again on the sample street it built (the run's one build, `demo_shared`): a second run changes
nothing, `--reset` rebuilds it, the activities are there and stay put."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from linli.activities.models import Activity, ActivityStatus
from linli.core.models import Committee, Compound, Grid, RoleAssignment, Street, User
from linli.demo.access import demo_access_load
from linli.places.models import Place

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(demo_shared):  # noqa: ANN001, ANN201
    """The street as `linli demo` leaves it: `demo_load()`, then the gates and riders."""
    demo_access_load(street=demo_shared.street, stdout=StringIO())
    return demo_shared


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def counts(street: Street) -> dict[str, int]:
    return {
        "places": Place.objects.filter(street=street).count(),
        "grids": Grid.objects.filter(street=street).count(),
        "compounds": Compound.objects.filter(street=street).count(),
        "committees": Committee.objects.filter(street=street).count(),
        "roles": RoleAssignment.objects.filter(street=street).count(),
        "users": User.objects.count(),
        "streets": Street.objects.count(),
    }


def test_demo_twice_changes_nothing(built):  # noqa: ANN001
    street = Street.objects.get(code="wanli")
    before = counts(street)
    updated_at = dict(Place.objects.filter(street=street).values_list("external_id", "updated_at"))
    output = run_demo()
    assert counts(street) == before
    assert dict(Place.objects.filter(street=street).values_list("external_id", "updated_at")) == updated_at
    assert "created 0, updated 0" in output


def test_demo_reset_rebuilds_the_sample_street(built):  # noqa: ANN001
    first = Street.objects.get(code="wanli")
    before = counts(first)
    run_demo("--reset")
    street = Street.objects.get(code="wanli")
    assert street.pk != first.pk
    assert counts(street) == before


def test_demo_has_bookable_activities_this_month_and_after(capsys, built):  # noqa: ANN001
    upcoming = Activity.objects.filter(street__code="wanli", status=ActivityStatus.PUBLISHED, start__gt=timezone.now())
    assert upcoming.count() >= 9
    assert upcoming.filter(series__isnull=False).exists()  # the weekly classes are RRULE series
    assert set(upcoming.values_list("category", flat=True)) >= {"lecture", "culture", "health", "skills_training"}
    call_command("demo")
    assert "activities: created 0, updated 0, unchanged 9" in capsys.readouterr().out
