"""The API and pages as people use them: privacy (another street's staff see nothing, list rows masked, views
audited), the public job page's JSON-LD, problem+json for bad input."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from linli.core.models import AuditLog, Role
from linli.jobs.models import Application, AppStatus
from linli.jobs.tests.factories import JobsWorld, build_jobs_world, role, survey

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_seeker_matches_for_staff_with_reasons_and_audited(world: JobsWorld) -> None:
    seeker = survey(world)
    r = client_for(world.worker).get(f"/api/v1/jobs/seekers/{seeker.pk}/matches", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200
    body = r.json()
    assert [m["job_id"] for m in body] == [world.near_morning.pk, world.near_afternoon.pk]
    assert "步行 10 分钟" in [x["text"] for x in body[0]["reasons"]]
    assert AuditLog.objects.filter(action="jobs.seeker.view.matches", object_id=str(seeker.pk)).exists()


def test_another_streets_staff_see_nothing(world: JobsWorld) -> None:
    seeker = survey(world)
    other = build_jobs_world("otherjie")
    c = client_for(other.worker)
    assert c.get(f"/api/v1/jobs/seekers/{seeker.pk}/matches").status_code == 404
    assert c.get(f"/api/v1/jobs/{world.near_morning.pk}/matches").status_code == 404
    r = c.get(f"/api/v1/jobs/seekers?street={world.street.code}")
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    assert c.get(f"/staff/jobs/seekers/{seeker.pk}/").status_code == 403
    assert c.get(f"/staff/jobs/?street={world.street.code}").status_code == 403
    r = c.post("/api/v1/jobs/applications", {"seeker_id": seeker.pk, "job_id": world.near_morning.pk},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 404
    # a grid worker of the same street holds no employment role
    grid = other.resident
    role(grid, world.street, Role.GRID_WORKER)
    assert client_for(grid).get(f"/api/v1/jobs/seekers/{seeker.pk}/matches").status_code == 404


def test_seeker_list_is_masked(world: JobsWorld) -> None:
    survey(world)
    rows = client_for(world.worker).get(f"/api/v1/jobs/seekers?street={world.street.code}").json()
    assert rows[0]["phone"] != "13812345678" and "*" in rows[0]["phone"]


def test_survey_pipeline_and_the_employer_answers(world: JobsWorld) -> None:
    c = client_for(world.worker)
    r = c.post("/api/v1/jobs/seekers", {"street": world.street.code, "name": "赵阿姨", "consent": True,
               "compound_id": world.compound.pk, "skills": ["vegetable_prep"], "shifts": ["morning"]},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.content
    seeker_id = r.json()["id"]
    r = c.post("/api/v1/jobs/applications", {"seeker_id": seeker_id, "job_id": world.near_morning.pk},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 201
    app_id = r.json()["id"]
    employer = client_for(world.member)
    r = employer.post(f"/api/v1/jobs/applications/{app_id}/moves", {"to": "interview"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "interview"
    r = employer.post(f"/api/v1/jobs/applications/{app_id}/moves", {"to": "retained"}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "jobs_application_invalid_transition"
    r = employer.post(f"/api/v1/jobs/applications/{app_id}/moves", {"to": "refused"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "jobs_refusal_reason_required"
    r = c.post(f"/api/v1/jobs/applications/{app_id}/moves", {"to": "hired"}, content_type="application/json")
    assert r.status_code == 200
    assert [e["to_status"] for e in r.json()["timeline"]] == ["suggested", "interview", "hired"]
    assert Application.objects.get(pk=app_id).status == AppStatus.HIRED


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "x", "consent": False},
        {"name": "x", "consent": True, "skills": ["flying"]},
        {"name": "x", "consent": True, "max_minutes": 0},
        {"name": "x", "consent": True, "lat": 95, "lng": 121.4},
        {"name": "x", "consent": True},
    ],
)
def test_bad_survey_is_a_problem_not_a_500(world: JobsWorld, payload: dict[str, Any]) -> None:
    r = client_for(world.worker).post("/api/v1/jobs/seekers", {"street": world.street.code, **payload},
                                      content_type="application/json")  # fmt: skip
    assert r.status_code in (422,)
    assert r["Content-Type"].startswith("application/problem+json")


def test_employer_registration_checks_the_credit_code(world: JobsWorld) -> None:
    c = client_for(world.resident)
    r = c.post("/api/v1/jobs/employers", {"street": world.street.code, "name": "小店", "credit_code": "91350100M000100Y44"},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 422 and r.json()["code"] == "credit_code_invalid"
    r = c.post("/api/v1/jobs/employers", {"street": world.street.code, "name": "小店", "credit_code": "91350100M000100Y43"},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 201 and r.json()["verified"] is False
    r = c.post("/api/v1/jobs", {"employer_id": r.json()["id"], "title": "店员", "occupation": "4-01-02-01", "lat": 31.2,
               "lng": 121.4, "hours_kind": "part_time", "valid_through": "2099-01-01"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 403 and r.json()["code"] == "jobs_employer_unverified"


def test_public_search_and_near(world: JobsWorld) -> None:
    c = Client()
    rows = c.get(f"/api/v1/jobs?street={world.street.code}").json()
    assert {r["id"] for r in rows} == {world.near_morning.pk, world.near_afternoon.pk, world.far_morning.pk}
    rows = c.get(f"/api/v1/jobs?street={world.street.code}&near=31.2,121.4&minutes=15").json()
    assert world.far_morning.pk not in {r["id"] for r in rows}
    assert c.get(f"/api/v1/jobs?street={world.street.code}&near=abc").status_code == 422
    assert c.get(f"/api/v1/jobs?street={world.street.code}&occupation=4-03").json()
    assert c.get(f"/api/v1/jobs?street={world.street.code}&q=面点").json() == []


def test_job_page_carries_schema_org_job_posting(world: JobsWorld) -> None:
    r = Client().get(f"/jobs/{world.near_morning.pk}/")
    assert r.status_code == 200
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', r.content.decode(), re.S)
    assert found
    data = json.loads(found.group(1))
    assert data["@type"] == "JobPosting" and data["title"] == "早餐店厨房帮工"
    assert data["hiringOrganization"]["name"] == "好味道餐饮"
    assert data["jobLocation"]["geo"]["latitude"] == 31.2025
    assert data["employmentType"] == "PART_TIME"
    assert data["validThrough"] == world.near_morning.valid_through.isoformat()
    assert Client().get("/jobs/999999/").status_code == 404


def test_pages_render(world: JobsWorld) -> None:
    seeker = survey(world, user=world.resident)
    c = client_for(world.worker)
    for url in (f"/staff/jobs/?street={world.street.code}", f"/staff/jobs/seekers/new/?street={world.street.code}",
                f"/staff/jobs/seekers/{seeker.pk}/"):  # fmt: skip
        assert c.get(url).status_code == 200, url
    assert c.get(f"/staff/jobs/dashboard/?street={world.street.code}").status_code == 403
    head = client_for(world.head)
    assert head.get(f"/staff/jobs/dashboard/?street={world.street.code}").status_code == 200
    assert head.get(f"/staff/jobs/dashboard/?street={world.street.code}&format=csv")["Content-Type"].startswith(
        "text/csv"
    )
    r = client_for(world.resident).get("/jobs/")
    assert "早餐店厨房帮工" in r.content.decode()
    assert client_for(world.resident).get("/jobs/profile/").status_code == 200
    assert client_for(world.member).get("/jobs/employer/").status_code == 200
