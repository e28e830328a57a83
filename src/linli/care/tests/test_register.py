"""The register: visible only to care roles (a grid worker sees nothing), masked in lists and exports, every
staff view audit-logged; the resident sees what is held and asks for a correction."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import Client

from linli.care.models import Correction
from linli.care.services import calls, register, visits
from linli.care.tests.factories import build_care_world
from linli.core.errors import Problem
from linli.core.models import AuditLog
from linli.core.services import token_create

pytestmark = pytest.mark.django_db


def _bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def test_grid_worker_without_the_role_sees_nothing():
    w = build_care_world()
    c = Client()
    assert c.get("/api/v1/care/people?street=carejie", **_bearer(w.grid_worker)).status_code == 403
    assert c.get("/api/v1/care/calls?street=carejie", **_bearer(w.grid_worker)).status_code == 403
    c.force_login(w.grid_worker)
    for url in ("/staff/care/people/", "/staff/care/", "/staff/care/day/", f"/staff/care/people/{w.person.pk}/",
                "/staff/care/people.csv", "/staff/care/lead/"):  # fmt: skip
        resp = c.get(url)
        assert resp.status_code == 403, url
        assert "骨质疏松" not in resp.content.decode()
    assert not AuditLog.objects.filter(action__startswith="care.person.view").exists()


def test_lists_and_exports_are_masked_and_every_view_is_audited():
    w = build_care_world()
    c = Client()
    body = c.get("/api/v1/care/people?street=carejie", **_bearer(w.responders[0])).json()
    assert body[0]["phone"] == "138****1111" and body[0]["id_number"] == "310***********1234"
    assert AuditLog.objects.filter(action="care.register.list", actor=w.responders[0]).count() == 1
    c.force_login(w.responders[0])
    html = c.get("/staff/care/people/").content.decode()
    assert "138****1111" in html and "13800001111" not in html and "310101193501011234" not in html
    csv = c.get("/staff/care/people.csv").content.decode("utf-8-sig")
    assert "138****1111" in csv and "13800001111" not in csv and "310101193501011234" not in csv
    assert AuditLog.objects.filter(action="care.register.export").count() == 1
    page = c.get(f"/staff/care/people/{w.person.pk}/").content.decode()
    assert "骨质疏松" in page
    assert AuditLog.objects.filter(action="care.person.view.entry", object_id=str(w.person.pk)).count() == 1


def test_resident_sees_what_is_held_and_asks_for_a_correction():
    w = build_care_world()
    c = Client()
    c.force_login(w.resident)
    html = c.get("/care/").content.decode()
    assert "3号楼 502室" in html and "骨质疏松" in html and "王小明" in html and "呼叫居委" in html
    c.post("/care/", {"action": "correction", "text": "我搬到了5号楼"})
    assert Correction.objects.get().text == "我搬到了5号楼"
    staff = Client()
    staff.force_login(w.lead)
    assert "我搬到了5号楼" in staff.get("/staff/care/people/").content.decode()


def test_consent_is_required():
    w = build_care_world()
    with pytest.raises(Problem) as exc:
        register.person_register(
            actor=w.lead, committee=w.committee, name="李阿婆", groups=["elderly_80"], consent_by=""
        )
    assert exc.value.code == "care_consent_required"


def test_every_staff_view_of_an_entry_is_audited():
    """Each page or answer that shows a registered person's data to staff leaves an audit row naming the viewer."""
    w = build_care_world()
    call = calls.call_create(kind="emergency", source="button", person=w.person)
    visit = visits.visit_request_create(person=w.person, what="长护险", requested_by=w.lead)
    assert AuditLog.objects.filter(action="care.person.view.pushed", object_id=str(w.person.pk)).exists()
    c = Client()
    c.force_login(w.responders[0])
    for url, action in (
        ("/staff/care/", "care.person.view.console"),
        (f"/staff/care/calls/{call.pk}/", "care.person.view.call"),
        (f"/staff/care/people/{w.person.pk}/", "care.person.view.entry"),
        (f"/staff/care/visits/{visit.pk}/", "care.person.view.visit"),
        ("/staff/care/people/", "care.register.list"),
        ("/staff/care/hotline/", "care.register.list"),
        ("/staff/care/day/", "care.register.list"),
        ("/staff/care/people.csv", "care.register.export"),
    ):
        before = AuditLog.objects.filter(action=action, actor=w.responders[0]).count()
        assert c.get(url).status_code == 200, url
        assert AuditLog.objects.filter(action=action, actor=w.responders[0]).count() == before + 1, url


def test_the_device_command_prints_the_token_once_and_it_calls(capsys):
    w = build_care_world()
    call_command("care", "device", str(w.person.pk), "--json")
    token = json.loads(capsys.readouterr().out)["token"]
    resp = Client().post("/api/v1/care/calls", {"kind": "help"}, content_type="application/json",
                         HTTP_X_DEVICE_TOKEN=token)  # fmt: skip
    assert resp.status_code == 201 and resp.json()["person"]["id"] == w.person.pk
    call_command("care", "sweep", "--json")
    assert "calls" in json.loads(capsys.readouterr().out)
