"""Score an evaluation set: `run(path, *, street_code, out)` (used by `linli assistant eval FILE.jsonl`).

Each JSONL line: `{question, lat?, lng?, now?, expected_intent, expected_card_ids?, expected_facts?}`. Because ids
differ between databases, expectations name demo objects by stable keys that are resolved here:

* `expected_card_ids`: `"place:<external id>"`, `"activity:<title>"` (any occurrence), `"menu_item:<dish name>"`;
  each must be among the answer's cards;
* `expected_facts`: each key must be in the answer's facts with that value; a value `"place:<external id>"` is the
  place's id, `"+Nd"` is the date N days after the question's `now`; a list-valued fact must contain the value.

An answer is correct when its intent and every expectation match. The run also checks that every card of every
answer is a real object (Place, Activity, MenuItem, a committee's or the street's phone).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, TextIO

from django.urls import Resolver404, resolve

from linli.activities.models import Activity
from linli.assistant import hooks
from linli.assistant.engine import answer, dates
from linli.assistant.engine.cards import Card
from linli.core.models import Committee, Street
from linli.meals.models import MenuItem
from linli.places.models import Place

_REL_DAY = re.compile(r"^\+(\d+)d$")


def load(path: str | Path) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: {exc}") from exc
    return rows


def _place_id(street: Street, ext: str) -> int | None:
    return Place.objects.filter(street=street, external_id=ext).values_list("id", flat=True).first()


def _ref_ids(street: Street, ref: str) -> tuple[str, set[Any]]:
    kind, _, key = ref.partition(":")
    if kind == "place":
        pid = _place_id(street, key)
        return "place", {pid} if pid else set()
    if kind == "activity":
        return "activity", set(Activity.objects.filter(street=street, title=key).values_list("id", flat=True))
    if kind == "menu_item":
        ids = MenuItem.objects.filter(menu__kitchen__street=street, dish__name=key).values_list("id", flat=True)
        return "menu_item", set(ids)
    raise ValueError(f"unknown reference {ref!r}")


def _expected_value(street: Street, value: Any, now: dt.datetime) -> Any:
    if isinstance(value, str):
        if value.startswith("place:"):
            return _place_id(street, value[6:])
        m = _REL_DAY.match(value)
        if m:
            return (now.date() + dt.timedelta(days=int(m.group(1)))).isoformat()
    return value


def _fact_ok(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list | tuple | set):
        return expected in actual
    return actual == expected


def card_exists(card: Card, street: Street) -> bool:
    if card.type == "place":
        return Place.objects.filter(pk=card.id).exists()
    if card.type == "activity":
        return Activity.objects.filter(pk=card.id).exists()
    if card.type == "menu_item":
        return MenuItem.objects.filter(pk=card.id).exists()
    if card.type == "contact":
        kind, _, pk = str(card.id).partition("-")
        if kind == "street":
            return Street.objects.filter(pk=pk, hotline__isnull=False).exists()
        if kind == "committee":
            return Committee.objects.filter(pk=pk).exists()
    provided = hooks.card_type_exists(card.type, card.id)  # a higher domain's own card type
    if provided is not None:
        return provided
    if card.type == "page":  # one of the site's own pages
        try:
            resolve(card.url)
        except Resolver404:
            return False
        return True
    return False


def score_one(row: dict[str, Any], *, street: Street, now: dt.datetime | None = None) -> dict[str, Any]:
    at = dt.datetime.fromisoformat(row["now"]) if row.get("now") else dates.now_shanghai(now)
    at = dates.now_shanghai(at)
    started = time.perf_counter()
    got = answer(question=row["question"], street=street, lat=row.get("lat"), lng=row.get("lng"), now=at)
    ms = (time.perf_counter() - started) * 1000
    problems: list[str] = []
    if got.intent != row["expected_intent"]:
        problems.append(f"intent {got.intent} != {row['expected_intent']}")
    for ref in row.get("expected_card_ids") or []:
        kind, ids = _ref_ids(street, ref)
        if not any(c.type == kind and c.id in ids for c in got.cards):
            problems.append(f"missing card {ref}")
    for title in row.get("expected_card_titles") or []:
        if not any(c.title == title for c in got.cards):
            problems.append(f"missing card titled {title}")
    for key, value in (row.get("expected_facts") or {}).items():
        expected = _expected_value(street, value, at)
        if not _fact_ok(got.facts.get(key), expected):
            problems.append(f"fact {key}={got.facts.get(key)!r} != {expected!r}")
    bad_cards = [f"{c.type}:{c.id}" for c in got.cards if not card_exists(c, street)]
    return {
        "question": row["question"],
        "expected_intent": row["expected_intent"],
        "intent": got.intent,
        "ok": not problems,
        "problems": problems,
        "bad_cards": bad_cards,
        "ms": ms,
        "text": got.text,
    }


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run(
    path: str | Path, *, street_code: str = "wanli", out: TextIO | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Score every line of `path` against the street's live data; print a report to `out`; return the figures."""
    out = out or sys.stdout
    street = Street.objects.get(code=street_code)
    rows = load(path)
    answer(question="怎么预约活动", street=street)  # warm up: jieba, the lexicon, the URL resolver
    results = [score_one(row, street=street, now=now) for row in rows]
    per: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        per[r["expected_intent"]].append(r["ok"])
    by_intent = {
        k: {"n": len(v), "correct": sum(v), "accuracy": round(sum(v) / len(v), 4)} for k, v in sorted(per.items())
    }
    latencies = [r["ms"] for r in results]
    report = {
        "file": str(path),
        "street": street_code,
        "n": len(results),
        "correct": sum(r["ok"] for r in results),
        "accuracy": round(sum(r["ok"] for r in results) / len(results), 4) if results else 0.0,
        "by_intent": by_intent,
        "p50_ms": round(_pct(latencies, 0.5), 2),
        "p95_ms": round(_pct(latencies, 0.95), 2),
        "mean_ms": round(statistics.fmean(latencies), 2) if latencies else 0.0,
        "bad_cards": [(r["question"], r["bad_cards"]) for r in results if r["bad_cards"]],
        "failures": [
            {"question": r["question"], "problems": r["problems"], "text": r["text"]} for r in results if not r["ok"]
        ],
    }
    print(f"{'intent':<15}{'n':>5}{'correct':>9}{'accuracy':>10}", file=out)
    for intent, s in by_intent.items():
        print(f"{intent:<15}{s['n']:>5}{s['correct']:>9}{s['accuracy']:>10.1%}", file=out)
    print(f"{'overall':<15}{report['n']:>5}{report['correct']:>9}{report['accuracy']:>10.1%}", file=out)
    print(f"latency p50 {report['p50_ms']:.1f} ms, p95 {report['p95_ms']:.1f} ms", file=out)
    if report["bad_cards"]:
        print(f"cards that do not exist: {report['bad_cards']}", file=out)
    return report
