"""A centre's closures (holidays, closed days) imported from an iCalendar file: slots in them close, all or
nothing with every error named, re-import updates by UID, on the centre head's templates page."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from linli.affairs.models import Slot, SlotException
from linli.affairs.services.closures_ics import closures_import
from linli.affairs.tests.factories import ResourceFactory, SlotFactory
from linli.core.errors import Problem
from linli.core.models import AuditLog

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _day(days: int) -> dt.date:
    return timezone.localtime(timezone.now(), SH).date() + dt.timedelta(days=days)


def _slot(resource: Any, day: dt.date, hour: int) -> Slot:
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=SH)
    return SlotFactory(resource=resource, start=start, end=start + dt.timedelta(minutes=30))


def _ics(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{e}DTSTAMP:20260101T000000Z\r\nEND:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//closures//ZH\r\n{body}END:VCALENDAR\r\n".encode()


def _all_day(uid: str, day: dt.date, summary: str = "闭馆") -> str:
    return f"UID:{uid}\r\nSUMMARY:{summary}\r\nDTSTART;VALUE=DATE:{day:%Y%m%d}\r\n"


def test_all_day_and_timed_closures_close_their_slots_and_reimport_updates(world: Any) -> None:
    other = ResourceFactory(street=world.street, place=world.centre, name="2号窗口")
    d1, d2 = _day(3), _day(4)
    closed_all_day = [_slot(world.window, d1, 10), _slot(other, d1, 15)]
    morning, afternoon = _slot(world.window, d2, 9), _slot(world.window, d2, 14)
    timed = f"UID:training-1\r\nSUMMARY:业务培训\r\nDTSTART;TZID=Asia/Shanghai:{d2:%Y%m%d}T080000\r\nDTEND;TZID=Asia/Shanghai:{d2:%Y%m%d}T120000\r\n"
    text = _ics(_all_day("closed-1", d1), timed, "UID:gone\r\nSTATUS:CANCELLED\r\nDTSTART;VALUE=DATE:20260101\r\n")
    result = closures_import(resources=[world.window, other], text=text, actor=world.head)
    assert result == {"created": 4, "updated": 0, "skipped": 1}
    for s in [*closed_all_day, morning, afternoon]:
        s.refresh_from_db()
    assert all(s.closed for s in closed_all_day) and morning.closed and not afternoon.closed
    row = SlotException.objects.get(resource=world.window, external_id="closed-1")
    assert row.reason == "闭馆" and row.end - row.start == dt.timedelta(days=1)
    assert timezone.localtime(row.start, SH).time() == dt.time(0)
    # Again with the training moved to the afternoon: updated by UID, nothing added twice.
    moved = timed.replace("T080000", "T130000").replace("T120000", "T170000")
    again = closures_import(
        resources=[world.window, other], text=_ics(_all_day("closed-1", d1), moved), actor=world.head
    )
    assert again == {"created": 0, "updated": 2, "skipped": 0}
    assert SlotException.objects.filter(resource=world.window).count() == 2
    afternoon.refresh_from_db()
    assert afternoon.closed
    assert AuditLog.objects.filter(action="affairs.closures_import").count() == 2


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ("SUMMARY:没有UID\r\nDTSTART;VALUE=DATE:20301001\r\n", "UID"),
        ("UID:a\r\nSUMMARY:no start\r\n", "DTSTART"),
        ("UID:b\r\nDTSTART:20301001T100000\r\nDTEND:20301001T090000\r\n", "DTEND"),
        ("UID:c\r\nDTSTART;VALUE=DATE:20301001\r\nRRULE:FREQ=WEEKLY\r\n", "RRULE"),
        ("UID:d\r\nDTSTART;VALUE=DATE:20301001\r\nDTEND;VALUE=DATE:20321001\r\n", "DTEND"),
    ],
)
def test_a_bad_event_writes_nothing_and_is_named(world: Any, event: str, field: str) -> None:
    good = _all_day("fine", _day(5))
    with pytest.raises(Problem) as exc:
        closures_import(resources=[world.window], text=_ics(good, event), actor=world.head)
    assert exc.value.code == "ical_invalid"
    assert [(e["event"], e["field"]) for e in exc.value.errors] == [(2, field)]
    assert not SlotException.objects.exists()


def test_not_a_calendar_and_duplicate_uids(world: Any) -> None:
    with pytest.raises(Problem) as exc:
        closures_import(resources=[world.window], text=b"hello", actor=world.head)
    assert exc.value.code == "ical_invalid"
    with pytest.raises(Problem) as exc:
        closures_import(resources=[world.window], text=_ics(_all_day("x", _day(5)), _all_day("x", _day(6))), actor=None)
    assert exc.value.errors[0]["field"] == "UID"


def test_only_the_centre_head(world: Any) -> None:
    with pytest.raises(Problem) as exc:
        closures_import(resources=[world.window], text=_ics(_all_day("x", _day(5))), actor=world.clerk)
    assert exc.value.code == "permission_denied"


def test_the_templates_page_imports_into_a_whole_centre(world: Any, client: Any) -> None:
    slot = _slot(world.window, _day(6), 10)
    client.force_login(world.head)
    url = reverse("affairs:staff_templates") + f"?street={world.street.code}"
    page = client.get(url).content.decode()
    assert 'id="closures-form"' in page and f'value="place:{world.centre.pk}"' in page
    upload = SimpleUploadedFile("holidays.ics", _ics(_all_day("holiday", _day(6), "国庆节")), "text/calendar")
    resp = client.post(
        url,
        {
            "street": world.street.code,
            "action": "closures_import",
            "target": f"place:{world.centre.pk}",
            "file": upload,
        },
    )
    assert resp.status_code == 302
    slot.refresh_from_db()
    assert slot.closed and SlotException.objects.get(resource=world.window).reason == "国庆节"
    assert not SlotException.objects.filter(resource=world.remote).exists()  # another place: untouched
    bad = SimpleUploadedFile("bad.ics", _ics("UID:z\r\n"), "text/calendar")
    resp = client.post(
        url, {"street": world.street.code, "action": "closures_import", "target": str(world.window.pk), "file": bad}
    )
    assert resp.status_code == 422 and 'data-code="ical_invalid"' in resp.content.decode()
