"""The holiday table: seeded from chinese-calendar, a year's notice loaded from a file (all or nothing), street
closures from the back office, and every "working day" question answered from it.

2027's arrangement was not public when this was written: the 2027 files under data/ are invented TEST data."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from linli.core.errors import Problem
from linli.core.holidays import calendar
from linli.core.holidays.models import Holiday, HolidayYear
from linli.core.holidays.services import holidays_import, holidays_seed
from linli.core.models import Role, RoleAssignment, Street
from linli.core.tests.factories import StreetFactory, UserFactory
from linli.places.hours import TZ, day_intervals, day_type, holiday_name, hours_status

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parents[2] / "core" / "tests" / "data"
TEST_CSV = DATA / "holidays_2027_TEST.csv"
TEST_ICS = DATA / "holidays_2027_TEST.ics"
OFFICE = "Mo-Fr 08:30-17:00; Sa 09:00-12:00; PH off"


def at(y, m, d, hh=10, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


def cli(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_migrations_seed_the_table_from_chinese_calendar():
    assert HolidayYear.objects.filter(year=2026).exists() and not HolidayYear.objects.filter(year=2027).exists()
    national_day = Holiday.objects.get(street=None, date=dt.date(2026, 10, 2))
    assert (national_day.kind, national_day.name, national_day.name_en) == ("holiday", "国庆节", "National Day")
    assert Holiday.objects.get(street=None, date=dt.date(2026, 10, 10)).kind == "workday"  # a Saturday worked
    assert calendar.has_official_data(2026)


def test_2027_without_a_notice_has_no_official_data_and_falls_back_to_weekends():
    info = calendar.day_info(dt.date(2027, 10, 4))  # a Monday
    assert info.official is False and info.kind == "workday"
    assert calendar.day_kind(dt.date(2027, 9, 26)) == "weekend"  # a Sunday
    assert calendar.years_without_official_data(dt.date(2026, 12, 1)) == [2027]
    # Opening hours: a Sunday is closed, a Monday open (only weekends count, nothing is guessed).
    assert day_intervals(OFFICE, dt.date(2027, 9, 26)) == []
    assert day_intervals(OFFICE, dt.date(2027, 10, 4)) == [(at(2027, 10, 4, 8, 30), at(2027, 10, 4, 17))]


@pytest.mark.parametrize("path", [TEST_CSV, TEST_ICS])
def test_2027_with_a_loaded_notice_follows_its_days_off_and_adjusted_working_days(path):
    # Before: cached answers exist for these days; the import must not leave them stale.
    assert hours_status(OFFICE, at(2027, 9, 26, 10)).open_now is False
    assert hours_status(OFFICE, at(2027, 10, 4, 10)).open_now is True

    result = holidays_import(text=path.read_text(encoding="utf-8"), year=2027, source_name=path.name)
    assert (result.holidays, result.workdays) == (7, 2)
    assert calendar.has_official_data(2027) and calendar.years_without_official_data(dt.date(2026, 12, 1)) == []
    # The adjusted working days (a Sunday and a Saturday) run the weekday timetable.
    for day in (dt.date(2027, 9, 26), dt.date(2027, 10, 9)):
        assert day_type(day) == "adjusted_workday"
        assert day_intervals(OFFICE, day) == [
            (dt.datetime.combine(day, dt.time(8, 30), tzinfo=TZ), dt.datetime.combine(day, dt.time(17), tzinfo=TZ))
        ]
    assert hours_status(OFFICE, at(2027, 9, 26, 10)).open_now is True
    # The days off are closed, and the next opening is after the break.
    monday = hours_status(OFFICE, at(2027, 10, 4, 10))
    assert monday.open_now is False and monday.next_open == at(2027, 10, 8, 8, 30)
    assert day_type(dt.date(2027, 10, 4)) == "holiday" and holiday_name(dt.date(2027, 10, 4)) == "National Day"


def test_a_notice_with_errors_is_refused_whole_with_every_line():
    text = (
        "date,kind,name\n"
        "2027-10-01,holiday,国庆节\n"
        "2027-10-32,holiday,国庆节\n"  # no such date
        "2027-10-06,调休,国庆节\n"  # ambiguous
        "2027-10-08,workday,国庆节\n"  # a Friday: a working day anyway
        "2026-06-01,holiday,儿童节\n"  # not in 2027's notice
        "2027-10-01,workday,国庆节\n"  # contradicts line 2
    )
    with pytest.raises(Problem) as exc:
        holidays_import(text=text, year=2027)
    assert exc.value.code == "import_invalid"
    assert sorted(e["line"] for e in exc.value.errors) == [3, 4, 5, 6, 7]
    assert not Holiday.objects.filter(year=2027).exists() and not calendar.has_official_data(2027)


def test_cli_import_reports_each_line_and_exits_1(tmp_path):
    bad = tmp_path / "notice.csv"
    bad.write_text(
        "日期,类型,名称\n2027-10-01,放假,国庆节\n2027/10/02,holiday\n2027-10-03,maybe,国庆节\n", encoding="utf-8"
    )
    err_out = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("holidays", "import", str(bad), "--year", "2027", stdout=StringIO(), stderr=err_out)
    assert exc.value.code == 1
    err = err_out.getvalue()
    assert "第 4 行" in err and "line 4" in err and "maybe" in err
    assert not Holiday.objects.filter(year=2027).exists()


def test_cli_import_accepts_gbk_full_width_and_prints_json(tmp_path):
    notice = tmp_path / "通知.csv"
    # Excel on a Chinese Windows: GBK, full-width digits, spaces, Chinese kinds and header.
    notice.write_bytes("日期，类型，名称\n２０２７-10-01， 放假 ，国庆\n2027年9月26日，上班，国庆节\n".encode("gbk"))
    out, _ = cli("holidays", "import", str(notice), "--year", "2027", "--json")
    data = json.loads(out)
    assert (data["year"], data["holidays"], data["workdays"]) == (2027, 1, 1)
    assert Holiday.objects.get(street=None, date=dt.date(2027, 10, 1)).name == "国庆节"


def test_seed_adds_only_what_the_table_lacks_and_the_package_answers_meanwhile():
    Holiday.objects.filter(year=2026, street=None).delete()
    HolidayYear.objects.filter(year=2026).delete()
    calendar.holidays_changed()
    assert calendar.day_kind(dt.date(2026, 10, 2)) == "holiday"  # chinese-calendar still answers
    edited = Holiday.objects.get(street=None, date=dt.date(2025, 10, 1))
    edited.name = "国庆节（已核对）"
    edited.save()
    assert holidays_seed() == [2026]
    assert holidays_seed() == []
    assert Holiday.objects.get(street=None, date=dt.date(2025, 10, 1)).name == "国庆节（已核对）"
    out, _ = cli("holidays", "seed", "--json")
    assert json.loads(out) == {"seeded_years": []}


def test_a_street_closure_closes_that_streets_ph_off_places_only(client):
    wanli, other = StreetFactory(code="wanli"), StreetFactory(code="other")
    day = dt.date(2026, 12, 16)  # a Wednesday
    assert hours_status(OFFICE, at(2026, 12, 16), wanli.pk).open_now is True
    admin_user = UserFactory(is_staff=True)
    RoleAssignment.objects.create(user=admin_user, street=wanli, role=Role.ADMIN)
    client.force_login(admin_user)
    response = client.post(
        "/admin/core/holiday/add/",
        {
            "date": day.isoformat(),
            "kind": "holiday",
            "name": "街道年终盘点",
            "name_en": "",
            "street": wanli.pk,
            "year": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    closure = Holiday.objects.get(street=wanli, date=day)
    assert closure.year == 2026 and closure.source == "admin"
    assert hours_status(OFFICE, at(2026, 12, 16), wanli.pk).open_now is False  # followed at once
    assert hours_status(OFFICE, at(2026, 12, 16), other.pk).open_now is True
    assert hours_status("Mo-Su 07:00-19:00", at(2026, 12, 16), wanli.pk).open_now is True  # hours without PH
    # A street admin cannot touch the national arrangement.
    national = Holiday.objects.get(street=None, date=dt.date(2026, 10, 1))
    assert client.post(f"/admin/core/holiday/{national.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Holiday.objects.filter(pk=national.pk).exists()


def test_staff_pages_and_the_back_office_warn_before_a_year_without_official_data(client, monkeypatch):
    monkeypatch.setattr("linli.core.context_processors._today", lambda: dt.date(2026, 12, 1))
    street = StreetFactory(code="wanli")
    staff = UserFactory()
    RoleAssignment.objects.create(user=staff, street=street, role=Role.STATION_STAFF)
    resident = UserFactory()
    superuser = UserFactory(is_staff=True, is_superuser=True)

    client.force_login(staff)
    page = client.get("/me/").content.decode()
    assert 'id="holiday-notice"' in page and "2027 年的法定节假日和调休安排还没有导入" in page
    client.force_login(resident)
    assert 'id="holiday-notice"' not in client.get("/me/").content.decode()
    client.force_login(superuser)
    assert 'id="holiday-notice"' in client.get("/admin/").content.decode()

    holidays_import(text=TEST_CSV.read_text(encoding="utf-8"), year=2027)
    client.force_login(staff)
    assert 'id="holiday-notice"' not in client.get("/me/").content.decode()


def test_street_deleted_with_its_closures():
    street = StreetFactory(code="gone")
    Holiday.objects.create(street=street, date=dt.date(2026, 12, 24), kind="holiday", name="x", year=2026)
    Street.objects.filter(pk=street.pk).delete()
    assert not Holiday.objects.filter(street_id=street.pk).exists()


def test_cli_status_and_list():
    out, _ = cli("holidays", "status", "--json")
    data = json.loads(out)
    assert 2026 in data["official_years"] and 2004 in data["official_years"]
    assert isinstance(data["missing_within_90_days"], list)
    holidays_import(text=TEST_CSV.read_text(encoding="utf-8"), year=2027)
    rows = json.loads(cli("holidays", "list", "--year", "2027", "--json")[0])
    assert [(r["date"], r["kind"]) for r in rows][:2] == [("2027-09-26", "workday"), ("2027-10-01", "holiday")]
