"""Telling open dashboards that their live picture changed (issue 22 item 2, push).

Every domain announces its committed changes through `linli.core.hooks.change_announce` (a case moved, a report, a
call, a meal order's state, a booking or check-in, a queue ticket, a denied tap, a volunteer on or off duty, a
question left for staff); the dashboard registers `change_heard` from its AppConfig.ready(). It runs after COMMIT
in the process that wrote, finds the deepest grid the change belongs to (`selectors_live.grid_chain`) and sends a
tiny "changed" notice to that grid's and each ancestor's channel group. The notice carries no numbers: the
WebSocket process that holds the open dashboards recomputes the street's picture once per short window and sends
each open dashboard its grid's picture (`consumers.LiveHub`), so a burst of changes or fifty open dashboards cost
one computation.

Channel groups: `dashboard.live.<grid_id>` (one per grid; grid ids are unique across streets).
"""

from __future__ import annotations

import logging
import uuid

from linli.core.hooks import Change
from linli.core.pushes import group_send
from linli.dashboard.selectors_live import grid_chain

logger = logging.getLogger("linli.dashboard.live")

MESSAGE_TYPE = "dashboard.changed"


def live_group(grid_id: int) -> str:
    return f"dashboard.live.{grid_id}"


def change_heard(change: Change) -> None:
    """After COMMIT of a domain's change: notify the dashboards of its grid and the grid's ancestors."""
    chain = grid_chain(
        change.street_id, grid_id=change.grid_id, compound_id=change.compound_id, place_id=change.place_id
    )
    if not chain:
        return
    message = {
        "type": MESSAGE_TYPE,
        "id": uuid.uuid4().hex,  # the same notice reaches each dashboard of the chain: a process handles it once
        "street": change.street_id,
        "grids": chain,
        "domain": change.domain,
        "kind": change.kind,
    }
    group_send([live_group(gid) for gid in chain], message, what="dashboard push")
