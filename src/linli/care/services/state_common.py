"""What the care workflows' state machines share: the refusal (a Problem naming the statuses) and the timeline
row (`action` comes from the move's data, "transition" by default). Each machine is in `<entity>_states.py`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.i18n import choice_label
from linli.core.transitions import Step

EVENT_FIELDS_TAIL = ("at", "actor", "action", "from_status", "to_status", "note", "data")


def refusal(code: str, what: Any, statuses: type[models.TextChoices]) -> Callable[[Any, str, str], Problem]:
    def refused(obj: Any, from_status: str, to_status: str) -> Problem:
        return Problem(
            code,
            detail=format_lazy(
                _("{what} #{id} 当前为「{status}」，不能改为「{to_status}」"),
                what=what,
                id=obj.pk,
                status=choice_label(statuses, from_status),
                to_status=choice_label(statuses, to_status),
            ),
            extra={"from_status": from_status, "to_status": to_status},
        )

    return refused


def event_row_for(owner: str) -> Callable[[Step[Any]], dict[str, Any]]:
    def row(step: Step[Any]) -> dict[str, Any]:
        return {
            owner: step.obj.pk,
            "at": step.now,
            "actor": step.actor_id,
            "action": str(step.data.get("action", "transition")),
            "from_status": step.from_status,
            "to_status": step.to_status,
            "note": step.note[:500],
            "data": {k: v for k, v in step.data.items() if k != "action"},
        }

    return row
