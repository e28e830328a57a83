"""English pages: every gettext string has an English translation, the compiled catalogue matches the .po, and
each role's main pages show English labels (not the Chinese source) when the language is English.

zh-Hans is the source language: msgids are Chinese and src/linli/locale/en/LC_MESSAGES/django.po holds English.
After adding or changing user-facing strings, run (from src/linli):

    ../../.venv/bin/linli makemessages -l en --no-obsolete -i "test_vendor/*" -i "*/tests/*" -i "static/*"
    # fill every empty msgstr, drop "fuzzy" flags after fixing those translations, then
    ../../.venv/bin/linli compilemessages -l en
"""

from __future__ import annotations

import ast
import gettext
import importlib
import pkgutil
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.utils import translation
from django.utils.functional import Promise

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


# ------------------------------------------------- problems and labels: the same gettext, no parallel English

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
GETTEXT = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy", "npgettext"}
_SKIP_MODULES = re.compile(r"\.tests\b|\.migrations\b|^linli\.(asgi|wsgi|celery|cli)$")


def _english(text: object) -> str:
    with translation.override("en"):
        return str(text)


def _linli_modules() -> list[ModuleType]:
    return [
        importlib.import_module(m.name)
        for m in pkgutil.walk_packages([str(SRC)], "linli.")
        if not _SKIP_MODULES.search(m.name)
    ]


def _lazy_strings(value: object) -> list[Promise]:
    if isinstance(value, Promise):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [p for v in value for p in _lazy_strings(v)]
    return []


def test_every_problem_title_has_english():
    from linli.core.errors import CATALOGUE

    assert len(CATALOGUE) > 40
    missing = [code for code, (_status, title) in CATALOGUE.items() if not isinstance(title, Promise)]
    assert not missing, f"titles not through gettext: {missing}"
    untranslated = [f"{code}: {title}" for code, (_s, title) in CATALOGUE.items() if CJK.search(_english(title))]
    assert not untranslated, "problem titles without English in django.po:\n" + "\n".join(untranslated)


def test_every_choice_label_and_label_table_has_english():
    """Model choices (TextChoices) and every module-level table of lazy labels or messages (deny reasons, case
    actions, staff roles, move buttons, resident hints, API validation messages …) read English in English."""
    modules = _linli_modules()
    assert len(modules) > 150

    def subclasses(cls: type) -> list[type]:
        return [c for s in cls.__subclasses__() for c in (s, *subclasses(s))]

    choices = [c for c in subclasses(models.Choices) if c.__module__.startswith("linli.")]
    assert len(choices) > 20
    bad = [
        f"{c.__module__}.{c.__name__}.{value}: {label}"
        for c in choices
        for value, label in c.choices
        if CJK.search(_english(label)) or (CJK.search(str(label)) and not isinstance(label, Promise))
    ]
    tables = 0
    for module in modules:
        for name, value in vars(module).items():
            lazies = _lazy_strings(value) if isinstance(value, dict | list | tuple) else []
            tables += bool(lazies)
            bad += [f"{module.__name__}.{name}: {_english(p)}" for p in lazies if CJK.search(_english(p))]
    assert tables > 15  # the walk really found the label tables
    assert not bad, "labels without English in django.po:\n" + "\n".join(bad)


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _is_plain_text(node: ast.AST | None) -> bool:
    """A str literal, an f-string or a concatenation of them: text that gettext never sees."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(node.value)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_plain_text(node.left) or _is_plain_text(node.right)
    if isinstance(node, ast.IfExp):
        return _is_plain_text(node.body) or _is_plain_text(node.orelse)
    return False


def untranslated_messages(source: str, filename: str = "") -> list[str]:
    """Where a problem's detail, a field error's message or an `errors` entry's message is plain text instead of
    a gettext string, and where the old parallel pairs (detail_zh/detail_en, message_en) come back."""
    found = []
    for node in ast.walk(ast.parse(source)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call):
            name = _call_name(node)
            keywords = {k.arg: k.value for k in node.keywords}
            if {"detail_zh", "detail_en"} & set(keywords):
                found.append(f"{where} {name}(): a zh/en pair instead of one gettext message")
            if name == "Problem" and _is_plain_text(keywords.get("detail")):
                found.append(f"{where} Problem(detail=...) is plain text")
            if name == "field_error":
                message = node.args[1] if len(node.args) > 1 else keywords.get("message")
                if _is_plain_text(message) or len(node.args) > 2:
                    found.append(f"{where} field_error() message is plain text")
            # A helper that formats a message its caller wrote (`transitions.refusal`) names it `message`; its
            # callers' messages are checked below.
            if (
                name == "format_lazy"
                and node.args
                and not (isinstance(node.args[0], ast.Call) and _call_name(node.args[0]) in GETTEXT)
                and not (isinstance(node.args[0], ast.Name) and node.args[0].id == "message")
            ):
                found.append(f"{where} format_lazy() of a string that is not a gettext msgid")
            if (
                name == "refusal"
                and len(node.args) > 2
                and not (isinstance(node.args[2], ast.Call) and _call_name(node.args[2]) in GETTEXT)
            ):
                found.append(f"{where} refusal() of a message that is not a gettext msgid")
            if name in GETTEXT and any(isinstance(a, ast.JoinedStr) for a in node.args):
                found.append(f"{where} {name}(f-string): makemessages cannot extract it")
        if isinstance(node, ast.Dict):
            keys = [k.value if isinstance(k, ast.Constant) else None for k in node.keys]
            if "message_en" in keys:
                found.append(f"{where} an errors entry with message_en (the renderer adds it)")
            if "field" in keys and "message" in keys and _is_plain_text(node.values[keys.index("message")]):
                found.append(f"{where} an errors entry whose message is plain text")
    return found


def test_the_scan_catches_plain_text_problems():
    bad = """
Problem("not_found", detail="没有这个菜单")
Problem("not_found", detail=f"No menu {menu_id}")
Problem("not_found", detail_zh="没有", detail_en="None")
field_error("dish", "缺少菜名")
field_error("dish", "缺少菜名", "The dish is missing")
errors.append({"field": "file", "message": "文件超过 2 MB"})
{"field": "file", "message": _("文件超过 2 MB"), "message_en": "The file is over 2 MB"}
format_lazy("没有编号为 {menu} 的菜单", menu=1)
_(f"没有编号为 {menu_id} 的菜单")
format_lazy(text, menu=1)
refusal("order_invalid_transition", OrderStatus, "订单不能改")
"""
    assert len(untranslated_messages(bad)) == 11
    good = """
Problem("not_found", detail=format_lazy(_("没有编号为 {menu} 的菜单"), menu=menu_id))
Problem("validation_error", detail=str(exc), errors=[field_error("dish", _("缺少菜名"))])
errors.append({"field": "file", "message": gettext_lazy("文件超过 2 MB")})
"""
    assert untranslated_messages(good) == []


def test_problem_messages_are_gettext_strings_not_plain_text():
    files = [
        p
        for p in SRC.rglob("*.py")
        if not ({"tests", "migrations", "test_vendor"} & set(p.relative_to(SRC).parts))  # not the checkout's path
    ]
    assert len(files) > 150
    found = [f for p in files for f in untranslated_messages(p.read_text(encoding="utf-8"), str(p.relative_to(SRC)))]
    assert not found, "untranslatable messages:\n" + "\n".join(found)


def test_problem_renders_in_the_readers_language():
    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy as _

    from linli.core.errors import Problem, field_error

    problem = Problem(
        "not_found",
        detail=format_lazy(_("没有编号为 {run_id} 的配送批次"), run_id=7),
        errors=[field_error("rider_id", _("没有这个骑手"), line=3)],
    )
    zh, en = problem.as_dict("zh-hans"), problem.as_dict("en")
    assert (zh["title"], zh["detail"]) == ("找不到该内容", "没有编号为 7 的配送批次")
    assert en["title"] == _english(_("找不到该内容")) and "7" in en["detail"] and not CJK.search(en["detail"])
    assert zh["errors"] == [
        {"field": "rider_id", "message": "没有这个骑手", "message_en": _english(_("没有这个骑手")), "line": 3}
    ]
    assert en["errors"][0]["message"] == en["errors"][0]["message_en"] == _english(_("没有这个骑手"))
    printed = str(problem)  # the CLI: Chinese, then English
    assert "找不到该内容 / " + en["title"] in printed and "没有编号为 7 的配送批次 / " + en["detail"] in printed


@pytest.mark.django_db
def test_a_problem_naming_the_street_names_it_in_the_readers_language():
    from linli.core.errors import Problem
    from linli.core.selectors import require_role
    from linli.core.tests.factories import StreetFactory, UserFactory

    street = StreetFactory(name="万里街道", name_en="Wanli Subdistrict")
    with pytest.raises(Problem) as refused:
        require_role(UserFactory(), street=street)
    zh, en = refused.value.as_dict("zh-hans"), refused.value.as_dict("en")
    assert "万里街道" in zh["detail"]
    assert "Wanli Subdistrict" in en["detail"] and not CJK.search(en["detail"])


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
