"""Residents' voice on the sample street, its first piece: the open survey a building-group head (楼组长) enters
door-visit answers for. The closed survey with its answers, the needs board and the consultations of issue 19's
demo item are still to come; this gives the building-head account its first day's work."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from linli.core.models import Street, User
from linli.voice.models import Need, Survey
from linli.voice.services.surveys import survey_create

TITLE = "社区食堂加开晚餐，您需要吗？"


def voice_demo_reset(street: Street) -> None:
    Need.objects.filter(street=street).delete()
    Survey.objects.filter(street=street).delete()


def voice_demo_load(street: Street, *, actor: User | None = None) -> dict[str, int]:
    """One open survey for the whole street (one answer per household), idempotent by its title."""
    if Survey.objects.filter(street=street, title=TITLE).exists():
        return {"surveys": 0}
    survey_create(
        street=street,
        title=TITLE,
        intro="长者食堂想在工作日加开晚餐（17:00–18:30），请告诉我们您是否需要、想吃什么。",
        closes_at=timezone.now() + timedelta(days=30),
        one_answer="household",
        actor=actor,
        questions=[
            {"kind": "single", "text": "您家需要社区食堂的晚餐吗？", "options": ["需要", "偶尔需要", "不需要"],
             "required": True},
            {"kind": "multiple", "text": "您希望晚餐有哪些？", "options": ["软烂菜", "半份菜", "面食", "送餐上门"],
             "condition": {"question": 0, "op": "not_equals", "value": 2}},
            {"kind": "rating", "text": "您对现在的午餐满意吗？", "min_value": 1, "max_value": 5},
            {"kind": "long_text", "text": "还有什么想对食堂说的？"},
        ],
    )  # fmt: skip
    return {"surveys": 1}
