"""`linli assistant eval FILE.jsonl [--street CODE]`: score an evaluation set with the offline engine (accuracy per
intent and overall, by `engine.evaluate.run`). `linli assistant ask "问题" [--street CODE] [--lat --lng]`: a quick
answer on the console (the same path as the API: curated answers, the LLM when configured, the offline engine;
logged like any question)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.assistant import engine
from linli.assistant.engine import evaluate
from linli.assistant.services.ask import answer_question
from linli.core import selectors
from linli.core.commands import problems_exit_1


class Command(BaseCommand):
    help = "The 问一问 assistant: evaluate the engine on a JSONL set, or ask a question (评测 / 提问)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser("eval", help="score an evaluation set (JSON lines) and print accuracy per intent")
        ev.add_argument("path", help="the .jsonl file: question, optional lat/lng/now, expected intent, cards or facts")
        ev.add_argument("--street", default=None, help="street code (default: the deployment's only street)")
        ev.add_argument("--json", action="store_true", help="also print the whole report (failures too) as JSON")
        ask = sub.add_parser("ask", help="answer one question on the console")
        ask.add_argument("question")
        ask.add_argument("--street", default=None, help="street code (default: the deployment's only street)")
        ask.add_argument("--lat", type=float, default=None)
        ask.add_argument("--lng", type=float, default=None)
        ask.add_argument("--lang", default="zh-hans", choices=["zh-hans", "en"])

    @problems_exit_1
    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "eval":
            self._eval(opts)
        else:
            self._ask(opts)

    def _eval(self, opts: dict[str, Any]) -> None:
        path = Path(opts["path"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}", returncode=2)

        street = selectors.street_get(code=opts["street"]) if opts["street"] else engine.default_street()
        if street is None:
            raise CommandError("no street: import one or run `linli demo` first", returncode=2)
        buffer = io.StringIO()
        report = evaluate.run(path, street_code=street.code, out=buffer)
        self.stdout.write(buffer.getvalue(), ending="")
        if opts["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        if report.get("bad_cards"):
            raise CommandError("some answers cite items that do not exist (see above)", returncode=1)

    def _ask(self, opts: dict[str, Any]) -> None:
        street = selectors.street_get(code=opts["street"]) if opts["street"] else None
        entry = answer_question(
            question=opts["question"], street=street, lat=opts["lat"], lng=opts["lng"], lang=opts["lang"]
        )
        self.stdout.write(entry.answer)
        for card in entry.cards:
            actions = "  ".join(f"[{a['label']}] {a['url']}" for a in card.get("actions", []))
            self.stdout.write(f"  · {card['title']} — {card['subtitle']}  {card['url']}  {actions}".rstrip())
        self.stderr.write(
            f"intent={entry.intent} backend={entry.backend} latency={entry.latency_ms}ms answer_id={entry.public_id}"
        )
