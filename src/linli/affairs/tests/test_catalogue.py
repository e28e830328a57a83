"""The item catalogue: the CSV import's rejections (all or nothing, per line), encodings, the export round trip,
the open-data API, search by residents' words, and 问一问's answer from the catalogue."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from linli.affairs import selectors
from linli.affairs.models import Item, Material, Synonym
from linli.affairs.services.items import synonym_add
from linli.affairs.services.items_import import CSV_COLUMNS, items_import
from linli.assistant import engine
from linli.core.errors import Problem

pytestmark = pytest.mark.django_db

HEADER = ",".join(CSV_COLUMNS)
GOOD = (
    HEADER + "\n"
    "SB001,社会保障卡补领,区人社局,window|remote,yes,yes,10,0,本市参保人员,居民身份证*1*original;一寸照片*1*original,"
    "社保卡丢了|补办社保卡,《社会保障卡管理办法》\n"
    "LN003,老年综合津贴申领,区民政局,window|assisted|home,yes,no,20,0,65周岁以上本市户籍老人,"
    "居民身份证*1*original;户口簿*1*copy,敬老卡|老年卡,《上海市老年综合津贴管理办法》\n"
)


def _import(world: Any, text: str | bytes) -> Any:
    return items_import(street=world.street, text=text)


def test_import_creates_items_with_materials_and_reimport_is_unchanged(world: Any) -> None:
    result = _import(world, GOOD)
    assert (result.created, result.updated) == (1, 1)  # SB001 existed in the world: updated
    item = Item.objects.get(street=world.street, code="LN003")
    assert item.channels == ["window", "assisted", "home"] and item.prereview and not item.entrusted
    assert [(m.name, m.count, m.form) for m in item.materials.order_by("position")] == [
        ("居民身份证", 1, "original"),
        ("户口簿", 1, "copy"),
    ]
    again = _import(world, GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("X1,,区,window,yes,no,1,0,,,,", "name"),
        ("X1,名称,区,counter,yes,no,1,0,,,,", "channels"),
        ("X1,名称,区,window,maybe,no,1,0,,,,", "prereview"),
        ("X1,名称,区,window,yes,no,-3,0,,,,", "time_limit_days"),
        ("X1,名称,区,window,yes,no,1,一百,,,,", "fee_fen"),
        ("X1,名称,区,window,yes,no,1,0,,身份证*x*original,,", "materials"),
        ("X1,名称,区,window,yes,no,1,0,,身份证*1*scan,,", "materials"),
        ("X1,名称,区,window,yes,no,1,0,,身份证,,", "materials"),
        (",名称,区,window,yes,no,1,0,,,,", "code"),
        ("X1,名称,区,,yes,no,1,0,,,,", "channels"),
    ],
)
def test_a_bad_line_is_refused_with_its_number_and_nothing_is_written(world: Any, line: str, column: str) -> None:
    before = Item.objects.count()
    text = GOOD + line + "\n"
    with pytest.raises(Problem) as exc:
        _import(world, text)
    assert exc.value.code == "csv_invalid"
    assert any(e.get("line") == 4 and e["field"] == column for e in exc.value.errors), exc.value.errors
    assert Item.objects.count() == before  # all or nothing: the good lines were not written either


def test_missing_columns_and_duplicate_codes_are_refused(world: Any) -> None:
    with pytest.raises(Problem) as exc:
        _import(world, "code,name\nA,B\n")
    assert exc.value.errors[0]["field"] == "header"
    with pytest.raises(Problem) as exc:
        _import(world, GOOD + GOOD.splitlines()[1] + "\n")
    assert any("重复" in str(e["message"]) for e in exc.value.errors)
    with pytest.raises(Problem):
        _import(world, "")


def test_utf8_bom_and_gb18030_files_are_read(world: Any) -> None:
    assert _import(world, ("\ufeff" + GOOD).encode("utf-8")).created == 1
    Item.objects.filter(code="LN003").delete()
    assert _import(world, GOOD.encode("gb18030")).created == 1
    assert Item.objects.get(code="LN003").name == "老年综合津贴申领"


def test_export_round_trips(world: Any, tmp_path: Any) -> None:
    _import(world, GOOD)
    out = io.StringIO()
    call_command("export", "affairs", "--street", world.street.code, stdout=out)
    exported = out.getvalue()
    assert exported.splitlines()[0] == HEADER
    assert "居民身份证*1*original;户口簿*1*copy" in exported
    # Importing the export changes nothing; into an empty street it gives the same export.
    assert _import(world, exported).unchanged == Item.objects.filter(street=world.street).count()
    path = tmp_path / "affairs.csv"
    path.write_text(exported, encoding="utf-8")
    other = type(world.street).objects.create(code="other-street", name="另一个街道")
    call_command("import", "affairs", str(path), "--street", other.code, stdout=io.StringIO())
    again = io.StringIO()
    call_command("export", "affairs", "--street", other.code, stdout=again)
    assert again.getvalue() == exported


def test_import_command_reports_each_bad_line(world: Any, tmp_path: Any) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(GOOD + "X1,名称,区,counter,yes,no,1,0,,,,\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", "affairs", str(path), "--street", world.street.code, stdout=io.StringIO(), stderr=err)
    assert "line 4: channels" in err.getvalue()
    with pytest.raises(CommandError):
        call_command("import", "affairs", str(path), "--street", "nowhere", stdout=io.StringIO())


@pytest.mark.parametrize(
    ("words", "code"),
    [
        ("补办社保卡", "SB001"),
        ("社保卡丢了怎么办", "SB001"),
        ("shebaoka", "SB001"),
        ("长护险", "YL002"),
        ("老年综合津贴", "LN003"),
    ],
)
def test_search_by_residents_words(world: Any, words: str, code: str) -> None:
    _import(world, GOOD)
    found = selectors.items_search(street=world.street, q=words)
    assert found and found[0].code == code, [i.code for i in found]


def test_staff_synonyms_widen_search(world: Any) -> None:
    assert not selectors.items_search(street=world.street, q="卡不见了")
    synonym_add(street=world.street, term="不见了", means="补领", actor=world.clerk)
    assert Synonym.objects.filter(street=world.street, term="不见了").exists()
    assert selectors.items_search(street=world.street, q="社保卡不见了")[0].code == "SB001"


def test_open_data_api(world: Any, client: Any) -> None:
    _import(world, GOOD)
    resp = client.get(f"/api/v1/affairs/items?street={world.street.code}&q=补办社保卡")
    assert resp.status_code == 200
    body = resp.json()
    assert body["items"][0]["code"] == "SB001"
    assert body["items"][0]["materials"][0] == {
        "id": Material.objects.get(item__code="SB001", name="居民身份证").pk,
        "name": "居民身份证",
        "count": 1,
        "form": "original",
        "form_name": "原件",
        "example_photo": None,
    }
    assert client.get(f"/api/v1/affairs/items?street={world.street.code}&channel=home").json()["count"] == 2
    assert client.get(f"/api/v1/affairs/items?street={world.street.code}&channel=fax").status_code == 422
    assert client.get("/api/v1/affairs/items?street=nowhere").json()["code"] == "unknown_street"
    item_id = body["items"][0]["id"]
    assert client.get(f"/api/v1/affairs/items/{item_id}").json()["name"] == "社会保障卡补领"
    assert client.get("/api/v1/affairs/items/999999").status_code == 404
    csv_resp = client.get(f"/api/v1/affairs/items.csv?street={world.street.code}")
    assert csv_resp.status_code == 200 and csv_resp["Content-Type"].startswith("text/csv")
    assert csv_resp.content.decode("utf-8-sig").splitlines()[0] == HEADER


def test_assistant_answers_what_to_bring_with_book_and_prereview_actions(world: Any) -> None:
    answer = engine.answer(question="补办社保卡要带什么", street=world.street)
    assert answer.intent == "affairs"
    assert "居民身份证" in answer.text and "一寸照片" in answer.text
    card = answer.cards[0]
    assert card.type == "affair" and card.title == "社会保障卡补领"
    assert [a.type for a in card.actions] == ["book", "prereview"]
    care = engine.answer(question="长护险怎么办", street=world.street)
    assert care.intent == "affairs" and care.cards[0].title == "长期护理保险申请"
    assert [a.type for a in care.cards[0].actions] == ["book"]  # no online pre-review for this one


def test_assistant_keeps_its_own_answers_for_other_questions(world: Any) -> None:
    assert engine.answer(question="今天有什么活动", street=world.street).intent != "affairs"
