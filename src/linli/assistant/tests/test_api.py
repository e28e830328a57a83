"""The ask and feedback API: answers with cards from the live data, problem+json for bad input, rate limits, and a
log row for every question (intent, backend, latency, street) that keeps no personal data."""

from __future__ import annotations

import json
import uuid

import pytest

from linli.assistant.models import AskLog, Backend

pytestmark = pytest.mark.django_db


def ask(client, headers=None, **payload):
    return client.post(
        "/api/v1/assistant/ask", data=json.dumps(payload), content_type="application/json", **(headers or {})
    )


def test_anonymous_question_is_answered_with_real_cards_and_logged(client, world):
    resp = ask(client, question="这个月有什么活动？", street=world.street.code)
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["intent"] == "activities"
    assert body["backend"] == "offline"
    activity_cards = [c for c in body["cards"] if c["type"] == "activity"]
    assert activity_cards and activity_cards[0]["id"] == world.activity.pk
    assert activity_cards[0]["title"] == "书法课"
    book = [a for a in activity_cards[0]["actions"] if a["type"] == "book"]
    assert book and book[0]["url"] == f"/activities/{world.activity.pk}/"

    entry = AskLog.objects.get(public_id=uuid.UUID(body["answer_id"]))
    assert entry.street == world.street
    assert entry.intent == "activities" and entry.backend == Backend.OFFLINE
    assert entry.question == "这个月有什么活动？"
    assert entry.answer == body["answer"] and entry.cards == body["cards"]
    assert entry.latency_ms >= 0 and entry.had_location is False
    assert entry.normalized  # the key curated answers match on


def test_location_answers_the_nearest_place(client, world):
    meal = world.place("meal")
    resp = ask(client, question="附近哪里可以吃饭", street=world.street.code, lat=meal.lat + 0.0002, lng=meal.lng)
    body = resp.json()
    assert body["intent"] == "nearest_place", body
    assert body["cards"][0]["id"] == meal.pk
    assert any(a["type"] == "navigate" for a in body["cards"][0]["actions"])
    assert AskLog.objects.get().had_location is True


def test_phone_and_id_numbers_are_masked_in_the_log(client, world):
    ask(client, question="我的电话13812345678，身份证310101199001011234，帮我预约", street=world.street.code)
    entry = AskLog.objects.get()
    assert "13812345678" not in entry.question and "138****5678" in entry.question
    assert "310101199001011234" not in entry.question
    assert "13812345678" not in entry.normalized and "310101199001011234" not in entry.normalized


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "   \n "}, "question"),
        ({"question": "活" * 201}, "question"),
        ({"question": "附近有什么", "lat": 95, "lng": 121.39}, "lat"),
        ({"question": "附近有什么", "lat": 31.2}, "lng"),
        ({}, "question"),
        ({"question": "附近有什么", "lat": "abc", "lng": 121.3}, "lat"),
    ],
)
def test_bad_input_is_problem_json_and_nothing_is_logged(client, world, payload, field):
    resp = ask(client, street=world.street.code, **payload)
    assert resp.status_code == 422
    assert resp["Content-Type"].startswith("application/problem+json")
    body = resp.json()
    assert body["code"] == "validation_error"
    assert field in [e["field"] for e in body["errors"]]
    assert AskLog.objects.count() == 0


def test_unknown_street_is_404(client, world):
    resp = ask(client, question="有什么活动", street="nosuchjie")
    assert resp.status_code == 404 and resp.json()["code"] == "unknown_street"


def test_english_answers_and_problems_follow_accept_language(client, world):
    resp = client.post(
        "/api/v1/assistant/ask",
        data=json.dumps({"question": ""}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert resp.json()["title"] == "The input is not valid"
    assert resp.json()["errors"][0]["message_en"] == "Please type a question"


def test_rate_limit_per_ip_and_per_user(client, world, settings):
    settings.LINLI_ASSISTANT_ASKS_PER_MINUTE = 3
    for _ in range(3):
        assert ask(client, question="有什么活动", street=world.street.code).status_code == 200
    resp = ask(client, question="有什么活动", street=world.street.code)
    assert resp.status_code == 429 and resp.json()["code"] == "rate_limited"
    assert int(resp["Retry-After"]) >= 1
    # Another address is another bucket; a signed-in person is limited across addresses too.
    other = ask(client, {"REMOTE_ADDR": "10.0.0.9"}, question="有什么活动", street=world.street.code)
    assert other.status_code == 200
    client.force_login(world.resident)
    for i in range(2):
        resp = client.post(
            "/api/v1/assistant/ask",
            data=json.dumps({"question": "有什么活动"}),
            content_type="application/json",
            REMOTE_ADDR=f"10.0.1.{i}",
        )
        assert resp.status_code == 200
    resp = client.post(
        "/api/v1/assistant/ask",
        data=json.dumps({"question": "有什么活动"}),
        content_type="application/json",
        REMOTE_ADDR="10.0.1.99",
    )
    assert resp.status_code == 200
    resp = client.post(
        "/api/v1/assistant/ask",
        data=json.dumps({"question": "有什么活动"}),
        content_type="application/json",
        REMOTE_ADDR="10.0.1.100",
    )
    assert resp.status_code == 429


def test_feedback_marks_the_answer_and_can_be_changed(client, world):
    answer_id = ask(client, question="有什么活动", street=world.street.code).json()["answer_id"]
    url = f"/api/v1/assistant/answers/{answer_id}/feedback"
    resp = client.post(
        url,
        data=json.dumps({"helpful": False, "comment": "我问的是书法课，电话13812345678"}),
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    entry = AskLog.objects.get()
    assert entry.helpful is False and entry.feedback_at is not None
    assert entry.feedback_comment == "我问的是书法课，电话138****5678"
    resp = client.post(url, data=json.dumps({"helpful": True}), content_type="application/json")
    assert resp.json() == {"answer_id": answer_id, "helpful": True, "comment": ""}


def test_feedback_problems(client, world):
    answer_id = ask(client, question="有什么活动", street=world.street.code).json()["answer_id"]
    missing = client.post(
        f"/api/v1/assistant/answers/{uuid.uuid4()}/feedback",
        data=json.dumps({"helpful": True}),
        content_type="application/json",
    )
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    not_uuid = client.post(
        "/api/v1/assistant/answers/12/feedback", data=json.dumps({"helpful": True}), content_type="application/json"
    )
    assert not_uuid.status_code == 404
    too_long = client.post(
        f"/api/v1/assistant/answers/{answer_id}/feedback",
        data=json.dumps({"helpful": False, "comment": "长" * 501}),
        content_type="application/json",
    )
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "comment"
    no_flag = client.post(
        f"/api/v1/assistant/answers/{answer_id}/feedback",
        data=json.dumps({"comment": "x"}),
        content_type="application/json",
    )
    assert no_flag.status_code == 422
    assert AskLog.objects.get().helpful is None


def test_openapi_documents_the_assistant(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/assistant/ask" in paths
    assert "/api/v1/assistant/answers/{answer_id}/feedback" in paths


def test_an_answer_and_its_feedback_belong_to_the_asker(client, world):
    """Holding an answer's id is not enough: another browser, another resident or a bearer caller gets 404 and
    changes nothing, so nobody can overwrite a resident's feedback or empty the street's review queue."""
    from django.test import Client

    from linli.assistant.selectors import review_queue
    from linli.core.services import token_create
    from linli.core.tests.factories import UserFactory

    def rate(c, answer_id, helpful, **headers):
        return c.post(
            f"/api/v1/assistant/answers/{answer_id}/feedback",
            data=json.dumps({"helpful": helpful, "comment": "别人的意见"}),
            content_type="application/json",
            **headers,
        )

    anonymous = ask(client, question="今天股票涨了吗", street=world.street.code).json()["answer_id"]
    resident = UserFactory()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=resident)}"}
    owned = ask(Client(), bearer, question="有什么活动", street=world.street.code).json()["answer_id"]
    assert rate(Client(), owned, False, **bearer).status_code == 200  # the asker, by token: rated unhelpful
    assert review_queue(street=world.street).count() == 2

    intruder = UserFactory()
    for answer_id in (anonymous, owned):
        for c, headers in ((Client(), {}), (Client(), {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=intruder)}"})):
            resp = rate(c, answer_id, True, **headers)
            assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    assert review_queue(street=world.street).count() == 2  # nothing emptied
    assert AskLog.objects.get(public_id=owned).feedback_comment == "别人的意见"
    assert AskLog.objects.get(public_id=owned).helpful is False

    page = Client().get(f"/s/{world.street.code}/ask/?answer={anonymous}")  # another browser: no answer shown
    assert page.status_code == 200 and 'id="answer"' not in page.content.decode()
    assert Client().post(f"/assistant/answers/{anonymous}/feedback/", {"helpful": "1"}).status_code == 404
    assert rate(client, anonymous, True).status_code == 200  # the anonymous asker's own browser may
