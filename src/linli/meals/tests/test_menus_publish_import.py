"""`linli import menus ... --publish`: the file's menus are published at once, or, if any day fails the
elder-canteen rules, nothing is imported or published and every failure is listed. A kitchen's menus are then
listed through the API."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from linli.core.models import RoleAssignment
from linli.core.services import token_create
from linli.meals.models import Menu, MenuItem, MenuStatus
from linli.meals.tests.factories import KitchenFactory, PlaceFactory, StreetFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "date,slot,kitchen,dish,price_fen,half_price_fen,daily_limit,tags"


def day(n: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


@pytest.fixture
def canteen():
    street = StreetFactory(code="pubjie")
    place = PlaceFactory(street=street, external_id="C1", kind="elder_canteen", name="长者食堂一")
    return KitchenFactory(street=street, place=place, is_elder_canteen=True)


def run_import(tmp_path, rows: list[str], *extra: str) -> tuple[str, str]:
    path = tmp_path / "menus.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import", "menus", str(path), "--street", "pubjie", *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_publish_refuses_the_whole_file_when_one_day_fails_the_elder_canteen_rules(tmp_path, canteen):
    good, bad = day(3), day(4)
    rows = [
        f"{good},lunch,C1,红烧狮子头,1500,800,50,soft",
        f"{good},lunch,C1,长者套餐,1200,600,100,elder_set|soft",
        f"{bad},lunch,C1,清蒸鱼,1800,,30,allergen:fish",  # no half portion, no elder set meal
    ]
    with pytest.raises(SystemExit) as exc:
        run_import(tmp_path, rows, "--publish")
    assert exc.value.code == 1
    assert Menu.objects.count() == 0 and MenuItem.objects.count() == 0  # nothing imported either


def test_publish_refusal_lists_every_rule_failure(tmp_path, canteen):
    bad = day(4)
    path = tmp_path / "menus.csv"
    path.write_text(f"{HEADER}\n{bad},lunch,C1,清蒸鱼,1800,,30,\n", encoding="utf-8")
    err_out = StringIO()
    with pytest.raises(SystemExit):
        call_command("import", "menus", str(path), "--street", "pubjie", "--publish", stdout=StringIO(), stderr=err_out)
    err = err_out.getvalue()
    assert "小份" in err and "长者优惠套餐" in err and bad in err


def test_publish_publishes_every_menu_of_a_good_file_and_the_api_lists_them(tmp_path, canteen, client):
    d = day(3)
    rows = [
        f"{d},lunch,C1,红烧狮子头,1500,800,50,soft",
        f"{d},lunch,C1,长者套餐,1200,600,100,elder_set|soft",
        f"{d},breakfast,C1,白粥,300,150,,soft",
    ]
    out, _ = run_import(tmp_path, rows, "--publish", "--json")
    data = json.loads(out)
    assert data["created"] == 3 and any("published: 2" in n for n in data["notes"])
    assert set(Menu.objects.values_list("status", flat=True)) == {MenuStatus.PUBLISHED}

    operator = UserFactory()
    RoleAssignment.objects.create(user=operator, street=canteen.street, role="kitchen_operator")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=operator)}"}
    listed = client.get(f"/api/v1/meals/kitchens/{canteen.pk}/menus", {"start": d, "days": 1}, **auth)
    assert listed.status_code == 200
    menus = listed.json()
    assert [(m["slot"], m["status"]) for m in menus] == [("breakfast", "published"), ("lunch", "published")]
    assert {i["dish"] for m in menus for i in m["items"]} == {"红烧狮子头", "长者套餐", "白粥"}
    stranger = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=UserFactory())}"}
    assert client.get(f"/api/v1/meals/kitchens/{canteen.pk}/menus", **stranger).status_code == 403
    assert client.get(f"/api/v1/meals/kitchens/{canteen.pk}/menus", {"days": 0}, **auth).status_code == 422


def test_publish_is_refused_for_other_kinds(tmp_path, canteen):
    from django.core.management.base import CommandError

    path = tmp_path / "places.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(CommandError, match="--publish"):
        call_command("import", "places", str(path), "--street", "pubjie", "--publish", stdout=StringIO())
