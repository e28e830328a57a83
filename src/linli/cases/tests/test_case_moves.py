"""The case page offers the expected next step first: verify before reopen, dispatch before reject; reopening
asks why, and the reason is on the record."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from linli.cases.models import Case, CaseEvent, CaseStatus
from linli.cases.services.reports import report_create
from linli.cases.tests.factories import IN_A1, build_world

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture(autouse=True)
def _env(settings, tmp_path):
    settings.LINLI_SMS_BACKEND = "linli.core.sms.OutboxSmsBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


@pytest.fixture
def world():
    return build_world()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def report(world):
    return report_create(street=world.street, category="fire_passage", lat=IN_A1[0], lng=IN_A1[1], reporter=world.rider)


def buttons(html: str) -> list[tuple[str, str]]:
    """(class, to_status) of each status move button, in page order (merge and split are not moves)."""
    found = re.findall(r'<button type="submit" class="([^"]*)" id="do-([a-z_]+)"', html)
    return [(cls, to) for cls, to in found if to in S.values]


def test_verify_comes_first_and_primary_reopen_last_and_secondary(world):
    case = report(world).case
    Case.objects.filter(pk=case.pk).update(status=S.RESOLVED)
    html = text(client_for(world.safety).get(f"/staff/cases/{case.pk}/"))
    found = buttons(html)
    assert [to for _cls, to in found] == ["verified", "in_progress"]
    assert "button--primary" in found[0][0] and "button--primary" not in found[1][0]
    assert 'id="reopen-reason"' in html and "重新打开的理由" in html


def test_dispatch_comes_before_reject(world):
    case = report(world).case
    Case.objects.filter(pk=case.pk).update(status=S.NEW)
    found = buttons(text(client_for(world.safety).get(f"/staff/cases/{case.pk}/")))
    assert [to for _cls, to in found] == ["dispatched", "rejected"]
    assert "button--danger" in found[1][0]


def test_reopen_without_a_reason_is_refused_and_with_one_recorded(world):
    case = report(world).case
    Case.objects.filter(pk=case.pk).update(status=S.VERIFIED)
    safety = client_for(world.safety)
    move = f"/staff/cases/{case.pk}/move/"
    resp = safety.post(move, {"to_status": "in_progress"})
    assert resp.status_code == 422 and "重新打开须填写理由" in text(resp)
    assert Case.objects.get(pk=case.pk).status == S.VERIFIED
    assert safety.post(move, {"to_status": "in_progress", "reason": "居民反映又堆上了"}).status_code == 302
    assert Case.objects.get(pk=case.pk).status == S.IN_PROGRESS
    event = CaseEvent.objects.filter(case=case, to_status=S.IN_PROGRESS).latest("at")
    assert event.note == "居民反映又堆上了" and event.from_status == S.VERIFIED


def test_bulk_cannot_reopen_without_a_reason(world):
    case = report(world).case
    Case.objects.filter(pk=case.pk).update(status=S.RESOLVED)
    resp = client_for(world.safety).post("/staff/cases/bulk/", {"case_ids": [case.pk], "to_status": "in_progress"})
    assert resp.status_code == 302 and "bulk_failed=1" in resp["Location"]
    assert Case.objects.get(pk=case.pk).status == S.RESOLVED
