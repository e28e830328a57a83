"""The LLM backend against a fake chat-completions server (a real HTTP server in a thread speaking the OpenAI
protocol): the tool-calling loop over the engine's tools, cards only from tool results, and the offline engine
answering on a made-up id, a time-out, a 500, malformed output and an endless tool loop."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from linli.assistant.models import AskLog, Backend
from linli.assistant.services.ask import answer_question

pytestmark = pytest.mark.django_db

Reply = Callable[[dict[str, Any]], tuple[int, Any]]


class FakeChat:
    """Answers POST /v1/chat/completions with the scripted replies in turn (the last one repeats)."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                fake.paths.append(self.path)
                reply = fake.replies[min(len(fake.requests) - 1, len(fake.replies) - 1)]
                status, payload = reply(body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_llm(settings) -> Iterator[FakeChat]:  # noqa: ANN001
    fake = FakeChat()
    settings.LINLI_ASSISTANT_LLM_URL = fake.url
    settings.LINLI_ASSISTANT_LLM_MODEL = "fake-model"
    settings.LINLI_ASSISTANT_LLM_API_KEY = "sk-test"
    settings.LINLI_ASSISTANT_LLM_TIMEOUT = 3
    yield fake
    fake.close()


def message(content: str | None = None, tool_calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        msg["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "fake-model",
        "choices": [{"index": 0, "message": msg, "finish_reason": "tool_calls" if tool_calls else "stop"}],
    }


def tool_call(name: str, arguments: dict[str, Any], call_id: str = "call_1") -> Reply:
    return lambda _body: (
        200,
        message(
            tool_calls=[
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
                }
            ]
        ),
    )


def final(answer: str, cards: list[dict[str, Any]], intent: str = "nearest_place") -> Reply:
    content = json.dumps({"answer": answer, "intent": intent, "cards": cards}, ensure_ascii=False)
    return lambda _body: (200, message(content=content))


def returned_place_ids(body: dict[str, Any]) -> list[int]:
    tool_messages = [m for m in body["messages"] if m["role"] == "tool"]
    return [item["card"]["id"] for m in tool_messages for item in json.loads(m["content"]).get("items", [])]


def test_tool_calls_then_an_answer_citing_returned_cards(fake_llm, world):
    meal = world.place("meal")

    def answer_with_first_returned(body: dict[str, Any]) -> tuple[int, Any]:
        ids = returned_place_ids(body)
        assert meal.pk in ids
        content = {
            "answer": "最近的是测试助餐点，走过去两分钟。",
            "intent": "nearest_place",
            "cards": [{"type": "place", "id": meal.pk}],
        }
        return 200, message(content="```json\n" + json.dumps(content, ensure_ascii=False) + "\n```")

    fake_llm.replies = [tool_call("nearest_place", {"need": "助餐点"}), answer_with_first_returned]
    entry = answer_question(question="附近哪里可以吃饭", street=world.street, lat=meal.lat, lng=meal.lng)
    assert entry.backend == Backend.LLM
    assert entry.answer == "最近的是测试助餐点，走过去两分钟。"
    assert entry.intent == "nearest_place"
    assert [c["id"] for c in entry.cards] == [meal.pk]
    assert entry.cards[0]["title"] == meal.name  # the tool's card, not the model's words
    assert any(a["type"] == "navigate" for a in entry.cards[0]["actions"])
    # The protocol: the endpoint, the model, the key, the tools offered, the tool result sent back.
    assert fake_llm.paths == ["/v1/chat/completions", "/v1/chat/completions"]
    first, second = fake_llm.requests
    assert first["model"] == "fake-model"
    assert fake_llm.headers[0]["Authorization"] == "Bearer sk-test"
    assert {t["function"]["name"] for t in first["tools"]} >= {"nearest_place", "list_activities", "menu"}
    assert first["messages"][-1] == {"role": "user", "content": "附近哪里可以吃饭"}
    assert second["messages"][-2]["tool_calls"][0]["id"] == "call_1"
    assert second["messages"][-1]["role"] == "tool" and second["messages"][-1]["tool_call_id"] == "call_1"


def test_activities_through_tools(fake_llm, world):
    def cite_activity(body: dict[str, Any]) -> tuple[int, Any]:
        items = json.loads(body["messages"][-1]["content"])["items"]
        ids = [i["card"]["id"] for i in items]
        assert world.activity.pk in ids
        return final("后天下午有书法课。", [{"type": "activity", "id": world.activity.pk}], "activities")(body)

    fake_llm.replies = [tool_call("list_activities", {"q": "书法"}), cite_activity]
    entry = answer_question(question="最近有书法课吗", street=world.street)
    assert entry.backend == Backend.LLM and entry.intent == "activities"
    assert entry.cards[0]["id"] == world.activity.pk
    assert [a["type"] for a in entry.cards[0]["actions"]][0] == "book"


def test_a_real_card_no_tool_returned_is_dropped(fake_llm, world):
    fake_llm.replies = [
        tool_call("list_activities", {"q": "书法"}),
        final(
            "书法课在别处助餐点。",
            [{"type": "activity", "id": world.activity.pk}, {"type": "place", "id": world.other_place.pk}],
            "activities",
        ),
    ]
    entry = answer_question(question="书法课在哪", street=world.street)
    assert entry.backend == Backend.LLM
    assert [(c["type"], c["id"]) for c in entry.cards] == [("activity", world.activity.pk)]


def test_a_made_up_id_falls_back_to_the_offline_engine(fake_llm, world):
    fake_llm.replies = [
        tool_call("nearest_place", {"need": "助餐点"}),
        final("去999号助餐点。", [{"type": "place", "id": 999999}]),
    ]
    entry = answer_question(question="附近哪里可以吃饭", street=world.street, lat=31.25, lng=121.39)
    assert entry.backend == Backend.OFFLINE
    assert "999" not in entry.answer
    assert all(c["id"] != 999999 for c in entry.cards)
    assert len(fake_llm.requests) == 2


def test_timeout_falls_back(fake_llm, world, settings):
    settings.LINLI_ASSISTANT_LLM_TIMEOUT = 0.5

    release, replied = threading.Event(), threading.Event()

    def slow(_body: dict[str, Any]) -> tuple[int, Any]:
        release.wait(10)  # the model answers once the test has its answer (or after 10 s)
        replied.set()
        return final("太晚了", [])(_body)

    fake_llm.replies = [slow]
    try:
        entry = answer_question(question="这个月有什么活动", street=world.street)
        assert not replied.is_set()  # the timeout ended the wait, not the model's late reply
    finally:
        release.set()
    assert entry.backend == Backend.OFFLINE and entry.intent == "activities"
    assert entry.answer != "太晚了"


def test_server_error_falls_back(fake_llm, world):
    fake_llm.replies = [lambda _body: (500, {"error": {"message": "model crashed"}})]
    entry = answer_question(question="这个月有什么活动", street=world.street)
    assert entry.backend == Backend.OFFLINE and entry.intent == "activities"
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize(
    "reply",
    [
        lambda _b: (200, message(content="最近的助餐点在真金路。")),  # prose, not the JSON asked for
        lambda _b: (200, message(content='{"answer": "", "cards": []}')),
        lambda _b: (200, message(content='{"answer": "好", "cards": "place 1"}')),
        lambda _b: (200, {"choices": []}),
        lambda _b: (200, b"<html>gateway</html>"),
        lambda _b: (200, message(tool_calls=[{"id": "x", "type": "function"}])),
    ],
)
def test_malformed_output_falls_back(fake_llm, world, reply):
    fake_llm.replies = [reply]
    entry = answer_question(question="这个月有什么活动", street=world.street)
    assert entry.backend == Backend.OFFLINE


def test_tool_loop_is_bounded(fake_llm, world):
    fake_llm.replies = [tool_call("search_places", {"q": "助餐"})]
    entry = answer_question(question="助餐点在哪", street=world.street)
    assert entry.backend == Backend.OFFLINE
    assert len(fake_llm.requests) == 4  # MAX_ROUNDS


def test_bad_tool_arguments_reach_the_model_as_an_error(fake_llm, world):
    def check_error(body: dict[str, Any]) -> tuple[int, Any]:
        result = json.loads(body["messages"][-1]["content"])
        assert "error" in result
        return final("对不起，我不知道，请拨打服务热线。", [], "unknown")(body)

    fake_llm.replies = [
        lambda _b: (
            200,
            message(
                tool_calls=[
                    {"id": "c", "type": "function", "function": {"name": "opening_hours", "arguments": "{not json"}}
                ]
            ),
        ),
        check_error,
    ]
    entry = answer_question(question="几点开门", street=world.street)
    assert entry.backend == Backend.LLM and entry.intent == "unknown"


def test_unreachable_server_falls_back(settings, world):
    settings.LINLI_ASSISTANT_LLM_URL = "http://127.0.0.1:9/v1"
    entry = answer_question(question="这个月有什么活动", street=world.street)
    assert entry.backend == Backend.OFFLINE
    assert AskLog.objects.count() == 1


def test_curated_answers_win_over_the_llm(fake_llm, world):
    from linli.assistant.services.review import curated_answer_save

    curated_answer_save(street=world.street, question="书法课在哪", answer="人工回答", actor=world.admin)
    fake_llm.replies = [final("模型回答", [])]
    assert answer_question(question="书法课在哪", street=world.street).backend == Backend.CURATED
    assert fake_llm.requests == []
