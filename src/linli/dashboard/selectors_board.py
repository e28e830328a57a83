"""Escalation by level: which breached cases a grid's board shows.

A case whose resolution deadline has passed while it is still unresolved is *late*; one whose time since its report
is three times what it was given is *3× late* (Signalen's two filters). A late case surfaces one level up from its
grid (a unit's on its workstation's board), a 3× late one two levels up (on the HQ's too). A grid's board lists
its own late cases and those surfacing from below; the HQ's also lists every late case in the HQ's queue (the cases
domain's own escalation at breach, or a case without a grid).
Only the open hazard cases are read (cases' own indexed columns), never history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from linli.cases.models import Case, Queue
from linli.cases.selectors import UNRESOLVED_STATUSES
from linli.core.models import Grid, Street
from linli.dashboard.selectors import GridTree, grid_tree

BOARD_LIMIT = 200


@dataclass
class BoardCase:
    case: Case
    lateness: float  # time since the report ÷ time given
    levels_up: int  # how far above its grid it surfaces (1 late, 2 3× late)
    distance: int  # how far below the board's grid it sits (0: the board's own)
    path: list[Grid]

    @property
    def three_times_late(self) -> bool:
        return self.lateness >= 3

    @property
    def overdue_hours(self) -> float:
        due = self.case.resolution_due_at
        return round((timezone.now() - due).total_seconds() / 3600, 1) if due else 0.0


def lateness(case: Case, now: datetime) -> float:
    due = case.resolution_due_at
    if due is None:
        return 0.0
    given = max((due - case.created_at).total_seconds(), 60.0)
    return (now - case.created_at).total_seconds() / given


def board_cases(
    *, street: Street, grid: Grid | None, now: datetime | None = None, tree: GridTree | None = None
) -> list[BoardCase]:
    """The breached cases `grid`'s board shows (None or the HQ: the whole street's, the HQ queue's too), the most
    late first."""
    now = now or timezone.now()
    tree = tree or grid_tree(street)
    top = grid.pk if grid is not None else tree.hq_id
    depth_top = tree.depth(top) if top is not None else 0
    scope = set(tree.subtree(top)) if top is not None else set()
    qs = (
        Case.objects.filter(street=street, status__in=list(UNRESOLVED_STATUSES), resolution_due_at__lt=now)
        .select_related("category", "grid", "assignee")
        .order_by("resolution_due_at")
    )
    is_hq = top is None or top in tree.roots
    out: list[BoardCase] = []
    for case in qs[: BOARD_LIMIT * 5]:
        late = lateness(case, now)
        up = 2 if late >= 3 else 1
        in_tree = case.grid_id is not None and case.grid_id in tree.grids
        if not in_tree or (is_hq and case.queue == Queue.HQ):
            if is_hq:
                path = [tree.grids[g] for g in tree.path(case.grid_id)] if in_tree and case.grid_id else []
                out.append(BoardCase(case, late, up, 0, path))
            continue
        if case.grid_id not in scope:
            continue
        distance = tree.depth(case.grid_id) - depth_top
        if distance <= up:
            out.append(BoardCase(case, late, up, distance, [tree.grids[g] for g in tree.path(case.grid_id)]))
    out.sort(key=lambda b: (-b.lateness, b.case.pk))
    return out[:BOARD_LIMIT]
