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
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from linli.core.models import RoleAssignment
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


def english_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def assert_english(html: str, english: list[str], chinese: list[str]) -> None:
    html = unescape(html)
    for label in english:
        assert label in html, label
    for label in chinese:
        assert label not in html, label


@pytest.mark.django_db
def test_resident_pages_in_english():
    from linli.meals.tests.factories import KitchenFactory, PlaceFactory

    street = StreetFactory(code="enjie")
    point = PlaceFactory(street=street, kind="meal_point")
    KitchenFactory(street=street, serves=[point])
    client = english_client(UserFactory(home_street=street))

    assert_english(
        page(client, "/me/"),
        ["My account", "My meals", "My bookings", "My reports", "Snap & report (hazards)", "My roles and workbench"],
        ["我的订餐", "我的角色与工作台", "随手拍"],
    )
    assert_english(
        page(client, "/meals/"),
        ["Sort by distance from me", "My meals · pickup codes", "Meal points in this street"],
        ["按离我远近排序", "本街道助餐点"],
    )
    assert_english(page(client, "/me/meals/"), ["Meal wallet", "Order a meal"], ["助餐钱包", "去订餐"])
    assert_english(
        page(client, "/s/enjie/report/"), ["What is the problem?", "Submit report"], ["是什么问题？", "提交上报"]
    )


@pytest.mark.django_db
def test_case_console_in_english_for_street_staff():
    from linli.cases.tests.factories import CaseFactory, build_world

    world = build_world("encase")
    CaseFactory(street=world.street, category=world.categories[next(iter(world.categories))])
    client = english_client(world.admin)
    assert_english(
        page(client, "/staff/cases/?street=encase"),
        ["Export CSV", "Overdue only", "Last 30 days", "1 case"],
        ["事件处置", "导出 CSV", "近30天统计"],
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "url", "english", "chinese"),
    [
        (
            "kitchen_operator",
            "/kitchen/production/",
            ["Print box labels", "Download CSV", "Box labels", "Delivery runs"],
            ["打印餐盒标签", "下载 CSV", "餐盒标签"],
        ),
        ("kitchen_operator", "/kitchen/menus/", ["Menu plan", "Next week"], ["菜单计划", "下一周"]),
        ("kitchen_operator", "/kitchen/runs/", ["Plan deliveries", "Number of riders"], ["规划配送", "骑手人数"]),
        ("rider", "/rider/runs/", ["Today's deliveries"], ["今天的配送"]),
        ("food_supervisor", "/quality/", ["Food safety", "Start inspection"], ["食安监督", "开始检查"]),
        (
            "admin",
            "/staff/meals/?street=enk",
            ["Orders", "Daily sales", "Food waste (kg)"],
            ["每日销售明细", "厨余（千克）"],
        ),
        ("admin", "/staff/meals/counter/?street=enk", ["Meal wallet top-up", "Confirm top-up"], ["确认充值"]),
    ],
)
def test_meal_work_pages_in_english(role, url, english, chinese):
    from linli.meals.tests.factories import KitchenFactory

    street = StreetFactory(code="enk")
    KitchenFactory(street=street)
    user = UserFactory()
    RoleAssignment.objects.create(user=user, street=street, role=role)
    assert_english(page(english_client(user), url), english, chinese)
