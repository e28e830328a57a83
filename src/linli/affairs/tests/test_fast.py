"""The booking's twins agree: `services.fast.appointment_book` (one statement, PostgreSQL) and the reference
`services.appointments.appointment_book` give the same answers (statuses, refusals and their messages) and the
same rows, over every refusal and a success, on the same PostgreSQL database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from linli.affairs.models import Appointment, AppointmentEvent, Slot, Suspension
from linli.affairs.services import appointments as reference
from linli.affairs.services import fast
from linli.affairs.services import prereviews as prereview_services
from linli.affairs.services import slots as slot_services
from linli.affairs.tests.factories import SlotFactory, UserFactory, build_world
from linli.core.errors import Problem
from linli.core.testing import require_postgres
from linli.core.tests.factories import jpeg

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _need_postgres() -> None:
    require_postgres("the booking's fast path")


def _outcome(fn: Any) -> tuple[str, str]:
    try:
        a = fn()
    except Problem as exc:
        return exc.code, str(exc.detail)
    row = Appointment.objects.get(pk=a.pk)
    event = AppointmentEvent.objects.get(appointment=row)
    return (
        "booked",
        f"{row.status}|{row.source}|{row.slot.start}|{row.resource.name}|{row.prereview_id is not None}|"
        + (
            f"{row.start.isoformat()}|{event.from_status}>{event.to_status}|{event.actor_id == row.user_id}|"
            f"{a.resource.name}|{a.resource.place.name}"
        ),
    )


SCENARIOS = ["ok", "ok_prereview", "full", "closed", "soon", "late", "channel", "restricted", "suspended", "exists"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_twins_answer_alike(scenario: str) -> None:
    answers = []
    for twin in (reference.appointment_book, fast.appointment_book):
        world = build_world()
        now = timezone.now()
        item, user, resource = world.card, world.resident, world.window
        slot = SlotFactory(resource=resource, places=2)
        if scenario == "ok_prereview":
            pr = prereview_services.prereview_submit(
                item=item, user=user, files={m.pk: jpeg() for m in prereview_services.materials_of(item)}
            )
            files = list(pr.files.all())
            prereview_services.prereview_review(
                prereview=pr, reviewer=world.clerk, decisions={f.pk: ("accepted", "") for f in files}
            )
        elif scenario == "full":
            Slot.objects.filter(pk=slot.pk).update(booked=2)
        elif scenario == "closed":
            Slot.objects.filter(pk=slot.pk).update(closed=True)
        elif scenario == "soon":
            Slot.objects.filter(pk=slot.pk).update(
                start=now + dt.timedelta(minutes=10), end=now + dt.timedelta(minutes=40)
            )
        elif scenario == "late":
            Slot.objects.filter(pk=slot.pk).update(
                start=now + dt.timedelta(days=40), end=now + dt.timedelta(days=40, minutes=30)
            )
        elif scenario == "channel":
            item = world.care
            slot = SlotFactory(resource=world.remote)
        elif scenario == "restricted":
            template = slot_services.template_add(
                resource=resource, days="Sa", times="09:00-10:00", minutes=30, places=1, items=[world.care.code],
                materialise=False,
            )  # fmt: skip
            Slot.objects.filter(pk=slot.pk).update(template=template)
        elif scenario == "suspended":
            Suspension.objects.create(street=world.street, user=user, ends_at=now + dt.timedelta(days=1))
        elif scenario == "exists":
            reference.appointment_book(
                slot=SlotFactory(
                    resource=resource, start=slot.start + dt.timedelta(hours=2), end=slot.end + dt.timedelta(hours=2)
                ).pk,
                item=item,
                user=user,
            )
        answers.append(
            _outcome(
                lambda twin=twin, slot=slot, item=item, user=user, now=now: twin(
                    slot=slot.pk, item=item, user=user, now=now
                )
            )
        )
    assert answers[0] == answers[1], answers
    fresh = Slot.objects.filter(resource__street__isnull=False).order_by("-pk").first()
    assert fresh is not None and fresh.booked <= fresh.places


def test_fast_twin_keeps_the_counter_exact_for_many_people() -> None:
    world = build_world()
    slot = SlotFactory(resource=world.window, places=3)
    codes = []
    for _ in range(5):
        try:
            fast.appointment_book(slot=slot.pk, item=world.card, user=UserFactory())
            codes.append("booked")
        except Problem as exc:
            codes.append(exc.code)
    assert codes == ["booked"] * 3 + ["slot_full"] * 2
    assert Slot.objects.get(pk=slot.pk).booked == 3 == Appointment.objects.filter(slot=slot).count()
