"""Extension points of activities that higher domains register into from their `AppConfig.ready()` (activities
never imports them).

- `BOOKING_PANEL`: a fragment slot beside a live booking, on the activity's page and in "我的预约"; providers are
  called with `booking=` and `view=` ("detail" or "list") and return the URL of their fragment or None (meals
  registers the offer "顺便订午餐，送到活动地点").
- `BOOKING_CANCEL_PANEL`: a fragment slot inside the "取消预约" form; providers are called with `booking=` and
  return the URL of a fragment whose inputs are posted with the cancellation (meals asks what to do with a lunch
  ordered to the venue: cancel it, or send it to a meal point).
- `booking_cancel_register(handler)`: work to do when a booking is cancelled, in the same transaction.
  `handler(booking=, actor=, choices=, now=)`; `choices` are the cancel form's fields (empty from the API). A
  `Problem` it raises undoes the cancellation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from linli.core.fragments import FragmentSlot

BOOKING_PANEL = FragmentSlot("activities.booking_panel")
BOOKING_CANCEL_PANEL = FragmentSlot("activities.booking_cancel_panel")

CancelHandler = Callable[..., None]
_CANCEL_HANDLERS: dict[str, CancelHandler] = {}


def booking_cancel_register(handler: CancelHandler, *, key: str | None = None) -> None:
    _CANCEL_HANDLERS[key or f"{handler.__module__}.{handler.__qualname__}"] = handler


def booking_cancelled(*, booking: Any, actor: Any, choices: Mapping[str, str], now: datetime) -> None:
    """Called by `booking_cancel` after the booking moved to cancelled, inside its transaction."""
    for handler in _CANCEL_HANDLERS.values():
        handler(booking=booking, actor=actor, choices=choices, now=now)
