"""Voice test data: a street with two committees (households known), a compound in each, staff, a building-group
head, residents, and a survey of every question type with a condition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from linli.core.models import Committee, Compound, Role, RoleAssignment, Street, User
from linli.core.tests.factories import StreetFactory, UserFactory
from linli.voice.models import CommitteeHouseholds, Survey
from linli.voice.services.surveys import survey_create

# A PNG of 1×1 pixel (base64): the photo question's answer.
PIXEL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"


@dataclass
class VoiceWorld:
    street: Street
    committee: Committee
    committee2: Committee
    compound: Compound
    compound2: Compound
    staff: User
    head: User
    rider: User
    resident: User
    resident2: User


def _role(user: User, street: Street, role: str) -> None:
    RoleAssignment.objects.get_or_create(user=user, street=street, role=role)


def build_voice_world(code: str = "voicejie") -> VoiceWorld:
    street = StreetFactory(code=code, name="问需街道", center_lat=31.25, center_lng=121.395)
    c1 = Committee.objects.create(street=street, external_id="c1", name="建新居委")
    c2 = Committee.objects.create(street=street, external_id="c2", name="平福居委")
    CommitteeHouseholds.objects.create(committee=c1, households=40)
    CommitteeHouseholds.objects.create(committee=c2, households=20)
    point = {"type": "Point", "coordinates": [121.395, 31.255]}
    x1 = Compound.objects.create(street=street, external_id="x1", name="建新小区", geometry=point, lat=31.255,
                                 lng=121.395, committee=c1)  # fmt: skip
    x2 = Compound.objects.create(street=street, external_id="x2", name="平福小区", geometry=point, lat=31.256,
                                 lng=121.396, committee=c2)  # fmt: skip
    staff, head, rider = UserFactory(display_name="居委干部"), UserFactory(display_name="楼组长"), UserFactory()
    _role(staff, street, Role.STATION_STAFF)
    _role(staff, street, Role.ADMIN)
    _role(head, street, Role.BUILDING_HEAD)
    _role(rider, street, Role.RIDER)
    resident = UserFactory(display_name="王阿姨", elder_mode=True)
    resident2 = UserFactory(display_name="李先生")
    return VoiceWorld(street, c1, c2, x1, x2, staff, head, rider, resident, resident2)


def every_kind() -> list[dict[str, Any]]:
    """One question of every type; question 1 is shown only when question 0's answer is option 0."""
    return [
        {"kind": "single", "text": "您希望服务中心开放围墙吗？", "options": ["希望", "不希望"], "required": True,
         "section": "基本情况"},
        {"kind": "long_text", "text": "您希望开放后增加什么功能？", "condition": {"question": 0, "op": "equals", "value": 0},
         "required": True},
        {"kind": "multiple", "text": "您常用哪些服务？", "options": ["食堂", "图书", "健身", "理发"], "max_choices": 3},
        {"kind": "rating", "text": "您对现在的服务满意吗？"},
        {"kind": "ranking", "text": "请排序", "options": ["停车", "充电", "绿化"]},
        {"kind": "short_text", "text": "称呼"},
        {"kind": "number", "text": "家里几口人？", "min_value": 1, "max_value": 20},
        {"kind": "date", "text": "方便的日期"},
        {"kind": "photo", "text": "拍一张问题的照片"},
        {"kind": "place", "text": "在地图上标出位置"},
        {"kind": "single", "text": "常用充电点？", "options": ["车棚", "楼道"],
         "condition": {"question": 2, "op": "includes", "value": 2}},
        {"kind": "short_text", "text": "为什么不希望？", "condition": {"question": 0, "op": "not_equals", "value": 0}},
    ]  # fmt: skip


def counted_kinds() -> list[dict[str, Any]]:
    """The question types the results count (choices, stars, ranks, numbers) and a short text; question 1 is
    shown unless question 0's answer is option 1."""
    return [
        {"kind": "single", "text": "开放吗？", "options": ["是", "否", "无所谓"], "required": True},
        {"kind": "multiple", "text": "服务", "options": ["食堂", "图书", "健身", "理发"],
         "condition": {"question": 0, "op": "not_equals", "value": 1}},
        {"kind": "rating", "text": "满意度"},
        {"kind": "ranking", "text": "排序", "options": ["停车", "充电", "绿化"]},
        {"kind": "number", "text": "人数", "min_value": 1, "max_value": 9},
        {"kind": "short_text", "text": "称呼"},
    ]  # fmt: skip


def make_survey(world: VoiceWorld, *, questions: list[dict[str, Any]] | None = None, days: int = 7,
                **fields: Any) -> Survey:  # fmt: skip
    now = timezone.now()
    fields.setdefault("opens_at", now - timedelta(days=1))
    return survey_create(street=world.street, title="服务中心开放问卷", closes_at=now + timedelta(days=days),
                         questions=questions if questions is not None else every_kind(), actor=world.staff,
                         **fields)  # fmt: skip
