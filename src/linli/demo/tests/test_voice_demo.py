"""The sample street's voice (issue 19 item 7): a closed survey with 300 answers online and at the door and its
public results, the open survey, a needs board of 40 needs, three consultations (closed with its actions done,
met with an overdue action, just invited) and the public "what we did" pages; loaded once; reset removes it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from linli.demo.voice import CLOSED_TITLE, TITLE
from linli.voice.models import ActionStatus, Consultation, Need, Response, Survey
from linli.voice.selectors_results import public_results_allowed, results

pytestmark = pytest.mark.django_db


def test_demo_voice_surveys_needs_consultations_and_public_pages(demo_street_shared):
    street = demo_street_shared
    closed = Survey.objects.get(street=street, title=CLOSED_TITLE)
    assert Survey.objects.get(street=street, title=TITLE).status == "open"
    assert closed.status == "closed" and public_results_allowed(closed)
    r = results(closed)
    assert r.total == 300 and r.by_channel["online"] > 100 and r.by_channel["door"] > 100
    assert Response.objects.filter(survey=closed, channel="door", consent=True, entered_by__isnull=False).count() == 120
    assert any(c["rate"] for c in r.coverage)  # committees' households: a response rate
    follow_up = next(q for q in r.questions if q.question.condition)
    assert 0 < follow_up.answered < 300  # the condition hid it for those who want no evening opening

    assert Need.objects.filter(street=street).count() == 40
    assert set(Need.objects.filter(street=street).values_list("status", flat=True)) == {
        "open", "merged", "actioned", "answered"}  # fmt: skip
    cons = {c.status: c for c in Consultation.objects.filter(street=street)}
    assert set(cons) == {"closed", "met", "inviting"}
    assert not cons["closed"].actions.filter(status=ActionStatus.OPEN).exists()
    today = timezone.localdate()
    assert cons["met"].actions.filter(status=ActionStatus.OPEN, due_on__lt=today).exists()
    assert cons["inviting"].invitations.count() == 2

    client = Client()
    page = client.get(f"/voice/results/{closed.pk}/").content.decode()
    assert "党群服务中心" in page and "自习室" in page and "还有什么建议" not in page  # no text in public
    page = client.get(f"/voice/what-we-did/{street.code}/").content.decode()
    assert cons["closed"].title in page and cons["met"].title in page and CLOSED_TITLE in page
    assert cons["inviting"].title not in page or "邀约中" in page


def test_demo_voice_loads_once_and_resets(demo_street_shared, demo_accounts):
    from linli.demo.loader import demo_reset
    from linli.demo.voice import voice_demo_load

    street = demo_street_shared
    before = (Survey.objects.count(), Response.objects.count(), Need.objects.count(), Consultation.objects.count())
    voice_demo_load(street, actor=demo_accounts.get("admin"))  # a second time: nothing new
    assert (Survey.objects.count(), Response.objects.count(), Need.objects.count(),
            Consultation.objects.count()) == before  # fmt: skip
    assert demo_reset()
    assert not Survey.objects.filter(street_id=street.pk).exists() and not Consultation.objects.exists()
