"""The README's synopsis of the `linli` command matches each command's real options, and every command that
prints an id or a secret can print JSON with the secret whole."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands, load_command_class

README = Path(__file__).resolve().parents[4] / "README.md"


def _synopsis_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = text.split("### The `linli` command", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.startswith("linli ")]


def _parser_for(words: list[str]):
    """The argparse parser of `linli WORDS...` (descending into sub-commands) and the words used up."""
    name = words[0]
    command = load_command_class(get_commands()[name], name)
    parser = command.create_parser("linli", name)
    used = 1
    while True:
        subs = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
        if not subs or used >= len(words) or words[used] not in subs[0].choices:
            return parser, used
        parser = subs[0].choices[words[used]]
        used += 1


def _options(line: str) -> tuple[set[str], set[str]]:
    """(options outside brackets, options inside brackets) of a synopsis line."""
    plain, bracketed, depth = set(), set(), 0
    for token in re.findall(r"\[|\]|[^\s\[\]|]+", line):
        if token == "[":
            depth += 1
        elif token == "]":
            depth -= 1
        elif token.startswith("--") or re.fullmatch(r"-[a-z]", token):
            (bracketed if depth else plain).add(token)
    return plain, bracketed


LINES = _synopsis_lines()


def test_the_synopsis_has_the_commands():
    assert len(LINES) > 20 and any(line.startswith("linli rider verify") for line in LINES)


@pytest.mark.parametrize("line", LINES)
def test_synopsis_line_matches_the_command(line):
    words = line.split()[1:]
    parser, _used = _parser_for(words)
    known = {opt for action in parser._actions for opt in action.option_strings}
    required = {action.option_strings[0] for action in parser._actions if action.option_strings and action.required}
    plain, bracketed = _options(line)
    assert (plain | bracketed) <= known, f"{line}: unknown options {sorted((plain | bracketed) - known)}"
    assert not (bracketed & required), f"{line}: shown optional but required: {sorted(bracketed & required)}"
    missing = {opt for opt in required if not ({opt} | _aliases(parser, opt)) & plain}
    assert not missing, f"{line}: required but not shown: {sorted(missing)}"


def _aliases(parser, opt: str) -> set[str]:
    for action in parser._actions:
        if opt in action.option_strings:
            return set(action.option_strings)
    return set()


@pytest.mark.django_db
def test_token_create_json_holds_the_whole_token():
    out = StringIO()
    call_command("token", "create", "--phone", "13912345678", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert len(data["token"]) > 20 and data["prefix"] == data["token"][:10] and data["user"] == "139****5678"
    plain = StringIO()
    call_command("token", "create", "--phone", "13912345678", stdout=plain)
    assert len(plain.getvalue().strip().splitlines()) == 1  # the token alone on its line


def test_site_url_follows_the_port_when_unset():
    env = {k: v for k, v in os.environ.items() if k not in ("LINLI_SITE_URL",)}
    code = "import linli.settings as s; print(s.LINLI_SITE_URL)"
    got = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env={**env, "LINLI_PORT": "8080"}, capture_output=True, text=True, check=True
    )
    assert got.stdout.strip() == "http://127.0.0.1:8080"
    given = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**env, "LINLI_PORT": "8080", "LINLI_SITE_URL": "https://linli.example/"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert given.stdout.strip() == "https://linli.example"
