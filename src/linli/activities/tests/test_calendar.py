"""iCalendar: the import's rejections (each one, nothing written), re-import by UID, export → import round trip,
the venue / street / booking feeds, and the `linli import activities` command."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from linli.activities.calendar import activities_import, activities_to_ics, booking_to_ics, calendar_activities
from linli.activities.models import Activity, ActivitySeries, ActivityStatus
from linli.activities.services.activities import activity_cancel, activity_create
from linli.activities.services.bookings import booking_create
from linli.activities.tests.factories import future_monday, make_series
from linli.core.errors import Problem
from linli.core.i18n import in_language
from linli.core.models import AuditLog
from linli.core.services import token_create
from linli.places.tests.factories import PlaceFactory, RoleFactory, StreetFactory, UserFactory

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
TAIL = "END:VCALENDAR\r\n"


def vevent(uid="evt-1", **props) -> str:
    """One VEVENT; props override (value None drops a line). Times default to a future Monday 09:30–11:00."""
    start = future_monday()
    lines = {
        "UID": uid,
        "SUMMARY": "健康讲座",
        "DESCRIPTION": "血压管理",
        "DTSTART": f";TZID=Asia/Shanghai:{start:%Y%m%dT%H%M%S}",
        "DTEND": f";TZID=Asia/Shanghai:{start + timedelta(minutes=90):%Y%m%dT%H%M%S}",
        "CATEGORIES": "health",
        "X-LINLI-PLACE": "V1",
        "X-LINLI-CAPACITY": "30",
    }
    lines.update({k.replace("_", "-"): v for k, v in props.items()})
    out = ["BEGIN:VEVENT"]
    for k, v in lines.items():
        if v is None:
            continue
        out.append(f"{k}{v}" if v.startswith(";") else f"{k}:{v}")
    out.append("END:VEVENT")
    return "\r\n".join(out) + "\r\n"


def ics(*events: str) -> str:
    return HEAD + "".join(events) + TAIL


@pytest.fixture
def street():
    street = StreetFactory(code="caltest")
    PlaceFactory(street=street, external_id="V1", name="万里党群服务站")
    PlaceFactory(street=street, external_id="V2", name="万里市民驿站")
    return street


def rejected(street, text: str) -> Problem:
    with pytest.raises(Problem) as exc:
        activities_import(street=street, text=text)
    assert exc.value.code == "ical_invalid"
    assert not Activity.objects.exists() and not ActivitySeries.objects.exists()
    return exc.value


def only_error(problem: Problem) -> dict:
    assert len(problem.errors) == 1, problem.errors
    return problem.errors[0]


# ------------------------------------------------------------------------------------ import: success


def test_import_creates_published_activities(street):
    result = activities_import(street=street, text=ics(vevent("a"), vevent("b", CATEGORIES="讲座", X_LINLI_PLACE="V2")))
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    a = Activity.objects.get(external_id="a")
    assert a.title == "健康讲座" and a.description == "血压管理" and a.capacity == 30
    assert a.category == "health" and a.status == ActivityStatus.PUBLISHED and a.place.external_id == "V1"
    assert timezone.localtime(a.start, SH).hour == 9 and a.end - a.start == timedelta(minutes=90)
    b = Activity.objects.get(external_id="b")
    assert b.category == "lecture" and b.place.external_id == "V2"
    assert AuditLog.objects.filter(action="activities.import").exists()


def test_import_accepts_utc_times_and_converts_them(street):
    start = future_monday().astimezone(ZoneInfo("UTC"))
    result = activities_import(
        street=street,
        text=ics(vevent("u", DTSTART=f"{start:%Y%m%dT%H%M%SZ}", DTEND=f"{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}")),
    )
    assert result.created == 1
    a = Activity.objects.get(external_id="u")
    assert a.start == start and timezone.localtime(a.start, SH).hour == 9


def test_import_category_is_case_insensitive_and_capacity_optional(street):
    activities_import(street=street, text=ics(vevent("c", CATEGORIES="Party_Affairs", X_LINLI_CAPACITY=None)))
    a = Activity.objects.get(external_id="c")
    assert a.category == "party_affairs" and a.capacity is None


def test_import_with_rrule_creates_a_series(street):
    result = activities_import(street=street, text=ics(vevent("weekly", RRULE="FREQ=WEEKLY;COUNT=4")))
    assert result.created == 1
    series = ActivitySeries.objects.get(external_id="weekly")
    occ = Activity.objects.filter(series=series).order_by("start")
    assert occ.count() == 4 and {a.capacity for a in occ} == {30}
    # re-import unchanged → unchanged; with a new title → the occurrences are updated
    assert activities_import(street=street, text=ics(vevent("weekly", RRULE="FREQ=WEEKLY;COUNT=4"))).unchanged == 1
    result = activities_import(street=street, text=ics(vevent("weekly", SUMMARY="新讲座", RRULE="FREQ=WEEKLY;COUNT=4")))
    assert result.updated == 1
    assert set(Activity.objects.filter(series=series).values_list("title", flat=True)) == {"新讲座"}


def test_reimport_updates_by_uid_and_counts_unchanged(street):
    activities_import(street=street, text=ics(vevent("a"), vevent("b")))
    user = UserFactory()
    booking_create(activity=Activity.objects.get(external_id="a"), user=user)
    later = future_monday(weeks=3, hour=14)
    text = ics(
        vevent(
            "a",
            SUMMARY="健康讲座（改期）",
            DESCRIPTION="新的说明",
            DTSTART=f";TZID=Asia/Shanghai:{later:%Y%m%dT%H%M%S}",
            DTEND=f";TZID=Asia/Shanghai:{later + timedelta(hours=2):%Y%m%dT%H%M%S}",
            X_LINLI_CAPACITY="40",
            CATEGORIES="culture",
            X_LINLI_PLACE="V2",
        ),
        vevent("b"),
    )
    result = activities_import(street=street, text=text)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    a = Activity.objects.get(external_id="a")
    assert (a.title, a.description, a.start, a.end - a.start, a.capacity, a.category, a.place.external_id) == (
        "健康讲座（改期）",
        "新的说明",
        later,
        timedelta(hours=2),
        40,
        "culture",
        "V2",
    )
    assert a.booked == 1  # the booking survives the update
    assert Activity.objects.count() == 2


def test_reimport_cannot_cut_capacity_below_booked(street):
    activities_import(street=street, text=ics(vevent("a", X_LINLI_CAPACITY="2")))
    a = Activity.objects.get(external_id="a")
    booking_create(activity=a, user=UserFactory())
    booking_create(activity=a, user=UserFactory())
    with pytest.raises(Problem) as exc:
        activities_import(street=street, text=ics(vevent("a", X_LINLI_CAPACITY="1")))
    err = only_error(exc.value)
    assert (exc.value.code, err["event"], err["field"]) == ("ical_invalid", 0, "X-LINLI-CAPACITY")
    a.refresh_from_db()
    assert a.capacity == 2


# ---------------------------------------------------------------------------------- import: rejections


def test_unparseable_file_is_rejected(street):
    p = rejected(street, "this is not a calendar")
    assert "not valid iCalendar" in in_language(p.detail, "en")


def test_missing_uid_is_rejected(street):
    err = only_error(rejected(street, ics(vevent("ok"), vevent(UID=None))))
    assert (err["event"], err["uid"], err["field"]) == (1, "", "UID")


def test_missing_summary_is_rejected(street):
    err = only_error(rejected(street, ics(vevent("x", SUMMARY=None))))
    assert (err["event"], err["uid"], err["field"]) == (0, "x", "SUMMARY")


def test_missing_dtstart_is_rejected(street):
    err = only_error(rejected(street, ics(vevent("ok"), vevent("x", DTSTART=None))))
    assert (err["event"], err["uid"], err["field"]) == (1, "x", "DTSTART")


def test_missing_dtend_is_rejected(street):
    err = only_error(rejected(street, ics(vevent("x", DTEND=None))))
    assert (err["event"], err["field"]) == (0, "DTEND")


def test_floating_time_is_rejected(street):
    start = future_monday()
    err = only_error(rejected(street, ics(vevent("x", DTSTART=f"{start:%Y%m%dT%H%M%S}"))))
    assert (err["event"], err["field"]) == (0, "DTSTART")
    assert "floating" in in_language(err["message"], "en")


def test_other_time_zone_is_rejected(street):
    start = future_monday()
    err = only_error(rejected(street, ics(vevent("x", DTSTART=f";TZID=Europe/Berlin:{start:%Y%m%dT%H%M%S}"))))
    assert (err["event"], err["field"]) == (0, "DTSTART")
    assert "Asia/Shanghai" in in_language(err["message"], "en")


def test_whole_day_date_is_rejected(street):
    start = future_monday()
    err = only_error(rejected(street, ics(vevent("x", DTSTART=f";VALUE=DATE:{start:%Y%m%d}"))))
    assert (err["event"], err["field"]) == (0, "DTSTART")


def test_end_not_after_start_is_rejected(street):
    start = future_monday()
    err = only_error(rejected(street, ics(vevent("x", DTEND=f";TZID=Asia/Shanghai:{start:%Y%m%dT%H%M%S}"))))
    assert (err["event"], err["field"]) == (0, "DTEND")


def test_missing_place_is_rejected(street):
    err = only_error(rejected(street, ics(vevent("x", X_LINLI_PLACE=None))))
    assert (err["event"], err["field"]) == (0, "X-LINLI-PLACE")


def test_place_of_another_street_is_rejected(street):
    PlaceFactory(street=StreetFactory(), external_id="ELSEWHERE")
    err = only_error(rejected(street, ics(vevent("x", X_LINLI_PLACE="ELSEWHERE"))))
    assert (err["event"], err["field"]) == (0, "X-LINLI-PLACE")


@pytest.mark.parametrize(("value", "seats"), [("30", 30), ("３０", 30), ("30人", 30), (" 1,000 ", 1000)])
def test_capacity_written_the_usual_ways_is_read(street, value, seats):
    activities_import(street=street, text=ics(vevent("x", X_LINLI_CAPACITY=value)))
    assert Activity.objects.get(street=street, external_id="x").capacity == seats


@pytest.mark.parametrize("value", ["0", "-3", "many", "2.5"])
def test_bad_capacity_is_rejected(street, value):
    err = only_error(rejected(street, ics(vevent("x", X_LINLI_CAPACITY=value))))
    assert (err["event"], err["field"]) == (0, "X-LINLI-CAPACITY")


def test_categories_are_free_text_unknown_words_become_tags(street):
    # RFC 5545 CATEGORIES is free text: a word the platform does not know is kept as a tag and reported, never an
    # error (this file was refused whole before).
    result = activities_import(street=street, text=ics(vevent("x", CATEGORIES="karaoke")))
    activity = Activity.objects.get(street=street, external_id="x")
    assert (activity.category, activity.tags) == ("other", ["karaoke"])
    assert any("karaoke" in note and "tag" in note for note in result.notes)


@pytest.mark.parametrize(
    ("categories", "category", "tags"),
    [
        ("LECTURE", "lecture", []),  # codes in any case
        ("Skills Training", "skills_training", []),  # English labels, spaces for underscores
        ("技能培训", "skills_training", []),  # Chinese labels
        ("义诊,重阳节", "health", ["重阳节"]),  # synonyms; the unknown word kept
        ("书法，讲座", "lecture", ["书法"]),  # a Chinese comma separates too; the first known word is the category
        ("讲座、健康", "lecture", ["health"]),  # a second category is kept as a tag
        ("ｓｐｏｒｔｓ", "sports", []),  # full-width letters
    ],
)
def test_categories_map_codes_labels_and_synonyms(street, categories, category, tags):
    activities_import(street=street, text=ics(vevent("x", CATEGORIES=categories)))
    activity = Activity.objects.get(street=street, external_id="x")
    assert (activity.category, activity.tags) == (category, tags)


def test_tags_round_trip_through_the_feed(street):
    activities_import(street=street, text=ics(vevent("x", CATEGORIES="culture,书法,重阳节")))
    exported = activities_to_ics(activities=Activity.objects.filter(street=street), name="t").decode()
    assert "CATEGORIES:culture,书法,重阳节" in exported
    again = activities_import(street=street, text=exported)
    assert (again.created, again.updated) == (0, 0)


def test_bad_rrule_is_rejected(street):
    err = only_error(rejected(street, ics(vevent("x", RRULE="FREQ=FORTNIGHTLY"))))
    assert (err["event"], err["uid"], err["field"]) == (0, "x", "RRULE")


def test_unbounded_rrule_with_too_many_occurrences_is_rejected(street):
    err = only_error(rejected(street, ics(vevent("x", RRULE="FREQ=HOURLY"))))
    assert (err["event"], err["field"]) == (0, "RRULE")


def test_duplicate_uid_is_rejected(street):
    err = only_error(rejected(street, ics(vevent("same"), vevent("other"), vevent("same"))))
    assert (err["event"], err["uid"], err["field"]) == (2, "same", "UID")


def test_every_error_is_reported_with_its_event(street):
    p = rejected(
        street, ics(vevent("ok"), vevent("b", SUMMARY=None, X_LINLI_CAPACITY="many"), vevent("c", X_LINLI_PLACE="Z"))
    )
    assert sorted((e["event"], e["field"]) for e in p.errors) == [
        (1, "SUMMARY"),
        (1, "X-LINLI-CAPACITY"),
        (2, "X-LINLI-PLACE"),
    ]


def test_import_by_staff_of_another_street_is_refused(street):
    outsider = RoleFactory(street=StreetFactory()).user
    with pytest.raises(Problem) as exc:
        activities_import(street=street, text=ics(vevent("a")), actor=outsider)
    assert exc.value.code == "permission_denied"
    assert not Activity.objects.exists()


# ----------------------------------------------------------------------------------------- export


def make_activity(street, place=None, **kw):
    start = kw.pop("start", future_monday())
    args = {
        "street": street,
        "place": place or street.places.get(external_id="V1"),
        "title": "书法课",
        "start": start,
        "end": start + timedelta(hours=2),
        "capacity": 20,
        "category": "culture",
        "description": "毛笔字入门",
        "status": "published",
    }
    args.update(kw)
    return activity_create(**args)


def parse(body: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(body)


def test_export_carries_the_rfc5545_properties(street):
    a = make_activity(street, external_id="shufa")
    body = activities_to_ics(activities=[a], name="测试街道 活动")
    text = body.decode()
    assert "PRODID:-//Linli//邻里//ZH" in text and "VERSION:2.0" in text
    assert "X-WR-TIMEZONE:Asia/Shanghai" in text and "X-WR-CALNAME:测试街道 活动" in text
    assert "BEGIN:VTIMEZONE" in text and "TZID:Asia/Shanghai" in text
    assert "DTSTART;TZID=Asia/Shanghai:" in text and "DTEND;TZID=Asia/Shanghai:" in text
    cal = parse(body)
    (ev,) = cal.walk("VEVENT")
    assert str(ev["UID"]) == "shufa@linli"
    assert str(ev["SUMMARY"]) == "书法课" and str(ev["DESCRIPTION"]) == "毛笔字入门"
    assert ev["DTSTART"].dt == a.start and ev["DTSTART"].dt.tzinfo.key == "Asia/Shanghai"
    assert str(ev["X-LINLI-PLACE"]) == "V1" and str(ev["X-LINLI-CAPACITY"]) == "20"
    assert str(ev["STATUS"]) == "CONFIRMED" and str(ev["URL"]) == f"/activities/{a.pk}/"
    assert "万里党群服务站" in str(ev["LOCATION"])
    assert (ev["GEO"].latitude, ev["GEO"].longitude) == (a.place.lat, a.place.lng)
    assert ev["CATEGORIES"].cats == ["culture"] and "DTSTAMP" in ev


def test_export_then_import_changes_nothing(street):
    make_activity(street, external_id="a1")
    make_activity(street, title="无名额上限", capacity=None, place=street.places.get(external_id="V2"))
    make_series(street=street, place=street.places.get(external_id="V1"), external_id="weekly")
    cancelled = make_activity(street, external_id="gone", title="已取消的活动")
    activity_cancel(activity=cancelled)
    before = list(Activity.objects.order_by("id").values())
    body = activities_to_ics(activities=calendar_activities(street=street), name="x")
    assert len(parse(body).walk("VEVENT")) == 7  # 3 singles + 4 occurrences exported as individual events
    result = activities_import(street=street, text=body.decode())
    assert (result.created, result.updated, result.unchanged) == (0, 0, 7)
    after = list(Activity.objects.order_by("id").values())
    assert [{k: v for k, v in r.items() if k != "updated_at"} for r in after] == [
        {k: v for k, v in r.items() if k != "updated_at"} for r in before
    ]


def test_feeds_over_http_parse_back_with_tzid(street, client: Client):
    a = make_activity(street)
    old = make_activity(street, title="很久以前", start=timezone.now() - timedelta(days=60))
    draft = make_activity(street, title="草稿", status="draft")
    place = a.place
    for url in (f"/api/v1/places/{place.pk}/activities.ics", f"/api/v1/streets/{street.code}/activities.ics"):
        resp = client.get(url)
        assert resp.status_code == 200, resp.content
        assert resp["Content-Type"] == "text/calendar; charset=utf-8"
        assert b"DTSTART;TZID=Asia/Shanghai:" in resp.content
        cal = parse(resp.content)
        assert [c["TZID"] for c in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
        titles = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
        assert a.title in titles and old.title not in titles and draft.title not in titles
    assert client.get("/api/v1/streets/no-such/activities.ics").status_code == 404
    assert client.get("/api/v1/places/999999/activities.ics").status_code == 404


def test_booking_ics_for_its_owner_only(street, client: Client):
    a = make_activity(street)
    owner, other = UserFactory(), UserFactory()
    booking = booking_create(activity=a, user=owner)
    body = booking_to_ics(booking)
    (ev,) = parse(body).walk("VEVENT")
    (alarm,) = ev.walk("VALARM")
    assert alarm["TRIGGER"].dt == timedelta(hours=-2)
    assert booking.code in str(ev["DESCRIPTION"]) and "书法课" in str(ev["SUMMARY"])
    # DESCRIPTION once in the event (the code first, then the activity's text), once in the VALARM
    assert not isinstance(ev["DESCRIPTION"], list) and str(ev["DESCRIPTION"]).endswith("毛笔字入门")
    assert body.count(b"\r\nDESCRIPTION") == 2
    url = f"/api/v1/bookings/{booking.pk}.ics"
    resp = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token_create(user=owner)}")
    assert resp.status_code == 200 and resp["Content-Type"] == "text/calendar; charset=utf-8"
    assert b"BEGIN:VALARM" in resp.content and b"TZID=Asia/Shanghai" in resp.content
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {token_create(user=other)}").status_code == 404
    assert client.get(url).status_code == 401


# ---------------------------------------------------------------------------------------- command


def test_command_reports_categories_kept_as_tags(street, tmp_path: Path, capsys):
    path = tmp_path / "acts.ics"
    path.write_bytes(ics(vevent("a", CATEGORIES="讲座,广场舞大赛")).encode("gbk"))  # GBK: read as such
    call_command("import", "activities", str(path), "--street", street.code)
    out = capsys.readouterr().out
    assert "created 1" in out and "'广场舞大赛'" in out and "kept as a tag" in out and "GBK" in out


def test_command_imports_an_ics_file(street, tmp_path: Path, capsys):
    path = tmp_path / "acts.ics"
    path.write_text(ics(vevent("a"), vevent("b")), encoding="utf-8")
    call_command("import", "activities", str(path), "--street", street.code)
    assert "created 2" in capsys.readouterr().out
    call_command("import", "activities", str(path), "--street", street.code)
    assert "unchanged 2" in capsys.readouterr().out


def test_command_reports_every_error_and_exits_1(street, tmp_path: Path, capsys):
    path = tmp_path / "bad.ics"
    path.write_text(ics(vevent("a", X_LINLI_PLACE="Z"), vevent("b", X_LINLI_CAPACITY="x")), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        call_command("import", "activities", str(path), "--street", street.code)
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "event 0 (UID a): X-LINLI-PLACE:" in err and "event 1 (UID b): X-LINLI-CAPACITY:" in err
    assert not Activity.objects.exists()


def test_open_rule_that_began_long_ago_creates_only_coming_occurrences(street):
    start = datetime(2020, 1, 6, 9, 30, tzinfo=SH)
    text = ics(
        vevent(
            "old",
            DTSTART=f";TZID=Asia/Shanghai:{start:%Y%m%dT%H%M%S}",
            DTEND=f";TZID=Asia/Shanghai:{start + timedelta(hours=1):%Y%m%dT%H%M%S}",
            RRULE="FREQ=WEEKLY",
        )
    )
    assert activities_import(street=street, text=text).created == 1
    occ = Activity.objects.filter(series__external_id="old")
    assert 52 <= occ.count() <= 54
    assert all(a.start >= timezone.now() - timedelta(minutes=5) for a in occ)
    assert {timezone.localtime(a.start, SH).weekday() for a in occ} == {0}
