"""The live picture of a grid (issue 22 item 2): what is open, late, waiting and on duty right now, at the street HQ,
a workstation or a unit.

Two steps, so that fifty open dashboards cost one computation, not fifty:

1. `street_live(street_id)` reads each domain once, through its own live selectors (`<domain>.selectors_live`:
   cheap grouped counts over indexed columns, today's rows or open rows only, never the history), and puts every
   count under the deepest grid its rows belong to (`attribution`: a case's grid, a place's or compound's grid,
   a committee's grid; rows with no spot under the HQ grid). ~15 small queries per street.
2. `grid_picture(snapshot, grid_id)` sums a grid's subtree out of that snapshot in memory: the numbers, the case
   pins on the map, and one row per child grid for the drill-down.

The page, the big screen, the API (`GET /api/v1/dashboard/live`) and the WebSocket updates all show
`grid_picture`, so they show the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from linli.access import selectors_live as access_live
from linli.activities import selectors_live as activities_live
from linli.affairs import selectors_live as affairs_live
from linli.assistant import selectors_live as assistant_live
from linli.care import selectors_live as care_live
from linli.cases import selectors_live as cases_live
from linli.core.local_time import SHANGHAI
from linli.dashboard.attribution import Attribution, attribution_for
from linli.meals.selectors import live as meals_live
from linli.volunteers import selectors_live as volunteers_live

PINS_MAX = 200  # case pins a picture carries (the most urgent first): the map and each push stay light
CASE_STATES = ("new", "dispatched", "accepted", "in_progress", "resolved", "verified")
SLA_ORDER = {"late3": 0, "late": 1, "due": 2, "none": 3, "done": 4}
# Counters summed over a subtree by max instead of +.
MAX_KEYS = frozenset({"queue_longest_wait_s"})


@dataclass
class StreetLive:
    """One street's live counts, each under the deepest grid its rows belong to, kept per domain (so a change of
    one domain re-reads that domain only), and its open cases."""

    street_id: int
    at: dt.datetime
    attribution: Attribution
    parts: dict[str, dict[int | None, defaultdict[str, float]]] = field(default_factory=dict)
    cases: list[dict[str, Any]] = field(default_factory=list)
    _merged: dict[int | None, defaultdict[str, float]] | None = None

    def add(self, domain: str, grid_id: int | None, key: str, n: float) -> None:
        if not n:
            return
        bucket = self.parts.setdefault(domain, {}).setdefault(grid_id, defaultdict(float))
        if key in MAX_KEYS:
            bucket[key] = max(bucket[key], n)
        else:
            bucket[key] += n
        self._merged = None

    @property
    def counts(self) -> dict[int | None, defaultdict[str, float]]:
        """Every domain's counts by grid (the domains' keys never overlap)."""
        if self._merged is None:
            merged: dict[int | None, defaultdict[str, float]] = {}
            for part in self.parts.values():
                for gid, bucket in part.items():
                    merged.setdefault(gid, defaultdict(float)).update(bucket)
            self._merged = merged
        return self._merged


def local_day(now: dt.datetime) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """Today in the business zone: the date and its [start, end) as aware datetimes."""
    local = now.astimezone(SHANGHAI)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.date(), start, start + dt.timedelta(days=1)


def _read_cases(snap: StreetLive, att: Attribution, now: dt.datetime) -> None:
    """Open cases by state and SLA clock; reports of the last hour."""
    snap.cases = []
    for case in cases_live.cases_open_live(street_id=snap.street_id, now=now):
        gid = att.grid(case["grid_id"])
        case["grid_id"] = gid
        snap.cases.append(case)
        snap.add("cases", gid, "cases_open", 1)
        snap.add("cases", gid, f"cases_{case['status']}", 1)
        snap.add("cases", gid, f"sla_{case['sla']}", 1)
    since = now - dt.timedelta(hours=1)
    for grid_id, n in cases_live.reports_since_by_grid(street_id=snap.street_id, since=since).items():
        snap.add("cases", att.grid(grid_id), "reports_hour", n)


def _read_care(snap: StreetLive, att: Attribution, now: dt.datetime) -> None:
    """Open emergency and help calls; open 8-hour requests and the late ones (where the person lives)."""
    for row in care_live.calls_open_live(street_id=snap.street_id):
        gid = att.person(row["person__compound_id"], row["committee_id"])
        snap.add("care", gid, "calls_emergency" if row["kind"] == "emergency" else "calls_help", row["n"])
    for row in care_live.visits_open_live(street_id=snap.street_id, now=now):
        gid = att.person(row["person__compound_id"], row["committee_id"])
        snap.add("care", gid, "visits_open", row["n"])
        snap.add("care", gid, "visits_late", row["late"])


def _read_meals(snap: StreetLive, att: Attribution, now: dt.datetime) -> None:
    """Today's orders by state, at the place they go to (else the kitchen); today's runs and the late ones."""
    day = local_day(now)[0]
    for row in meals_live.orders_today_live(street_id=snap.street_id, day=day):
        gid = att.place(row["destination_place_id"] or row["kitchen__place_id"])
        snap.add("meals", gid, "meals_ordered", row["n"])
        status = row["status"]
        if status == "in_production":
            snap.add("meals", gid, "meals_in_production", row["n"])
        elif status == "out_for_delivery":
            snap.add("meals", gid, "meals_on_the_way", row["n"])
        elif status in ("delivered", "collected"):
            snap.add("meals", gid, "meals_delivered", row["n"])
    for run in meals_live.runs_today_live(street_id=snap.street_id, day=day, now=now):
        gid = att.place(run["kitchen_place_id"])
        snap.add("meals", gid, "runs", 1)
        snap.add("meals", gid, "runs_late", 1 if run["late"] else 0)


def _read_activities(snap: StreetLive, att: Attribution, now: dt.datetime) -> None:
    """Today's bookings and check-ins, at the venue."""
    _day, start, end = local_day(now)
    for row in activities_live.bookings_today_live(street_id=snap.street_id, start=start, end=end):
        gid = att.place(row["activity__place_id"])
        snap.add("activities", gid, "bookings", row["n"])
        if row["status"] == "checked_in":
            snap.add("activities", gid, "checked_in", row["n"])


def _read_affairs(snap: StreetLive, att: Attribution, now: dt.datetime) -> None:
    """Today's queues at each centre."""
    for row in affairs_live.queues_today_live(street_id=snap.street_id, day=local_day(now)[0]):
        gid = att.place(row["place_id"])
        snap.add("affairs", gid, "queue_waiting", row["waiting"])
        snap.add("affairs", gid, "queue_called", row["called"])
        snap.add("affairs", gid, "queue_wait_s_total", row["wait_s_total"])
        if row["oldest_waiting_at"] is not None:
            waited = max(1.0, (now - row["oldest_waiting_at"]).total_seconds())
            snap.add("affairs", gid, "queue_longest_wait_s", waited)


def _read_access(snap: StreetLive, att: Attribution, now: dt.datetime) -> None:
    """Gates offline now, denials today."""
    for compound_id, row in access_live.gates_live(street_id=snap.street_id, now=now).items():
        gid = att.compound(compound_id)
        snap.add("access", gid, "gates", row["gates"])
        snap.add("access", gid, "gates_offline", row["offline"])
    since = local_day(now)[1]
    for denied_at, n in access_live.denials_since_live(street_id=snap.street_id, since=since).items():
        snap.add("access", att.compound(denied_at), "denials_today", n)


def _read_volunteers(snap: StreetLive, att: Attribution, now: dt.datetime) -> None:
    """Volunteers on duty now, at their station."""
    for place_id, n in volunteers_live.on_duty_live(street_id=snap.street_id, now=now).items():
        snap.add("volunteers", att.place(place_id), "volunteers_on_duty", n)


def _read_assistant(snap: StreetLive, att: Attribution, now: dt.datetime) -> None:
    """Questions the assistant left for staff (street-wide: the HQ grid)."""
    snap.add("assistant", att.hq_id, "questions_unanswered", assistant_live.unanswered_count(street_id=snap.street_id))


READERS: dict[str, Callable[[StreetLive, Attribution, dt.datetime], None]] = {
    "cases": _read_cases,
    "care": _read_care,
    "meals": _read_meals,
    "activities": _read_activities,
    "affairs": _read_affairs,
    "access": _read_access,
    "volunteers": _read_volunteers,
    "assistant": _read_assistant,
}


def street_live(
    street_id: int,
    *,
    now: dt.datetime | None = None,
    domains: Iterable[str] | None = None,
    previous: StreetLive | None = None,
) -> StreetLive:
    """Read the street (see the module docstring): every domain, or only `domains` (the ones that changed), the
    others' counts taken over from `previous`."""
    now = now or timezone.now()
    att = attribution_for(street_id)
    snap = StreetLive(street_id=street_id, at=now, attribution=att)
    wanted = set(READERS) if domains is None or previous is None else set(domains) & set(READERS)
    if previous is not None and previous.attribution is att:
        for domain, part in previous.parts.items():
            if domain not in wanted:
                snap.parts[domain] = part
        if "cases" not in wanted:
            snap.cases = previous.cases
    else:
        wanted = set(READERS)
    for domain in READERS:
        if domain in wanted:
            READERS[domain](snap, att, now)
    return snap


def _sum(snap: StreetLive, grid_ids: list[int]) -> defaultdict[str, float]:
    total: defaultdict[str, float] = defaultdict(float)
    for gid in grid_ids:
        for key, n in snap.counts.get(gid, {}).items():
            if key in MAX_KEYS:
                total[key] = max(total[key], n)
            else:
                total[key] += n
    return total


def _minutes(seconds: float) -> int:
    return round(seconds / 60)


def _grid_brief(snap: StreetLive, gid: int) -> dict[str, Any]:
    grid = snap.attribution.tree.grids[gid]
    return {"id": grid.pk, "name": grid.name, "level": grid.level, "external_id": grid.external_id}


def _child_row(snap: StreetLive, gid: int) -> dict[str, Any]:
    c = _sum(snap, snap.attribution.tree.subtree(gid))
    return {
        **_grid_brief(snap, gid),
        "cases_open": int(c["cases_open"]),
        "late": int(c["sla_late"] + c["sla_late3"]),
        "late3": int(c["sla_late3"]),
        "reports_hour": int(c["reports_hour"]),
        "calls_open": int(c["calls_emergency"] + c["calls_help"]),
        "meals_ordered": int(c["meals_ordered"]),
        "queue_waiting": int(c["queue_waiting"]),
        "gates_offline": int(c["gates_offline"]),
    }


def grid_picture(snap: StreetLive, grid_id: int) -> dict[str, Any]:
    """The live picture of one grid of the snapshot's street: its subtree's numbers, pins and child rows."""
    tree = snap.attribution.tree
    subtree = tree.subtree(grid_id)
    inside = set(subtree)
    c = _sum(snap, subtree)
    pins = sorted(
        (case for case in snap.cases if case["grid_id"] in inside),
        key=lambda case: (SLA_ORDER.get(case["sla"], 9), case["due_at"] or snap.at),
    )[:PINS_MAX]
    called = c["queue_called"]
    children = sorted(tree.children.get(grid_id, []), key=lambda gid: tree.grids[gid].external_id)
    return {
        "grid": _grid_brief(snap, grid_id),
        "path": [_grid_brief(snap, gid) for gid in tree.path(grid_id)],
        "at": snap.at.isoformat(),
        "cases": {
            "open": int(c["cases_open"]),
            "by_status": {s: int(c[f"cases_{s}"]) for s in CASE_STATES},
            "sla": {"due": int(c["sla_due"]), "late": int(c["sla_late"]), "late3": int(c["sla_late3"])},
            "reports_hour": int(c["reports_hour"]),
            "pins": [
                {
                    "id": p["id"],
                    "lat": round(p["lat"], 6),  # ~0.1 m; each push carries up to PINS_MAX of them
                    "lng": round(p["lng"], 6),
                    "status": p["status"],
                    "sla": p["sla"],
                    "category": p["category"],
                }
                for p in pins
            ],
        },
        "care": {
            "emergency_open": int(c["calls_emergency"]),
            "help_open": int(c["calls_help"]),
            "visits_open": int(c["visits_open"]),
            "visits_late": int(c["visits_late"]),
        },
        "meals": {
            "ordered": int(c["meals_ordered"]),
            "in_production": int(c["meals_in_production"]),
            "on_the_way": int(c["meals_on_the_way"]),
            "delivered": int(c["meals_delivered"]),
            "runs": int(c["runs"]),
            "runs_late": int(c["runs_late"]),
        },
        "activities": {"bookings": int(c["bookings"]), "checked_in": int(c["checked_in"])},
        "affairs": {
            "waiting": int(c["queue_waiting"]),
            "longest_wait_min": _minutes(c["queue_longest_wait_s"]),
            "avg_wait_min": _minutes(c["queue_wait_s_total"] / called) if called else 0,
        },
        "access": {
            "gates": int(c["gates"]),
            "offline": int(c["gates_offline"]),
            "denials_today": int(c["denials_today"]),
        },
        "volunteers": {"on_duty": int(c["volunteers_on_duty"])},
        "assistant": {"unanswered": int(c["questions_unanswered"])},
        "children": [_child_row(snap, gid) for gid in children],
    }


def grid_live(grid_id: int, *, street_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """The live picture of one grid, read now (the page's and the API's answer)."""
    return grid_picture(street_live(street_id, now=now), grid_id)


def grid_chain(street_id: int, *, grid_id: int | None, compound_id: int | None, place_id: int | None) -> list[int]:
    """The grids whose live picture a change touches: the deepest grid its rows belong to and every ancestor."""
    att = attribution_for(street_id)
    if grid_id is not None:
        gid = att.grid(grid_id)
    elif compound_id is not None:
        gid = att.compound(compound_id)
    elif place_id is not None:
        gid = att.place(place_id)
    else:
        gid = att.hq_id
    return att.tree.path(gid) if gid is not None else []
