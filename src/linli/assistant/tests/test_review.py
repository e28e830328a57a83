"""Staff review: who sees which street's queue (pages and API), curated answers served to the next resident asking
the same question, synonyms passed to the engine, and the checks on both."""

from __future__ import annotations

import json

import pytest

from linli.assistant.models import AskLog, Backend, CuratedAnswer, Synonym
from linli.assistant.services.ask import answer_question
from linli.assistant.services.review import answer_feedback_set, curated_answer_save, synonym_save
from linli.core.errors import Problem
from linli.core.models import AuditLog
from linli.core.services import token_create

pytestmark = pytest.mark.django_db


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def unhelpful(world, question="那个老年饭桌在哪", street=None) -> AskLog:
    entry = answer_question(question=question, street=street or world.street)
    return answer_feedback_set(answer=entry, helpful=False, comment="没找到")


def test_queue_holds_unhelpful_and_unknown_questions_of_the_street(world):
    from linli.assistant.selectors import review_queue

    bad = unhelpful(world)
    unknown = answer_question(question="今天股票涨了吗", street=world.street)
    assert unknown.intent == "unknown"
    fine = answer_question(question="有什么活动", street=world.street)
    answer_feedback_set(answer=fine, helpful=True)
    elsewhere = unhelpful(world, street=world.other_street)
    queue = set(review_queue(street=world.street))
    assert bad in queue and unknown in queue
    assert fine not in queue and elsewhere not in queue


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("station_staff", 200), ("grid_worker", 403), ("other_admin", 403), ("resident", 403)],
)
def test_queue_page_and_api_per_role_and_street(client, world, who, status):
    bad = unhelpful(world)
    user = getattr(world, who)
    client.force_login(user)
    page = client.get(f"/staff/assistant/?street={world.street.code}")
    assert page.status_code == status
    api = client.get(f"/api/v1/assistant/review?street={world.street.code}", **bearer(user))
    assert api.status_code == status
    question = client.get(f"/staff/assistant/questions/{bad.pk}/")
    assert question.status_code == (200 if status == 200 else 403 if who != "other_admin" else 404)
    if status == 200:
        assert bad.question in page.content.decode()
        assert [row["id"] for row in api.json()] == [bad.pk]
    else:
        assert bad.question not in page.content.decode()


def test_other_admin_sees_only_own_street_and_cannot_review_this_one(client, world):
    bad = unhelpful(world)
    mine = unhelpful(world, question="别的问题", street=world.other_street)
    client.force_login(world.other_admin)
    page = client.get("/staff/assistant/").content.decode()
    assert mine.question in page and bad.question not in page
    resp = client.post(f"/staff/assistant/questions/{bad.pk}/", {"action": "reviewed"})
    assert resp.status_code == 404
    api = client.post(
        "/api/v1/assistant/curated",
        data=json.dumps({"street": world.street.code, "question": "x", "answer": "y"}),
        content_type="application/json",
        **bearer(world.other_admin),
    )
    assert api.status_code == 403 and api.json()["code"] == "permission_denied"
    assert CuratedAnswer.objects.count() == 0


def test_anonymous_staff_pages_redirect_to_sign_in_and_api_is_401(client, world):
    assert client.get("/staff/assistant/")["Location"].startswith("/login/")
    assert client.get("/api/v1/assistant/review?street=testjie").status_code == 401


def test_curated_answer_is_served_to_the_next_resident_asking_the_same(client, world):
    bad = unhelpful(world, question="老年饭桌在哪里？")
    client.force_login(world.station_staff)
    meal = world.place("meal")
    resp = client.post(
        f"/staff/assistant/questions/{bad.pk}/",
        {
            "action": "curated",
            "question": bad.question,
            "answer": "老年饭桌就是测试助餐点，每天11点开饭。",
            "intent": "nearest_place",
            "place": [str(meal.pk)],
            "activity": [str(world.activity.pk)],
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    bad.refresh_from_db()
    assert bad.reviewed_at is not None and bad.reviewed_by == world.station_staff
    assert AuditLog.objects.filter(action="assistant.curated_save", actor=world.station_staff).exists()

    # The same question in other clothes: full-width punctuation, spaces, a particle.
    resp = client.post(
        "/api/v1/assistant/ask",
        data=json.dumps({"question": "老年饭桌 在哪里呀?", "street": world.street.code}),
        content_type="application/json",
    )
    body = resp.json()
    assert body["backend"] == "curated" and body["answer"] == "老年饭桌就是测试助餐点，每天11点开饭。"
    assert body["intent"] == "nearest_place"
    assert [(c["type"], c["id"]) for c in body["cards"]] == [("place", meal.pk), ("activity", world.activity.pk)]
    entry = AskLog.objects.latest("created_at")
    assert entry.backend == Backend.CURATED and entry.curated is not None
    # Another street's residents do not get it.
    other = answer_question(question="老年饭桌在哪里？", street=world.other_street)
    assert other.backend == Backend.OFFLINE


def test_curated_cards_drop_rows_that_are_gone(world):
    meal = world.place("meal")
    curated_answer_save(
        street=world.street,
        question="书法课在哪",
        answer="看下面",
        cards=[{"type": "place", "id": meal.pk}, {"type": "activity", "id": world.activity.pk}],
        actor=world.admin,
    )
    world.activity.status = "cancelled"
    world.activity.save(update_fields=["status"])
    entry = answer_question(question="书法课在哪", street=world.street)
    assert entry.backend == Backend.CURATED
    assert [c["id"] for c in entry.cards] == [meal.pk]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"answer": ""}, "answer"),
        ({"answer": "长" * 2001}, "answer"),
        ({"question": ""}, "question"),
        ({"cards": [{"type": "place", "id": 999999}]}, "cards"),
        ({"intent": "weather"}, "intent"),
    ],
)
def test_curated_answer_checks(world, kwargs, field):
    values = {"question": "书法课在哪", "answer": "在助餐点", "cards": [], "intent": "curated", **kwargs}
    with pytest.raises(Problem) as exc:
        curated_answer_save(street=world.street, actor=world.admin, **values)
    assert field in [e["field"] for e in exc.value.errors]
    assert CuratedAnswer.objects.count() == 0


def test_curated_cards_must_be_the_streets_own(world):
    with pytest.raises(Problem) as exc:
        curated_answer_save(
            street=world.street,
            question="别处助餐点在哪",
            answer="看卡片",
            cards=[{"type": "place", "id": world.other_place.pk}],
            actor=world.admin,
        )
    assert exc.value.errors[0]["field"] == "cards"


def test_grid_worker_cannot_write_curated_answers_or_synonyms(world):
    with pytest.raises(Problem) as exc:
        curated_answer_save(street=world.street, question="q", answer="a", actor=world.grid_worker)
    assert exc.value.code == "permission_denied"
    with pytest.raises(Problem):
        synonym_save(street=world.street, term="小饭桌", replacement="助餐", actor=world.grid_worker)
    assert not Synonym.objects.exists()


def test_a_new_curated_answer_replaces_the_old_one(world):
    first = curated_answer_save(street=world.street, question="书法课在哪", answer="旧回答", actor=world.admin)
    second = curated_answer_save(street=world.street, question="书法课在哪？", answer="新回答", actor=world.admin)
    first.refresh_from_db()
    assert not first.is_active and second.is_active
    assert answer_question(question="书法课在哪", street=world.street).answer == "新回答"


def test_deactivated_curated_answer_is_no_longer_served(client, world):
    curated = curated_answer_save(street=world.street, question="书法课在哪", answer="人工回答", actor=world.admin)
    client.force_login(world.admin)
    resp = client.post(f"/staff/assistant/curated/{curated.pk}/deactivate/", {"street": world.street.code})
    assert resp.status_code == 302
    assert answer_question(question="书法课在哪", street=world.street).backend == Backend.OFFLINE


def test_synonym_reaches_the_engine(client, world):
    """A word the engine does not know (小饭桌) is unknown until staff teach it (小饭桌 → 助餐点)."""
    meal = world.place("meal")
    before = answer_question(question="最近的小饭桌", street=world.street, lat=meal.lat, lng=meal.lng)
    assert before.intent == "unknown" or meal.pk not in [c["id"] for c in before.cards]
    answer_feedback_set(answer=before, helpful=False)
    client.force_login(world.admin)
    resp = client.post(
        f"/staff/assistant/questions/{before.pk}/", {"action": "synonym", "term": "小饭桌", "replacement": "助餐点"}
    )
    assert resp.status_code == 302
    before.refresh_from_db()
    assert before.reviewed_at is not None
    after = answer_question(question="最近的小饭桌", street=world.street, lat=meal.lat, lng=meal.lng)
    assert after.backend == Backend.OFFLINE and after.intent == "nearest_place"
    assert after.cards[0]["id"] == meal.pk
    # Only in this street.
    other = answer_question(question="最近的小饭桌", street=world.other_street)
    assert other.intent != "nearest_place" or not other.cards


@pytest.mark.parametrize(
    ("term", "replacement", "field"),
    [("", "助餐点", "term"), ("小饭桌", "", "replacement"), ("小饭桌", "小饭桌", "replacement"), ("a b", "x", "term")],
)
def test_synonym_checks(world, term, replacement, field):
    with pytest.raises(Problem) as exc:
        synonym_save(street=world.street, term=term, replacement=replacement, actor=world.admin)
    assert field in [e["field"] for e in exc.value.errors]


def test_synonym_api_and_delete(client, world):
    resp = client.post(
        "/api/v1/assistant/synonyms",
        data=json.dumps({"street": world.street.code, "term": "电瓶车", "replacement": "电动车"}),
        content_type="application/json",
        **bearer(world.station_staff),
    )
    assert resp.status_code == 201 and resp.json()["term"] == "电瓶车"
    synonym = Synonym.objects.get()
    client.force_login(world.other_admin)
    assert (
        client.post(f"/staff/assistant/synonyms/{synonym.pk}/delete/", {"street": world.street.code}).status_code == 403
    )
    client.force_login(world.admin)
    assert (
        client.post(f"/staff/assistant/synonyms/{synonym.pk}/delete/", {"street": world.street.code}).status_code == 302
    )
    assert not Synonym.objects.exists()


def test_mark_reviewed_takes_every_copy_off_the_queue(client, world):
    from linli.assistant.selectors import review_queue

    a = unhelpful(world, question="今天股票涨了吗")
    b = answer_question(question="今天股票涨了吗？", street=world.street)
    assert {a, b} <= set(review_queue(street=world.street))
    resp = client.post(
        f"/api/v1/assistant/questions/{a.pk}/reviewed",
        data=json.dumps({"note": "不属于社区服务"}),
        content_type="application/json",
        **bearer(world.admin),
    )
    assert resp.status_code == 200
    assert not review_queue(street=world.street).exists()


def test_curated_api_with_a_source_question(client, world):
    bad = unhelpful(world)
    resp = client.post(
        "/api/v1/assistant/curated",
        data=json.dumps(
            {
                "street": world.street.code,
                "question": bad.question,
                "answer": "去测试助餐点",
                "cards": [{"type": "place", "id": world.place("meal").pk}],
                "source_id": bad.pk,
            }
        ),
        content_type="application/json",
        **bearer(world.admin),
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["cards"][0]["id"] == world.place("meal").pk
    bad.refresh_from_db()
    assert bad.reviewed_at is not None


def test_review_form_shows_problems_without_saving(client, world):
    bad = unhelpful(world)
    client.force_login(world.admin)
    resp = client.post(f"/staff/assistant/questions/{bad.pk}/", {"action": "curated", "question": bad.question})
    assert resp.status_code == 422
    assert "请填写回答" in resp.content.decode()
    assert not CuratedAnswer.objects.exists()
