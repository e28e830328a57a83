"""The grid tree as the dashboard sees it, and who may see which part of it.

A street's grids nest as imported: one HQ (总网格), its workstations (工作站), their units (单元) — "一总三站多单元".
Every KPI is kept per unit grid (see `attribution`) and rolled up a subtree. A user sees:

- the whole street: its admins and safety officers (the HQ's staff), and superusers;
- a subtree: anyone holding a dashboard role with a grid (a grid worker of a unit, a workstation's staff): their
  grid and everything below it;
- nothing otherwise (`grids_visible` is empty; pages answer 403, the API `permission_denied`).

Committees (居委) are shown beside the grids that hold their compounds; a committee is visible to whoever sees the
grid most of its compounds lie in (the HQ sees every committee).
"""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass, field
from typing import Literal

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.i18n import local_name_lazy
from linli.core.models import GRID_LEVEL_DEPTH, Committee, Compound, Grid, GridLevel, Role, RoleAssignment, Street, User

# Roles that may open the dashboard; the first two see the whole street.
STREET_WIDE_ROLES = (Role.ADMIN, Role.SAFETY_OFFICER)
DASHBOARD_ROLES = (*STREET_WIDE_ROLES, Role.GRID_WORKER, Role.STATION_STAFF, Role.CARE_LEAD, Role.SOCIAL_WORKER)


@dataclass
class GridTree:
    """A street's grids, parents and children, loaded in one query."""

    street_id: int
    grids: dict[int, Grid]
    children: dict[int, list[int]] = field(default_factory=dict)

    @property
    def roots(self) -> list[int]:
        return sorted(
            (g.pk for g in self.grids.values() if g.parent_id is None or g.parent_id not in self.grids),
            key=self._order,
        )

    @property
    def hq_id(self) -> int | None:
        """The street's HQ grid (the first root), to which rows with no unit are attributed."""
        roots = self.roots
        return roots[0] if roots else None

    def _order(self, gid: int) -> tuple[int, str]:
        g = self.grids[gid]
        return (GRID_LEVEL_DEPTH.get(GridLevel(g.level), 9) if g.level in GridLevel.values else 9, g.external_id)

    def subtree(self, gid: int) -> list[int]:
        """`gid` and every grid below it, depth first in display order."""
        out: list[int] = []
        stack = [gid]
        while stack:
            current = stack.pop()
            if current in out or current not in self.grids:
                continue
            out.append(current)
            stack.extend(sorted(self.children.get(current, []), key=self._order, reverse=True))
        return out

    def path(self, gid: int) -> list[int]:
        """The root first, down to `gid`."""
        chain: list[int] = []
        current: int | None = gid
        while current is not None and current in self.grids and current not in chain:
            chain.append(current)
            current = self.grids[current].parent_id
        return list(reversed(chain))

    def depth(self, gid: int) -> int:
        return len(self.path(gid)) - 1


def grid_tree(street: Street | int) -> GridTree:
    street_id = street if isinstance(street, int) else street.pk
    grids = {g.pk: g for g in Grid.objects.filter(street_id=street_id).defer("geometry").order_by("id")}
    tree = GridTree(street_id=street_id, grids=grids)
    for g in grids.values():
        if g.parent_id is not None and g.parent_id in grids:
            tree.children.setdefault(g.parent_id, []).append(g.pk)
    return tree


def grid_subtree_ids(grid: Grid) -> set[int]:
    """The grid and every grid below it."""
    return set(grid_tree(grid.street_id).subtree(grid.pk))


def grid_path(grid: Grid) -> list[Grid]:
    """The breadcrumb of a drill-down: HQ → workstation → `grid`."""
    tree = grid_tree(grid.street_id)
    return [tree.grids[gid] for gid in tree.path(grid.pk)]


Scope = Literal["all"] | set[int]


def user_grid_scope(user: User | None, street: Street) -> Scope | None:
    """ "all", the set of grid ids the user may see, or None when they may not open the street's dashboard."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return "all"
    held = list(
        RoleAssignment.objects.filter(user=user, street=street, role__in=DASHBOARD_ROLES).values_list("role", "grid_id")
    )
    if not held:
        return None
    if any(role in STREET_WIDE_ROLES for role, _gid in held):
        return "all"
    tree = grid_tree(street)
    ids: set[int] = set()
    for _role, gid in held:
        if gid:
            ids.update(tree.subtree(gid))
    return ids or None


def grids_visible(user: User | None, street: Street) -> list[Grid]:
    """The grids of `street` the user's roles let them see, tree order (each grid before the ones below it)."""
    scope = user_grid_scope(user, street)
    if scope is None:
        return []
    tree = grid_tree(street)
    out: list[int] = []
    for root in tree.roots:
        out.extend(tree.subtree(root))
    if scope != "all":
        out = [gid for gid in out if gid in scope]
    return [tree.grids[gid] for gid in out]


def grid_roots_visible(user: User | None, street: Street) -> list[Grid]:
    """The topmost grids the user sees (the HQ for its staff, their own grid for a grid worker)."""
    visible = grids_visible(user, street)
    ids = {g.pk for g in visible}
    return [g for g in visible if g.parent_id not in ids]


def grid_visible_get(user: User | None, *, street: Street, grid_id: int | None) -> Grid:
    """The grid `grid_id` of `street` (None: the user's topmost grid) if the user may see it, else a Problem
    (`not_authenticated`, `permission_denied`, or `not_found` for a grid that is not the street's)."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise Problem("not_authenticated")
    visible = grids_visible(user, street)
    if not visible:
        raise Problem(
            "permission_denied",
            detail=format_lazy(_("您在{street}没有查看指挥大屏的角色"), street=local_name_lazy(street)),
        )
    if grid_id is None:
        return grid_roots_visible(user, street)[0]
    for g in visible:
        if g.pk == grid_id:
            return g
    if Grid.objects.filter(pk=grid_id, street=street).exists():
        raise Problem("permission_denied", detail=_("您无权查看这个网格"))
    raise Problem("not_found", detail=format_lazy(_("没有编号为 {grid} 的网格"), grid=grid_id))


def street_list_for_dashboard(user: User) -> list[Street]:
    """The streets whose dashboard the user may open."""
    if user.is_superuser:
        return list(Street.objects.order_by("code"))
    ids = RoleAssignment.objects.filter(user=user, role__in=DASHBOARD_ROLES).values_list("street_id", flat=True)
    return list(Street.objects.filter(id__in=set(ids)).order_by("code"))


def committee_grid_ids(street: Street | int) -> dict[int, int | None]:
    """Each committee of the street → the grid most of its compounds lie in (ties: the lowest id), None if none."""
    street_id = street if isinstance(street, int) else street.pk
    tallies: dict[int, Tally[int]] = {}
    for committee_id, grid_id in Compound.objects.filter(
        street_id=street_id, committee__isnull=False, grid__isnull=False
    ).values_list("committee_id", "grid_id"):
        tallies.setdefault(committee_id, Tally())[grid_id] += 1
    out: dict[int, int | None] = {}
    for cid in Committee.objects.filter(street_id=street_id).values_list("id", flat=True):
        tally = tallies.get(cid)
        out[cid] = min(tally.items(), key=lambda kv: (-kv[1], kv[0]))[0] if tally else None
    return out


def committees_visible(user: User | None, street: Street) -> list[Committee]:
    """The committees whose grid the user sees (all of them for the HQ's staff)."""
    scope = user_grid_scope(user, street)
    if scope is None:
        return []
    committees = list(Committee.objects.filter(street=street).order_by("external_id"))
    if scope == "all":
        return committees
    grid_of = committee_grid_ids(street)
    return [c for c in committees if grid_of.get(c.pk) in scope]
