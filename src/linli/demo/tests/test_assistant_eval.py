"""The public evaluation set over the demo street: its score, and no answer cites an object that does not exist."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from linli.assistant.engine.evaluate import run

EVAL = Path(__file__).resolve().parents[2] / "assistant" / "eval" / "wanli.jsonl"
# The set scores 100 % now. It was written blind in three batches; before the fixes each batch showed, the engine
# scored 92.1 % (152/165), 91.7 % (66/72) and 83.3 % (35/42, Shanghainese and typos), and 94.4 % (34/36) on a
# fourth batch written against the engine after those fixes: 91.0 % blind overall (287/315).
# The margin covers date-dependent questions (the demo's activities and menus start the day it is loaded).
MIN_ACCURACY = 0.95

pytestmark = pytest.mark.django_db


def test_eval_set_scores_and_every_card_exists(demo_street_shared):  # noqa: ANN001
    out = io.StringIO()
    report = run(EVAL, street_code="wanli", out=out)
    assert report["n"] >= 150
    assert all(s["n"] >= 15 for s in report["by_intent"].values()), report["by_intent"]
    assert report["bad_cards"] == []
    assert report["accuracy"] >= MIN_ACCURACY, (report["accuracy"], report["failures"])
    assert "overall" in out.getvalue()
