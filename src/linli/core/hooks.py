"""Extension points of core that higher domains register into from their `AppConfig.ready()` (core never imports
them).

- `ME_PANEL`: a fragment slot on the "我的" page; providers are called with `user=` and return the URL of their
  fragment or None (meals registers "我的长者优惠", the elder tier the resident's birth year gives them).
- `work_recorded(kind=, street_id=, at=)`: a domain calls it when it writes a row a higher domain counts that is no
  status move (a status move tells `core.transitions`' listeners itself): an assistant answer, a rating. Listeners
  (the dashboard's counters) registered with `work_listener_register` run after the commit, never on a rollback,
  and their failure never undoes the write.
- `change_announce(...)` / `change_listener_register(listener)`: "rows a live view counts changed here". Every
  domain announces, inside the transaction of the write, the committed changes a live picture of the street shows
  (a case moved, a report, a call, a meal order's state, a booking or check-in, a queue ticket, a gate tap, a
  volunteer's check-in, a question the assistant could not answer), with the place it belongs to as far as the
  domain knows it (the grid, the compound or the service point). Listeners are called after COMMIT (a rolled-back
  write announces nothing), each failure logged, never raised (the dashboard registers one that tells the open
  dashboards of that grid and its ancestors to refresh).
  The two serve different readers: `work_recorded` and `core.transitions`' move listeners say *what* happened
  and when (the counters of KPIs over time), `change_announce` says *where* (the live picture of a grid).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from linli.core.fragments import FragmentSlot

logger = logging.getLogger("linli.core.hooks")

ME_PANEL = FragmentSlot("core.me_panel")

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


@dataclass(frozen=True)
class Change:
    """A committed change a live view counts: `domain` (the app label: "cases", "care", ...), `kind` (what
    happened, e.g. "case.closed", "order.delivered"), the street and, where the domain knows it, the deepest grid,
    the compound or the service point the rows belong to."""

    domain: str
    kind: str
    street_id: int
    grid_id: int | None = None
    compound_id: int | None = None
    place_id: int | None = None


ChangeListener = Callable[[Change], None]
_CHANGE_LISTENERS: dict[str, ChangeListener] = {}


def change_listener_register(listener: ChangeListener, *, key: str | None = None) -> None:
    """Add (or, for the same key, replace) a listener called with each `Change` after its transaction commits."""
    _CHANGE_LISTENERS[key or f"{listener.__module__}.{listener.__qualname__}"] = listener


def changes_heard() -> bool:
    """Whether any listener is registered (a caller may skip work that only an announcement needs)."""
    return bool(_CHANGE_LISTENERS)


def change_announce(
    *,
    domain: str,
    kind: str,
    street_id: int | None,
    grid_id: int | None = None,
    compound_id: int | None = None,
    place_id: int | None = None,
) -> None:
    """Announce a change (see the module docstring); the listeners hear of it after COMMIT. Free without
    listeners, and without a street (a tap at an unknown gate)."""
    if not _CHANGE_LISTENERS or not street_id:
        return
    change = Change(domain, kind, int(street_id), grid_id, compound_id, place_id)
    transaction.on_commit(lambda: _deliver(change))


def _deliver(change: Change) -> None:
    for key, listener in list(_CHANGE_LISTENERS.items()):
        try:
            listener(change)
        except Exception:  # noqa: BLE001 - a listener's failure must not break the write that committed
            logger.exception("change listener %s failed for %s", key, change)
