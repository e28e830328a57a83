"""`linli import` never shows a traceback (issue 13 item 8): hostile files of every kind end in a clear error,
exit status 1, and nothing written; GBK files are read. The rules are linli.core.inputs', applied by the shared
import helpers (read_collection, lenient, the import command)."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from linli.activities.models import Activity
from linli.core.models import Compound, Grid
from linli.meals.models import Menu
from linli.meals.tests.factories import KitchenFactory
from linli.places.models import Place
from linli.places.tests.factories import build_map_data

pytestmark = pytest.mark.django_db

BIG = 2**63
POLYGON = {
    "type": "Polygon",
    "coordinates": [[[121.39, 31.25], [121.40, 31.25], [121.40, 31.26], [121.39, 31.26], [121.39, 31.25]]],
}


@pytest.fixture
def street() -> Any:
    return build_map_data().street


def run_import(*args: str) -> tuple[int, str]:
    """(exit status, what the operator reads). Anything but a CommandError or an exit is a traceback."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, str(exc)
    except SystemExit as exc:
        return int(exc.code or 0), err.getvalue()
    return 0, out.getvalue()


def counts() -> tuple[int, ...]:
    return (Place.objects.count(), Grid.objects.count(), Compound.objects.count(), Activity.objects.count(),
            Menu.objects.count())  # fmt: skip


def refused(tmp_path: Path, kind: str, content: bytes | str, suffix: str = ".geojson") -> str:
    path = tmp_path / f"in{suffix}"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    before = counts()
    status, message = run_import(kind, str(path), "--street", "testjie")
    assert status == 1, message
    assert "Traceback" not in message and message.strip(), message
    assert counts() == before, "nothing may be written"
    return message


def feature(props: dict[str, Any], geometry: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": geometry or {"type": "Point", "coordinates": [121.392, 31.253]},
    }


def collection(*features: dict[str, Any], ascii: bool = False) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=ascii)


PLACE = {"id": "P9", "name": "新助餐点", "kind": "meal_point", "address": "测试路1号"}


@pytest.mark.parametrize("kind", ["places", "grids", "compounds"])
def test_json_nested_100000_deep_is_one_error(street, tmp_path, kind):
    message = refused(tmp_path, kind, "[" * 100_000 + "]" * 100_000)
    assert "JSON" in message


@pytest.mark.parametrize("kind", ["places", "grids", "compounds"])
def test_hostile_values_in_geojson_are_refused(street, tmp_path, kind):
    props = {"id": "X1", "name": "名字", "level": "unit", "kind": "meal_point", "address": "测试路1号"}
    geometry = None if kind == "places" else POLYGON
    for bad in ({"capacity": BIG}, {"name": "a\x00b"}, {"name": "\ud800"}, {"name": "\u200b\u3000"}, {"x": -BIG - 1}):
        message = refused(tmp_path, kind, collection(feature(props | bad, geometry), ascii=True))  # "\ud800"
        assert "feature 0" in message, message
    refused(tmp_path, kind, '{"type": "FeatureCollection", "features": [NaN]}')


def test_a_capacity_of_2_63_in_places_names_the_feature(street, tmp_path):
    message = refused(tmp_path, "places", collection(feature(PLACE | {"capacity": BIG})))
    assert "capacity" in message and "feature 0" in message


def test_gbk_geojson_is_read_and_names_are_cleaned(street, tmp_path):
    path = tmp_path / "gbk.geojson"
    path.write_bytes(collection(feature(PLACE | {"name": "\u202e新助餐点\x07"})).encode("gbk", errors="ignore"))
    status, out = run_import("places", str(path), "--street", "testjie")
    assert status == 0, out
    assert "GBK" in out
    assert Place.objects.get(external_id="P9").name == "新助餐点"


def test_a_file_in_no_known_encoding_is_one_error(street, tmp_path):
    message = refused(tmp_path, "places", b"\xff\xfe\x00\xd8" * 3 + b"\x81")
    assert message.count("\n") <= 1


def ics(*lines: str) -> str:
    event = [
        "BEGIN:VEVENT",
        "UID:edge-1@linli",
        "SUMMARY:太极",
        "DTSTART;TZID=Asia/Shanghai:20261201T090000",
        "DTEND;TZID=Asia/Shanghai:20261201T100000",
        "X-LINLI-PLACE:T000",
    ]
    names = {line.split(":", 1)[0].split(";", 1)[0] for line in lines}
    event = [line for line in event if line.split(":", 1)[0].split(";", 1)[0] not in names]
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *event, *lines, "END:VEVENT", "END:VCALENDAR", ""])


@pytest.mark.parametrize(
    "lines",
    [
        ("DTSTART:00010101T000000Z", "DTEND:00010101T010000Z"),
        ("DTSTART;TZID=Asia/Shanghai:00010101T000000", "DTEND;TZID=Asia/Shanghai:00010101T010000"),
        ("DTSTART:99991231T220000Z", "DTEND:99991231T230000Z"),
        ("DTSTART:18991231T220000Z", "DTEND:18991231T230000Z"),
        (f"X-LINLI-CAPACITY:{BIG}",),
        (f"X-LINLI-CAPACITY:{BIG * 10}人",),
        ("SUMMARY:\u200b",),
        ("SUMMARY:a\x00b",),
        ("DTSTART:20261201T090000Z", "DTEND:20261201T100000Z", "RRULE:FREQ=DAILY;UNTIL=99991231T000000Z"),
    ],
    ids=[
        "year-1-utc",
        "year-1-shanghai",
        "year-9999",
        "year-1899",
        "capacity-2^63",
        "capacity-2^66",
        "invisible",
        "nul",
        "rrule-to-9999",
    ],  # fmt: skip
)
def test_hostile_calendars_are_one_error(street, tmp_path, lines):
    refused(tmp_path, "activities", ics(*lines), suffix=".ics")


def test_gbk_calendar_is_read(street, tmp_path):
    path = tmp_path / "gbk.ics"
    path.write_bytes(ics("SUMMARY:太极\u202e班").encode("gbk", errors="ignore"))
    status, out = run_import("activities", str(path), "--street", "testjie")
    assert status == 0, out
    assert Activity.objects.get().title == "太极班"


def test_hostile_menus_are_one_error(street, tmp_path):
    KitchenFactory(street=street, place=Place.objects.get(external_id="T001"))
    header = "date,slot,kitchen,dish,price_fen,half_price_fen,daily_limit,tags"
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    for row in (
        "0001-01-01,lunch,T001,青菜,300,,,",
        f"{day},lunch,T001,青菜,{BIG},,,",
        f"{day},lunch,T001,青菜,300,,{BIG},",
        f"{day},lunch,T001,青\x00菜,300,,,",
        f"{day},lunch,T001,\u200b,300,,,",
    ):
        refused(tmp_path, "menus", f"{header}\n{row}\n", suffix=".csv")
    path = tmp_path / "gbk.csv"
    path.write_bytes(f"{header}\n{day},lunch,T001,青菜,300,,,\n".encode("gbk"))
    status, out = run_import("menus", str(path), "--street", "testjie")
    assert status == 0, out
