"""`linli assistant eval FILE.jsonl` prints accuracy per intent and overall; `linli assistant ask` answers."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from linli.assistant.models import AskLog

pytestmark = pytest.mark.django_db


def test_eval_prints_accuracy_per_intent_and_overall(world, tmp_path):
    rows = [
        {"question": "这个月有什么活动", "expected_intent": "activities", "expected_card_ids": ["activity:书法课"]},
        {"question": "今天股票涨了吗", "expected_intent": "unknown"},
        {"question": "有什么活动呀", "expected_intent": "meals"},  # wrong on purpose: counts against meals
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = io.StringIO()
    call_command("assistant", "eval", str(path), "--street", world.street.code, "--json", stdout=out)
    text = out.getvalue()
    lines = {line.split()[0]: line.split() for line in text.splitlines() if line and line[0].isalpha()}
    assert lines["activities"][1:4] == ["1", "1", "100.0%"]
    assert lines["unknown"][1:4] == ["1", "1", "100.0%"]
    assert lines["meals"][1:4] == ["1", "0", "0.0%"]
    assert lines["overall"][1:4] == ["3", "2", "66.7%"]
    report = json.loads(text[text.index("{") :])
    assert report["n"] == 3 and report["bad_cards"] == []
    assert AskLog.objects.count() == 0  # scoring does not fill the staff's log


def test_eval_problems(world, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("assistant", "eval", str(tmp_path / "missing.jsonl"), stdout=io.StringIO())
    path = tmp_path / "set.jsonl"
    path.write_text('{"question": "有什么活动", "expected_intent": "activities"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="unknown_street"):
        call_command("assistant", "eval", str(path), "--street", "nosuch", stdout=io.StringIO())


def test_ask_prints_the_answer_and_cards(world):
    out, err = io.StringIO(), io.StringIO()
    call_command("assistant", "ask", "这个月有什么活动", "--street", world.street.code, stdout=out, stderr=err)
    assert "书法课" in out.getvalue()
    assert f"/activities/{world.activity.pk}/" in out.getvalue()
    assert "intent=activities backend=offline" in err.getvalue()
    assert AskLog.objects.get().street == world.street


def test_ask_validation_is_an_error(world):
    with pytest.raises(CommandError, match="validation_error"):
        call_command("assistant", "ask", "   ", "--street", world.street.code, stdout=io.StringIO())
