"""factory_boy factories for the affairs catalogue, resources, templates, slots and appointments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from linli.affairs.models import Item, Material, MaterialForm, Resource, ResourceKind, Slot
from linli.affairs.services.defaults import street_defaults_create
from linli.affairs.services.items import ItemValues, MaterialValues, item_upsert
from linli.core.models import Role
from linli.core.tests.factories import RoleAssignmentFactory, StreetFactory, UserFactory
from linli.places.models import PlaceKind
from linli.places.tests.factories import PlaceFactory

__all__ = [
    "AffairsWorld",
    "ItemFactory",
    "MaterialFactory",
    "PlaceFactory",
    "ResourceFactory",
    "RoleAssignmentFactory",
    "SlotFactory",
    "StreetFactory",
    "UserFactory",
    "build_world",
    "pdf_bytes",
]

SH = ZoneInfo("Asia/Shanghai")


class ItemFactory(factory.django.DjangoModelFactory):
    """An item bookable at a window and by remote video, with online pre-review."""

    class Meta:
        model = Item

    street = factory.SubFactory(StreetFactory)
    code = factory.Sequence(lambda n: f"T{n:04d}")
    name = factory.Sequence(lambda n: f"测试事项{n}")
    department = "区人社局"
    channels = factory.LazyFunction(lambda: ["window", "remote"])
    prereview = True
    entrusted = False
    time_limit_days = 5
    min_notice_minutes = 60
    max_days_ahead = 30


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Material

    item = factory.SubFactory(ItemFactory)
    position = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"材料{n}")
    count = 1
    form = MaterialForm.ORIGINAL


class ResourceFactory(factory.django.DjangoModelFactory):
    """A window of the street's affairs centre."""

    class Meta:
        model = Resource

    street = factory.SubFactory(StreetFactory)
    place = factory.SubFactory(PlaceFactory, street=factory.SelfAttribute("..street"), kind=PlaceKind.AFFAIRS_CENTER)
    name = factory.Sequence(lambda n: f"{n}号窗口")
    kind = ResourceKind.WINDOW


def _tomorrow_ten() -> dt.datetime:
    day = timezone.localtime(timezone.now(), SH).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=SH)


class SlotFactory(factory.django.DjangoModelFactory):
    """A 30-minute slot tomorrow at 10:00 (Shanghai) with 2 places."""

    class Meta:
        model = Slot

    resource = factory.SubFactory(ResourceFactory)
    start = factory.LazyFunction(_tomorrow_ten)
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(minutes=30))
    places = 2
    booked = 0


@dataclass
class AffairsWorld:
    street: Any
    centre: Any
    remote_place: Any
    window: Resource
    remote: Resource
    card: Item  # 社会保障卡补领: window + remote, pre-review, two materials
    care: Item  # 长期护理保险申请: window only, no pre-review
    resident: Any
    clerk: Any  # station staff
    head: Any  # street admin (the centre's head)


def build_world() -> AffairsWorld:
    """A street with an affairs centre (one window), a remote point, two items and three people; the default
    policy and synonyms (street defaults)."""
    street = StreetFactory()
    street_defaults_create(street)
    centre = PlaceFactory(street=street, kind=PlaceKind.AFFAIRS_CENTER, name="社区事务受理服务中心")
    remote_place = PlaceFactory(street=street, kind=PlaceKind.REMOTE_SERVICE_POINT, name="远程帮办点")
    window = ResourceFactory(street=street, place=centre, name="1号窗口")
    remote = ResourceFactory(street=street, place=remote_place, name="远程帮办", kind=ResourceKind.REMOTE)
    card = item_upsert(
        street=street,
        values=ItemValues(
            code="SB001",
            name="社会保障卡补领",
            department="区人社局",
            channels=["window", "remote"],
            prereview=True,
            entrusted=True,
            time_limit_days=10,
            materials=[
                MaterialValues(name="居民身份证", count=1, form="original"),
                MaterialValues(name="一寸照片", count=1, form="original"),
            ],
            keywords=["社保卡丢了", "社保卡补办"],
        ),
    )[0]
    care = item_upsert(
        street=street,
        values=ItemValues(
            code="YL002",
            name="长期护理保险申请",
            department="区医保局",
            channels=["window", "home"],
            prereview=False,
            materials=[MaterialValues(name="居民身份证", count=1, form="original")],
        ),
    )[0]
    resident = UserFactory()
    clerk = UserFactory()
    head = UserFactory()
    RoleAssignmentFactory(user=clerk, street=street, role=Role.STATION_STAFF)
    RoleAssignmentFactory(user=head, street=street, role=Role.ADMIN)
    return AffairsWorld(street, centre, remote_place, window, remote, card, care, resident, clerk, head)


def pdf_bytes(extra: bytes = b"") -> bytes:
    """A minimal, valid one-page PDF (with `extra` inside its catalogue, to test active content)."""
    body = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R " + extra + b">> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
    )
    xref = len(body)
    return (
        body
        + b"xref\n0 4\n0000000000 65535 f \ntrailer << /Size 4 /Root 1 0 R >>\nstartxref\n"
        + str(xref).encode()
        + b"\n%%EOF\n"
    )
