"""The 问一问 page without JavaScript (the form posts, the server answers, feedback posts), the map's entry, elder
mode, English, and the staff pages' forms."""

from __future__ import annotations

import re

import pytest

from linli.assistant.models import AskLog, CuratedAnswer
from linli.core.testing import with_fragments

pytestmark = pytest.mark.django_db


def test_page_shows_the_form_and_suggestions(client, world):
    resp = client.get(f"/s/{world.street.code}/ask/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'id="assistant-form"' in html and 'name="question"' in html
    assert html.count('name="suggestion"') >= 5
    assert "<script>" not in html and "onclick" not in html  # CSP: scripts only from static files
    assert "/static/assistant/assistant.js" in html
    assert client.get("/s/nosuch/ask/").status_code == 404


def test_no_js_ask_renders_the_answer_after_a_redirect(client, world):
    resp = client.post(f"/s/{world.street.code}/ask/", {"question": "这个月有什么活动"})
    assert resp.status_code == 302
    entry = AskLog.objects.get()
    assert f"answer={entry.public_id}" in resp["Location"]
    html = client.get(resp["Location"]).content.decode()
    assert 'id="answer"' in html and "书法课" in html
    assert f'href="/activities/{world.activity.pk}/"' in html
    assert 'data-action="book"' in html and 'data-action="navigate"' in html
    assert f'action="/assistant/answers/{entry.public_id}/feedback/"' in html


def test_no_js_suggestion_button_and_location(client, world):
    meal = world.place("meal")
    resp = client.post(
        f"/s/{world.street.code}/ask/",
        {"question": "", "suggestion": "附近哪里可以吃午饭？", "lat": str(meal.lat), "lng": str(meal.lng)},
    )
    entry = AskLog.objects.get()
    assert entry.question == "附近哪里可以吃午饭？" and entry.had_location
    assert "from=" in resp["Location"]
    html = client.get(resp["Location"]).content.decode()
    assert f'value="{meal.lat:.6f}"' in html  # the location is kept for the next question


def test_no_js_empty_question_shows_the_problem(client, world):
    resp = client.post(f"/s/{world.street.code}/ask/", {"question": "  "})
    assert resp.status_code == 422
    assert "请输入您的问题" in resp.content.decode()
    assert not AskLog.objects.exists()


def test_no_js_feedback(client, world):
    client.post(f"/s/{world.street.code}/ask/", {"question": "今天股票涨了吗"})
    entry = AskLog.objects.get()
    resp = client.post(f"/assistant/answers/{entry.public_id}/feedback/", {"helpful": "0", "comment": "没回答"})
    assert resp.status_code == 302 and "thanks=1" in resp["Location"]
    entry.refresh_from_db()
    assert entry.helpful is False and entry.feedback_comment == "没回答"
    html = client.get(resp["Location"]).content.decode()
    assert 'id="feedback-thanks"' in html
    assert client.post(f"/assistant/answers/{entry.public_id}/feedback/", {"helpful": "maybe"}).status_code == 404


def test_the_map_has_the_ask_entry_and_panel(client, world):
    """The entry and panel are the assistant's fragment in places' map overlay slot."""
    html = with_fragments(client, client.get(f"/s/{world.street.code}/").content.decode())
    assert f'id="assistant-open" href="/s/{world.street.code}/ask/"' in html
    assert 'id="assistant-panel"' in html and 'id="assistant-form"' in html
    assert "/static/assistant/assistant.js" in html
    origin = with_fragments(client, client.get(f"/s/{world.street.code}/?from=31.250000,121.390000").content.decode())
    assert f'href="/s/{world.street.code}/ask/?from=31.250000,121.390000"' in origin


def test_elder_mode_and_english(client, world):
    client.cookies["linli_elder"] = "1"
    html = client.get(f"/s/{world.street.code}/ask/").content.decode()
    assert re.search(r'<html[^>]*class="elder"', html)
    client.cookies["linli_elder"] = "0"
    resp = client.post(f"/s/{world.street.code}/ask/", {"question": "这个月有什么活动"}, HTTP_ACCEPT_LANGUAGE="en")
    assert AskLog.objects.get().lang == "en"
    assert resp.status_code == 302


def test_staff_review_page_lists_cards_to_attach(client, world):
    client.post(f"/s/{world.street.code}/ask/", {"question": "今天股票涨了吗"})
    entry = AskLog.objects.get()
    client.force_login(world.admin)
    queue = client.get("/staff/assistant/").content.decode()
    assert f'data-question-id="{entry.pk}"' in queue
    html = client.get(f"/staff/assistant/questions/{entry.pk}/").content.decode()
    assert f'name="place" value="{world.place("meal").pk}"' in html
    assert f'name="activity" value="{world.activity.pk}"' in html
    assert f'value="{world.other_place.pk}"' not in html or world.other_place.name not in html
    resp = client.post(
        f"/staff/assistant/questions/{entry.pk}/",
        {"action": "curated", "question": entry.question, "answer": "这个问题请问证券公司。"},
    )
    assert resp.status_code == 302 and "done=curated" in resp["Location"]
    assert CuratedAnswer.objects.get().answer == "这个问题请问证券公司。"
    queue = client.get(resp["Location"]).content.decode()
    assert 'id="review-done"' in queue and 'id="review-empty"' in queue and 'id="curated-list"' in queue


def test_workbench_links_to_the_review_queue(client, world):
    client.force_login(world.station_staff)
    assert f'href="/staff/assistant/?street={world.street.code}"' in client.get("/me/").content.decode()
    client.force_login(world.grid_worker)
    assert "/staff/assistant/" not in client.get("/me/").content.decode()


def test_queue_counts_the_same_question_once_per_asking(client, world):
    for question in ("今天股票涨了吗", "今天股票涨了吗？", "今天 股票 涨了吗!"):
        client.post(f"/s/{world.street.code}/ask/", {"question": question})
    client.force_login(world.admin)
    html = client.get("/staff/assistant/").content.decode()
    assert html.count("同样的问题 3 条") == 3
