"""Test data of the window queue and the remote windows: a street with an affairs centre (two windows), a remote
point, two catalogue items with materials, clerks, a centre head and a resident with an appointment today."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from linli.affairs.models import (
    Appointment,
    Counter,
    Item,
    Material,
    MaterialForm,
    PreReview,
    PreReviewStatus,
    Resource,
    ResourceKind,
    Slot,
)
from linli.core.models import Role, User
from linli.core.tests.factories import RoleAssignmentFactory, StreetFactory, UserFactory
from linli.places.models import PlaceKind
from linli.places.tests.factories import PlaceFactory


@dataclass
class QueueWorld:
    street: Any
    centre: Any
    remote_point: Any
    window: Any  # the bookable window resource
    remote: Any  # the remote point's resource
    counters: list[Counter]
    items: dict[str, Item]
    head: User
    clerks: list[User]
    remote_staff: User
    resident: User
    extra: dict[str, Any] = field(default_factory=dict)


def item_with_materials(street: Any, code: str, name: str, materials: list[tuple[str, int, str]]) -> Item:
    item = Item.objects.create(
        street=street, code=code, name=name, channels=["window", "remote"], prereview=True, time_limit_days=5
    )
    for i, (mname, count, form) in enumerate(materials):
        Material.objects.create(item=item, position=i, name=mname, count=count, form=form)
    return item


def appointment_today(
    world: QueueWorld,
    *,
    item: Item | None = None,
    user: User | None = None,
    resource: Resource | None = None,
    minutes_from_now: int = 10,
    prereview_status: str | None = None,
) -> Appointment:
    """A booked appointment starting `minutes_from_now` (its slot made here, one place)."""
    resource = resource or world.window
    item = item or world.items["ssc"]
    user = user or UserFactory()
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=minutes_from_now)
    if timezone.localdate(start, ZoneInfo("Asia/Shanghai")) != timezone.localdate(
        timezone.now(), ZoneInfo("Asia/Shanghai")
    ):
        pytest.skip("too close to midnight (Shanghai) for a same-day appointment")
    slot = Slot.objects.create(resource=resource, start=start, end=start + timedelta(minutes=30), places=3, booked=1)
    prereview = None
    if prereview_status:
        prereview = PreReview.objects.create(
            street=world.street,
            item=item,
            user=user,
            code=secrets.token_hex(4).upper(),
            status=prereview_status,
            review_due_at=timezone.now() + timedelta(hours=24),
        )
    return Appointment.objects.create(
        street=world.street,
        item=item,
        slot=slot,
        resource=resource,
        user=user,
        prereview=prereview,
        code=secrets.token_hex(4).upper(),
        start=slot.start,
        end=slot.end,
    )


def build_queue_world(code: str = "affq") -> QueueWorld:
    street = StreetFactory(code=code, name="事务测试街道")
    centre = PlaceFactory(street=street, kind=PlaceKind.AFFAIRS_CENTER, name="社区事务受理服务中心")
    point = PlaceFactory(street=street, kind=PlaceKind.REMOTE_SERVICE_POINT, name="一居委远程帮办点")
    window = Resource.objects.create(street=street, place=centre, name="预约窗口", kind=ResourceKind.WINDOW)
    remote = Resource.objects.create(street=street, place=point, name="一居委帮办点", kind=ResourceKind.REMOTE)
    counters = [Counter.objects.create(street=street, place=centre, number=n) for n in (1, 2)]
    items = {
        "ssc": item_with_materials(
            street,
            "SSC-01",
            "社会保障卡补领",
            [("居民身份证", 1, MaterialForm.ORIGINAL), ("近期免冠照片", 1, MaterialForm.ORIGINAL)],
        ),
        "ltc": item_with_materials(
            street,
            "LTC-01",
            "长期护理保险申请",
            [("居民身份证", 1, MaterialForm.ORIGINAL), ("病历资料", 1, MaterialForm.COPY)],
        ),
    }
    head = UserFactory(display_name="中心主任")
    RoleAssignmentFactory(user=head, street=street, role=Role.ADMIN)
    clerks = [UserFactory(display_name=f"窗口{n}") for n in (1, 2)]
    for clerk in clerks:
        RoleAssignmentFactory(user=clerk, street=street, role=Role.STATION_STAFF)
    remote_staff = UserFactory(display_name="帮办员")
    RoleAssignmentFactory(user=remote_staff, street=street, role=Role.STATION_STAFF)
    return QueueWorld(
        street=street,
        centre=centre,
        remote_point=point,
        window=window,
        remote=remote,
        counters=counters,
        items=items,
        head=head,
        clerks=clerks,
        remote_staff=remote_staff,
        resident=UserFactory(display_name="王阿姨"),
    )


__all__ = ["PreReviewStatus", "QueueWorld", "appointment_today", "build_queue_world"]
