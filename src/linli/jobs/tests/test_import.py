"""`linli import jobs`: all or nothing, every bad line named; employers' credit codes by their checksum."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli.core.errors import Problem
from linli.jobs.models import Job
from linli.jobs.services import employers
from linli.jobs.services.jobs_import import jobs_import
from linli.jobs.tests.factories import JobsWorld

pytestmark = pytest.mark.django_db

HEADER = "id,credit_code,title,occupation,lat,lng,address,hours_kind,shifts,pay_min_yuan,pay_max_yuan,openings,valid_through\n"


def _line(world: JobsWorld, ext: str, **cells: str) -> str:
    valid = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    row = {"id": ext, "credit_code": world.employer.credit_code, "title": "保洁员", "occupation": "4-09-08-01",
           "lat": "31.201", "lng": "121.401", "address": "康健路1号", "hours_kind": "part_time",
           "shifts": "morning|afternoon", "pay_min_yuan": "3000", "pay_max_yuan": "4000", "openings": "2",
           "valid_through": valid, **cells}  # fmt: skip
    return ",".join(row.values()) + "\n"


def test_import_creates_then_updates(world: JobsWorld) -> None:
    before = Job.objects.count()
    result = jobs_import(street=world.street, text=HEADER + _line(world, "a1") + _line(world, "a2"))
    assert (result.created, result.updated) == (2, 0)
    result = jobs_import(street=world.street, text=HEADER + _line(world, "a1", title="保洁主管"))
    assert (result.created, result.updated) == (0, 1)
    assert Job.objects.count() == before + 2
    assert Job.objects.get(external_id="a1").title == "保洁主管"
    assert Job.objects.get(external_id="a1").pay_max_fen == 400000


def test_import_rejects_every_bad_line_and_writes_nothing(world: JobsWorld) -> None:
    before = Job.objects.count()
    text = (HEADER + _line(world, "ok")
            + _line(world, "b1", occupation="9-99")
            + _line(world, "b2", credit_code="91310104MA1FL00001")
            + _line(world, "b3", lat="north")
            + _line(world, "b4", valid_through="2001-01-01")
            + _line(world, "b5", shifts="midnight")
            + _line(world, "b6", pay_min_yuan="5000", pay_max_yuan="100")
            + _line(world, "ok"))  # fmt: skip
    with pytest.raises(Problem) as exc:
        jobs_import(street=world.street, text=text)
    assert exc.value.code == "csv_invalid"
    lines = sorted({e["line"] for e in exc.value.errors})
    assert lines == [3, 4, 5, 6, 7, 8, 9]
    assert Job.objects.count() == before


def test_import_refuses_a_file_without_the_columns(world: JobsWorld) -> None:
    with pytest.raises(Problem) as exc:
        jobs_import(street=world.street, text="title\n保洁\n")
    assert exc.value.code == "csv_invalid"


def test_credit_code_checksum() -> None:
    assert employers.credit_code_valid("91350100M000100Y43")  # a published example
    assert not employers.credit_code_valid("91350100M000100Y44")
    assert not employers.credit_code_valid("9135010OM000100Y43")  # the letter O is not in the code's alphabet
    code = employers.credit_code_with_check("91310104MA1FL0000")
    assert employers.credit_code_valid(code)


def test_an_unverified_employer_cannot_post(world: JobsWorld) -> None:
    from linli.jobs.services.jobs import JobValues, job_create

    employer = employers.employer_register(street=world.street, actor=None, values=employers.EmployerValues(
        name="新店", credit_code=employers.credit_code_with_check("92310104MA1FL0001")))  # fmt: skip
    with pytest.raises(Problem) as exc:
        job_create(employer=employer, actor=None, values=JobValues(
            title="x", occupation="4-09-08-01", lat=31.2, lng=121.4, hours_kind="part_time",
            valid_through=timezone.localdate()))  # fmt: skip
    assert exc.value.code == "jobs_employer_unverified"
