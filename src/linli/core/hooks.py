"""Extension points of core that higher domains register into from their `AppConfig.ready()` (core never imports
them).

- `ME_PANEL`: a fragment slot on the "我的" page; providers are called with `user=` and return the URL of their
  fragment or None (meals registers "我的长者优惠", the elder tier the resident's birth year gives them).
- `work_recorded(kind=, street_id=, at=)`: a domain calls it when it writes a row a higher domain counts that is no
  status move (a status move tells `core.transitions`' listeners itself): an assistant answer, a rating. Listeners
  (the dashboard's counters) registered with `work_listener_register` run after the commit, never on a rollback,
  and their failure never undoes the write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.db import transaction

from linli.core.fragments import FragmentSlot

ME_PANEL = FragmentSlot("core.me_panel")

logger = logging.getLogger(__name__)

WorkListener = Callable[[str, int | None, datetime], None]
_work_listeners: list[WorkListener] = []


def work_listener_register(listener: WorkListener) -> None:
    """Call `listener(kind, street_id, at)` after the commit of every `work_recorded` (registering twice is once)."""
    if listener not in _work_listeners:
        _work_listeners.append(listener)


def work_recorded(*, kind: str, street_id: int | None, at: datetime) -> None:
    """A row of `kind` ("assistant.answer", "meals.rating", "volunteers.rating") was written for `street_id`."""
    for listener in _work_listeners:

        def run(listener: WorkListener = listener) -> None:
            try:
                listener(kind, street_id, at)
            except Exception:  # the write is committed; a counter's failure is the nightly rebuild's to mend
                logger.exception("work listener %s failed", getattr(listener, "__name__", listener))

        transaction.on_commit(run)
