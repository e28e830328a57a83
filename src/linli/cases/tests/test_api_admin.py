"""The cases back office: every model is registered, pages render, the timeline cannot be edited or deleted,
and a street admin sees only their streets' cases."""

from __future__ import annotations

import pytest
from django.contrib import admin

from linli.cases.models import Case, CaseCategory, CaseEvent, CasePhoto, Open311Client, Report, SentinelPoints
from linli.cases.services.reports import report_create
from linli.cases.tests.factories import IN_A1, build_world
from linli.core.testing import assert_admin_hides

pytestmark = pytest.mark.django_db


def test_every_cases_model_is_registered():
    for model in (Case, CaseCategory, CaseEvent, CasePhoto, Open311Client, Report, SentinelPoints):
        assert admin.site.is_registered(model), model


def test_admin_pages_render_and_the_timeline_is_read_only(client):
    world = build_world()
    report = report_create(
        street=world.street, category="fire_passage", lat=IN_A1[0], lng=IN_A1[1], reporter=world.rider
    )
    boss = world.admin
    boss.is_staff = boss.is_superuser = True
    boss.save()
    client.force_login(boss)
    for name in ("case", "casecategory", "caseevent", "casephoto", "report", "sentinelpoints", "open311client"):
        assert client.get(f"/admin/cases/{name}/").status_code == 200, name
    assert client.get(f"/admin/cases/case/{report.case_id}/change/").status_code == 200
    event = CaseEvent.objects.filter(case_id=report.case_id).first()
    assert client.get(f"/admin/cases/caseevent/{event.pk}/delete/").status_code == 403
    resp = client.post(f"/admin/cases/caseevent/{event.pk}/change/", {"note": "edited"})
    assert resp.status_code == 403
    assert CaseEvent.objects.get(pk=event.pk).note != "edited"


def test_street_admin_sees_only_their_streets_cases(client):
    world = build_world()
    other = build_world("otherjie")
    mine = report_create(street=world.street, category="other", lat=IN_A1[0], lng=IN_A1[1], reporter=world.rider)
    theirs = report_create(street=other.street, category="other", lat=IN_A1[0], lng=IN_A1[1], reporter=other.rider)
    staff = other.admin
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    page = client.get("/admin/cases/case/").content.decode()
    assert f"/admin/cases/case/{theirs.case_id}/change/" in page
    assert f"/admin/cases/case/{mine.case_id}/change/" not in page
    assert_admin_hides(client, f"/admin/cases/case/{mine.case_id}/change/")


def test_admin_issues_an_open311_key_once_and_revokes_it(client):
    from linli.cases.services.clients import client_for_key

    world = build_world()
    boss = world.admin
    boss.is_staff = boss.is_superuser = True
    boss.save()
    client.force_login(boss)
    resp = client.post(
        "/admin/cases/open311client/add/", {"street": world.street.pk, "name": "12345热线对接"}, follow=True
    )
    assert resp.status_code == 200
    page = resp.content.decode()
    key = page.split("the key, shown once: ")[1].split("<")[0].strip()
    issued = Open311Client.objects.get(name="12345热线对接")
    assert client_for_key(key, world.street) == issued and key not in issued.digest
    resp = client.post(
        "/admin/cases/open311client/",
        {"action": "revoke_keys", "_selected_action": [issued.pk]},
        follow=True,
    )
    assert resp.status_code == 200
    issued.refresh_from_db()
    assert issued.revoked_at is not None and client_for_key(key, world.street) is None
