"""The optional LLM backend: any OpenAI-compatible chat-completions server (vLLM, Ollama, a cloud model) set by
`LINLI_ASSISTANT_LLM_URL` (the API base, e.g. `http://127.0.0.1:11434/v1`), `_MODEL`, `_API_KEY` and `_TIMEOUT`
(seconds for the whole answer, all rounds together).

The model gets the engine's tools (`engine.tools.TOOLS`, run by `engine.tools.call_tool` on Linli's own data) in a
bounded tool-calling loop and must end with a JSON object `{"answer": ..., "intent": ..., "cards": [{"type", "id"}]}`.
It may cite only cards that its tool calls returned: a cited card that exists but was not returned is dropped (the
card shown is always the tool's, never the model's words), and an id that names nothing in the database means the
model made something up, so the whole answer is refused. Any failure (time-out, HTTP error, malformed output,
too many rounds, a made-up id) raises `LlmFailure`, and the caller lets the offline engine answer.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from linli.activities.models import Activity
from linli.assistant.engine import tools
from linli.assistant.models import Backend
from linli.core.errors import Problem
from linli.core.models import Street
from linli.meals.models import MenuItem
from linli.places.models import Place

MAX_ROUNDS = 4
MAX_TOOL_CALLS = 8
TOOL_INTENTS = {
    "list_activities": "activities",
    "nearest_place": "nearest_place",
    "search_places": "nearest_place",
    "opening_hours": "opening_hours",
    "menu": "meals",
}
INTENTS = ("activities", "nearest_place", "opening_hours", "meals", "how_to", "contact", "unknown")


class LlmFailure(Exception):
    """The LLM backend could not give a trustworthy answer; the offline engine answers instead."""


def system_prompt(street: Street | None, now: datetime, lang: str) -> str:
    local = timezone.localtime(now)
    where = f"{street.district}{street.name}" if street is not None else "本街道"
    hotline = f"街道服务热线 {street.hotline}。" if street is not None and street.hotline else ""
    language = "Answer in English." if lang == "en" else "用简体中文回答，语气亲切、简短，适合老年人阅读。"
    return (
        f"你是{where}的社区服务助手“问一问”。现在是上海时间 {local:%Y-%m-%d %H:%M}（星期{local.isoweekday()}）。{hotline}"
        "只能根据工具返回的数据回答：不要编造任何地点、时间、价格或电话。需要数据时先调用工具。"
        "最后只输出一个 JSON 对象，不要输出其他文字："
        '{"answer": "给居民的回答", "intent": "activities|nearest_place|opening_hours|meals|how_to|contact|unknown", '
        '"cards": [{"type": "place|activity|menu_item|contact", "id": 工具返回的 card.id}]}。'
        "cards 只能引用工具结果里出现过的 card。不知道就如实说不知道，并给出街道服务热线。"
        f"{language}"
    )


def _endpoint() -> str:
    url = settings.LINLI_ASSISTANT_LLM_URL.rstrip("/")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


def _post(body: dict[str, Any], deadline: float) -> dict[str, Any]:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise LlmFailure("timed out")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if settings.LINLI_ASSISTANT_LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.LINLI_ASSISTANT_LLM_API_KEY}"
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting (http/https)
        _endpoint(), data=json.dumps(body, ensure_ascii=False).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=remaining) as resp:  # noqa: S310
            raw = resp.read(2_000_000)
    except urllib.error.HTTPError as exc:
        raise LlmFailure(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise LlmFailure(f"unreachable or timed out: {exc}") from exc
    try:
        data = json.loads(raw)
        message = data["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LlmFailure("malformed chat-completions response") from exc
    if not isinstance(message, dict):
        raise LlmFailure("malformed chat-completions message")
    return message


def cards_in(result: Any) -> list[dict[str, Any]]:
    """Every `{"card": {...}}` a tool result carries, wherever it is nested."""
    found: list[dict[str, Any]] = []
    stack = [result]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            card = item.get("card")
            if isinstance(card, dict) and "type" in card and "id" in card:
                found.append(card)
            stack.extend(v for k, v in item.items() if k != "card")
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found


def _run_tool(name: str, arguments: str, *, street: Street, lat: Any, lng: Any, now: datetime) -> Any:
    known = {t["function"]["name"] for t in tools.TOOLS}
    if name not in known:
        return {"error": f"unknown tool {name}"}
    try:
        args = json.loads(arguments or "{}")
    except ValueError:
        return {"error": "arguments are not valid JSON"}
    if not isinstance(args, dict):
        return {"error": "arguments must be a JSON object"}
    try:
        return tools.call_tool(name, args, street=street, lat=lat, lng=lng, now=now)
    except (Problem, TypeError, ValueError, KeyError, LookupError) as exc:
        return {"error": str(exc) or exc.__class__.__name__}


def _final_json(content: Any) -> dict[str, Any]:
    if not isinstance(content, str) or not content.strip():
        raise LlmFailure("empty answer")
    text = content.strip()
    fenced = re.search(r"```(?:json)?\s*(\{.*\})\s*```", text, re.DOTALL)
    if fenced:
        text = fenced.group(1)
    elif not text.startswith("{"):
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise LlmFailure("the answer is not a JSON object")
        text = text[start : end + 1]
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LlmFailure("the answer is not valid JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("answer"), str) or not data["answer"].strip():
        raise LlmFailure("the answer has no text")
    if not isinstance(data.get("cards", []), list):
        raise LlmFailure("cards is not a list")
    return data


def _exists(kind: str, pk: Any) -> bool:
    models: dict[str, Any] = {"place": Place, "activity": Activity, "menu_item": MenuItem}
    model = models.get(kind)
    if model is None:
        return False
    try:
        return bool(model.objects.filter(pk=int(pk)).exists())
    except (TypeError, ValueError):
        return False


def cited_cards(cited: list[Any], returned: dict[tuple[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    """The returned cards the answer cites, in its order. A citation of a real row that no tool returned is dropped;
    one that names nothing at all (a made-up id) fails the answer."""
    cards: list[dict[str, Any]] = []
    for ref in cited:
        if not isinstance(ref, dict):
            raise LlmFailure("a cited card is not an object")
        key = (str(ref.get("type")), str(ref.get("id")))
        if key in returned:
            if returned[key] not in cards:
                cards.append(returned[key])
        elif key[0] == "contact" or _exists(*key):
            continue
        else:
            raise LlmFailure(f"the answer cites {key[0]} {key[1]}, which does not exist")
    return cards


def llm_answer(
    *, question: str, street: Street | None, lat: float | None, lng: float | None, now: datetime, lang: str
) -> dict[str, Any]:
    """{intent, text, cards, confidence, backend} from the configured chat-completions server, or `LlmFailure`."""
    if street is None:
        raise LlmFailure("no street to answer for")
    deadline = time.monotonic() + float(settings.LINLI_ASSISTANT_LLM_TIMEOUT)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system_prompt(street, now, lang)},
        {"role": "user", "content": question},
    ]
    returned: dict[tuple[str, str], dict[str, Any]] = {}
    used: list[str] = []
    for _round in range(MAX_ROUNDS):
        body: dict[str, Any] = {"messages": messages, "tools": tools.TOOLS, "tool_choice": "auto", "temperature": 0}
        if settings.LINLI_ASSISTANT_LLM_MODEL:
            body["model"] = settings.LINLI_ASSISTANT_LLM_MODEL
        message = _post(body, deadline)
        calls = message.get("tool_calls") or []
        if calls:
            if not isinstance(calls, list) or len(used) + len(calls) > MAX_TOOL_CALLS:
                raise LlmFailure("too many or malformed tool calls")
            messages.append({"role": "assistant", "content": message.get("content") or "", "tool_calls": calls})
            for call in calls:
                try:
                    call_id, name = call["id"], call["function"]["name"]
                    arguments = call["function"].get("arguments") or "{}"
                except (KeyError, TypeError) as exc:
                    raise LlmFailure("malformed tool call") from exc
                result = _run_tool(str(name), str(arguments), street=street, lat=lat, lng=lng, now=now)
                used.append(str(name))
                for card in cards_in(result):
                    returned.setdefault((str(card["type"]), str(card["id"])), card)
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": call_id,
                        "content": json.dumps(result, ensure_ascii=False, default=str),
                    }
                )
            continue
        data = _final_json(message.get("content"))
        cards = cited_cards(data.get("cards") or [], returned)
        intent = data.get("intent")
        if intent not in INTENTS:
            intent = next((TOOL_INTENTS[n] for n in used if n in TOOL_INTENTS), "unknown")
        return {
            "intent": intent,
            "text": data["answer"].strip()[:2000],
            "cards": cards,
            "confidence": 0.8 if used else 0.5,
            "backend": Backend.LLM,
        }
    raise LlmFailure(f"no answer after {MAX_ROUNDS} rounds")
