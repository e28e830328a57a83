"""English pages: every gettext string has an English translation, the compiled catalogue matches the .po, and
each role's main pages show English labels (not the Chinese source) when the language is English.

zh-Hans is the source language: msgids are Chinese and src/linli/locale/en/LC_MESSAGES/django.po holds English.
After adding or changing user-facing strings, run (from src/linli):

    ../../.venv/bin/linli makemessages -l en --no-obsolete -i "test_vendor/*" -i "*/tests/*" -i "static/*"
    # fill every empty msgstr, drop "fuzzy" flags after fixing those translations, then
    ../../.venv/bin/linli compilemessages -l en
"""

from __future__ import annotations

import gettext
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from linli.core.testing import assert_english, english_client, page
from linli.core.tests.factories import StreetFactory, UserFactory

SRC = Path(settings.BASE_DIR)
PO = SRC / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


# ------------------------------------------------------------------------------------------ the .po file


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), text[1:-1])


def po_entries(path: Path) -> list[Entry]:
    """A small .po reader (polib is not a dependency): skips obsolete `#~` entries and the header."""
    entries: list[Entry] = []
    for chunk_start, chunk in _chunks(path.read_text(encoding="utf-8")):
        entry = Entry(line=chunk_start)
        target: tuple[str, int] | None = None
        for line in chunk:
            if line.startswith("#,"):
                entry.flags |= {f.strip() for f in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif m := re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?) (.*)", line):
                name, index, value = m.group(1), m.group(2), _unquote(m.group(3))
                if name.startswith("msgstr"):
                    target = ("msgstr", int(index or 0))
                    entry.msgstr[target[1]] = value
                else:
                    target = (name, 0)
                    setattr(entry, name, value)
            elif line.startswith('"') and target is not None:
                if target[0] == "msgstr":
                    entry.msgstr[target[1]] += _unquote(line)
                else:
                    setattr(entry, target[0], (getattr(entry, target[0]) or "") + _unquote(line))
        if entry.msgid:
            entries.append(entry)
    return entries


def _chunks(text: str) -> list[tuple[int, list[str]]]:
    out: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 1
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            out.append((start, current))
            current = []
    if current:
        out.append((start, current))
    return out


def test_every_msgid_has_an_english_msgstr_and_none_is_fuzzy():
    entries = po_entries(PO)
    assert len(entries) > 500  # the reader really read the catalogue
    untranslated = [f"line {e.line}: {e.msgid!r}" for e in entries if not e.msgstr or "" in e.msgstr.values()]
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in entries if "fuzzy" in e.flags]
    assert not untranslated, "msgids without English in django.po:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy (unchecked) translations in django.po:\n" + "\n".join(fuzzy)
    plural = [e for e in entries if e.msgid_plural is not None]
    assert all(sorted(e.msgstr) == [0, 1] for e in plural), "English plurals need msgstr[0] and msgstr[1]"


def test_translations_keep_every_placeholder():
    wrong = []
    for e in po_entries(PO):
        wanted = sorted(PLACEHOLDER.findall(e.msgid))
        wanted_plural = sorted(PLACEHOLDER.findall(e.msgid_plural or e.msgid))
        for index, text in e.msgstr.items():
            got = sorted(PLACEHOLDER.findall(text))
            if got != wanted and got != wanted_plural:
                wrong.append(f"line {e.line}: {e.msgid!r} [{index}] -> {text!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_compiled_catalogue_matches_the_po():
    """django.mo is committed: it must be compiled from the current django.po."""
    with MO.open("rb") as fp:
        catalog = gettext.GNUTranslations(fp)._catalog  # type: ignore[attr-defined]
    stale = []
    for e in po_entries(PO):
        if e.msgid_plural is None:
            if catalog.get(e.key) != e.msgstr.get(0):
                stale.append(e.msgid)
        elif any(catalog.get((e.key, i)) != text for i, text in e.msgstr.items()):
            stale.append(e.msgid)
    assert not stale, "django.mo is out of date, run compilemessages -l en. First ones: " + repr(stale[:5])


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_no_source_string_is_missing_from_the_po(tmp_path, monkeypatch, settings):
    """Extract the strings from a copy of the source (not from tests): each must already be in django.po.
    Fails when someone adds `_("…")` or `{% translate %}` text without running makemessages."""
    skip = shutil.ignore_patterns("test_vendor", "static", "tests", "locale", "__pycache__", "*.pyc")
    copy = tmp_path / "linli"
    shutil.copytree(SRC, copy, ignore=skip)
    settings.LOCALE_PATHS = [str(copy / "locale")]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["en"], verbosity=0, no_obsolete=True)
    extracted = {e.key for e in po_entries(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")}
    assert len(extracted) > 500
    known = {e.key for e in po_entries(PO)}
    missing = sorted(extracted - known)
    assert not missing, "strings not in django.po (run makemessages and translate them):\n" + "\n".join(missing)


# ------------------------------------------------------------------------------------------------ pages


@pytest.mark.django_db
def test_resident_account_page_in_english():
    street = StreetFactory(code="enjie")
    client = english_client(UserFactory(home_street=street))

    assert_english(
        page(client, "/me/"),
        ["My account", "My meals", "My bookings", "My reports", "Snap & report (hazards)", "My roles and workbench"],
        ["我的订餐", "我的角色与工作台", "随手拍"],
    )
