"""The menu CSV import: happy path, every rejection with its line number and nothing written, re-import updates,
Excel's BOM, the CLI (`linli import menus`) and the editor's upload page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from linli.core.errors import Problem
from linli.core.i18n import in_language
from linli.core.models import AuditLog, RoleAssignment
from linli.meals.models import Dish, Kitchen, Menu, MenuItem, MenuStatus
from linli.meals.services.menus import menus_import
from linli.meals.tests.factories import (
    KitchenFactory,
    MenuFactory,
    MenuItemFactory,
    PlaceFactory,
    StreetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HEADER = "date,slot,kitchen,dish,price_fen,half_price_fen,daily_limit,tags"


def day(n: int = 3) -> str:
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


@pytest.fixture
def street():
    return StreetFactory(code="menujie")


@pytest.fixture
def canteen(street):
    place = PlaceFactory(street=street, external_id="C1", kind="elder_canteen", name="长者食堂一")
    return KitchenFactory(street=street, place=place, is_elder_canteen=True)


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def written() -> tuple[int, int, int]:
    return Menu.objects.count(), MenuItem.objects.count(), Dish.objects.count()


def rejected(street, text: str) -> list[dict]:
    before = (*written(), AuditLog.objects.filter(action="menus.import").count())
    with pytest.raises(Problem) as exc:
        menus_import(street=street, text=text)
    assert exc.value.code == "csv_invalid" and exc.value.http_status == 422
    assert (*written(), AuditLog.objects.filter(action="menus.import").count()) == before, "nothing may be written"
    return exc.value.errors


def test_happy_path_creates_draft_menus_items_and_dishes(street, canteen):
    d = day(3)
    text = csv_text(
        f"{d},lunch,C1,红烧狮子头,1500,800,50,soft|low_salt|allergen:soy",
        f"{d},lunch,C1,长者套餐,1200,,100,elder_set|soft",
        f"{d},breakfast,C1,白粥,300,,,",
        f"{d},早餐,C1,菜包,200,,,vegetarian|allergen:gluten",
    )
    result = menus_import(street=street, text=text)
    assert result.as_dict() == {"created": 4, "updated": 0, "unchanged": 0}
    lunch = Menu.objects.get(kitchen=canteen, date=d, slot="lunch")
    assert lunch.status == MenuStatus.DRAFT
    # default cut-off: lunch 09:30 on the day, breakfast 20:00 the day before (Shanghai)
    assert timezone.localtime(lunch.cutoff_at).strftime("%Y-%m-%d %H:%M") == f"{d} 09:30"
    breakfast = Menu.objects.get(kitchen=canteen, date=d, slot="breakfast")
    prev = (dt.date.fromisoformat(d) - dt.timedelta(days=1)).isoformat()
    assert timezone.localtime(breakfast.cutoff_at).strftime("%Y-%m-%d %H:%M") == f"{prev} 20:00"
    assert breakfast.items.count() == 2
    meatball = MenuItem.objects.get(menu=lunch, dish__name="红烧狮子头")
    assert (meatball.price_fen, meatball.half_price_fen, meatball.daily_limit) == (1500, 800, 50)
    assert meatball.dish.tags == ["soft", "low_salt"] and meatball.dish.allergens == ["soy"]
    assert not meatball.dish.is_set_meal and not meatball.is_elder_discount_set
    set_meal = MenuItem.objects.get(menu=lunch, dish__name="长者套餐")
    assert set_meal.dish.is_set_meal and set_meal.is_elder_discount_set and set_meal.half_price_fen is None
    porridge = MenuItem.objects.get(menu=breakfast, dish__name="白粥")
    assert porridge.daily_limit is None and porridge.dish.tags == []
    assert AuditLog.objects.filter(action="menus.import", street=street).count() == 1


def test_reimport_updates_by_kitchen_date_slot_dish(street, canteen):
    d = day(4)
    menus_import(
        street=street,
        text=csv_text(f"{d},lunch,C1,红烧狮子头,1500,800,50,soft", f"{d},lunch,C1,炒青菜,600,,,vegetarian"),
    )
    result = menus_import(
        street=street,
        text=csv_text(
            f"{d},lunch,C1,红烧狮子头,1600,900,40,soft|low_salt",
            f"{d},lunch,C1,炒青菜,600,,,vegetarian",
            f"{d},lunch,C1,番茄蛋汤,300,,,",
        ),
    )
    assert result.as_dict() == {"created": 1, "updated": 1, "unchanged": 1}
    assert MenuItem.objects.filter(menu__date=d).count() == 3 and Menu.objects.count() == 1
    item = MenuItem.objects.get(dish__name="红烧狮子头")
    assert (item.price_fen, item.half_price_fen, item.daily_limit) == (1600, 900, 40)
    assert item.dish.tags == ["soft", "low_salt"]
    assert Dish.objects.filter(name="红烧狮子头").count() == 1


def test_utf8_bom_from_excel_and_gb_headers_case(street, canteen):
    text = "\ufeff" + csv_text(f"{day()},lunch,C1,红烧肉,1800,,,").replace("date,slot", "Date,Slot")
    assert menus_import(street=street, text=text).created == 1


def test_every_rejection_reported_with_its_line_and_nothing_written(street, canteen):
    PlaceFactory(street=street, external_id="M1", kind="meal_point")
    other_street = StreetFactory(code="otherjie")
    PlaceFactory(street=other_street, external_id="X9", kind="community_canteen")
    d = day(3)
    errors = rejected(
        street,
        csv_text(
            f"{d},lunch,C1,好菜,1500,800,50,soft",  # line 2: fine
            "2026-02-30,lunch,C1,坏日期,1500,,,",  # 3: bad date
            f"{d},brunch,C1,早午餐,1500,,,",  # 4: unknown slot
            f"{d},lunch,NOPE,无厨房,1500,,,",  # 5: unknown kitchen
            f"{d},lunch,X9,别街食堂,1500,,,",  # 6: another street's canteen is unknown here
            f"{d},lunch,M1,助餐点菜,1500,,,",  # 7: a meal point is not a kitchen
            f"{d},lunch,C1,价格小数,12.5,,,",  # 8: non-integer price
            f"{d},lunch,C1,半份太贵,1000,1200,,",  # 9: half price above full price
            f"{d},lunch,C1,好菜,1500,800,50,soft",  # 10: duplicate of line 2
            f"{d},lunch,C1,怪标签,1500,,,soft|crunchy|allergen:dust",  # 11: bad tags
            f"{d},lunch,C1,负限量,1500,,-3,",  # 12: bad limit
            f"{d},lunch,C1,,1500,,,",  # 13: no dish name
            f"{d},lunch,C1,逗号标签,1500,,,soft,low_salt",  # 14: tags split by commas
            "9999-12-31,lunch,C1,太远,1500,,,",  # 15: more than a year ahead
        ),
    )
    by_line: dict[int, list[str]] = {}
    for e in errors:
        by_line.setdefault(e["line"], []).append(e["field"])
        assert e["message"].startswith(f"第 {e['line']} 行") and in_language(e["message"], "en").startswith(
            f"line {e['line']}"
        )
    assert by_line == {
        3: ["date"],
        4: ["slot"],
        5: ["kitchen"],
        6: ["kitchen"],
        7: ["kitchen"],
        8: ["price_fen"],
        9: ["half_price_fen"],
        10: ["dish"],
        11: ["tags"],
        12: ["daily_limit"],
        13: ["dish"],
        14: ["tags"],
        15: ["date"],
    }
    tag_error = next(e for e in errors if e["line"] == 11)
    assert "crunchy" in tag_error["message"] and "allergen:dust" in tag_error["message"]


def test_missing_columns_and_empty_file(street, canteen):
    errors = rejected(street, "date,slot,kitchen,dish\n2026-12-01,lunch,C1,x\n")
    assert errors[0]["line"] == 1 and "price_fen" in errors[0]["message"]
    assert rejected(street, "")[0]["field"] == "file"
    assert rejected(street, HEADER + "\n\n")[0]["field"] == "file"


def test_dish_tags_must_agree_across_rows(street, canteen):
    errors = rejected(
        street, csv_text(f"{day(3)},lunch,C1,鱼香肉丝,1500,,,spicy", f"{day(4)},lunch,C1,鱼香肉丝,1500,,,soft")
    )
    assert [(e["line"], e["field"]) for e in errors] == [(3, "tags")]


def test_past_cutoff_menu_cannot_be_changed_by_import(street, canteen):
    today = timezone.localdate()
    menu = MenuFactory(kitchen=canteen, date=today, slot="lunch", cutoff_at=timezone.now() - dt.timedelta(minutes=1))
    MenuItemFactory(menu=menu, price_fen=1000)
    errors = rejected(
        street,
        csv_text(
            f"{today.isoformat()},lunch,C1,新菜,1500,,,",
            f"{(today - dt.timedelta(days=2)).isoformat()},dinner,C1,旧菜,1500,,,",
        ),
    )
    assert [(e["line"], e["field"]) for e in errors] == [(2, "date"), (3, "date")]


def test_limit_below_sold_refused(street, canteen):
    menu = MenuFactory(kitchen=canteen, date=timezone.localdate() + dt.timedelta(days=3), slot="lunch")
    item = MenuItemFactory(menu=menu, daily_limit=50)
    MenuItem.objects.filter(pk=item.pk).update(sold=20)
    errors = rejected(street, csv_text(f"{menu.date.isoformat()},lunch,C1,{item.dish.name},1500,800,10,soft"))
    assert errors[0]["line"] == 2 and errors[0]["field"] == "daily_limit" and "20" in errors[0]["message"]


def test_import_creates_the_kitchen_of_a_canteen_without_one(street):
    PlaceFactory(street=street, external_id="CC", kind="community_canteen")
    assert menus_import(street=street, text=csv_text(f"{day()},dinner,CC,炒饭,1000,600,,")).created == 1
    kitchen = Kitchen.objects.get(place__external_id="CC")
    assert not kitchen.is_elder_canteen and kitchen.street == street


def test_permission_of_actor(street, canteen):
    outsider = UserFactory()
    RoleAssignment.objects.create(user=outsider, street=StreetFactory(code="farjie"), role="kitchen_operator")
    with pytest.raises(Problem) as exc:
        menus_import(street=street, text=csv_text(f"{day()},lunch,C1,炒饭,1000,,,"), actor=outsider)
    assert exc.value.code == "permission_denied"
    operator = UserFactory()
    RoleAssignment.objects.create(user=operator, street=street, role="kitchen_operator")
    assert menus_import(street=street, text=csv_text(f"{day()},lunch,C1,炒饭,1000,,,"), actor=operator).created == 1


def test_cli_imports_and_reports_errors_with_lines(street, canteen, tmp_path: Path, capsys):
    good = tmp_path / "menu.csv"
    good.write_bytes(("\ufeff" + csv_text(f"{day()},lunch,C1,红烧肉,1800,1000,30,soft")).encode("utf-8"))
    call_command("import", "menus", str(good), "--street", "menujie")
    assert "created 1" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text(f"{day()},lunch,C1,坏价,abc,,,"), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        call_command("import", "menus", str(bad), "--street", "menujie")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "第 2 行" in err and "price_fen" in err
    assert MenuItem.objects.count() == 1


def test_upload_page_shows_the_same_report(client, street, canteen):
    operator = UserFactory()
    RoleAssignment.objects.create(user=operator, street=street, role="kitchen_operator")
    client.force_login(operator)
    bad = SimpleUploadedFile("m.csv", csv_text(f"{day()},supper,C1,夜宵,800,,,").encode("utf-8"), "text/csv")
    resp = client.post("/kitchen/menus/import/", {"street": "menujie", "file": bad})
    assert resp.status_code == 422
    body = resp.content.decode()
    assert 'data-code="csv_invalid"' in body and "第 2 行" in body and 'data-line="2"' in body
    assert MenuItem.objects.count() == 0
    good = SimpleUploadedFile(
        "m.csv", ("\ufeff" + csv_text(f"{day()},lunch,C1,夜宵,800,,,")).encode("utf-8"), "text/csv"
    )
    resp = client.post("/kitchen/menus/import/", {"street": "menujie", "file": good})
    assert resp.status_code == 200 and "新增 1" in resp.content.decode()
    assert MenuItem.objects.count() == 1
    # GB18030 from older Excel is read too
    gb = SimpleUploadedFile("m.csv", csv_text(f"{day()},lunch,C1,青菜,500,,,").encode("gb18030"), "text/csv")
    assert client.post("/kitchen/menus/import/", {"street": "menujie", "file": gb}).status_code == 200
    assert MenuItem.objects.filter(dish__name="青菜").exists()


def test_upload_page_refuses_another_streets_operator(client, street, canteen):
    outsider = UserFactory()
    RoleAssignment.objects.create(user=outsider, street=StreetFactory(code="farjie2"), role="kitchen_operator")
    client.force_login(outsider)
    f = SimpleUploadedFile("m.csv", csv_text(f"{day()},lunch,C1,x,800,,,").encode(), "text/csv")
    assert client.post("/kitchen/menus/import/", {"street": "menujie", "file": f}).status_code == 403
    assert MenuItem.objects.count() == 0


def test_an_empty_tags_cell_keeps_the_dishs_allergens(street, canteen):
    menus_import(street=street, text=csv_text(f"{day(3)},lunch,C1,花生糖,500,,,allergen:peanut|soft"))
    result = menus_import(
        street=street, text=csv_text(f"{day(3)},lunch,C1,花生糖,500,,,", f"{day(4)},lunch,C1,花生糖,500,,,")
    )
    assert result.as_dict() == {"created": 1, "updated": 0, "unchanged": 1}
    dish = Dish.objects.get(name="花生糖")
    assert dish.allergens == ["peanut"] and dish.tags == ["soft"]


def test_tags_written_as_kitchens_write_them(street, canteen):
    d = day(3)
    text = csv_text(
        f"{d},lunch,C1,红烧狮子头,1500,800,50,软烂｜少盐、过敏原:大豆",
        f"{d},lunch,C1,长者套餐,1200,600,100,长者套餐|SOFT",
        f"{d},lunch,C1,清蒸鱼,１８００,,,含鱼;Low_Oil",
    )
    menus_import(street=street, text=text)
    dishes = {d.name: d for d in Dish.objects.filter(kitchen=canteen)}
    assert (dishes["红烧狮子头"].tags, dishes["红烧狮子头"].allergens) == (["soft", "low_salt"], ["soy"])
    assert dishes["长者套餐"].is_set_meal and dishes["长者套餐"].tags == ["soft"]
    assert (dishes["清蒸鱼"].tags, dishes["清蒸鱼"].allergens) == (["low_oil"], ["fish"])
    assert MenuItem.objects.get(dish=dishes["清蒸鱼"]).price_fen == 1800


def test_an_unknown_tag_is_still_refused_so_an_allergen_cannot_slip_through(street, canteen):
    errors = rejected(street, csv_text(f"{day(3)},lunch,C1,花生酥,600,,,allergen:penut"))
    assert errors[0]["line"] == 2 and "penut" in errors[0]["message"]
