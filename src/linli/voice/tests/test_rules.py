"""Who may answer and how often: open and close dates, audiences (street, committees, compounds, a role, the
link), one answer per person or per household, door visits with consent, offline replay without duplicates."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from linli.core.errors import Problem
from linli.core.services import token_create
from linli.voice.models import Response
from linli.voice.services.surveys import household_key, response_submit
from linli.voice.tests.factories import build_voice_world, make_survey

pytestmark = pytest.mark.django_db
SIMPLE = [{"kind": "single", "text": "开放吗？", "options": ["是", "否"], "required": True}]


def _answer(s: Any) -> dict[str, Any]:
    return {str(s.questions.first().pk): 0}


def _code(**kw: Any) -> str:
    with pytest.raises(Problem) as exc:
        response_submit(**kw)
    return exc.value.code


def test_closed_and_not_yet_open_surveys_refuse() -> None:
    w = build_voice_world()
    closed = make_survey(w, questions=SIMPLE, days=-1, opens_at=timezone.now() - timedelta(days=5))
    later = make_survey(w, questions=SIMPLE, opens_at=timezone.now() + timedelta(days=1))
    assert _code(survey=closed, answers=_answer(closed), user=w.resident) == "survey_closed"
    assert _code(survey=later, answers=_answer(later), user=w.resident) == "survey_closed"


def test_one_answer_per_person() -> None:
    w = build_voice_world()
    s = make_survey(w, questions=SIMPLE)
    response_submit(survey=s, answers=_answer(s), user=w.resident)
    assert _code(survey=s, answers=_answer(s), user=w.resident) == "already_answered"
    response_submit(survey=s, answers=_answer(s), user=w.resident2)


def test_one_answer_per_household_whatever_the_flat_spelling() -> None:
    w = build_voice_world()
    s = make_survey(w, questions=SIMPLE, one_answer="household")
    assert _code(survey=s, answers=_answer(s), user=w.resident) == "validation_error"
    response_submit(survey=s, answers=_answer(s), user=w.resident, compound=w.compound, flat="3号楼 201室")
    assert (
        _code(survey=s, answers=_answer(s), user=w.resident2, compound=w.compound, flat="3-201") == "already_answered"
    )
    assert _code(survey=s, answers=_answer(s), user=w.head, compound=w.compound, flat="３号楼２０１", channel="door",
                 consent=True) == "already_answered"  # fmt: skip
    assert household_key(w.compound, "3号楼201室") == household_key(w.compound, "3 - 201")


def test_audience_committees_compounds_role_and_link() -> None:
    w = build_voice_world()
    by_committee = make_survey(w, questions=SIMPLE, audience="committees", committee_ids=[w.committee.pk])
    assert _code(survey=by_committee, answers=_answer(by_committee), user=w.resident) == "not_in_audience"
    assert _code(survey=by_committee, answers=_answer(by_committee), user=w.resident,
                 compound=w.compound2) == "not_in_audience"  # fmt: skip
    response_submit(survey=by_committee, answers=_answer(by_committee), user=w.resident, compound=w.compound)
    by_compound = make_survey(w, questions=SIMPLE, audience="compounds", compound_ids=[w.compound2.pk])
    assert _code(survey=by_compound, answers=_answer(by_compound), user=w.resident,
                 compound=w.compound) == "not_in_audience"  # fmt: skip
    riders = make_survey(w, questions=SIMPLE, audience="role", role="rider")
    assert _code(survey=riders, answers=_answer(riders), user=w.resident) == "not_in_audience"
    response_submit(survey=riders, answers=_answer(riders), user=w.rider)
    link = make_survey(w, questions=SIMPLE, audience="link")
    assert _code(survey=link, answers=_answer(link), user=None) == "not_in_audience"
    assert _code(survey=link, answers=_answer(link), user=None, token=str(uuid.uuid4())) == "not_in_audience"
    response_submit(survey=link, answers=_answer(link), user=None, token=str(link.link_token))
    street = make_survey(w, questions=SIMPLE)
    assert _code(survey=street, answers=_answer(street), user=None) == "not_authenticated"


def test_door_visits_need_a_door_role_consent_and_the_household() -> None:
    w = build_voice_world()
    s = make_survey(w, questions=SIMPLE)
    kw = {"survey": s, "answers": _answer(s), "channel": "door", "compound": w.compound, "flat": "5-101"}
    assert _code(user=w.resident, consent=True, **kw) == "permission_denied"
    assert _code(user=w.head, consent=False, **kw) == "validation_error"
    assert _code(user=w.head, consent=True, **{**kw, "flat": ""}) == "validation_error"
    done = response_submit(user=w.head, consent=True, **kw)
    r = done.response
    assert (r.channel, r.entered_by_id, r.user_id, r.committee_id, r.consent) == ("door", w.head.pk, None,
                                                                                  w.committee.pk, True)  # fmt: skip
    # two neighbours of one building are two households
    response_submit(user=w.head, consent=True, **{**kw, "flat": "5-102"})
    assert _code(user=w.head, consent=True, **kw) == "already_answered"


def test_offline_replay_is_accepted_once(client: Any) -> None:
    """The tablet sends its queue again after a lost answer: each client id arrives once."""
    w = build_voice_world()
    s = make_survey(w, questions=SIMPLE)
    token = token_create(user=w.head)
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    bodies = [{"answers": _answer(s), "client_id": cid, "channel": "door", "compound_id": w.compound.pk,
               "flat": f"7-{n}01", "consent": True} for n, cid in enumerate(ids, start=1)]  # fmt: skip
    statuses = []
    for _round in range(2):
        for body in bodies:
            resp = client.post(f"/api/v1/surveys/{s.pk}/responses", body, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip
            statuses.append((resp.status_code, resp.json()["duplicate"]))
    assert statuses == [(201, False), (201, False), (200, True), (200, True)]
    assert Response.objects.filter(survey=s).count() == 2
    # even after the survey closed, a replay of an answer already taken is no error
    s.closes_at = timezone.now() - timedelta(minutes=1)
    s.save()
    resp = client.post(f"/api/v1/surveys/{s.pk}/responses", bodies[0], content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip
    assert resp.status_code == 200


def test_idempotency_key_replays_and_problems_over_the_api(client: Any) -> None:
    w = build_voice_world()
    s = make_survey(w, questions=SIMPLE)
    client.force_login(w.resident)
    url = f"/api/v1/surveys/{s.pk}/responses"
    first = client.post(url, {"answers": _answer(s)}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="a1")
    again = client.post(url, {"answers": _answer(s)}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="a1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = client.post(url, {"answers": _answer(s)}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="a2")
    assert (other.status_code, other.json()["code"]) == (409, "already_answered")
    bad = client.post(url, {"answers": _answer(s), "client_id": "nope"}, content_type="application/json")
    assert bad.json()["code"] == "validation_error"
    bad = client.post(url, {"answers": "x"}, content_type="application/json")
    assert bad.status_code == 422
    bad = client.post(url, {"answers": _answer(s), "compound_id": 10**12}, content_type="application/json")
    assert bad.json()["code"] == "validation_error"
