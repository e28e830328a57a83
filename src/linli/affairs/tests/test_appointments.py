"""Appointments: templates and the holiday table, every booking problem code, cancel and reschedule until the
cut-off, reminders, the .ics file, the no-show rule and its lift, booking by staff for a caller, the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from linli.affairs.models import Appointment, AppointmentStatus, Resource, Slot, SlotTemplate, Suspension
from linli.affairs.selectors import slots_free, slots_free_rows
from linli.affairs.services import appointments as svc
from linli.affairs.services import slots as slot_services
from linli.affairs.services.appointment_states import MACHINE, TRANSITIONS
from linli.affairs.tests.factories import SlotFactory, UserFactory
from linli.core.errors import Problem
from linli.core.holidays.calendar import holidays_changed
from linli.core.holidays.models import Holiday
from linli.core.sms import OutboxSmsBackend

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    day = timezone.localtime(timezone.now(), SH).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SH)


def _slot(world: Any, *, days: int = 1, hour: int = 10, places: int = 2, resource: Resource | None = None) -> Slot:
    start = _at(days, hour)
    return SlotFactory(
        resource=resource or world.window, start=start, end=start + dt.timedelta(minutes=30), places=places
    )


def _book(world: Any, slot: Slot, user: Any = None, item: Any = None, **kw: Any) -> Appointment:
    return svc.appointment_book(slot=slot.pk, item=item or world.card, user=user or world.resident, **kw)


def _code(fn: Any) -> str:
    with pytest.raises(Problem) as exc:
        fn()
    return exc.value.code


# ------------------------------------------------------------------------------------- templates


def _next_weekday(weekday: int, after_days: int = 2) -> dt.date:
    day = timezone.localtime(timezone.now(), SH).date() + dt.timedelta(days=after_days)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return day


def _slots_on(resource: Resource, day: dt.date) -> list[Slot]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=SH)
    return list(Slot.objects.filter(resource=resource, start__gte=start, start__lt=start + dt.timedelta(days=1)))


def test_template_cuts_times_into_slots_on_its_weekdays(world: Any) -> None:
    slot_services.template_add(
        resource=world.window, days="Mo-Fr", times="09:00-11:30,13:30-16:30", minutes=30, places=2
    )
    monday = _next_weekday(0, after_days=8)  # far enough from any holiday of the test's own week
    Holiday.objects.filter(date=monday).delete()
    holidays_changed()
    slot_services.slots_materialise(resource=world.window)
    day = _slots_on(world.window, monday)
    assert len(day) == 5 + 6 and {s.places for s in day} == {2}
    assert timezone.localtime(min(s.start for s in day), SH).time() == dt.time(9, 0)
    saturday = monday + dt.timedelta(days=5)
    Holiday.objects.filter(date=saturday).delete()
    holidays_changed()
    slot_services.slots_materialise(resource=world.window)
    assert _slots_on(world.window, saturday) == []


def test_holidays_close_and_adjusted_working_days_open(world: Any) -> None:
    monday = _next_weekday(0, after_days=8)
    sunday = monday + dt.timedelta(days=6)
    Holiday.objects.update_or_create(
        date=monday, street=None, defaults={"kind": "holiday", "name": "测试假日", "year": monday.year}
    )
    Holiday.objects.update_or_create(
        date=sunday, street=None, defaults={"kind": "workday", "name": "测试调休", "year": sunday.year}
    )
    holidays_changed()
    slot_services.template_add(resource=world.window, days="Mo-Fr", times="09:00-10:00", minutes=30, places=1)
    assert _slots_on(world.window, monday) == []  # a holiday: closed
    assert len(_slots_on(world.window, sunday)) == 2  # an adjusted working day: open
    # A street's own closure closes too; re-materialising closes or removes slots already made.
    tuesday = monday + dt.timedelta(days=1)
    assert len(_slots_on(world.window, tuesday)) == 2
    Holiday.objects.create(date=tuesday, street=world.street, kind="holiday", name="街道闭馆", year=tuesday.year)
    holidays_changed()
    slot_services.slots_materialise(resource=world.window)
    assert [s for s in _slots_on(world.window, tuesday) if not s.closed] == []


def test_office_worker_slots_only_for_chosen_items(world: Any) -> None:
    saturday = _next_weekday(5)
    Holiday.objects.filter(date=saturday).delete()
    holidays_changed()
    slot_services.template_add(
        resource=world.window, days="Sa", times="09:00-10:00", minutes=60, places=3, items=[world.card.code]
    )
    slot = _slots_on(world.window, saturday)[0]
    assert _book(world, slot).status == AppointmentStatus.BOOKED
    assert _code(lambda: _book(world, slot, item=world.care)) == "not_eligible_channel"


def test_exception_closes_its_slots(world: Any) -> None:
    slot = _slot(world, days=3)
    slot_services.exception_add(resource=world.window, start=slot.start, end=slot.end, reason="培训")
    assert _code(lambda: _book(world, slot)) == "slot_closed"


def test_template_input_errors() -> None:
    for bad in ("Xx-Fr", "Fr-Mo", ""):
        assert _code(lambda bad=bad: slot_services.parse_days(bad)) == "validation_error"
    for bad in ("09:00", "11:00-09:00", "09:00-10:00,09:30-11:00", "25:00-26:00"):
        assert _code(lambda bad=bad: slot_services.parse_times(bad)) == "validation_error"
    assert slot_services.parse_days("周一至周五") == [0, 1, 2, 3, 4]


# ------------------------------------------------------------------------------------- problem codes


def test_every_booking_problem_code(world: Any) -> None:
    full = _slot(world, places=1)
    _book(world, full, user=UserFactory())
    assert _code(lambda: _book(world, full)) == "slot_full"
    closed = _slot(world, hour=11)
    Slot.objects.filter(pk=closed.pk).update(closed=True)
    assert _code(lambda: _book(world, closed)) == "slot_closed"
    soon = SlotFactory(
        resource=world.window,
        start=timezone.now() + dt.timedelta(minutes=20),
        end=timezone.now() + dt.timedelta(minutes=50),
    )
    assert _code(lambda: _book(world, soon)) == "too_soon"
    late = _slot(world, days=45)
    assert _code(lambda: _book(world, late)) == "too_late"
    remote = _slot(world, resource=world.remote)
    assert _code(lambda: _book(world, remote, item=world.care)) == "not_eligible_channel"
    ok = _slot(world, hour=14)
    _book(world, ok)
    assert _code(lambda: _book(world, _slot(world, hour=15))) == "appointment_exists"
    Suspension.objects.create(street=world.street, user=world.resident, ends_at=timezone.now() + dt.timedelta(days=3))
    assert _code(lambda: _book(world, _slot(world, hour=16), item=world.care)) == "booking_suspended"
    # Staff booking on the phone is not affected by the suspension of online booking.
    assert _book(world, _slot(world, hour=16, days=2), item=world.care, booked_by=world.clerk).source == "staff"


def test_api_booking_answers_each_problem_with_its_code(world: Any, client: Any) -> None:
    client.force_login(world.resident)
    slot = _slot(world, places=1)

    def post(slot_id: int, item: int, key: str) -> Any:
        return client.post(
            "/api/v1/affairs/appointments",
            {"slot": slot_id, "item": item},
            content_type="application/json",
            headers={"Idempotency-Key": key},
        )

    resp = post(slot.pk, world.card.pk, "k1")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["status"] == "booked" and body["resource"]["name"] == "1号窗口"
    assert post(slot.pk, world.card.pk, "k1").json()["id"] == body["id"]  # replayed, not booked twice
    assert Appointment.objects.count() == 1
    other = UserFactory()
    client.force_login(other)
    assert post(slot.pk, world.card.pk, "k2").json()["code"] == "slot_full"
    assert post(_slot(world, resource=world.remote).pk, world.care.pk, "k3").json()["code"] == "not_eligible_channel"
    assert post(_slot(world, days=50).pk, world.card.pk, "k4").json()["code"] == "too_late"
    # Slots API: the item's free slots, the full one not among them.
    free = client.get(f"/api/v1/affairs/slots?item={world.card.pk}").json()
    assert slot.pk not in [s["id"] for s in free]
    assert all(set(s) == {"id", "start", "end", "resource", "free"} for s in free)


def test_appointment_transition_table(world: Any) -> None:
    a = _book(world, _slot(world))
    for status in AppointmentStatus.values:
        for target in AppointmentStatus.values:
            a.status = status
            if target not in TRANSITIONS[status]:
                with pytest.raises(Problem) as exc:
                    MACHINE.check(a, target)
                assert exc.value.code == "appointment_invalid_transition"


# ----------------------------------------------------------------------------------- cancel, reschedule


def test_cancel_until_the_cut_off_gives_the_place_back(world: Any) -> None:
    slot = _slot(world, places=1)
    a = _book(world, slot)
    assert Slot.objects.get(pk=slot.pk).booked == 1
    svc.appointment_cancel(appointment=a, actor=world.resident)
    assert Slot.objects.get(pk=slot.pk).booked == 0 and a.status == "cancelled"
    late = SlotFactory(
        resource=world.window,
        start=timezone.now() + dt.timedelta(minutes=90),
        end=timezone.now() + dt.timedelta(minutes=120),
    )
    b = _book(world, late)
    assert (
        _code(
            lambda: svc.appointment_cancel(
                appointment=b, actor=world.resident, now=timezone.now() + dt.timedelta(minutes=40)
            )
        )
        == "cancel_deadline_passed"
    )
    svc.appointment_cancel(appointment=b, actor=world.clerk, staff=True, now=timezone.now() + dt.timedelta(minutes=40))
    assert b.status == "cancelled"


def test_reschedule_moves_the_place(world: Any) -> None:
    first, second = _slot(world, places=1), _slot(world, hour=14, places=1)
    a = _book(world, first)
    svc.appointment_reschedule(appointment=a, slot=second.pk, actor=world.resident)
    assert a.slot_id == second.pk and a.status == "booked"
    assert (Slot.objects.get(pk=first.pk).booked, Slot.objects.get(pk=second.pk).booked) == (0, 1)
    full = _slot(world, hour=15, places=1)
    _book(world, full, user=UserFactory())
    assert _code(lambda: svc.appointment_reschedule(appointment=a, slot=full.pk, actor=world.resident)) == "slot_full"
    assert Slot.objects.get(pk=second.pk).booked == 1  # nothing moved
    assert "改约" in a.events.order_by("-id").first().note


# ----------------------------------------------------------------------------------- reminders, .ics


def test_reminders_day_before_and_two_hours_before_once_each(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    a = _book(world, _slot(world))
    OutboxSmsBackend.outbox.clear()
    day_before = a.start - dt.timedelta(hours=20)
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.appointment_reminders_send(now=day_before) == 1
        assert svc.appointment_reminders_send(now=day_before) == 0
        assert svc.appointment_reminders_send(now=a.start - dt.timedelta(hours=1)) == 1
    assert [("明天" in s.message, "两小时后" in s.message) for s in OutboxSmsBackend.outbox] == [
        (True, False),
        (False, True),
    ]


def test_ics_for_each_appointment(world: Any, client: Any) -> None:
    a = _book(world, _slot(world))
    client.force_login(world.resident)
    resp = client.get(f"/me/affairs/appointments/{a.pk}.ics")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/calendar")
    text = resp.content.decode()
    assert "社会保障卡补领" in text and a.code in text and text.count("BEGIN:VALARM") == 2
    assert client.get(f"/api/v1/affairs/appointments/{a.pk}.ics").status_code == 200
    client.force_login(UserFactory())
    assert client.get(f"/me/affairs/appointments/{a.pk}.ics").status_code == 404


def _ics_text(resp: Any) -> str:
    """The file's text with RFC 5545 line folding undone."""
    return resp.content.decode().replace("\r\n ", "")


def test_ics_in_english_for_a_resident_whose_language_is_english(world: Any, client: Any) -> None:
    a = _book(world, _slot(world))
    world.resident.language = "en"
    world.resident.save(update_fields=["language"])
    client.force_login(world.resident)
    for url in (f"/me/affairs/appointments/{a.pk}.ics", f"/api/v1/affairs/appointments/{a.pk}.ics"):
        text = _ics_text(client.get(url))
        assert f"SUMMARY:Appointment: 社会保障卡补领 (booking code {a.code})" in text
        assert "Please bring the originals of your documents." in text
        assert "LOCATION:1号窗口\\, 社区事务受理服务中心" in text
        assert "预约码" not in text and "请带齐" not in text


def test_ics_in_english_on_an_english_page_and_chinese_by_default(world: Any, client: Any) -> None:
    a = _book(world, _slot(world))
    client.force_login(world.resident)
    zh = _ics_text(client.get(f"/me/affairs/appointments/{a.pk}.ics"))
    assert f"SUMMARY:社会保障卡补领（预约码 {a.code}）" in zh and "请带齐材料原件" in zh and "Please bring" not in zh
    en = _ics_text(client.get(f"/me/affairs/appointments/{a.pk}.ics", HTTP_ACCEPT_LANGUAGE="en"))
    assert "SUMMARY:Appointment: " in en and "Please bring the originals" in en and "请带齐" not in en


# ------------------------------------------------------------------------------------- the no-show rule


def test_three_no_shows_in_ninety_days_suspend_online_booking_for_thirty_days(world: Any) -> None:
    user = world.resident
    base = timezone.now()
    for i in range(3):
        a = _book(world, _slot(world, days=1, hour=9 + i), item=world.card if i != 1 else world.care, user=user)
        later = a.end + dt.timedelta(hours=1)
        assert svc.appointments_no_show_sweep(now=later) == 1
        a.refresh_from_db()
        assert a.status == "no_show"
        if i < 2:
            assert not Suspension.objects.filter(user=user).exists()
    suspension = Suspension.objects.get(user=user)
    assert dt.timedelta(days=29) < suspension.ends_at - base < dt.timedelta(days=32)
    assert _code(lambda: _book(world, _slot(world, days=3))) == "booking_suspended"
    svc.suspension_lift(suspension=suspension, actor=world.head, now=later + dt.timedelta(minutes=1))
    assert _book(world, _slot(world, days=3, hour=15)).status == "booked"
    # After a lift only new no-shows count: the three before it do not suspend again.
    assert svc.no_show_rule_apply(user=user, street_id=world.street.pk, now=later + dt.timedelta(minutes=2)) is None


def test_no_show_rule_is_set_per_street(world: Any) -> None:
    policy = world.street.affairs_policy
    policy.no_show_limit = 1
    policy.save()
    a = _book(world, _slot(world))
    svc.appointment_no_show(appointment=a)
    assert Suspension.objects.filter(user=world.resident, street=world.street).exists()


def test_checked_in_appointments_are_not_no_shows(world: Any) -> None:
    a = _book(world, _slot(world))
    svc.appointment_check_in(appointment=a, actor=world.clerk)
    assert svc.appointments_no_show_sweep(now=a.end + dt.timedelta(hours=2)) == 0
    svc.appointment_complete(appointment=a, actor=world.clerk)
    assert a.status == "completed"


def test_qr_payload_round_trip(world: Any) -> None:
    a = _book(world, _slot(world))
    assert svc.appointment_code_from_qr(svc.appointment_qr_payload(a)) == a.code
    assert svc.appointment_code_from_qr("forged") is None


# ---------------------------------------------------------------------------------------------- CLI


def test_cli_resource_and_template(world: Any) -> None:
    out = io.StringIO()
    call_command(
        "affairs",
        "resource",
        "add",
        str(world.centre.pk),
        "--name",
        "2号窗口",
        "--kind",
        "window",
        "--json",
        stdout=out,
    )
    resource_id = json.loads(out.getvalue())["id"]
    out = io.StringIO()
    call_command(
        "affairs",
        "template",
        "add",
        str(resource_id),
        "--days",
        "Mo-Fr",
        "--times",
        "09:00-11:30,13:30-16:30",
        "--minutes",
        "30",
        "--places",
        "2",
        "--items",
        world.card.code,
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["weekdays"] == [0, 1, 2, 3, 4] and data["slots"] > 0
    template = SlotTemplate.objects.get(pk=data["id"])
    assert template.restricted and list(template.items.values_list("code", flat=True)) == [world.card.code]
    with pytest.raises(CommandError):  # a remote resource must be at a remote service point
        call_command(
            "affairs", "resource", "add", str(world.centre.pk), "--name", "x", "--kind", "remote", stdout=io.StringIO()
        )


def test_staff_book_for_a_caller_page(world: Any, client: Any, django_capture_on_commit_callbacks: Any) -> None:
    slot = _slot(world)
    client.force_login(world.clerk)
    page = client.get(f"/staff/affairs/book/?street={world.street.code}&phone=13912345678&item={world.card.pk}")
    assert page.status_code == 200 and f'data-slot="{slot.pk}"'.encode() in page.content
    OutboxSmsBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            "/staff/affairs/book/",
            {"street": world.street.code, "phone": "13912345678", "item": world.card.pk, "slot": slot.pk},
        )
    assert resp.status_code == 200 and b"staff-booked" in resp.content
    a = Appointment.objects.get(user__phone="+8613912345678")
    assert a.source == "staff" and a.booked_by == world.clerk
    assert OutboxSmsBackend.outbox[-1].phone == "+8613912345678"


def test_the_slots_api_answers_what_the_slot_rules_allow(world: Any, client: Any) -> None:
    """`slots_free_rows` (the API's one statement) and `slots_free` (the ORM query the pages use) give the same
    slots: templates for every item or naming this one, slots made by hand; never a closed, full, inactive,
    other-kind, too-soon or too-far one; a place and a time window narrow it."""
    other = slot_services.template_add(resource=world.window, days="Mo-Su", times="09:00-10:00", minutes=30,
                                       places=2, items=["YL002"], materialise=False)  # fmt: skip
    mine = slot_services.template_add(resource=world.window, days="Mo-Su", times="14:00-15:00", minutes=30,
                                      places=2, items=["SB001"], materialise=False)  # fmt: skip
    everyone = slot_services.template_add(resource=world.remote, days="Mo-Su", times="16:00-17:00", minutes=30,
                                          places=2, materialise=False)  # fmt: skip
    home = Resource.objects.create(street=world.street, place=world.centre, name="上门", kind="home")
    shut = Resource.objects.create(street=world.street, place=world.centre, name="停用窗口", is_active=False)

    def slot(days: int, hour: int, minute: int = 0, **kw: Any) -> Slot:
        start = _at(days, hour, minute)
        kw.setdefault("resource", world.window)
        return SlotFactory(start=start, end=start + dt.timedelta(minutes=30), **kw)

    expected = {
        slot(1, 14, template=mine).pk,
        slot(1, 16, template=everyone, resource=world.remote).pk,
        slot(2, 10).pk,  # made by hand
        slot(3, 14, 30, template=mine, places=3, booked=2).pk,
    }
    slot(1, 9, template=other)  # a template for another item only
    slot(2, 11, closed=True)
    slot(2, 12, places=2, booked=2)
    slot(2, 13, resource=home)  # a channel the item does not offer
    slot(2, 14, resource=shut)
    slot(0, 0, 1)  # before the minimum notice (or past)
    slot(world.card.max_days_ahead + 2, 10)

    def api(**kw: Any) -> list[dict[str, Any]]:
        return slots_free_rows(item=world.card, **kw)

    rows = api()
    assert [r["id"] for r in rows] == [s.pk for s in slots_free(item=world.card)]
    assert {r["id"] for r in rows} == expected
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)
    by_id = {r["id"]: r for r in rows}
    full = Slot.objects.get(template=mine, booked=2)
    assert by_id[full.pk]["free"] == 1 and by_id[full.pk]["start"] == _at(3, 14, 30).isoformat()
    assert by_id[full.pk]["resource"] == {
        "id": world.window.pk, "name": "1号窗口", "kind": "window", "place_id": world.centre.pk,
        "place_name": world.centre.name,
    }  # fmt: skip
    assert {r["id"] for r in api(place=world.remote_place.pk)} == {
        s.pk for s in slots_free(item=world.card, place=world.remote_place.pk)
    }
    assert len(api(place=world.remote_place.pk)) == 1
    window = {"start": _at(2, 0), "end": _at(3, 0)}
    assert [r["id"] for r in api(**window)] == [s.pk for s in slots_free(item=world.card, **window)]
    assert len(api(limit=2)) == 2
    assert client.get(f"/api/v1/affairs/slots?item={world.card.pk}").json() == rows
