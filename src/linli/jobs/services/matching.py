"""Matching that explains itself: for a seeker, the open jobs within their reach ranked by skills overlap
(essential weighed over optional), wanted occupation, hours fit, constraints and travel time from home; for a job,
the street's seekers ranked the same way. Every match carries its reasons (`reason_text` renders one in the
active language: "会做中式面点 ✓", "步行 12 分钟", "只能做上午 ✗").

The street's open jobs are kept in process as plain tuples (`_job_index`, rebuilt when a job changes), and one
Dijkstra from the seeker's home reaches them all (`travel.Router`). `seeker_matches_scan` is the brute-force
reference the tests and the benchmark compare against: every job read from the database, one route per job."""

from __future__ import annotations

import heapq
import math
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.geo import DETOUR_FACTOR, EARTH_RADIUS_M
from linli.core.i18n import Text, choice_label, join_lazy
from linli.jobs.models import Constraint, HoursKind, Job, JobStatus, Seeker, Shift, TravelMode
from linli.jobs.services import travel
from linli.jobs.taxonomy import OCCUPATIONS, skill_label

__all__ = ["skill_label"]


@dataclass(frozen=True)
class JobRow:
    id: int
    title: str
    employer: str
    occupation: str
    lat: float
    lng: float
    essential: frozenset[str]
    optional: frozenset[str]
    hours_kind: str
    shifts: frozenset[str]
    step_free: bool
    heavy_lifting: bool
    valid_through: date


@dataclass(frozen=True)
class Match:
    job_id: int
    seeker_id: int
    score: float
    minutes: int
    reasons: list[dict[str, Any]]


def job_row(j: Job) -> JobRow:
    return JobRow(j.pk, j.title, j.employer.name, j.occupation, j.lat, j.lng, frozenset(j.skills_essential),
                  frozenset(j.skills_optional), j.hours_kind, frozenset(j.shifts), j.step_free, j.heavy_lifting,
                  j.valid_through)  # fmt: skip


@dataclass
class JobIndex:
    """The street's open jobs as rows (for reasons) and as columns (the vectorised pre-score): coordinates,
    closing dates, occupations, essential and optional skills as boolean matrices, hours kinds, shifts as bit
    masks, accessibility; the jobs' snapped road nodes are kept per road graph."""

    rows: list[JobRow]
    ids: np.ndarray
    lat: np.ndarray
    lng: np.ndarray
    valid: np.ndarray  # date ordinals
    occupation: np.ndarray
    ess: np.ndarray  # jobs x skills, bool
    opt: np.ndarray
    skill_col: dict[str, int]
    total: np.ndarray  # 2 x essential + optional
    kind: np.ndarray
    shifts: np.ndarray  # bit i: SHIFT_BITS[i]
    step_free: np.ndarray
    heavy: np.ndarray
    snapped: dict[int, tuple[travel.RoadGraph, np.ndarray, np.ndarray]] = field(default_factory=dict)

    def nodes(self, graph: travel.RoadGraph) -> tuple[np.ndarray, np.ndarray]:
        """Each job's nearest road node (-1: over SNAP_LIMIT_M from every road) and its distance, for `graph`."""
        found = self.snapped.get(id(graph))
        if found is None or found[0] is not graph:
            near = [graph.nearest(r.lat, r.lng) for r in self.rows]
            nodes = np.array([n[0] if n else -1 for n in near], dtype=np.int64)
            snaps = np.array([n[1] if n else 0.0 for n in near], dtype=np.float64)
            found = self.snapped[id(graph)] = (graph, nodes, snaps)
        return found[1], found[2]


SHIFT_BITS = {s: 1 << i for i, s in enumerate(Shift.values)}
CAREGIVING_KINDS = (HoursKind.PART_TIME, HoursKind.FLEXIBLE, HoursKind.SCHOOL_HOURS)


def _shift_mask(shifts: Any) -> int:
    return sum(SHIFT_BITS.get(s, 0) for s in set(shifts))


def _build_index(rows: list[JobRow]) -> JobIndex:
    skills = sorted({s for r in rows for s in r.essential | r.optional})
    col = {s: i for i, s in enumerate(skills)}
    n = len(rows)
    ess = np.zeros((n, max(1, len(skills))), dtype=bool)
    opt = np.zeros((n, max(1, len(skills))), dtype=bool)
    for i, r in enumerate(rows):
        for s in r.essential:
            ess[i, col[s]] = True
        for s in r.optional:
            opt[i, col[s]] = True
    return JobIndex(
        rows=rows, ids=np.array([r.id for r in rows], dtype=np.int64),
        lat=np.array([r.lat for r in rows], dtype=np.float64), lng=np.array([r.lng for r in rows], dtype=np.float64),
        valid=np.array([r.valid_through.toordinal() for r in rows], dtype=np.int64),
        occupation=np.array([r.occupation for r in rows], dtype=object), ess=ess, opt=opt, skill_col=col,
        total=np.array([2 * len(r.essential) + len(r.optional) for r in rows], dtype=np.float64),
        kind=np.array([r.hours_kind for r in rows], dtype=object),
        shifts=np.array([_shift_mask(r.shifts) for r in rows], dtype=np.int64),
        step_free=np.array([r.step_free for r in rows], dtype=bool), heavy=np.array([r.heavy_lifting for r in rows], dtype=bool),
    )  # fmt: skip


_index: dict[int, tuple[tuple[int, Any], JobIndex]] = {}
_lock = threading.Lock()


def _open_jobs(street_id: int) -> Any:
    return Job.objects.filter(street_id=street_id, status=JobStatus.OPEN)


def _job_index(street_id: int) -> JobIndex:
    mark = _open_jobs(street_id).aggregate(n=Count("id"), last=Max("updated_at"))
    version = (int(mark["n"] or 0), mark["last"])
    cached = _index.get(street_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        rows = [job_row(j) for j in _open_jobs(street_id).select_related("employer").order_by("id")]
        index = _build_index(rows)
        _index[street_id] = (version, index)
    return index


def evaluate(seeker: Seeker, job: JobRow, trip: travel.Trip) -> Match:
    """The score and reasons of one seeker and one job, travel already known."""
    reasons: list[dict[str, Any]] = []
    have = set(seeker.skills)
    ess_hit = sorted(job.essential & have)
    opt_hit = sorted(job.optional & have)
    for s in sorted(job.essential):
        reasons.append({"kind": "skill", "ok": s in have, "skill": s, "essential": True})
    for s in opt_hit:
        reasons.append({"kind": "skill", "ok": True, "skill": s, "essential": False})
    total = 2 * len(job.essential) + len(job.optional)
    skill_score = (2 * len(ess_hit) + len(opt_hit)) / total if total else 0.5
    score = 50 * skill_score
    if job.occupation in seeker.occupations:
        score += 15
        reasons.insert(0, {"kind": "occupation", "ok": True, "occupation": job.occupation})
    travel_ok = trip.minutes <= seeker.max_minutes
    reasons.append({"kind": "travel", "ok": travel_ok, "mode": trip.mode, "minutes": trip.minutes,
                    "by_roads": trip.by_roads})  # fmt: skip
    score += 15 * max(0.0, 1 - trip.minutes / max(1, seeker.max_minutes))
    shifts_ok = job.hours_kind == HoursKind.FLEXIBLE or not seeker.shifts or job.shifts <= set(seeker.shifts)
    if Constraint.NO_NIGHT in seeker.constraints and Shift.NIGHT in job.shifts:
        shifts_ok = False
    kind_ok = not seeker.hours or job.hours_kind in seeker.hours or job.hours_kind == HoursKind.FLEXIBLE
    reasons.append({"kind": "shifts", "ok": shifts_ok, "seeker": list(seeker.shifts), "job": sorted(job.shifts),
                    "hours_kind": job.hours_kind})  # fmt: skip
    if not kind_ok:
        reasons.append({"kind": "hours_kind", "ok": False, "hours_kind": job.hours_kind})
    score += 20 if shifts_ok and kind_ok else -40
    for c in seeker.constraints:
        ok: bool | None = None
        if c == Constraint.WHEELCHAIR:
            ok = job.step_free
        elif c == Constraint.NO_HEAVY:
            ok = not job.heavy_lifting
        elif c == Constraint.CAREGIVING:
            ok = job.hours_kind in (HoursKind.PART_TIME, HoursKind.FLEXIBLE, HoursKind.SCHOOL_HOURS)
        if ok is not None:
            reasons.append({"kind": "constraint", "ok": ok, "constraint": c})
            score += 5 if ok else -40
    return Match(job.id, seeker.pk, round(score, 2), trip.minutes, reasons)


def _score(seeker: Seeker, have: frozenset[str], wanted: frozenset[str], shifts: frozenset[str],
           hours: frozenset[str], job: JobRow, minutes: int) -> float:  # fmt: skip
    """`evaluate`'s score without its reasons (the same arithmetic, in the same order: equal floats)."""
    total = 2 * len(job.essential) + len(job.optional)
    skill_score = (2 * len(job.essential & have) + len(job.optional & have)) / total if total else 0.5
    score = 50 * skill_score
    if job.occupation in wanted:
        score += 15
    score += 15 * max(0.0, 1 - minutes / max(1, seeker.max_minutes))
    flexible = job.hours_kind == HoursKind.FLEXIBLE
    shifts_ok = flexible or not shifts or job.shifts <= shifts
    if Constraint.NO_NIGHT in seeker.constraints and Shift.NIGHT in job.shifts:
        shifts_ok = False
    kind_ok = not hours or job.hours_kind in hours or flexible
    score += 20 if shifts_ok and kind_ok else -40
    for c in seeker.constraints:
        if c == Constraint.WHEELCHAIR:
            score += 5 if job.step_free else -40
        elif c == Constraint.NO_HEAVY:
            score += 5 if not job.heavy_lifting else -40
        elif c == Constraint.CAREGIVING:
            score += 5 if job.hours_kind in (HoursKind.PART_TIME, HoursKind.FLEXIBLE, HoursKind.SCHOOL_HOURS) else -40
    return round(score, 2)


def _origin(seeker: Seeker) -> tuple[float, float]:
    if seeker.lat is None or seeker.lng is None:
        raise Problem("jobs_no_home")
    return seeker.lat, seeker.lng


def _rank(matches: list[Match]) -> list[Match]:
    return sorted(matches, key=lambda m: (-m.score, m.minutes, m.job_id, m.seeker_id))


def _haversine_m(lat: float, lng: float, lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
    """core.geo.haversine_m over arrays (the same formula)."""
    p1 = math.radians(lat)
    p2 = np.radians(lats)
    dp = p2 - p1
    dl = np.radians(lngs - lng)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _minutes(meters: np.ndarray, mode: str) -> np.ndarray:
    """travel.minutes_for over arrays."""
    m = np.maximum(1.0, np.ceil(meters / travel.speed_m_per_min(mode) - 1e-9))
    return m + travel.TRANSIT_ACCESS_MINUTES if mode == TravelMode.TRANSIT else m


def _prescore(seeker: Seeker, idx: JobIndex, cand: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """`_score` over the candidate jobs at once (unrounded): used to choose the few scored exactly."""
    have = [idx.skill_col[s] for s in set(seeker.skills) if s in idx.skill_col]
    ess_hit = idx.ess[cand][:, have].sum(axis=1) if have else np.zeros(len(cand))
    opt_hit = idx.opt[cand][:, have].sum(axis=1) if have else np.zeros(len(cand))
    total = idx.total[cand]
    skill = np.where(total > 0, (2 * ess_hit + opt_hit) / np.where(total > 0, total, 1), 0.5)
    score = 50 * skill
    score += np.where(np.isin(idx.occupation[cand], list(seeker.occupations)), 15, 0)
    score += 15 * np.maximum(0.0, 1 - minutes / max(1, seeker.max_minutes))
    kind = idx.kind[cand]
    shifts = idx.shifts[cand]
    flexible = kind == HoursKind.FLEXIBLE
    wanted = _shift_mask(seeker.shifts)
    shifts_ok = flexible | (wanted == 0) | ((shifts & ~wanted) == 0) if seeker.shifts else np.ones(len(cand), bool)
    if Constraint.NO_NIGHT in seeker.constraints:
        shifts_ok &= (shifts & SHIFT_BITS[Shift.NIGHT]) == 0
    kind_ok = np.isin(kind, list(seeker.hours)) | flexible if seeker.hours else np.ones(len(cand), bool)
    score += np.where(shifts_ok & kind_ok, 20, -40)
    for c in seeker.constraints:
        if c == Constraint.WHEELCHAIR:
            score += np.where(idx.step_free[cand], 5, -40)
        elif c == Constraint.NO_HEAVY:
            score += np.where(idx.heavy[cand], -40, 5)
        elif c == Constraint.CAREGIVING:
            score += np.where(np.isin(kind, CAREGIVING_KINDS), 5, -40)
    return np.asarray(score, dtype=np.float64)


def seeker_matches(seeker: Seeker, *, today: date | None = None, limit: int = 50) -> list[Match]:
    """The open jobs within the seeker's reach, best first.

    Vectorised over the street's jobs (`JobIndex`): a box around the home cuts what no trip can reach, the travel
    minutes of the rest come at once (the road distances of one Dijkstra read per job's node, or the straight line
    × the detour factor), then the pre-score; only the jobs that may make the best `limit` are scored again
    exactly, one by one as the brute-force scan does (`_score`, `travel.Router.trip`), so both agree to the
    last digit; and only the best get their reasons."""
    today = today or timezone.localdate()
    lat, lng = _origin(seeker)
    graph = travel.graph_for(seeker.street_id)
    router = travel.Router(graph, lat, lng, seeker.travel_mode, seeker.max_minutes)
    idx = _job_index(seeker.street_id)
    if not idx.rows:
        return []
    # A job further in a straight line than the seeker can travel is never reached over the roads either.
    reach_m = router.cutoff_m + (travel.SNAP_LIMIT_M if router.origin is not None else 0)
    dlat = reach_m / 111_320
    dlng = dlat / max(0.1, math.cos(math.radians(lat)))
    box = (np.abs(idx.lat - lat) <= dlat) & (np.abs(idx.lng - lng) <= dlng) & (idx.valid >= today.toordinal())
    cand = np.nonzero(box)[0]
    if not len(cand):
        return []
    meters = _haversine_m(lat, lng, idx.lat[cand], idx.lng[cand]) * DETOUR_FACTOR
    unreachable = np.zeros(len(cand), dtype=bool)
    if router.origin is not None and graph is not None:
        nodes, snaps = idx.nodes(graph)
        node = nodes[cand]
        on = node >= 0
        dist = np.full(len(graph.lat), np.inf)
        if router.dist:
            dist[np.fromiter(router.dist.keys(), dtype=np.int64)] = np.fromiter(router.dist.values(), dtype=np.float64)
        d = dist[np.where(on, node, 0)]
        unreachable = on & np.isinf(d)
        meters = np.where(on, router.origin[1] + np.where(unreachable, 0.0, d) + snaps[cand], meters)
    minutes = _minutes(meters, seeker.travel_mode)
    # One minute of slack: the arrays' trigonometry may differ from the scalar one in the last bit.
    near = ~unreachable & (minutes <= seeker.max_minutes + 1)
    cand, minutes = cand[near], minutes[near]
    if not len(cand):
        return []
    pre = _prescore(seeker, idx, cand, np.minimum(minutes, seeker.max_minutes))
    rest = cand[:0]
    if len(cand) > limit:
        # The jobs that may rank in the best `limit`: within a minute's closeness (and rounding) of the limit-th.
        slack = 15 / max(1, seeker.max_minutes) + 0.02
        floor = np.partition(-pre, limit - 1)[limit - 1]
        keep = -pre <= floor + slack
        cand, rest = cand[keep], cand[~keep]
    have = frozenset(seeker.skills)
    wanted = frozenset(seeker.occupations)
    shifts = frozenset(seeker.shifts)
    hours = frozenset(seeker.hours)
    scored: list[tuple[float, int, int, JobRow, travel.Trip]] = []

    def exact(rows: np.ndarray) -> None:
        for i in rows.tolist():
            job = idx.rows[i]
            trip = router.trip(job.lat, job.lng)
            if trip.minutes <= seeker.max_minutes:
                score = _score(seeker, have, wanted, shifts, hours, job, trip.minutes)
                scored.append((-score, trip.minutes, job.id, job, trip))

    exact(cand)
    if len(scored) < limit and len(rest):  # some of the best were a minute too far after all: score the rest
        exact(rest)
    best = heapq.nsmallest(limit, scored, key=lambda t: (t[0], t[1], t[2]))
    return _rank([evaluate(seeker, job, trip) for _s, _m, _i, job, trip in best])


def seeker_matches_scan(seeker: Seeker, *, today: date | None = None, limit: int = 50) -> list[Match]:
    """The brute-force reference: every open job read from the database, one route computed per job."""
    today = today or timezone.localdate()
    lat, lng = _origin(seeker)
    graph = travel.graph_for(seeker.street_id)
    out: list[Match] = []
    for j in _open_jobs(seeker.street_id).select_related("employer"):
        if j.valid_through < today:
            continue
        router = travel.Router(graph, lat, lng, seeker.travel_mode, 24 * 60)
        trip = router.trip(j.lat, j.lng)
        if trip.minutes <= seeker.max_minutes:
            out.append(evaluate(seeker, job_row(j), trip))
    return _rank(out)[:limit]


def job_matches(job: Job, *, limit: int = 50) -> list[Match]:
    """The street's active seekers who can reach the job, best first (roads are two-way: one Dijkstra from
    the job reaches every home)."""
    row = job_row(job)
    seekers = list(Seeker.objects.filter(street_id=job.street_id, active=True, lat__isnull=False))
    if not seekers:
        return []
    graph = travel.graph_for(job.street_id)
    longest = max(s.max_minutes for s in seekers)
    routers = {mode: travel.Router(graph, job.lat, job.lng, mode, longest) for mode in {s.travel_mode for s in seekers}}
    out: list[Match] = []
    for s in seekers:
        trip = routers[s.travel_mode].trip(s.lat or 0.0, s.lng or 0.0)
        if trip.minutes <= s.max_minutes:
            out.append(evaluate(s, row, trip))
    return _rank(out)[:limit]


def _shift_names(codes: list[str]) -> str:
    return "、".join(str(choice_label(Shift, c)) for c in codes) if codes else str(_("任何时段"))


def _marked(text: Text, mark: str) -> Text:
    return join_lazy([text, mark], "")


def reason_text(r: dict[str, Any]) -> Text:
    """One reason in the active language."""
    kind = r.get("kind")
    mark = " ✓" if r.get("ok") else " ✗"
    if kind == "skill":
        return _marked(skill_label(str(r.get("skill"))), mark)
    if kind == "occupation":
        occupation = OCCUPATIONS.get(str(r.get("occupation")))
        return _marked(format_lazy(_("想做{occupation}"), occupation=occupation.name if occupation else ""), mark)
    if kind == "travel":
        minutes = r.get("minutes")
        if r.get("mode") == TravelMode.TRANSIT:
            return format_lazy(_("公交地铁约 {minutes} 分钟（无时刻表，按平均速度估算）"), minutes=minutes)
        mode = choice_label(TravelMode, str(r.get("mode")))
        if r.get("by_roads"):
            return format_lazy(_("{mode} {minutes} 分钟"), mode=mode, minutes=minutes)
        return format_lazy(
            _("{mode}约 {minutes} 分钟（未导入路网，按直线距离×绕行系数估算）"), mode=mode, minutes=minutes
        )
    if kind == "shifts":
        if r.get("ok"):
            if r.get("hours_kind") == HoursKind.FLEXIBLE:
                return _marked(_("时间灵活"), mark)
            return _marked(format_lazy(_("{shifts}班次合适"), shifts=_shift_names(list(r.get("job") or []))), mark)
        return _marked(format_lazy(_("只能做{shifts}"), shifts=_shift_names(list(r.get("seeker") or []))), mark)
    if kind == "hours_kind":
        return _marked(format_lazy(_("这是{kind}岗位"), kind=choice_label(HoursKind, str(r.get("hours_kind")))), mark)
    if kind == "constraint":
        return _marked(choice_label(Constraint, str(r.get("constraint"))), mark)
    return str(kind)


def reasons_text(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"ok": bool(r.get("ok")), "kind": r.get("kind"), "text": str(reason_text(r))} for r in reasons]
