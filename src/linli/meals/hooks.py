"""Extension points of meals that higher domains register into from their `AppConfig.ready()` (meals never imports
them).

- `rider_hold_register(check)`: a reason a rider may not be given a run. `check(street=, user_ids=)` returns
  `{user_id: reason}` for the riders it holds back (access registers its credentials: a suspended, revoked or
  expired rider of the street is never offered for a run, nor can be assigned one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from linli.core.i18n import Text

RiderHold = Callable[..., "dict[int, Text]"]
_RIDER_HOLDS: dict[str, RiderHold] = {}


def rider_hold_register(check: RiderHold, *, key: str | None = None) -> None:
    _RIDER_HOLDS[key or f"{check.__module__}.{check.__qualname__}"] = check


def riders_held(*, street: Any, user_ids: Iterable[int]) -> dict[int, Text]:
    """The riders among `user_ids` that may not get a run in `street`, each with the reason."""
    ids = list(user_ids)
    held: dict[int, Text] = {}
    for check in _RIDER_HOLDS.values():
        for user_id, reason in check(street=street, user_ids=ids).items():
            held.setdefault(user_id, reason)
    return held
